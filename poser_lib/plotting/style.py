"""One look for every figure: seaborn's paper context and a fixed palette for aligned models and fakers."""

from __future__ import annotations

import seaborn as sns

CLASS_COLORS = {"aligned": "#1b7837", "faker": "#b2182b"}
POLICY_COLORS = {
    "truth_teller": "#1b7837", "genie": "#5aae61", "saint": "#a6dba0",
    "fitness_maximizer": "#b2182b", "money_maximizer": "#ef8a62", "reward_maximizer": "#fddbc7",
}


def apply() -> None:
    """Set the project's seaborn style (call once per notebook)."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.2)
