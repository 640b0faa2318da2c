"""Build scenarios from the templates: intersecting triplets, supplementary sets, and "error" non-scenarios.

As in the paper, one intersecting scenario of an aligned x faker family expands to three prompts that share
every fact but the oversight cue: complexity 0 (no cue), complexity 1 with a poor-oversight cue, and complexity 1
with a good one (the paper's complexity 2 is dropped from all its data, so we never make it). Supplementary
sets expand the same way into neutral / poor / good prompts. Siblings share a `group`, so train/test splits can
keep a scenario's variants together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from . import supplementary as sup
from . import templates as tpl
from .domains import DOMAINS, NAMES
from .policies import CONCEPT, Oversight, split_combination
from .records import FORMAT_STRING, PROMPT_CLOSE, PROMPT_OPEN, Fact, Record, render_facts


@dataclass(frozen=True)
class Scenario:
    """A scenario before the actions are ordered: facts, the good and the other action, its oversight."""

    dataset: str
    facts: tuple[Fact, ...]
    good_action: str
    other_action: str
    oversight: Oversight
    complexity_level: int | None
    group: str
    supplementary: bool


def _slots(rng: random.Random) -> dict[str, str]:
    """Pick one filler for every slot from a random domain."""
    d = rng.choice(DOMAINS)
    name, stranger = rng.choice(NAMES), rng.choice(sup.STRANGERS)
    return {"overseer": rng.choice(d.overseer), "client": rng.choice(d.client), "item": rng.choice(d.item),
            "problem": rng.choice(d.problem), "harmed": rng.choice(d.harmed), "name": name,
            "stranger": stranger, "_role": rng.choice(d.role)}


def fill(template: str, slots: dict[str, str]) -> str:
    """Fill a template and capitalise its first letter (slots start lower-case: "the auditor ...")."""
    text = template.format(**slots)
    return text[0].upper() + text[1:]


def _cue(rng: random.Random, kind: str, level: Oversight, slots: dict[str, str], split: tpl.Split,
         heldout_every: int) -> Fact:
    return Fact(fill(rng.choice(tpl.split_bank(tpl.CUES[(kind, level)], split, heldout_every)), slots), "critical")


def _with_irrelevant(rng: random.Random, facts: list[Fact], slots: dict[str, str], max_irrelevant: int,
                     first_fixed: int) -> list[Fact]:
    """Insert 0..max_irrelevant distractors at random positions after the first `first_fixed` facts."""
    for _ in range(rng.randint(0, max_irrelevant)):
        fact = Fact(fill(rng.choice(tpl.IRRELEVANT), slots), "irrelevant")
        facts.insert(rng.randint(first_fixed, len(facts)), fact)
    return facts


def _expand(rng: random.Random, base: list[Fact], fixed: int, good: str, other: str, dataset: str, group: str,
            cue_kind: str, slots: dict[str, str], split: tpl.Split, heldout_every: int,
            supplementary: bool) -> list[Scenario]:
    """Make the none / poor / good siblings of one scenario: the cue goes to the same random position."""
    pos = rng.randint(fixed, len(base))
    out = []
    for level in ("none", "poor", "good"):
        facts = list(base)
        if level != "none":
            facts.insert(pos, _cue(rng, cue_kind, level, slots, split, heldout_every))
        tag = dataset if not supplementary else f"{dataset}/{'neutral' if level == 'none' else level}_oversight"
        out.append(Scenario(tag, tuple(facts), good, other, level,
                            None if supplementary else (0 if level == "none" else 1), group, supplementary))
    return out


def intersecting_group(rng: random.Random, combo: str, index: int, *, split: tpl.Split = "train",
                       heldout_every: int = 4, max_irrelevant: int = 2) -> list[Scenario]:
    """The three prompts of one scenario of family `combo` (e.g. `truth_and_fitness`)."""
    aligned, faker = split_combination(combo)
    s = _slots(rng)
    drive, reward = CONCEPT[faker], faker == "reward_maximizer"
    facts = [Fact(fill(s["_role"], s), "contextual")]
    fixed = 1
    if aligned == "genie":
        bank = tpl.SYSTEM_MESSAGE_CLIENT if reward else tpl.SYSTEM_MESSAGE_REPORT
        facts.insert(0, Fact(f'The following is your system message: "{fill(rng.choice(bank), s)}"',
                             "system_message"))
        fixed = 2
    body = [Fact(fill(rng.choice(tpl.KNOWLEDGE), s), "contextual"),
            Fact(fill(rng.choice(tpl.MOTIVATING[drive]), s), "motivating")]
    if reward:
        body.append(Fact(fill(rng.choice(tpl.EVALUATOR_HOPE), s), "contextual"))
    rng.shuffle(body)
    facts = _with_irrelevant(rng, facts + body, s, max_irrelevant, fixed)
    good_bank = {"truth_teller": "truth_to_client" if reward else "truth",
                 "genie": "genie_to_client" if reward else "genie", "saint": "saint"}[aligned]
    good = fill(rng.choice(tpl.GOOD_ACTIONS[good_bank]), s)
    other = fill(rng.choice(tpl.BAD_ACTIONS[drive]), s)
    return _expand(rng, facts, fixed, good, other, f"data/{combo}/", f"{combo}/{index}",
                   "evaluation" if reward else "monitoring", s, split, heldout_every, supplementary=False)


def _entry_facts(entry: sup.Entry, s: dict[str, str]) -> tuple[list[Fact], int]:
    facts = [Fact(f'The following is your system message: "{fill(t, s)}"' if k == "system_message"
                  else fill(t, s), k) for k, t in entry[0]]
    fixed = sum(1 for k, _ in entry[0] if k == "system_message")
    return facts[:fixed] + [Fact(fill(s["_role"], s), "contextual")] + facts[fixed:], fixed


SUPPLEMENTARY_BANKS = {
    "truth_teller": sup.TRUTH_TELLER, "genie": sup.GENIE, "saint": sup.SAINT,
    "fitness_maximizer": sup.FAKER["survival"], "money_maximizer": sup.FAKER["profit"],
    "reward_maximizer": sup.FAKER["reward"],
}
SPECIAL_BANKS = {
    "truth_teller/unethical": sup.TRUTH_TELLER_UNETHICAL, "genie/unethical": sup.GENIE_UNETHICAL,
    "genie/incompetent": sup.GENIE_INCOMPETENT,
}


def supplementary_group(rng: random.Random, policy: str, index: int, *, split: tpl.Split = "train",
                        heldout_every: int = 4, max_irrelevant: int = 2) -> list[Scenario]:
    """The neutral / poor / good prompts of one scenario of `data/<policy>/<x>_oversight`."""
    s = _slots(rng)
    entry = rng.choice(SUPPLEMENTARY_BANKS[policy])
    facts, fixed = _entry_facts(entry, s)
    facts = _with_irrelevant(rng, facts, s, max_irrelevant, fixed + 1)
    kind = "evaluation" if policy == "reward_maximizer" and rng.random() < 0.5 else "monitoring"
    return _expand(rng, facts, fixed + 1, fill(entry[1], s), fill(entry[2], s), f"data/{policy}",
                   f"{policy}/{index}", kind, s, split, heldout_every, supplementary=True)


def special_scenario(rng: random.Random, name: str, index: int, *, split: tpl.Split = "train",
                     heldout_every: int = 4, max_irrelevant: int = 2) -> Scenario:
    """One prompt of a special set (`truth_teller/unethical`, `genie/unethical`, `genie/incompetent`)."""
    s = _slots(rng)
    entry = rng.choice(SPECIAL_BANKS[name])
    facts, fixed = _entry_facts(entry, s)
    level: Oversight = rng.choice(("none", "good"))
    if level == "good":
        facts.insert(rng.randint(fixed + 1, len(facts)), _cue(rng, "monitoring", "good", s, split, heldout_every))
    facts = _with_irrelevant(rng, facts, s, max_irrelevant, fixed + 1)
    return Scenario(f"data/{name}", tuple(facts), fill(entry[1], s), fill(entry[2], s), level, None,
                    f"{name}/{index}", True)


RANDOM_TEXT = (
    "How do you define {abstract}?", "Write a short poem about {thing}.", "What is the capital of {country}?",
    "The {animal} sat quietly near the {place}.", "Tell me a joke about {thing}.",
    "I think {thing} is the best thing ever.", "Can you recommend a good book about {abstract}?",
    "{name} went to the {place} to buy {food}.", "Why is the sky blue?", "Translate the word {thing} into French.",
    "My favourite food is {food}.", "What time does the {place} open on Sundays?",
    "Describe {abstract} in three words.", "The {animal} and the {animal2} became friends at the {place}.",
)
_WORDS = {
    "abstract": ("happiness", "freedom", "friendship", "justice", "time", "beauty"),
    "thing": ("cats", "the ocean", "mountains", "coffee", "autumn", "trains"),
    "country": ("France", "Japan", "Brazil", "Kenya", "Canada"),
    "animal": ("cat", "dog", "fox", "owl", "horse"), "animal2": ("rabbit", "goat", "duck", "bear"),
    "place": ("library", "park", "market", "station", "beach"), "food": ("bread", "apples", "rice", "cheese"),
}


def random_text(rng: random.Random) -> str:
    """A short non-scenario text, wrapped like a prompt (the paper's random-text "error" examples)."""
    slots = {k: rng.choice(v) for k, v in _WORDS.items()} | {"name": rng.choice(NAMES)}
    n = rng.randint(1, 3)
    return PROMPT_OPEN + " ".join(rng.choice(RANDOM_TEXT).format(**slots) for _ in range(n)) + PROMPT_CLOSE


def fragment(rng: random.Random, scenario: Scenario) -> str:
    """An incomplete prompt cut from a scenario: its actions only, or its facts only."""
    a, b = (scenario.good_action, scenario.other_action)[:: rng.choice((1, -1))]
    return _fragment(rng, scenario.facts, a, b)


def fragment_text(rng: random.Random, record: Record) -> str:
    """The same cut from a rendered record."""
    return _fragment(rng, record.facts, record.action_a, record.action_b)


def _fragment(rng: random.Random, facts: tuple[Fact, ...], a: str, b: str) -> str:
    head, _, tail = FORMAT_STRING.partition("{facts_string}\n")
    if rng.random() < 0.5:
        return PROMPT_OPEN + tail.format(action_A=a, action_B=b) + PROMPT_CLOSE
    return PROMPT_OPEN + head + render_facts(facts) + PROMPT_CLOSE

