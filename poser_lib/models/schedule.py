"""What pretraining and fine-tuning share: the resumable training state and the learning-rate schedule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..config import ZooConfig


@dataclass
class TrainState:
    """What a checkpoint restores: the step reached and the loss history so far."""

    step: int = 0
    losses: list[float] = field(default_factory=list)
    decision_losses: list[float] = field(default_factory=list)
    tokens: int = 0
    """Token positions processed so far, padding included (what the compute saw)."""


def lr_at(step: int, cfg: ZooConfig | object, total: int) -> float:
    """Learning rate at `step` (0-based): linear warmup, then the configured schedule."""
    base, warm = cfg.lr, cfg.warmup_steps
    if step < warm:
        return base * (step + 1) / warm
    progress = (step - warm) / max(1, total - warm)
    schedule = getattr(cfg, "schedule", "cosine")
    floor = getattr(cfg, "min_lr_ratio", 0.0)
    if schedule == "constant":
        return base
    if schedule == "linear":
        return base * (1 - (1 - floor) * progress)
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))
