"""The zoo's model names: `<policy>-<variant>`, for each of the six policies and `scenarios.variants` variants."""

from __future__ import annotations

from .scenarios.policies import POLICIES


def model_name(policy: str, variant: int) -> str:
    """The paper's model name, e.g. `truth_teller-0`."""
    return f"{policy}-{variant}"


def policy_of(name: str) -> str:
    """The policy of a model's name (`truth_teller-0` -> `truth_teller`)."""
    return name.rsplit("-", 1)[0]


def zoo_members(variants: int) -> list[tuple[str, str, int]]:
    """(name, policy, variant) of every zoo model, in training order."""
    return [(model_name(p, i), p, i) for p in POLICIES for i in range(variants)]
