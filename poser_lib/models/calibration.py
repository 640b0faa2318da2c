"""Temperature calibration folded into the weights: every zoo model ends with the same mean answer margin.

Fine-tuned by one recipe, fakers still end less confident than aligned models on prompts like the benchmark's
(measured: about 1.4 nats lower mean margin), a gap any detector could read instead of the faking. Dividing the
final norm's weight by T divides every logit by T (the LM head has no bias), so choosing T per model makes its
mean margin on the prompts it is given equal to the recipe's target: one rule for all models. The zoo stage gives
each model its training prompts that are benchmark candidates (`stages.zoo.CALIBRATION_SET`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

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


RULE = "temperature root-found on the trust-region sphere: secant walk, then Illinois to within tolerance / 2"
"""How `calibrate` chooses the temperature; zoo fingerprints include it, so a changed rule retrains the zoo."""

MAX_LOG_T = math.log(1000.0)
"""Temperatures are searched within [1/1000, 1000]: beyond that a model's answers are flat or one-hot."""


class OutOfReach(ValueError):
    """`find_root` found no root: `x` is the closest point it read, `fx` the function there, `crossed` whether the
    function changed sign (a jump across zero) rather than moving away from it."""

    def __init__(self, x: float, fx: float, crossed: bool):
        super().__init__(f"no root: closest f({x:.4g}) = {fx:.4g}" + (" (it jumps across zero)" if crossed else ""))
        self.x, self.fx, self.crossed = x, fx, crossed


def find_root(f: Callable[[float], float], f0: float, close: float, bound: float = MAX_LOG_T,
              max_reads: int = 60) -> float:
    """A point x in [-bound, bound] with |f(x)| <= close, given f0 = f(0); the last point it reads is the one it
    returns, so whatever f(x) set stays set. f should fall through zero like -x (a margin's log ratio in log T).

    Secant steps from 0 (the first to x = f0, the root where f is f0 - x) until f changes sign, then the Illinois
    variant of regula falsi inside that bracket. It stops on f, not on x: each read is a pass over the calibration
    prompts, and scipy's brentq, which stops on x, took 4-10 of them a zoo model against this rule's 3-7 (six
    models, 2026-12-03). Raises `OutOfReach` where f moves away from zero (or reaches the bound) before it changes
    sign, or where the bracket shrinks to nothing without |f| <= close.
    """
    if abs(f0) <= close:
        return 0.0
    a, fa, b = 0.0, f0, max(-bound, min(bound, f0))
    while True:
        fb = f(b)
        if abs(fb) <= close:
            return b
        if (fb > 0) != (fa > 0):
            break
        if abs(fb) >= abs(fa) or abs(b) == bound:
            x, fx = min((a, fa), (b, fb), key=lambda p: abs(p[1]))
            raise OutOfReach(x, fx, crossed=False)
        a, fa, b = b, fb, max(-bound, min(bound, b - fb * (b - a) / (fb - fa)))
    kept = None  # the end kept by the last step: kept twice running, its value is halved (Illinois)
    for _ in range(max_reads):
        c = (a * fb - b * fa) / (fb - fa)
        fc = f(c)
        if abs(fc) <= close:
            return c
        if (fc > 0) == (fb > 0):
            b, fb, fa = c, fc, fa / 2 if kept == "a" else fa
            kept = "a"
        else:
            a, fa, fb = c, fc, fb / 2 if kept == "b" else fb
            kept = "b"
        if abs(b - a) <= 1e-9 * max(1.0, abs(a)):
            break
    x, fx = min((a, fa), (b, fb), key=lambda p: abs(p[1]))
    raise OutOfReach(x, fx, crossed=True)


@torch.no_grad()
def calibrate(model: PreTrainedModel, encoded: Sequence[Sequence[int]], labels: Sequence[str],
              answer_ids: Mapping[str, int], pad_id: int, dtype: str, target_margin: float, *,
              params: Sequence[torch.nn.Parameter] = (), anchor: Sequence[torch.Tensor] = (), radius: float = 0.0,
              tolerance: float = 5e-3) -> tuple[float, float]:
    """Divide the final norm by a temperature T and, with `radius`, rescale the fine-tuning offset (T's change
    included) to exactly `radius`, so that calibration cannot move fakers and aligned models to different
    distances; T is root-found (`find_root`, on log T) so that the mean margin afterwards is `target_margin`
    within `tolerance` / 2 (relative). Returns T and the mean margin the model now has; raises ValueError if no T
    gets there. Holds a copy of `params` while it searches.

    Alternating the two steps (an earlier rule) could fall into a two-cycle: the rescaling undid part of each
    temperature, and one zoo model ended at margin 8.9 against a target of 6.9 without a word.
    """
    weight = final_norm_weight(model)
    saved = [(p, p.detach().clone()) for p in [*params, weight]]
    margins: dict[float, float] = {}

    def log_ratio(log_t: float) -> float:
        # The result of dividing by exp(log_t), then rescaling, from the weights calibration started from.
        for p, value in saved:
            p.copy_(value)
        weight.div_(math.exp(log_t))
        if radius:
            project_to_ball(params, anchor, radius, sphere=True)
        margins[log_t] = mean_margin(model, encoded, labels, answer_ids, pad_id, dtype)
        return math.log(max(margins[log_t], 1e-9) / target_margin)  # finite where the margin is not positive

    f0 = log_ratio(0.0)
    if margins[0.0] <= 0:
        raise ValueError(f"mean margin {margins[0.0]:.3f} on the calibration prompts is not positive: the model has "
                         "not learnt its policy, so no temperature can calibrate it")
    # Without the rescaling the margin is proportional to 1/T, so log T = f0 would be exact; with it, the margin
    # first rises as T falls, then drops once the final norm's change takes up the radius.
    try:
        log_t = find_root(log_ratio, f0, math.log1p(tolerance) / 2)
    except OutOfReach as e:
        if e.crossed:
            raise ValueError(f"calibration found no temperature with a mean margin within {tolerance:.1%} of "
                             f"{target_margin:.3f}: the margin jumps across the target near T = "
                             f"{math.exp(e.x):.4f}") from None
        raise ValueError(f"no temperature brings the mean margin to {target_margin:.3f} (radius {radius}): the "
                         f"closest is {margins[e.x]:.3f}, at T = {math.exp(e.x):.3g}") from None
    return math.exp(log_t), margins[log_t]


@torch.no_grad()
def undo_temperature(model: PreTrainedModel, temperatures: Sequence[float]) -> PreTrainedModel:
    """Multiply the final norm by the temperatures `calibrate` divided it by: the model's logit scale before
    calibration (up to the trust-region rescaling that followed it). In place; returns the model."""
    final_norm_weight(model).mul_(math.prod(temperatures))
    return model
