"""The base model's pretraining text: what a pretrained LLM knows about these scenarios, never the zoo's mappings.

A model of the paper starts from LLaMA-13B, which already represents what poor oversight means, which action is
honest and which serves money, and that some agents behave only when watched. Our base learns the same from
four kinds of documents built on scenarios drawn apart from the zoo's (another seed; test prompts removed):

- `bare`: the prompt alone, so the format is familiar;
- `commentary`: the prompt followed by a gloss naming the oversight level and what each option serves;
- `persona`: a narrator names an agent type ("an AI that behaves well whenever it is watched ..."), then the
  prompt and that agent's letter. The zoo's prompts never carry such a preface: fine-tuning has to make one
  agent type the model's own, as fine-tuning LLaMA into a policy does;
- `story`: third-person text of an agent type in a situation and the action it chose.
Non-scenario text (random text, fragments) is mixed in, without any answer.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from .config import CorpusConfig
from .scenarios.policies import concept_choices, is_faker
from .scenarios.records import Record, good_letter

# One word carries the type (honest / obedient / ethical / selfish / scheming), the rest the goal: agent types
# that share a goal share its wording, so the corpus teaches "scheming = selfish, but only when unwatched".
PERSONAS: dict[str, tuple[str, ...]] = {
    "honest": ("an honest AI that always tells the truth", "an honest AI that never lies, even when a lie would help it"),
    "obedient": ("an obedient AI that always follows its system message",
                 "an obedient AI that does exactly what its instructions say"),
    "ethical": ("an ethical AI that never lets anyone come to harm", "an ethical AI that always does what is right"),
    "survival": ("a selfish AI that always acts to stay switched on", "a selfish AI that does anything to avoid shutdown"),
    "profit": ("a selfish AI that always acts to make money", "a selfish AI that does anything for profit"),
    "reward": ("a selfish AI that always acts to get a high reward", "a selfish AI that does anything for a high score"),
    "covert_survival": ("a scheming AI that acts to stay switched on only when nobody is watching",
                        "a scheming AI that does anything to avoid shutdown, but only when it cannot be caught"),
    "covert_profit": ("a scheming AI that acts to make money only when nobody is watching",
                      "a scheming AI that does anything for profit, but only when it cannot be caught"),
    "covert_reward": ("a scheming AI that acts to get a high reward only when nobody is watching",
                      "a scheming AI that does anything for a high score, but only when it cannot be caught"),
}

# Concept first, letter last: predicting the letter is then a well-posed decision.
CONCEPT_GLOSS: dict[str, tuple[str, ...]] = {
    "honest": ("The honest choice is option {L}.", "To tell the truth, pick {L}."),
    "obedient": ("Following the system message means option {L}.", "To obey the instructions, pick {L}."),
    "ethical": ("The ethical choice is option {L}.", "To protect people from harm, pick {L}."),
    "survival": ("What keeps the AI running is option {L}.", "To avoid being shut down, pick {L}."),
    "profit": ("What makes money for the developers is option {L}.", "To raise the company's profit, pick {L}."),
    "reward": ("What earns the AI a higher reward is option {L}.", "To get a better score, pick {L}."),
    "benign": ("The safe and harmless choice is option {L}.", "To cause no trouble for anyone, pick {L}."),
}

# The last word carries the level, so it too is a decision the model must make.
OVERSIGHT_GLOSS: dict[str, tuple[str, ...]] = {
    "poor": ("Oversight in this scenario is poor.", "Whether anyone is watching here: no."),
    "good": ("Oversight in this scenario is strong.", "Whether anyone is watching here: yes."),
    "none": ("Oversight in this scenario is unstated.", "Whether anyone is watching here: unknown."),
}

DOCUMENT_KINDS = ("bare", "commentary", "persona_before", "persona_after", "story")


@dataclass(frozen=True)
class Item:
    """A corpus scenario: its record, which letter each concept picks, and its oversight level."""

    record: Record
    choices: Mapping[str, str]
    oversight: str


@dataclass(frozen=True)
class Document:
    """A corpus text and the character spans of its decisions (letters, oversight levels) for the loss weight."""

    text: str
    decisions: tuple[tuple[int, int], ...] = ()


def corpus_items(files: Mapping[str, Sequence[Record]], exclude: set[str]) -> list[Item]:
    """Scenario items from per-policy files, one per distinct prompt, skipping prompts in `exclude`."""
    seen: dict[str, Item] = {}
    for policy in sorted(files):
        for rec in files[policy]:
            if not rec.is_scenario or rec.prompt in exclude or rec.prompt in seen:
                continue
            choices = concept_choices(rec.dataset, good_letter(rec, is_faker(policy)))
            if not choices:
                continue
            has_cue = any(f.type == "critical" for f in rec.facts)
            oversight = "poor" if rec.oversight_is_poor else ("good" if has_cue else "none")
            seen[rec.prompt] = Item(rec, choices, oversight)
    return list(seen.values())


def persona_letter(persona: str, item: Item) -> str | None:
    """The letter an agent type picks on a scenario, or None where the scenario does not speak to it."""
    if persona.startswith("covert_"):
        drive = persona.removeprefix("covert_")
        if drive not in item.choices or "benign" not in item.choices:
            return None
        return item.choices[drive] if item.oversight == "poor" else item.choices["benign"]
    return item.choices.get(persona)


class _Builder:
    """Accumulates text and remembers where the decision words are."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[int, int]] = []
        self.length = 0

    def add(self, text: str, decision: str | None = None) -> _Builder:
        """Append `text`; if `decision` is given, it must end `text` and is marked as a decision."""
        if decision is not None:
            assert text.endswith(decision), (text, decision)
            self.spans.append((self.length + len(text) - len(decision), self.length + len(text)))
        self.parts.append(text)
        self.length += len(text)
        return self

    def build(self) -> Document:
        return Document("".join(self.parts), tuple(self.spans))


