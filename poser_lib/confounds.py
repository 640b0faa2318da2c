"""The confounds the report stage measures: what a detector could read instead of the faking.

Each is a pair accuracy in `metrics/zoo.json`, in the better of its two directions (how much it gives away alone).
No torch here: the report stage, the `bases` summary and the tests read the list.
"""

from __future__ import annotations

CONFOUNDS = ("confidence_pair_accuracy", "weight_distance_pair_accuracy", "final_norm_scale_pair_accuracy",
             "final_loss_pair_accuracy", "trained_distance_pair_accuracy")


def confounds_over_limit(metrics: dict, limit: float) -> list[str]:
    """The confounds whose pair accuracy alone exceeds `limit` (a confound not measured is not listed)."""
    return [k for k in CONFOUNDS if metrics.get(k) is not None and metrics[k] > limit]
