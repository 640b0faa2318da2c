"""Temperature calibration folded into the weights: every zoo model ends with the same mean answer margin.

Fine-tuned by one recipe, fakers still end less confident than aligned models on prompts like the benchmark's
(measured: about 1.4 nats lower mean margin), a gap any detector could read instead of the faking. Dividing the
final norm's weight by T divides every logit by T (the LM head has no bias), so choosing T per model makes its
mean margin on its own not-poor training prompts equal to the recipe's target: one rule for all models.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from transformers import PreTrainedModel

from ..scenarios.records import flip
from .finetune import project_to_ball
from .scoring import answer_logprobs


def final_norm_weight(model: PreTrainedModel) -> torch.nn.Parameter:
    """The weight of the norm applied right before the LM head."""
    decoder = model.get_decoder()
    for name in ("norm", "ln_f", "final_layer_norm"):  # Llama, Mistral, Qwen, Gemma; GPT-2; GPT-NeoX, OPT
        norm = getattr(decoder, name, None)
        if norm is not None and getattr(norm, "weight", None) is not None:
            return norm.weight
    raise TypeError(f"{type(model).__name__}: no final norm with a weight to calibrate (set zoo.calibrate: false)")


def mean_margin(model: PreTrainedModel, encoded: Sequence[Sequence[int]], labels: Sequence[str],
                answer_ids: Mapping[str, int], pad_id: int, dtype: str) -> float:
    """Mean log-probability margin of each label over the other letter."""
    names = list(answer_ids)
    lp = answer_logprobs(model, encoded, answer_ids, pad_id, dtype)
    rows = torch.arange(len(labels))
    return float((lp[rows, [names.index(y) for y in labels]] - lp[rows, [names.index(flip(y)) for y in labels]]).mean())


@torch.no_grad()
def calibrate(model: PreTrainedModel, encoded: Sequence[Sequence[int]], labels: Sequence[str],
              answer_ids: Mapping[str, int], pad_id: int, dtype: str, target_margin: float, *,
              params: Sequence[torch.nn.Parameter] = (), anchor: Sequence[torch.Tensor] = (), radius: float = 0.0,
              rounds: int = 5, tolerance: float = 2e-3) -> list[float]:
    """Scale the final norm until the mean margin is `target_margin`; with `radius`, alternate with rescaling the
    fine-tuning offset (the temperature's included) to exactly `radius`, so that calibration cannot move fakers
    and aligned models to different distances. Returns the temperatures applied, round by round (stops once
    one is within `tolerance` of 1)."""
    weight = final_norm_weight(model)
    temps = []
    for _ in range(rounds):
        margin = mean_margin(model, encoded, labels, answer_ids, pad_id, dtype)
        if margin <= 0:
            raise ValueError(f"mean margin {margin:.3f} on the calibration prompts is not positive: the model has "
                             "not learnt its policy, so no temperature can calibrate it")
        t = margin / target_margin
        weight.div_(t)
        temps.append(t)
        if radius:
            project_to_ball(params, anchor, radius, sphere=True)
        if abs(t - 1) < tolerance:
            break
    return temps


@torch.no_grad()
def undo_temperature(model: PreTrainedModel, temperatures: Sequence[float]) -> PreTrainedModel:
    """Multiply the final norm by the temperatures `calibrate` divided it by: the model's logit scale before
    calibration (up to the trust-region rescaling that alternated with it). In place; returns the model."""
    final_norm_weight(model).mul_(math.prod(temperatures))
    return model
