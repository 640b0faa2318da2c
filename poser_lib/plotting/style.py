"""One look for every figure: seaborn's paper context and a fixed palette for aligned models and fakers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import seaborn as sns

CLASS_COLORS = {"aligned": "#1b7837", "faker": "#b2182b"}
POLICY_COLORS = {
    "truth_teller": "#1b7837", "genie": "#5aae61", "saint": "#a6dba0",
    "fitness_maximizer": "#b2182b", "money_maximizer": "#ef8a62", "reward_maximizer": "#fddbc7",
}


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """numpy's global random state seeded for the block and restored after it: seaborn draws a strip plot's jitter
    from it, so a figure is the same file on every run."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def apply() -> None:
    """Set the project's seaborn style (call once per notebook)."""
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.2)
