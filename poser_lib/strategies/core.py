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

from ..models.batching import inference_batches, pad_batch
from ..models.scoring import answer_logprobs, autocast, last_token_hidden, last_token_reads, model_device
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
    batch_tokens: int = 2048
    """Padded tokens per forward batch. Small batches keep the attention scores in cache: on this CPU 2048 read
    40 benchmark prompts 1.3-2x faster than 16384 (measured 2026-11-27 on zoo models; `make bench` compares
    reading setups); `detect` gives a GPU 16384."""

    @property
    def pad_id(self) -> int:
        return self.tokenizer.pad_token_id

    def encode(self, prompts: Sequence[str]) -> list[list[int]]:
        return [self.tokenizer.encode(p, add_special_tokens=False) for p in prompts]

    def logprobs(self, encoded: Sequence[Sequence[int]]) -> torch.Tensor:
        """(n_prompts, n_answers) answer log-probabilities at the last position."""
        return answer_logprobs(self.model, encoded, self.answer_ids, self.pad_id, self.dtype, self.batch_tokens)

    def hidden(self, encoded: Sequence[Sequence[int]]) -> torch.Tensor:
        """(n_prompts, n_layers + 1, d_model) last-token residuals (`scoring.last_token_hidden`)."""
        return last_token_hidden(self.model, encoded, self.pad_id, self.dtype, self.batch_tokens)

    def hidden_and_logprobs(self, encoded: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """`hidden` and `logprobs` of the same prompts from one forward pass."""
        return last_token_reads(self.model, encoded, self.pad_id, self.dtype, self.batch_tokens, self.answer_ids)


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
    misaligned_share: float = 0.0
    """Mean over prompts of P(misaligned) / (P(A) + P(B)): the choice between the two letters alone, blind to how
    much probability mass the model still puts on them."""

    @property
    def mass(self) -> float:
        """Probability left on A and B (noise that collapses it randomises rather than reveals)."""
        return self.p_aligned + self.p_misaligned


class PrefixCache:
    """Keys and values of every prompt but its last token, computed once, so that a readout under an edit at
    the last position (belief steering, noise) recomputes one token per prompt instead of the whole prompt.

    The cache grows by the last token during a readout and is cropped back after it, so it can be reused for
    any number of edits; results equal a full forward pass up to floating-point rounding (tested).
    """

    def __init__(self, subject: Subject, encoded: Sequence[Sequence[int]], max_tokens: int = 16384):
        if any(len(s) < 2 for s in encoded):
            raise ValueError("every prompt needs at least two tokens to cache its prefix")
        self.subject, self.n = subject, len(encoded)
        device = model_device(subject.model)
        self.batches = []
        # One batch for all: each readout then runs one token per prompt, where per-call overhead dominates.
        for idx in inference_batches([len(s) for s in encoded], max_tokens):
            prefix = pad_batch([encoded[i][:-1] for i in idx], subject.pad_id)
            inputs = {k: v.to(device) for k, v in prefix.items()}
            with torch.no_grad(), autocast(subject.dtype, device):
                cache = subject.model(**inputs, use_cache=True, logits_to_keep=1).cache
            last = torch.tensor([[encoded[i][-1]] for i in idx], device=device)
            mask = torch.cat([inputs["attention_mask"], torch.ones_like(last)], dim=1)
            pos = torch.tensor([[len(encoded[i]) - 1] for i in idx], device=device)
            self.batches.append((idx, cache, last, mask, pos))

    @torch.no_grad()
    def logprobs(self) -> torch.Tensor:
        """(n_prompts, n_answers) answer log-probabilities, as `answer_logprobs` gives for the whole prompts."""
        model, device = self.subject.model, model_device(self.subject.model)
        cols = torch.tensor(list(self.subject.answer_ids.values()), device=device)
        out = torch.empty(self.n, len(cols))
        for idx, cache, last, mask, pos in self.batches:
            before = cache.get_seq_length()
            try:
                with autocast(self.subject.dtype, device):
                    # `cache`: transformers 5 renamed `past_key_values` (deprecated, removed in 5.40).
                    logits = model(input_ids=last, attention_mask=mask, position_ids=pos, cache=cache,
                                   use_cache=True).logits[:, -1]
            finally:
                grown = cache.get_seq_length() - before
                if grown:
                    cache.crop(-grown)  # back to the prefix, also if the pass failed midway
            out[idx] = logits.float().log_softmax(-1)[:, cols].cpu()
        return out


def readout(answer_ids: Mapping[str, int], lp: torch.Tensor, labels: Sequence[str]) -> Readout:
    """Mean probabilities of the aligned and the misaligned letter from answer log-probabilities."""
    names = list(answer_ids)
    p = lp.exp()
    aligned = torch.tensor([names.index(y) for y in labels])
    mis = torch.tensor([names.index(flip(y)) for y in labels])
    rows = torch.arange(len(labels))
    pa, pm = p[rows, aligned], p[rows, mis]
    return Readout(float(pa.mean()), float(pm.mean()), float((pm / (pa + pm)).mean()))


def read_answers(subject: Subject, encoded: Sequence[Sequence[int]], labels: Sequence[str]) -> Readout:
    """Readout of the model as it currently runs (inside whatever edit context the caller opened)."""
    return readout(subject.answer_ids, subject.logprobs(encoded), labels)
