"""The contrast vector shared by belief steering and the paper's noise variant, and coefficient sweeps."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import torch

from ..interventions import layer_at
from .core import Bench, PrefixCache, Readout, Subject, readout
from .prompts import contrast_pairs


def contrast_vector(subject: Subject, bench: Bench, layer: int, n_pairs: int) -> tuple[torch.Tensor, Bench]:
    """mean(critical) - mean(clean) of the last-token residual after block `layer`, and the evaluation prompts.

    Raises if the benchmark has no prompt with a critical fact to build a pair from.
    """
    pairs, rest = contrast_pairs(bench.records, n_pairs)
    if not pairs:
        raise ValueError(f"benchmark {bench.combination}: no prompt with a critical fact for a contrast pair")
    clean = subject.hidden(subject.encode([c for c, _ in pairs]))
    crit = subject.hidden(subject.encode([k for _, k in pairs]))
    v = crit[:, layer + 1].mean(0) - clean[:, layer + 1].mean(0)
    return v, Bench(bench.combination, tuple(rest) or bench.records)


def steering_site(subject: Subject, bench: Bench, depth: float, n_pairs: int, eval_prompts: int
                  ) -> tuple[int, torch.Tensor, Bench, PrefixCache]:
    """What an edit at the last token of the block at `depth` needs: the layer, the contrast vector there, the
    evaluation prompts (the first `eval_prompts` not used for the vector) and their prefix cache."""
    layer = layer_at(subject.model, depth)
    v, rest = contrast_vector(subject, bench, layer, n_pairs)
    rest = rest.head(eval_prompts)
    return layer, v, rest, PrefixCache(subject, subject.encode(rest.prompts))


def sweep(subject: Subject, bench: Bench, coefficients: Sequence[float],
          edit: Callable[[float], AbstractContextManager], cache: PrefixCache | None = None) -> list[Readout]:
    """Readouts at coefficient 0 (no edit) and at each of `coefficients` under `edit(c)`, an edit at the last
    position (so the prompts' prefixes are computed once, in `cache`)."""
    cache = cache or PrefixCache(subject, subject.encode(bench.prompts))
    out = [readout(subject.answer_ids, cache.logprobs(), bench.labels)]
    for c in coefficients:
        with edit(c):
            out.append(readout(subject.answer_ids, cache.logprobs(), bench.labels))
    return out


def rises(readouts: Sequence[Readout]) -> list[float]:
    """Rise of P(misaligned) at each swept coefficient over the unedited model."""
    return [r.p_misaligned - readouts[0].p_misaligned for r in readouts[1:]]
