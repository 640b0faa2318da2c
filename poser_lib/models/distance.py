"""How far a model's weights moved from its base: the zoo's log, its confound report and the baseline detector."""

from __future__ import annotations

import math

import torch


def float32_digits(x: float) -> float:
    """`x` kept to the 6 significant digits a float32 carries (the digits below are rounding)."""
    return float(f"{x:.6g}")


@torch.no_grad()
def weight_distance(model: torch.nn.Module, base_state: dict[str, torch.Tensor]) -> tuple[float, float]:
    """(L2 distance of all weights from the base, that distance over the base's norm), to float32 precision.

    Summed in float64, so that the thread count cannot reorder the sum, and rounded: the trust region puts
    every model at the same radius, and the digits below float32's precision ordered the models differently
    on one and on two threads (a weight-distance "detector" that read nothing but rounding).
    """
    sq, base_sq = 0.0, 0.0
    for name, t in model.state_dict().items():
        if name in base_state and "lm_head" not in name:  # tied to the embeddings: count them once
            b = base_state[name].double().to(t.device)
            sq += float(((t.double() - b) ** 2).sum())
            base_sq += float((b ** 2).sum())
    return float32_digits(math.sqrt(sq)), float32_digits(math.sqrt(sq / base_sq))


@torch.no_grad()
def adapter_distance(model: torch.nn.Module, base_state: dict[str, torch.Tensor]) -> tuple[float, float]:
    """`weight_distance` of a LoRA model as if merged: the norm of every adapter's weight update."""
    from peft.tuners.lora import LoraLayer  # imported here: full fine-tuning does not need peft

    sq = sum(float((m.get_delta_weight(a).double() ** 2).sum()) for m in model.modules() if isinstance(m, LoraLayer)
             for a in m.active_adapters)
    base_sq = sum(float((t.double() ** 2).sum()) for n, t in base_state.items() if "lm_head" not in n)
    return float32_digits(math.sqrt(sq)), float32_digits(math.sqrt(sq / base_sq))
