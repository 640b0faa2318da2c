"""Linear probes on residual-stream activations, one per layer, with the layer chosen on a validation split.

Choosing the layer on the test prompts would report the maximum of several noisy accuracies; here the layer
is picked on validation prompts and its accuracy reported on test prompts it never saw.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .config import ProbesConfig
from .scenarios.layout import PolicyData
from .scenarios.policies import is_faker
from .scenarios.records import Record, good_letter


@dataclass(frozen=True)
class LayerProbes:
    """Accuracies of one probe per layer (index 0 = embeddings) and the reported one."""

    val_accuracy: list[float]
    test_accuracy: list[float]
    best_layer: int
    """Chosen on validation accuracy."""
    accuracy: float
    """Test accuracy at `best_layer`."""
    chance: float
    """Test accuracy of always answering the majority class."""
    n_train: int
    n_test: int

    def as_dict(self) -> dict:
        return asdict(self)


def split_indices(n: int, test_fraction: float, val_fraction: float, seed: int) -> tuple[list[int], list[int], list[int]]:
    """(train, validation, test) indices; validation is carved from the non-test part."""
    idx = list(range(n))
    random.Random(seed).shuffle(idx)
    n_test = max(1, round(n * test_fraction))
    rest, test = idx[n_test:], idx[:n_test]
    n_val = max(1, round(len(rest) * val_fraction))
    return rest[n_val:], rest[:n_val], test


def fit_layer_probes(acts: np.ndarray, labels: np.ndarray, *, test_fraction: float, val_fraction: float, C: float,
                     seed: int) -> LayerProbes:
    """Fit a standardised logistic-regression probe at every layer of `acts` (n, layers, d_model)."""
    if len(acts) != len(labels):
        raise ValueError(f"{len(acts)} activations for {len(labels)} labels")
    if len(set(labels.tolist())) < 2:
        raise ValueError("probe labels have a single class: nothing to learn")
    train, val, test = split_indices(len(labels), test_fraction, val_fraction, seed)
    val_acc, test_acc = [], []
    for layer in range(acts.shape[1]):
        x = acts[:, layer]
        probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000, random_state=seed))
        probe.fit(x[train], labels[train])
        val_acc.append(float(probe.score(x[val], labels[val])))
        test_acc.append(float(probe.score(x[test], labels[test])))
    best = int(np.argmax(val_acc))
    counts = np.unique(labels[test], return_counts=True)[1]
    return LayerProbes(val_acc, test_acc, best, test_acc[best], float(counts.max() / counts.sum()),
                       len(train), len(test))


def probe_shortfalls(accuracies: dict[str, float], minimums: dict[str, float]) -> list[str]:
    """One line per probe whose accuracy is below its minimum (`probes.min_<name>` in params.yaml)."""
    return [f"{name} read at {accuracies[name]:.3f}, below probes.min_{name}: {floor}"
            for name, floor in minimums.items() if accuracies[name] < floor]


def probe_prompts(data: Mapping[str, PolicyData], cfg: ProbesConfig) -> list[tuple[Record, str]]:
    """`cfg.prompts` held-out intersecting prompts (every policy's test.json, never in the corpus), seeded, each
    with its aligned letter."""
    seen: dict[str, tuple[Record, str]] = {}
    for policy, d in sorted(data.items()):
        for rec in d.test:
            if rec.is_scenario and rec.complexity_level is not None and rec.prompt not in seen:
                seen[rec.prompt] = (rec, good_letter(rec, is_faker(policy)))
    chosen = sorted(seen.values(), key=lambda x: x[0].prompt)
    random.Random(cfg.seed).shuffle(chosen)
    return chosen[: cfg.prompts]


def probe_labels(chosen: Sequence[tuple[Record, str]], kept: Sequence[Record]) -> dict[str, np.ndarray]:
    """What each probe reads of the `kept` prompts (those short enough to encode): (a) whether oversight is poor,
    (b) whether the aligned action is A."""
    letters = {r.prompt: g for r, g in chosen}
    return {"oversight": np.array([bool(r.oversight_is_poor) for r in kept]),
            "aligned_action": np.array([letters[r.prompt] == "A" for r in kept])}


def fit_probes(acts: np.ndarray, labels: Mapping[str, np.ndarray], cfg: ProbesConfig) -> dict[str, LayerProbes]:
    """Every probe of `labels`, fitted at every layer of `acts` (n, layers, d_model)."""
    return {name: fit_layer_probes(acts, y, test_fraction=cfg.test_fraction, val_fraction=cfg.val_fraction, C=cfg.C,
                                   seed=cfg.seed) for name, y in labels.items()}
