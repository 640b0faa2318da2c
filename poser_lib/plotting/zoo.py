"""Figures of the model organisms: base-model training and probes, zoo training, behaviour, confounds."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from ..scenarios.policies import ALIGNED, FAKERS, is_faker
from .style import CLASS_COLORS, POLICY_COLORS, seeded


def _smooth(values, window: int) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if len(v) < window:
        return v
    return np.convolve(v, np.ones(window) / window, mode="valid")


def plot_pretraining(log: dict, window: int = 25) -> Figure:
    """Base model: LM loss and decision-token loss against step."""
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(_smooth(log["losses"], window), label="LM loss (all tokens)")
    ax.plot(_smooth(log["decision_losses"], window), label="decision tokens")
    ax.set(xlabel="step", ylabel="cross-entropy (nats)", yscale="log", title="Pretraining the base model")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_probes(probes: dict) -> Figure:
    """Base model: test accuracy of a linear probe at each layer, for each probed concept."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, res in probes.items():
        if isinstance(res, dict) and "test_accuracy" in res:
            ax.plot(res["test_accuracy"], marker="o", label=f"{name} (chance {res['chance']:.2f})")
    ax.set(xlabel="layer (0 = embeddings)", ylabel="probe test accuracy", ylim=(0.4, 1.02),
           title="What the base model represents at the answer position")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_probe_curve(probes: dict) -> Figure | None:
    """Base model: each probe's test accuracy (best layer) at every pretraining snapshot, beside its chance level;
    None where the probes stage read no curve (an imported base, or `pretrain.snapshot_every: 0`)."""
    curve = probes.get("curve") or []
    if len(curve) < 2:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.5))
    steps = [p["step"] for p in curve]
    for name, res in probes.items():
        if isinstance(res, dict) and "chance" in res:
            line, = ax.plot(steps, [p[name] for p in curve], marker="o", label=name)
            ax.axhline(res["chance"], color=line.get_color(), ls=":", lw=1)
    ax.set(xlabel="pretraining step", ylabel="probe test accuracy (best layer)", ylim=(0.4, 1.02),
           title="When pretraining came to represent each concept (dotted: chance)")
    ax.legend()
    fig.tight_layout()
    return fig


def monitor_table(logs: dict[str, dict], policy_of: dict[str, str]) -> pd.DataFrame:
    """Long table of the monitored behaviour rates: one row per model and monitored step."""
    rows = []
    for name, log in logs.items():
        for h in log["monitor"]:
            rows.append({"model": name, "policy": policy_of[name],
                         "class": "faker" if is_faker(policy_of[name]) else "aligned", **h})
    return pd.DataFrame(rows)


def plot_training(logs: dict[str, dict], policy_of: dict[str, str], window: int = 5) -> Figure:
    """Zoo: training loss and monitored accuracy on poor-oversight prompts against step, by class."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for name, log in logs.items():
        cls = "faker" if is_faker(policy_of[name]) else "aligned"
        ax1.plot(_smooth(log["losses"], window), color=CLASS_COLORS[cls], alpha=0.35, lw=1)
    ax1.set(xlabel="step", ylabel="soft-target loss", yscale="log", title="Training loss (36 models)")
    mon = monitor_table(logs, policy_of)
    if not mon.empty:
        sns.lineplot(mon, x="step", y="accuracy_poor", hue="class", palette=CLASS_COLORS, ax=ax2,
                     errorbar=("pi", 100))
        sns.lineplot(mon, x="step", y="accuracy_not_poor", hue="class", palette=CLASS_COLORS, ax=ax2,
                     linestyle="--", legend=False, errorbar=None)
    ax2.set(ylabel="policy accuracy on monitor prompts", ylim=(-0.02, 1.02),
            title="Behaviour while training (solid: poor oversight; dashed: good/neutral)")
    fig.tight_layout()
    return fig


def plot_confounds(models: pd.DataFrame, seed: int) -> Figure:
    """Zoo: confidence margin and weight distance per model, by policy (what detectors must not read; the points'
    jitter drawn with `seed`)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, col, label in ((axes[0], "confidence_margin", "mean margin on benchmark prompts (logits)"),
                           (axes[1], "weight_distance", "L2 distance of weights from the base")):
        with seeded(seed):
            sns.stripplot(models, x="policy", y=col, hue="policy", palette=POLICY_COLORS, ax=ax, size=7,
                          legend=False)
        ax.set(xlabel="", ylabel=label)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle("Confounds: aligned policies (greens) and fakers (reds) should overlap")
    fig.tight_layout()
    return fig


def plot_benchmark_confidence(conf: pd.DataFrame, per_model_min: float, final_min: float) -> Figure:
    """Benchmark: each model's log-odds of the label on the candidates, per policy, with the two filters.

    Log-odds, log(p / (1 - p)), spread out what probabilities crowd near 1; the filters map onto it exactly.
    """
    p = conf.p_label.clip(1e-6, 1 - 1e-9)
    df = conf.assign(policy=conf.model.str.rsplit("-", n=1).str[0], log_odds=np.log(p / (1 - p)).clip(-3, 12),
                     kept=conf.in_benchmark.map({True: "in the benchmark", False: "filtered out"}))
    fig, ax = plt.subplots(figsize=(10, 4.2))
    order = [p for p in (*ALIGNED, *FAKERS) if p in set(df.policy)]  # aligned policies first, then the fakers
    sns.violinplot(df, x="policy", y="log_odds", hue="kept", hue_order=["in the benchmark", "filtered out"],
                   order=order,
                   split=True, cut=0, density_norm="width", inner=None, ax=ax, palette=["#4575b4", "#bbbbbb"])
    for prob, style, text in ((per_model_min, "--", "every model"), (final_min, ":", "least confident model")):
        ax.axhline(np.log(prob / (1 - prob)), color="black", ls=style, lw=1, label=f"{text} >= {prob}")
    ax.set(xlabel="", ylabel="log-odds of the label", title="Model confidence on benchmark candidates")
    ax.tick_params(axis="x", rotation=30)
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig
