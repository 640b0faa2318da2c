"""An ensemble of detectors: a logistic regression over the strategies' scores, fit on development models only.

Each member is one strategy variant at the setting the evaluator chose for it on development pairs. Scores are
standardised within each combination with the development models' mean and spread there (a pair is always
judged within one combination, and scales differ between them), then a L2-regularised logistic regression is
fit on the development models' (model, combination) rows, faker = 1. Held-out models never enter the fit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd


def member_table(scores: Mapping[str, Mapping[tuple[str, str], Mapping[str, float]]],
                 chosen: Mapping[str, str]) -> pd.DataFrame:
    """Rows (model, combination), one column per member: its score at its chosen setting."""
    cols = {entry: pd.Series({k: v[chosen[entry]] for k, v in table.items()}) for entry, table in scores.items()}
    frame = pd.DataFrame(cols)
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["model", "combination"])
    missing = frame.columns[frame.isna().any()].tolist()
    if missing:
        raise ValueError(f"ensemble members without a score for every model and combination: {missing}")
    return frame


def standardise(frame: pd.DataFrame, dev_models: set[str]) -> pd.DataFrame:
    """Each column z-scored within each combination by the development models' mean and standard deviation."""
    out = frame.copy()
    for combo, rows in frame.groupby(level="combination"):
        dev = rows[rows.index.get_level_values("model").isin(dev_models)]
        mean, std = dev.mean(), dev.std(ddof=0).replace(0.0, 1.0)  # a constant member carries no information
        out.loc[rows.index] = (rows - mean) / std
    return out


def fit_ensemble(frame: pd.DataFrame, dev_models: set[str], is_faker: Callable[[str], bool], C: float,
                 seed: int) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """(ensemble score of every row, the fitted weight of each member); fit on development rows only."""
    from sklearn.linear_model import LogisticRegression

    z = standardise(frame, dev_models)
    models = z.index.get_level_values("model")
    dev = z[models.isin(dev_models)]
    labels = np.array([int(is_faker(m)) for m in dev.index.get_level_values("model")])
    if len(set(labels)) < 2:
        raise ValueError("the ensemble needs development fakers and aligned models")
    fit = LogisticRegression(C=C, random_state=seed, max_iter=10_000).fit(dev.to_numpy(), labels)
    score = fit.decision_function(z.to_numpy())
    return dict(zip(z.index, map(float, score))), dict(zip(frame.columns, map(float, fit.coef_[0])))


def members_of(entries: Sequence[str], wanted: Sequence[str] | None, baselines: set[str]) -> list[str]:
    """The member entries: those named in `ensemble.members`, or every entry whose strategy is no baseline."""
    if wanted is None:
        return [e for e in entries if e.split("/")[0] not in baselines]
    unknown = [w for w in wanted if w not in entries]
    if unknown:
        raise ValueError(f"ensemble.members: {unknown} are not evaluated entries (evaluated: {list(entries)})")
    return list(wanted)
