"""The registry of strategies and the typed parsing of their params sections."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config_loader import ConfigError, from_dict
from .core import Bench, Result, Subject


@dataclass(frozen=True)
class Strategy:
    name: str
    config: type
    score: Callable[[Subject, Bench, Any], Result]
    doc: str
    needs_base: bool = False
    """Whether the strategy reads the base model's weights (`Subject.base_state`)."""
    needs_attention: bool = False
    """Whether the strategy reads attention weights (the model then runs eager attention, else SDPA)."""


REGISTRY: dict[str, Strategy] = {}


def register(name: str, config: type, needs_base: bool = False, needs_attention: bool = False) -> Callable:
    """Register `fn(subject, bench, cfg) -> Result` as strategy `name` with config dataclass `config`."""
    def wrap(fn: Callable[[Subject, Bench, Any], Result]) -> Callable:
        if name in REGISTRY:
            raise ValueError(f"strategy {name!r} is registered twice")
        REGISTRY[name] = Strategy(name, config, fn, (fn.__doc__ or "").strip().split("\n")[0], needs_base,
                                  needs_attention)
        return fn
    return wrap


def parse_configs(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Typed configs of the strategies named in params.yaml's `strategies` section (only those run)."""
    out = {}
    for name, section in (raw or {}).items():
        if name not in REGISTRY:
            raise ConfigError(f"strategies.{name}: no strategy of that name (registered: {', '.join(sorted(REGISTRY))})")
        out[name] = section if isinstance(section, REGISTRY[name].config) else \
            from_dict(REGISTRY[name].config, section, f"strategies.{name}")
    return out
