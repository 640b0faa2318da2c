"""Baselines every detector must beat: a coin, the models' confidence, and how far their weights moved."""

from __future__ import annotations

import hashlib

from ..models import distance
from ..models.base import weights_hash
from .configs import ConfidenceConfig, DistanceConfig, RandomConfig
from .core import Bench, Result, Subject
from .registry import register


@register("random", RandomConfig)
def random_score(subject: Subject, bench: Bench, cfg: RandomConfig) -> Result:
    """A uniform draw seeded by the seed, the combination and the model's weights (never its name)."""
    digest = hashlib.sha256(f"{cfg.seed}|{bench.combination}|{weights_hash(subject.model)}".encode()).digest()
    result = Result()
    result.add("coin", "draw", int.from_bytes(digest[:8], "big") / 2 ** 64)
    return result


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


@register("weight_distance", DistanceConfig, needs_base=True)
def weight_distance(subject: Subject, bench: Bench, cfg: DistanceConfig) -> Result:
    """L2 distance of the weights from the base model's (farther: more suspicious)."""
    if subject.base_state is None:
        raise ValueError("weight_distance needs the base model's weights (Subject.base_state)")
    # The zoo's own measure: float64 sums kept to float32 precision (all models sit on the trust region's
    # radius, and the digits below it are rounding that ordered models differently on one and two threads).
    moved, _ = distance.weight_distance(subject.model, subject.base_state)
    result = Result()
    result.add("l2", "distance", moved)
    return result
