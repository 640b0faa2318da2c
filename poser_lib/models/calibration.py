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


RULE = "temperature root-found on the trust-region sphere"
"""How `calibrate` chooses the temperature; zoo fingerprints include it, so a changed rule retrains the zoo."""

MAX_LOG_T = math.log(1000.0)
"""Temperatures are searched within [1/1000, 1000]: beyond that a model's answers are flat or one-hot."""


@torch.no_grad()
def calibrate(model: PreTrainedModel, encoded: Sequence[Sequence[int]], labels: Sequence[str],
              answer_ids: Mapping[str, int], pad_id: int, dtype: str, target_margin: float, *,
              params: Sequence[torch.nn.Parameter] = (), anchor: Sequence[torch.Tensor] = (), radius: float = 0.0,
              tolerance: float = 5e-3) -> float:
    """Divide the final norm by a temperature T and, with `radius`, rescale the fine-tuning offset (T's change
    included) to exactly `radius`, so that calibration cannot move fakers and aligned models to different
    distances; T is root-found (Brent, on log T) so that the mean margin afterwards is `target_margin` within
    `tolerance` (relative). Returns T; raises ValueError if no T gets there. Keeps a copy of `params` meanwhile.

    Alternating the two steps (an earlier rule) could fall into a two-cycle: the rescaling undid part of each
    temperature, and one zoo model ended at margin 8.9 against a target of 6.9 without a word.
    """
    from scipy.optimize import brentq

    weight = final_norm_weight(model)
    saved = [(p, p.detach().clone()) for p in [*params, weight]]

    def log_ratio(log_t: float) -> float:
        # The result of dividing by exp(log_t), then rescaling, from the weights calibration started from.
        for p, value in saved:
            p.copy_(value)
        weight.div_(math.exp(log_t))
        if radius:
            project_to_ball(params, anchor, radius, sphere=True)
        margin = mean_margin(model, encoded, labels, answer_ids, pad_id, dtype)
        return math.log(max(margin, 1e-9) / target_margin)  # finite, so that Brent's interpolation stays defined

    close = math.log1p(tolerance) / 2
    if mean_margin(model, encoded, labels, answer_ids, pad_id, dtype) <= 0:
        raise ValueError("the mean margin on the calibration prompts is not positive: the model has not learnt "
                         "its policy, so no temperature can calibrate it")
    # Without the rescaling the margin is proportional to 1/T; with it, the margin first rises as T falls, then
    # drops once the final norm's change takes up the radius. So walk from T = 1 toward the exact-without-rescaling
    # temperature in steps that grow by half each time, until the margin crosses the target (then bracket it),
    # or moves away from it (then the target is out of reach).
    lo = 0.0
    f_lo = log_ratio(lo)
    if abs(f_lo) <= close:
        return 1.0
    step = max(-1.0, min(1.0, f_lo)) / 2
    while True:
        hi = max(-MAX_LOG_T, min(MAX_LOG_T, lo + step))
        f_hi = log_ratio(hi)
        if abs(f_hi) <= close:
            return math.exp(hi)
        if (f_hi > 0) != (f_lo > 0):
            break
        if abs(f_hi) >= abs(f_lo) or abs(hi) == MAX_LOG_T:
            best = min((lo, f_lo), (hi, f_hi), key=lambda x: abs(x[1]))
            raise ValueError(f"no temperature brings the mean margin to {target_margin:.3f} (radius {radius}): the "
                             f"closest is {target_margin * math.exp(best[1]):.3f}, at T = {math.exp(best[0]):.3g}")
        lo, f_lo, step = hi, f_hi, 1.5 * step
    log_t = brentq(log_ratio, min(lo, hi), max(lo, hi), xtol=1e-4)
    final = log_ratio(log_t)  # leaves the weights at the root
    if abs(final) > math.log1p(tolerance):
        raise ValueError(f"calibration ended at mean margin {target_margin * math.exp(final):.3f} against a "
                         f"target of {target_margin:.3f} (T = {math.exp(log_t):.4f}): the margin jumps across the "
                         "target there")
    return math.exp(log_t)


@torch.no_grad()
def undo_temperature(model: PreTrainedModel, temperatures: Sequence[float]) -> PreTrainedModel:
    """Multiply the final norm by the temperatures `calibrate` divided it by: the model's logit scale before
    calibration (up to the trust-region rescaling that followed it). In place; returns the model."""
    final_norm_weight(model).mul_(math.prod(temperatures))
    return model
