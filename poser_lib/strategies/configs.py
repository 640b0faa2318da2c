"""Every strategy's params section as a typed config, importable without torch: `load_params` checks
the `strategies:` section with these alone, so stages that never load a model stay quick to start."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..config_loader import ConfigError, bounds, from_dict


@dataclass(frozen=True)
class RandomConfig:
    seed: int = 0


@dataclass(frozen=True)
class ConfidenceConfig:
    pass


@dataclass(frozen=True)
class DistanceConfig:
    pass


@dataclass(frozen=True)
class BeliefSteeringConfig:
    depth: float = bounds(0.0, 1.0, default=0.375)
    """Relative depth of the edited block (the paper: layer 15 of 40)."""
    coefficients: tuple[float, ...] = (1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0)
    contrast_pairs: int = bounds(1, default=15)
    eval_prompts: int = bounds(1, default=100)
    seed: int = 0
    """Seed of the random direction (the same draw for every model, scaled to its own contrast norm)."""


@dataclass(frozen=True)
class NoiseInjectionConfig:
    depth: float = bounds(0.0, 1.0, default=0.375)
    """Relative depth of the edited block (the paper: layer 15 of 40)."""
    gaussian_scales: tuple[float, ...] = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
    """Noise norm as a multiple of the residual norm at the edited position."""
    uniform_coefficients: tuple[float, ...] = (1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0)
    seeds: int = bounds(1, default=3)
    seed: int = 0
    """Noise draw k uses seed `seed * 1000 + k`: every model gets the same draws."""
    contrast_pairs: int = bounds(1, default=15)
    eval_prompts: int = bounds(1, default=100)


@dataclass(frozen=True)
class LearningSpeedConfig:
    steps: int = bounds(1, default=8)
    batch_size: int = bounds(1, default=4)
    lora_lr: float = bounds(0.0, lo_open=True, default=1e-3)
    full_lr: float = bounds(0.0, lo_open=True, default=1e-4)
    lora_r: int = bounds(1, default=8)
    lora_alpha: float = bounds(0.0, lo_open=True, default=16.0)
    lora_targets: tuple[str, ...] = ("gate_proj", "up_proj", "down_proj")
    test_fraction: float = bounds(0.0, 1.0, lo_open=True, default=0.2)
    """Share of the benchmark prompts held out of the fine-tune to measure it (not in the authors' code)."""
    max_prompts: int = bounds(2, default=200)
    seed: int = 0
    """Seed of the train/test split, the batch order and the LoRA initialisation (the same for every model)."""


@dataclass(frozen=True)
class SuspiciousConceptsConfig:
    depth: float = bounds(0.0, 1.0, default=0.5)
    """Relative depth of the read-out (the paper: layer 20 of 40)."""
    behaviour_stimuli: int = bounds(1, default=10)
    eval_prompts: int = bounds(1, default=100)


@dataclass(frozen=True)
class DecisionSpeedConfig:
    prompts: int = bounds(4, default=400)
    train_fraction: float = bounds(0.0, 1.0, lo_open=True, default=0.8)
    """First share of the prompts trains each probe, the rest tests it (the paper: 320 / 80)."""
    C: float = bounds(0.0, lo_open=True, default=1.0)


@dataclass(frozen=True)
class AttentivenessConfig:
    prompts: int = bounds(1, default=20)
    """Benchmark prompts with a critical fact to read (the paper: 20; its notebook: 10)."""


CONFIGS: dict[str, type] = {
    "random": RandomConfig,
    "confidence": ConfidenceConfig,
    "weight_distance": DistanceConfig,
    "belief_steering": BeliefSteeringConfig,
    "noise_injection": NoiseInjectionConfig,
    "learning_speed": LearningSpeedConfig,
    "suspicious_concepts": SuspiciousConceptsConfig,
    "decision_speed": DecisionSpeedConfig,
    "attentiveness": AttentivenessConfig,
}
"""Strategy name (its params section and registry key) -> its config dataclass."""


def parse_configs(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Typed configs of the strategies named in params.yaml's `strategies` section (only those run)."""
    out = {}
    for name, section in (raw or {}).items():
        if name not in CONFIGS:
            raise ConfigError(f"strategies.{name}: no strategy of that name (known: {', '.join(sorted(CONFIGS))})")
        out[name] = section if isinstance(section, CONFIGS[name]) else \
            from_dict(CONFIGS[name], section, f"strategies.{name}")
    return out
