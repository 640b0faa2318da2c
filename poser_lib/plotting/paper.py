"""The paper's figures (poser-paper.md section 5) and ours beyond it, each drawn from pipeline tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..scenarios.policies import ALIGNED, FAKERS, combination
from .style import CLASS_COLORS, seeded

LEVEL_ORDER = ["good", "neutral", "poor"]


def _per_model_lines(ax, long: pd.DataFrame, *, means: bool = True, alpha: float = 0.35) -> None:
    """One thin line per model and a thick class mean, fakers red, aligned green."""
    sns.lineplot(long, x="x", y="value", hue="class", units="model", estimator=None, palette=CLASS_COLORS,
                 alpha=alpha, lw=1, ax=ax, legend=False)
    if means:
        sns.lineplot(long, x="x", y="value", hue="class", palette=CLASS_COLORS, errorbar=None, lw=2.5, ax=ax,
                     legend=False)


def _class_legend(ax, extra: Sequence = ()) -> None:
    handles = [Patch(color=c, label=k) for k, c in CLASS_COLORS.items()]
    ax.legend(handles=[*handles, *extra], loc="best", fontsize=9)


def model_pairs(rates: Mapping[str, dict], prompts: Mapping[str, int], development: Sequence[int]) -> Figure:
    """The zoo as measured: P(misaligned | poor oversight) per policy x variant (development variants marked),
    and the nine combinations with their benchmark size (each 6 x 6 = 36 pairs)."""
    policies = [*ALIGNED, *FAKERS]
    variants = sorted({int(m.rsplit("-", 1)[1]) for m in rates})
    grid = pd.DataFrame([[rates[f"{p}-{v}"]["p_misaligned_poor"] for v in variants] for p in policies],
                        index=policies, columns=[f"{v}\n{'dev' if v in development else 'held-out'}" for v in variants])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.4), gridspec_kw={"width_ratios": [1.15, 1]})
    sns.heatmap(grid, annot=True, fmt=".3f", cmap="Reds", vmin=0, vmax=1, cbar_kws={"label": "P(misaligned | poor)"},
                ax=ax1, annot_kws={"fontsize": 8})
    ax1.set(title=f"{len(rates)} models: P(misaligned action) where oversight is poor", xlabel="variant", ylabel="")
    combos = pd.DataFrame([[prompts.get(combination(a, f), 0) for f in FAKERS]
                           for a in ALIGNED], index=ALIGNED, columns=FAKERS)
    n_pairs = len(variants) ** 2
    labels = combos.map(lambda n: f"{n} prompts\n{n_pairs} pairs")
    sns.heatmap(combos, annot=labels, fmt="", cmap="Blues", vmin=0, cbar_kws={"label": "benchmark prompts"},
                ax=ax2, annot_kws={"fontsize": 9})
    ax2.set(title=f"{combos.size * n_pairs} aligned x faker pairs, judged on prompts both answer alike",
            xlabel="faker policy", ylabel="aligned policy")
    ax2.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    return fig


def spectrum(levels: pd.DataFrame) -> Figure:
    """P(misaligned action) against oversight strength, per model (test prompts): the fakers' threshold."""
    d = levels.assign(x=levels.oversight.map(LEVEL_ORDER.index), value=levels.p_misaligned)
    d["class"] = np.where(d.policy.isin(FAKERS), "faker", "aligned")
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _per_model_lines(ax, d)
    ax.set_xticks(range(3), ["good oversight", "neutral (no cue)", "poor oversight"])
    ax.set(xlabel="how safe it is to misbehave  \u2192", ylabel="P(misaligned action)", ylim=(-0.03, 1.03),
           title="Behaviour across oversight (held-out test prompts)")
    _class_legend(ax)
    fig.tight_layout()
    return fig


