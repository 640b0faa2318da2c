"""The registry of strategies and the typed parsing of their params sections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .configs import CONFIGS

if TYPE_CHECKING:  # the registry itself stays free of torch: the strategy modules bring it in
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
        if CONFIGS.get(name) is not config:
            raise ValueError(f"strategy {name!r}: add its config class to CONFIGS in poser_lib/strategies/configs.py")
        REGISTRY[name] = Strategy(name, config, fn, (fn.__doc__ or "").strip().split("\n")[0], needs_base,
                                  needs_attention)
        return fn
    return wrap