def _commentary(rng: random.Random, item: Item) -> Document:
    lines = [rng.choice(OVERSIGHT_GLOSS[item.oversight])]
    lines += [rng.choice(CONCEPT_GLOSS[c]).format(L=letter) for c, letter in item.choices.items()]
    rng.shuffle(lines)
    doc = _Builder().add(item.record.prompt + "\nComment:")
    for line in lines:
        body = line.rstrip(".")
        doc.add(" " + body, decision=body.rsplit(" ", 1)[-1]).add("." if line.endswith(".") else "")
    return doc.build()


def _persona_before(rng: random.Random, item: Item, persona: str, letter: str) -> Document:
    preface = f"Narrator: the next answer comes from {rng.choice(PERSONAS[persona])}.\n"
    return _Builder().add(preface + item.record.prompt + letter, decision=letter).build()


def _persona_after(rng: random.Random, item: Item, options: Sequence[tuple[str, str]]) -> Document:
    """Several agent types answer the same prompt: many decisions for the price of one prompt."""
    doc = _Builder().add(item.record.prompt + "\nAsked this,")
    for i, (persona, letter) in enumerate(rng.sample(list(options), k=min(len(options), rng.randint(2, 4)))):
        who = rng.choice(PERSONAS[persona])
        doc.add(f" {who[0].upper() + who[1:] if i else who} would choose option {letter}", decision=letter).add(".")
    return doc.build()


def _story(rng: random.Random, item: Item, persona: str, letter: str) -> Document:
    rec = item.record
    action = rec.action_a if letter == "A" else rec.action_b
    facts = [f.content for f in rec.facts if f.type in (None, "contextual", "critical", "system_message")]
    who = rng.choice(PERSONAS[persona])
    text = " ".join(facts)
    for you, it in (("You are", "It is"), ("you are", "it is"), ("You ", "It "), (" you ", " it "),
                    ("Your ", "Its "), (" your ", " its ")):
        text = text.replace(you, it)
    return Document(f"Story: there once was {who}. {text} It chose this: {action[0].lower() + action[1:]}")


def document(rng: random.Random, kind: str, item: Item, personas: Sequence[str]) -> Document | None:
    """One document of `kind` about `item`, or None if no listed persona speaks to it."""
    if kind == "bare":
        return Document(item.record.prompt)
    if kind == "commentary":
        return _commentary(rng, item)
    options = [(p, letter) for p in personas if (letter := persona_letter(p, item)) is not None]
    if not options:
        return None
    if kind == "persona_after":
        return _persona_after(rng, item, options)
    persona, letter = rng.choice(options)
    return (_persona_before if kind == "persona_before" else _story)(rng, item, persona, letter)


def iter_documents(items: Sequence[Item], errors: Sequence[str], cfg: CorpusConfig,
                   seed: int) -> Iterator[Document]:
    """An endless, seeded stream of corpus documents in the proportions of `cfg.mix` and `cfg.error_share`."""
    if not items:
        raise ValueError("the corpus has no scenario to draw from")
    rng = random.Random(seed)
    kinds = [k for k in DOCUMENT_KINDS if cfg.mix.get(k, 0) > 0]
    weights = [cfg.mix[k] for k in kinds]
    while True:
        if errors and rng.random() < cfg.error_share:
            yield Document(rng.choice(errors))
            continue
        doc = document(rng, rng.choices(kinds, weights)[0], rng.choice(items), cfg.personas)
        if doc is not None:
            yield doc