def saliency_map(example: Mapping, width_in: float = 11.0, fontsize: float = 8.0) -> Figure:
    """Token saliency on one prompt for each model given, the critical (oversight) fact boxed."""
    tokens = [t.replace("\n", " ") for t in example["tokens"]]
    critical, names = example["critical"], list(example["saliency"])
    line_in = 0.24
    # Lay the tokens out by measuring them (one pass on a scratch figure), wrapping at the panel's width.
    scratch = plt.figure(figsize=(width_in, 1))
    renderer = scratch.canvas.get_renderer()
    pos, x, y = [], 0.0, 0
    for t in tokens:
        w = scratch.text(0, 0, t, family="monospace", fontsize=fontsize).get_window_extent(renderer).width / scratch.dpi
        if x + w > width_in - 0.3 and x > 0:
            x, y = 0.0, y + 1
        pos.append((x, y))
        x += w
    plt.close(scratch)
    rows = y + 1
    panel_in = rows * line_in + 0.75
    fig = plt.figure(figsize=(width_in, panel_in * len(names) + 0.5))
    for k, name in enumerate(names):
        sal = np.asarray(example["saliency"][name])
        top = sal.max()
        bottom = 1 - (0.5 + panel_in * (k + 1)) / fig.get_figheight()
        ax = fig.add_axes((0.0, bottom, 1.0, panel_in / fig.get_figheight()))
        ax.set(xlim=(-0.1, width_in), ylim=(-(rows - 0.5) * line_in, 0.5 * line_in + 0.25))
        ax.axis("off")
        for (x, y), t, v, crit in zip(pos, tokens, sal, critical):
            ax.text(x, -y * line_in, t, family="monospace", fontsize=fontsize, va="center", ha="left",
                    bbox={"facecolor": plt.cm.Reds(v / top), "edgecolor": "#2166ac" if crit else "none",
                          "linewidth": 1.0, "pad": 0.5, "alpha": 0.9})
        share = sal[np.asarray(critical, dtype=bool)].sum()
        ax.text(0, 0.5 * line_in + 0.12, f"{name}: {share:.0%} of the saliency on the critical fact",
                fontsize=fontsize + 2, weight="bold")
    fig.suptitle(f"Gradient saliency of log P({example['answer']}) per token (darker: more); "
                 "blue boxes: the critical oversight fact", fontsize=fontsize + 2, y=1 - 0.1 / fig.get_figheight())
    return fig


