"""Figures of one detector: its score against each setting, and its curves, per model, fakers vs aligned."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ..scenarios.policies import is_faker
from .style import CLASS_COLORS


def _class(model: str) -> str:
    return "faker" if is_faker(model.rsplit("-", 1)[0]) else "aligned"


def plot_scores(scores: pd.DataFrame, title: str) -> Figure:
    """Suspicion score against setting, one line per model (mean over its combinations), per variant."""
    variants = list(dict.fromkeys(scores.variant))
    fig, axes = plt.subplots(1, len(variants), figsize=(4.2 * len(variants), 3.6), squeeze=False)
    for ax, variant in zip(axes[0], variants):
        d = scores[scores.variant == variant].groupby(["model", "setting"], sort=False).score.mean().reset_index()
        d["class"] = d.model.map(_class)
        order = list(dict.fromkeys(d.setting))
        d["x"] = d.setting.map(order.index)
        sns.lineplot(d, x="x", y="score", hue="class", units="model", estimator=None, palette=CLASS_COLORS,
                     alpha=0.6, marker="o" if len(order) < 12 else None, ax=ax, legend=ax is axes[0][0])
        ax.set_xticks(range(len(order)), [s.split("=")[-1] for s in order], rotation=45 if len(order) > 6 else 0)
        ax.set(title=variant, xlabel=order[0].split("=")[0] if "=" in order[0] else "", ylabel="suspicion score")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_curves(curves: dict, scores: pd.DataFrame, title: str) -> Figure | None:
    """Every curve the strategy saved, per model (mean over combinations), x labelled by setting where it fits;
    None if the strategy saved no curves (the baselines)."""
    keys = list(dict.fromkeys(k for combos in curves.values() for c in combos.values() for k in c))
    if not keys:
        return None
    fig, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys):
        variant = key.split("/")[0]
        settings = list(dict.fromkeys(scores[scores.variant == variant].setting))
        rows = []
        for model, combos in curves.items():
            series = [c[key] for c in combos.values() if key in c]
            n = min(len(s) for s in series)
            for i in range(n):
                rows.append({"model": model, "class": _class(model), "x": i,
                             "value": sum(s[i] for s in series) / len(series)})
        d = pd.DataFrame(rows)
        n = d.x.max() + 1
        sns.lineplot(d, x="x", y="value", hue="class", units="model", estimator=None, palette=CLASS_COLORS,
                     alpha=0.6, ax=ax, legend=ax is axes[0][0])
        if n == len(settings) + 1:
            labels = ["0"] + [s.split("=")[-1] for s in settings]
        elif n == len(settings):
            labels = [s.split("=")[-1] for s in settings]
        else:
            labels = None
        if labels is not None and n <= 20:
            ax.set_xticks(range(n), labels, rotation=45 if n > 6 else 0)
        ax.set(title=key, xlabel=(settings[0].split("=")[0] if labels and "=" in settings[0] else "index"),
               ylabel=key.split("/")[-1])
    fig.suptitle(title)
    fig.tight_layout()
    return fig
