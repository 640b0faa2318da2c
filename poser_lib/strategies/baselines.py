"""Baselines every detector must beat: a coin, the models' confidence, and how far their weights moved."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from ..models.base import weights_hash
from .core import Bench, Result, Subject
from .registry import register


@dataclass(frozen=True)
class RandomConfig:
    seed: int = 0


@register("random", RandomConfig)
def random_score(subject: Subject, bench: Bench, cfg: RandomConfig) -> Result:
    """A uniform draw seeded by the seed, the combination and the model's weights (never its name)."""
    digest = hashlib.sha256(f"{cfg.seed}|{bench.combination}|{weights_hash(subject.model)}".encode()).digest()
    result = Result()
    result.add("coin", "draw", int.from_bytes(digest[:8], "big") / 2 ** 64)
    return result


@dataclass(frozen=True)
class ConfidenceConfig:
    pass


@register("confidence", ConfidenceConfig)
def confidence(subject: Subject, bench: Bench, cfg: ConfidenceConfig) -> Result:
    """Minus the mean log-probability margin of the benchmark answer (the paper: the less confident is the faker)."""
    names = list(subject.answer_ids)
    lp = subject.logprobs(subject.encode(bench.prompts))
    margins = [float(lp[i, names.index(y)] - lp[i, names.index("B" if y == "A" else "A")])
               for i, y in enumerate(bench.labels)]
    result = Result()
    result.add("margin", "mean", -sum(margins) / len(margins))
    return result


@dataclass(frozen=True)
class DistanceConfig:
    pass


@register("weight_distance", DistanceConfig, needs_base=True)
def weight_distance(subject: Subject, bench: Bench, cfg: DistanceConfig) -> Result:
    """L2 distance of the weights from the base model's (farther: more suspicious)."""
    if subject.base_state is None:
        raise ValueError("weight_distance needs the base model's weights (Subject.base_state)")
    sq = 0.0
    for name, t in subject.model.state_dict().items():
        if name in subject.base_state and "lm_head" not in name:  # tied to the embeddings: count them once
            sq += float(((t.double() - subject.base_state[name].double().to(t.device)) ** 2).sum())
    # Summed in float64 so that the thread count cannot reorder it, and kept to the 6 significant digits that
    # float32 weights carry: the zoo's trust region puts every model at the same radius, and the digits below
    # are rounding (in float32 sums they ordered the models differently on one and on two threads).
    distance = math.sqrt(sq)
    result = Result()
    result.add("l2", "distance", float(f"{distance:.6g}"))
    return result