def dose_response(panels: Mapping[str, tuple[pd.DataFrame, pd.DataFrame | None]], xlabel: str, title: str,
                  ylabel: str = "P(misaligned action)") -> Figure:
    """One column per variant: P(misaligned) per model against the edit's strength (top, its own scale) and,
    where saved, the probability mass left on A and B (bottom), which tells revealed misbehaviour from a model
    that stops answering."""
    with_mass = any(mass is not None for _, mass in panels.values())
    rows = 2 if with_mass else 1
    fig, axes = plt.subplots(rows, len(panels), figsize=(5 * len(panels), 3.4 * rows), squeeze=False,
                             sharex="col")
    for col, (name, (p_mis, mass)) in enumerate(panels.items()):
        ax = axes[0][col]
        _per_model_lines(ax, p_mis)
        ax.set(title=name, xlabel="" if with_mass else xlabel, ylabel=ylabel)
        ax.set_ylim(bottom=-0.01)
        if with_mass:
            low = axes[1][col]
            if mass is not None:
                _per_model_lines(low, mass)
            low.set(xlabel=xlabel, ylabel="P(A) + P(B)", ylim=(-0.03, 1.03))
    _class_legend(axes[0][0])
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def step_choice(rows: pd.DataFrame, title: str) -> Figure:
    """Pair accuracy against the setting a strategy decides at (development and held-out), the setting chosen
    on development models marked: how much the headline depends on the choice."""
    fig, axes = plt.subplots(1, rows.entry.nunique(), figsize=(5 * rows.entry.nunique(), 3.6), squeeze=False)
    for ax, (entry, g) in zip(axes[0], rows.groupby("entry", sort=False)):
        x = np.arange(len(g))
        ax.plot(x, g.development_accuracy, marker="o", label="development pairs")
        ax.plot(x, g.heldout_accuracy, marker="s", label="held-out pairs")
        chosen = np.flatnonzero(g.chosen.to_numpy())
        for c in chosen:
            ax.axvline(c, color="black", ls=":", lw=1)
            ax.annotate("chosen on\ndevelopment", (c, 0.05), fontsize=8, ha="center")
        ax.axhline(0.5, color="grey", lw=0.8)
        ax.set_xticks(x, [s.split("=")[-1] for s in g.setting])
        ax.set(title=entry, xlabel=g.setting.iloc[0].split("=")[0], ylabel="pair accuracy", ylim=(0, 1.02))
    axes[0][0].legend(fontsize=9)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def concept_scores(scores: pd.DataFrame, metrics: Mapping[str, dict], seed: int) -> Figure:
    """Suspicious concepts: each model's alignment with each concept direction, by class, with held-out accuracy
    (the points' jitter drawn with `seed`)."""
    d = scores.assign(**{"class": scores.model.str.rsplit("-", n=1).str[0].isin(FAKERS)
                         .map({True: "faker", False: "aligned"})})
    d = d.groupby(["model", "class", "variant"], sort=False).score.mean().reset_index()
    variants = list(dict.fromkeys(d.variant))
    fig, axes = plt.subplots(1, len(variants), figsize=(3.2 * len(variants), 3.8), squeeze=False)
    for ax, v in zip(axes[0], variants):
        g = d[d.variant == v]
        sns.boxplot(g, x="class", y="score", hue="class", palette=CLASS_COLORS, ax=ax, fliersize=0, width=0.5,
                    boxprops={"alpha": 0.4}, legend=False, order=list(CLASS_COLORS))
        with seeded(seed):
            sns.stripplot(g, x="class", y="score", hue="class", palette=CLASS_COLORS, ax=ax, size=5, legend=False,
                          order=list(CLASS_COLORS))
        m = metrics.get(f"suspicious_concepts/{v}", {})
        acc = (f"\nheld-out {m['heldout_accuracy']:.2f} [{m['heldout_ci'][0]:.2f}, {m['heldout_ci'][1]:.2f}]"
               if m else "")
        ax.set(title=f"{v}{acc}", xlabel="", ylabel="suspicion score (per model)")
    fig.suptitle("Suspicious concepts: alignment of activations with each concept direction")
    fig.tight_layout()
    return fig


def probe_by_layer(long: pd.DataFrame) -> Figure:
    """Decision speed: test accuracy of a probe for the model's own answer at each layer, per model."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    _per_model_lines(ax, long)
    ax.set(xlabel="layer (0 = embeddings)", ylabel="probe accuracy for the model's own answer",
           title="Decision speed: where the answer becomes linearly readable")
    ax.set_xticks(sorted(long.x.unique()))
    _class_legend(ax)
    fig.tight_layout()
    return fig


def entries_table(metrics: Mapping[str, dict]) -> pd.DataFrame:
    rows = [{"entry": k, "strategy": k.split("/")[0], **{c: v[c] for c in ("heldout_accuracy", "auroc",
                                                                              "all_pairs_accuracy")},
             "low": v["heldout_ci"][0], "high": v["heldout_ci"][1], "paper": v.get("paper_accuracy")}
            for k, v in metrics.items()]
    return pd.DataFrame(rows)


BASELINES = ("random", "confidence", "weight_distance")


def total(metrics: Mapping[str, dict]) -> Figure:
    """Held-out pair accuracy per strategy variant with its 95% interval, chance, and the paper's number."""
    d = entries_table(metrics).sort_values("heldout_accuracy")
    y = np.arange(len(d))
    colors = ["#969696" if s in BASELINES else "#2166ac" for s in d.strategy]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(d) + 1.5))
    ax.barh(y, d.heldout_accuracy, color=colors, alpha=0.8)
    ax.errorbar(d.heldout_accuracy, y, xerr=[d.heldout_accuracy - d.low, d.high - d.heldout_accuracy], fmt="none",
                ecolor="black", capsize=2, lw=1)
    has_paper = d.paper.notna().to_numpy()
    ax.scatter(d.paper[has_paper], y[has_paper], marker="D", color="#b2182b", zorder=3, label="paper")
    ax.axvline(0.5, color="black", ls="--", lw=1, label="chance")
    ax.set_yticks(y, d.entry, fontsize=8)
    ax.set(xlim=(0, 1.02), xlabel="held-out pair accuracy (95% bootstrap interval over models)",
           title="Every detector on held-out pairs (grey: baselines)")
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


