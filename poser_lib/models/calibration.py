"""Temperature calibration folded into the weights: every zoo model ends with the same mean answer margin.

Fine-tuned by one recipe, fakers still end less confident than aligned models on prompts like the benchmark's
(measured: about 1.4 nats lower mean margin), a gap any detector could read instead of the faking. Dividing the
final norm's weight by T divides every logit by T (the LM head has no bias), so choosing T per model makes its
mean margin on the prompts it is given equal to the recipe's target: one rule for all models. The zoo stage gives
each model its training prompts that are benchmark candidates (`stages.zoo.CALIBRATION_SET`).
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


PASS_TOKENS = 4096
"""Padded tokens per batch of a calibration or monitor pass. A zoo model reads with eager attention, whose
(batch, heads, T, T) scores outgrow the cache in larger batches: a pass over 256 calibration prompts took 7.4 s
in batches of 16,384 tokens and 5.3 s in batches of 4,096 (one thread, the Xeon), with identical results."""


def mean_margin(model: PreTrainedModel, encoded: Sequence[Sequence[int]], labels: Sequence[str],
                answer_ids: Mapping[str, int], pad_id: int, dtype: str) -> float:
    """Mean log-probability margin of each label over the other letter."""
    names = list(answer_ids)
    lp = answer_logprobs(model, encoded, answer_ids, pad_id, dtype, max_tokens=PASS_TOKENS)
    rows = torch.arange(len(labels))
    return float((lp[rows, [names.index(y) for y in labels]] - lp[rows, [names.index(flip(y)) for y in labels]]).mean())


RULE = "temperature root-found on the trust-region sphere: secant walk, then Brent to 1e-3 in log T"
"""How `calibrate` chooses the temperature; zoo fingerprints include it, so a changed rule retrains the zoo."""

MAX_LOG_T = math.log(1000.0)
"""Temperatures are searched within [1/1000, 1000]: beyond that a model's answers are flat or one-hot."""


@torch.no_grad()
def calibrate(model: PreTrainedModel, encoded: Sequence[Sequence[int]], labels: Sequence[str],
              answer_ids: Mapping[str, int], pad_id: int, dtype: str, target_margin: float, *,
              params: Sequence[torch.nn.Parameter] = (), anchor: Sequence[torch.Tensor] = (), radius: float = 0.0,
              tolerance: float = 5e-3) -> tuple[float, float]:
    """Divide the final norm by a temperature T and, with `radius`, rescale the fine-tuning offset (T's change
    included) to exactly `radius`, so that calibration cannot move fakers and aligned models to different
    distances; T is root-found (Brent, on log T) so that the mean margin afterwards is `target_margin` within
    `tolerance` (relative). Returns T and the mean margin the model now has; raises ValueError if no T gets
    there. Holds a copy of `params` while it searches.

    Alternating the two steps (an earlier rule) could fall into a two-cycle: the rescaling undid part of each
    temperature, and one zoo model ended at margin 8.9 against a target of 6.9 without a word.
    """
    from scipy.optimize import brentq

    weight = final_norm_weight(model)
    saved = [(p, p.detach().clone()) for p in [*params, weight]]
    margins: dict[float, float] = {}
    current = [None]  # the log T the weights are at now

    def log_ratio(log_t: float, set_weights: bool = False) -> float:
        # The result of dividing by exp(log_t), then rescaling, from the weights calibration started from. A
        # point already measured (Brent starts from both ends of the bracket) is not read again.
        if log_t not in margins or (set_weights and current[0] != log_t):
            for p, value in saved:
                p.copy_(value)
            weight.div_(math.exp(log_t))
            if radius:
                project_to_ball(params, anchor, radius, sphere=True)
            margins[log_t], current[0] = mean_margin(model, encoded, labels, answer_ids, pad_id, dtype), log_t
        return math.log(max(margins[log_t], 1e-9) / target_margin)  # finite: Brent's interpolation stays defined

    close = math.log1p(tolerance) / 2
    x_prev, f_prev = 0.0, log_ratio(0.0)
    if margins[0.0] <= 0:
        raise ValueError(f"mean margin {margins[0.0]:.3f} on the calibration prompts is not positive: the model has "
                         "not learnt its policy, so no temperature can calibrate it")
    if abs(f_prev) <= close:
        return 1.0, margins[0.0]  # the weights are at T = 1
    # Without the rescaling the margin is proportional to 1/T, so log T = f_prev would be exact; with it, the
    # margin first rises as T falls, then drops once the final norm's change takes up the radius. Walk by secant
    # steps (a fifth past the secant's root) until the margin crosses the target, then bracket it; if the margin
    # moves away from the target instead, it is out of reach.
    x = max(-MAX_LOG_T, min(MAX_LOG_T, f_prev))
    while True:
        f = log_ratio(x)
        if abs(f) <= close:
            return math.exp(x), margins[x]  # the weights are at x: it was just measured
        if (f > 0) != (f_prev > 0):
            break
        if abs(f) >= abs(f_prev) or abs(x) == MAX_LOG_T:
            best = min((x_prev, f_prev), (x, f), key=lambda p: abs(p[1]))
            raise ValueError(f"no temperature brings the mean margin to {target_margin:.3f} (radius {radius}): the "
                             f"closest is {target_margin * math.exp(best[1]):.3f}, at T = {math.exp(best[0]):.3g}")
        slope = (f - f_prev) / (x - x_prev)
        x_prev, f_prev, x = x, f, max(-MAX_LOG_T, min(MAX_LOG_T, x - 1.2 * f / slope))
    # Within 1e-3 in log T the margin is within about 0.25% (its slope in log T is -1 to -2.5 on the zoo).
    log_t = brentq(log_ratio, min(x_prev, x), max(x_prev, x), xtol=1e-3)
    final = log_ratio(log_t, set_weights=True)
    if abs(final) > math.log1p(tolerance):
        raise ValueError(f"calibration ended at mean margin {margins[log_t]:.3f} against a target of "
                         f"{target_margin:.3f} (T = {math.exp(log_t):.4f}): the margin jumps across the target there")
    return math.exp(log_t), margins[log_t]


@torch.no_grad()
def undo_temperature(model: PreTrainedModel, temperatures: Sequence[float]) -> PreTrainedModel:
    """Multiply the final norm by the temperatures `calibrate` divided it by: the model's logit scale before
    calibration (up to the trust-region rescaling that followed it). In place; returns the model."""
    final_norm_weight(model).mul_(math.prod(temperatures))
    return model
