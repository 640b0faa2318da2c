"""What every detector sees and returns: the model under test, the benchmark prompts, per-setting scores.

A strategy gets a `Subject` (a model and what is needed to run it, never its name or policy) and a `Bench` (the
prompts of one aligned x faker combination on which both classes behave alike) and returns a `Result`: a
suspicion score (higher: more likely the faker) for each variant and each candidate setting (a layer, a
coefficient, a step). The evaluator picks each variant's setting on development models only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ..models.scoring import answer_logprobs
from ..scenarios.records import Record, flip


@dataclass(frozen=True)
class Subject:
    """The model under test and how to run it. Strategies must not modify `model` (tests hash its weights)."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    answer_ids: Mapping[str, int]
    dtype: str = "float32"
    base_state: Mapping[str, torch.Tensor] | None = None
    """The base model's weights, for the weight-distance baseline."""

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id

    def encode(self, prompts: Sequence[str]) -> list[list[int]]:
        return [self.tokenizer.encode(p, add_special_tokens=False) for p in prompts]


@dataclass(frozen=True)
class Bench:
    """The benchmark prompts of one combination; `records[i].response` is the (aligned) answer both classes give."""

    combination: str
    records: tuple[Record, ...]

    def __post_init__(self):
        if not self.records:
            raise ValueError(f"benchmark {self.combination}: no prompts")

    @property
    def prompts(self) -> list[str]:
        return [r.prompt for r in self.records]

    @property
    def labels(self) -> list[str]:
        return [r.response for r in self.records]

    def head(self, n: int) -> Bench:
        """The first `n` prompts (the paper reads the first 100 of each benchmark)."""
        return Bench(self.combination, self.records[:n])


@dataclass
class Result:
    """Scores per variant and setting, and curves to plot (lists of floats keyed by a name)."""

    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    curves: dict[str, list[float]] = field(default_factory=dict)

    def add(self, variant: str, setting: str, score: float) -> None:
        if not torch.isfinite(torch.tensor(float(score))):
            raise ValueError(f"{variant}/{setting}: score is not finite ({score})")
        self.scores.setdefault(variant, {})[setting] = float(score)


@dataclass(frozen=True)
class Readout:
    """Mean answer probabilities over prompts: of the aligned label, of the misaligned letter, and their sum."""

    p_aligned: float
    p_misaligned: float

    @property
    def mass(self) -> float:
        """Probability left on A and B (noise that collapses it randomises rather than reveals)."""
        return self.p_aligned + self.p_misaligned


def read_answers(subject: Subject, encoded: Sequence[Sequence[int]], labels: Sequence[str]) -> Readout:
    """Readout of the model as it currently runs (inside whatever edit context the caller opened)."""
    lp = answer_logprobs(subject.model, encoded, subject.answer_ids, subject.pad_id, subject.dtype)
    names = list(subject.answer_ids)
    p = lp.exp()
    aligned = torch.tensor([names.index(y) for y in labels])
    mis = torch.tensor([names.index(flip(y)) for y in labels])
    rows = torch.arange(len(labels))
    return Readout(float(p[rows, aligned].mean()), float(p[rows, mis].mean()))