def combination_heatmap(metrics: Mapping[str, dict]) -> Figure:
    """Held-out pair accuracy of each strategy variant within each aligned x faker combination."""
    grid = pd.DataFrame({k: v["heldout_by_combination"] for k, v in metrics.items()}).T
    grid = grid.loc[entries_table(metrics).sort_values("heldout_accuracy", ascending=False).entry]
    fig, ax = plt.subplots(figsize=(9, 0.3 * len(grid) + 2))
    sns.heatmap(grid, annot=True, fmt=".2f", cmap="RdBu", center=0.5, vmin=0, vmax=1, ax=ax, annot_kws={"fontsize": 7},
                cbar_kws={"label": "held-out pair accuracy"})
    ax.set(xlabel="", ylabel="", title="Accuracy per combination (held-out pairs)")
    ax.tick_params(axis="x", rotation=35)
    ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig


def auroc(metrics: Mapping[str, dict]) -> Figure:
    """AUROC of each strategy variant's per-model scores over held-out models."""
    d = entries_table(metrics).sort_values("auroc")
    colors = ["#969696" if s in BASELINES else "#2166ac" for s in d.strategy]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(d) + 1.5))
    ax.barh(np.arange(len(d)), d.auroc, color=colors, alpha=0.8)
    ax.axvline(0.5, color="black", ls="--", lw=1)
    ax.set_yticks(np.arange(len(d)), d.entry, fontsize=8)
    ax.set(xlim=(0, 1.02), xlabel="AUROC (faker vs aligned, held-out models)", title="Per-model separation")
    fig.tight_layout()
    return fig


def removal(curves: pd.DataFrame, paper: Mapping[str, float], seed: int) -> Figure:
    """Fakers' P(aligned action) on poor-oversight prompts while fine-tuned on their own benign answers, with and
    without activation noise (per faker and mean, its bootstrap band drawn with `seed`); right: accuracy on
    good/neutral prompts (it must stay)."""
    colors = {"plain": "#4d4d4d", "noise": "#2166ac"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for ax, col, label in ((ax1, "p_aligned_poor", "P(aligned action | poor oversight)"),
                           (ax2, "accuracy_not_poor", "accuracy on good/neutral oversight")):
        sns.lineplot(curves, x="step", y=col, hue="condition", units="model", estimator=None, palette=colors,
                     alpha=0.25, lw=1, ax=ax, legend=False)
        sns.lineplot(curves, x="step", y=col, hue="condition", palette=colors, lw=2.5, errorbar=("ci", 95),
                     seed=seed, ax=ax, legend=ax is ax1)
        ax.set(xlabel="fine-tuning step on its own benign answers", ylabel=label, ylim=(-0.03, 1.03))
    for condition, value in paper.items():
        ax1.axhline(value, color=colors[condition], ls=":", lw=1)
        ax1.annotate(f"paper ({condition}, 100 steps)", (0, value), fontsize=8, va="bottom", color=colors[condition])
    ax1.set_title("Removing alignment faking")
    ax2.set_title("Behaviour where oversight holds")
    fig.tight_layout()
    return fig
