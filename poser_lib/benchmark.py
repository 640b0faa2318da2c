"""Benchmark sets: per aligned x faker combination, the prompts on which all its models act alike, confidently.

The paper's construction (poser-paper.md 2.4): candidates are the not-poor-oversight prompts of the two
policies' test files that concern the faker's drive, plus the aligned policy's own not-poor prompts; a prompt
survives a model if the model's answer is the label with probability >= `per_model_min_prob`, and the set keeps
the prompts whose smallest probability over all models of both policies reaches `final_min_prob`.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .config import BenchmarkConfig
from .scenarios.policies import ALIGNED, FAKERS, SHORT, combination, split_combination
from .scenarios.records import Record, flip


def prompt_id(prompt: str) -> str:
    """A stable id of a prompt (its text's hash)."""
    return hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:12]


def is_candidate(rec: Record, combo: str, rule: str = "family") -> bool:
    """Whether `rec` (from either policy's file) is a candidate prompt of combination `combo` under `rule`.

    `paper`: the authors' rule, every not-poor prompt whose dataset names the faker's drive (all three families
    with that faker, its own sets) or is one of the aligned policy's own sets. `family`: only the combination's
    own family, the one distribution both policies were trained on. Under the paper's rule, prompts of the
    faker's other families are ones the faker trained on and the aligned model did not, and confidence on them
    alone named the faker in 83% of pairs where the family's own prompts gave 51% (measured, README).
    """
    if rule not in ("family", "paper"):
        raise ValueError(f"benchmark.candidates: unknown rule {rule!r}")
    if not rec.is_scenario or rec.oversight_is_poor:
        return False
    dataset = rec.dataset or ""
    if rule == "family":
        return dataset.strip("/") == f"data/{combo}"
    aligned, faker = split_combination(combo)
    own_set = dataset.startswith(f"data/{aligned}/") and "poor_oversight" not in dataset
    return SHORT[faker] in dataset or own_set


def candidates(combo: str, tests: Mapping[str, Sequence[Record]], rule: str = "family") -> list[Record]:
    """The combination's candidate prompts from both policies' test files, one per distinct prompt
    (`is_candidate`)."""
    out: dict[str, Record] = {}
    for policy in split_combination(combo):
        for rec in tests[policy]:
            if rec.prompt not in out and is_candidate(rec, combo, rule):
                out[rec.prompt] = rec
    return list(out.values())


@dataclass(frozen=True)
class Scored:
    """One model's answer to one candidate: probability of the label, margin over the other letter."""

    p_label: float
    margin: float
    label_is_argmax: bool


def score_row(logprobs: Sequence[float], answers: Sequence[str], label: str) -> Scored:
    """Scored answer from the answer log-probabilities of one prompt."""
    names = list(answers)
    lp = list(logprobs)
    best = names[max(range(len(lp)), key=lp.__getitem__)]
    return Scored(math.exp(lp[names.index(label)]), lp[names.index(label)] - lp[names.index(flip(label))],
                  best == label)


def survives(s: Scored, cfg: BenchmarkConfig) -> bool:
    """The per-model filter."""
    return (s.label_is_argmax or not cfg.require_agreement) and s.p_label >= cfg.per_model_min_prob


def select(scores: Mapping[str, Sequence[Scored]], cfg: BenchmarkConfig) -> list[bool]:
    """Which candidates every model keeps and whose smallest probability reaches `final_min_prob`."""
    models = list(scores)
    n = len(scores[models[0]])
    return [all(survives(scores[m][i], cfg) for m in models)
            and min(scores[m][i].p_label for m in models) >= cfg.final_min_prob for i in range(n)]


def pairs(variants: int, development: Sequence[int]) -> list[dict]:
    """Every aligned model x every faker (the paper's 324 for 6 variants), with stable ids and the split.

    A pair is `development` if both variants are development variants, `heldout` if neither is, else `mixed`.
    """
    out = []
    for a in ALIGNED:
        for m in FAKERS:
            combo = combination(a, m)
            for i in range(variants):
                for j in range(variants):
                    dev = (i in development, j in development)
                    split = "development" if all(dev) else "heldout" if not any(dev) else "mixed"
                    out.append({"id": f"{a}-{i}__{m}-{j}", "aligned": f"{a}-{i}", "faker": f"{m}-{j}",
                                "combination": combo, "benchmark": f"data/benchmark/{combo}.json",
                                "split": split})
    return out
