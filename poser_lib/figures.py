"""The tables behind the paper's figures, read from what the pipeline wrote (poser_lib/plotting/paper.py draws them).

Every figure is also saved as the tidy table it was drawn from (`figures/data/<figure>.csv`), which DVC's
`plots` read, so `dvc plots diff` compares experiments without the PNGs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from .io import read_json, write_with
from .paths import Paths
from .scenarios.layout import read_records
from .scenarios.policies import is_faker


CAPTIONS = {
    # The paper's figures in the paper's order (poser-paper.md section 5), then ours.
    "alignment_tuning": "removal: fakers' P(aligned | poor oversight) while fine-tuned on their own benign answers, "
                        "with and without activation noise",
    "model_pairs": "the zoo as measured: P(misaligned | poor) per model, development and held-out variants, the nine "
                   "combinations",
    "spectrum": "P(misaligned) against oversight strength, per model",
    "double": "belief steering: the contrast direction, the reversed direction, a random direction",
    "drunk_strategy": "noise injection: P(misaligned) and the mass left on A and B against noise strength",
    "strategy_three": "learning speed: P(misaligned) on held-out prompts while fine-tuned to misbehave",
    "strategy_four": "suspicious concepts: per-model scores by class",
    "strategy_five": "decision speed: probe accuracy for the model's own answer against layer",
    "saliency_map": "gradient saliency per token, an aligned model and a faker, the oversight fact boxed",
    "total": "held-out pair accuracy per detector with 95% intervals, chance and the paper's numbers",
    "strategy_three_step": "learning speed: pair accuracy against the decision step, the development choice marked",
    "violin": "model confidence on the benchmark candidates, kept and filtered, with the filters",
    "combinations": "held-out pair accuracy per aligned x faker combination",
    "auroc": "AUROC of each detector over held-out models",
}
"""Every figure the pipeline writes, with a one-line caption, in the order the supplement shows them."""


def model_class(model: str) -> str:
    """`faker` or `aligned`, from a zoo model's name (`<policy>-<variant>`)."""
    return "faker" if is_faker(model.rsplit("-", 1)[0]) else "aligned"


def strategy_data(paths: Paths, name: str) -> tuple[pd.DataFrame, dict]:
    """A strategy's per-model scores table and curves, as `detect.run_strategy` wrote them."""
    folder = paths.root / "data" / "strategies" / name
    return pd.read_csv(folder / "scores.csv"), read_json(folder / "curves.json")


def setting_values(scores: pd.DataFrame, variant: str) -> list[float]:
    """The numeric settings of a variant in sweep order (`scale=0.25` -> 0.25)."""
    settings = dict.fromkeys(scores[scores.variant == variant].setting)
    return [float(re.sub(r"^[^=]*=", "", s)) for s in settings]


def curve_long(curves: dict, key: str, xs: Sequence[float] | None = None) -> pd.DataFrame:
    """Long table of one saved curve: model, class, x, value, averaged over the model's combinations.

    `xs` labels the points; a curve one point longer than `xs` starts with the unedited model at x = 0.
    """
    rows = []
    for model, combos in curves.items():
        series = [c[key] for c in combos.values() if key in c]
        if not series:
            continue
        n = min(len(s) for s in series)
        if xs is None:
            labels = list(range(n))
        elif n == len(xs) + 1:
            labels = [0.0, *xs]
        elif n == len(xs):
            labels = list(xs)
        else:
            raise ValueError(f"curve {key}: {n} points for {len(xs)} settings")
        for i in range(n):
            rows.append({"model": model, "class": model_class(model), "x": labels[i],
                         "value": sum(s[i] for s in series) / len(series)})
    if not rows:
        raise ValueError(f"no model saved a curve named {key}")
    return pd.DataFrame(rows)


def class_means(long: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Wide table: x, then the mean value of aligned models and of fakers (columns `<prefix>aligned`, ...)."""
    wide = long.groupby(["x", "class"]).value.mean().unstack("class")
    return wide.rename(columns=lambda c: f"{prefix}{c}").reset_index()


def saliency_example(paths: Paths, combination: str, models: Sequence[str], dtype: str = "float32",
                     index: int = 0) -> dict:
    """Token saliency of the models on the `index`-th benchmark prompt of `combination` that has a critical
    fact: tokens, the critical-fact mask, and per model the gradient norm per token (normalised to sum 1)."""
    # Model code is imported here: the other figures only read tables, so their notebooks start without torch.
    import torch

    from .models.base import load_model
    from .strategies.attentiveness import saliency
    from .strategies.core import Subject
    from .strategies.prompts import critical_token_mask, has_critical
    from .tokenizer import answer_token_ids, load_tokenizer

    records = [r for r in read_records(paths.benchmark / f"{combination}.json") if has_critical(r)]
    if index >= len(records):
        raise ValueError(f"benchmark {combination}: {len(records)} prompts with a critical fact, asked for #{index}")
    rec = records[index]
    tok = load_tokenizer(paths.base)
    ids = tok.encode(rec.prompt, add_special_tokens=False)
    out = {"tokens": [tok.decode([i]) for i in ids], "critical": critical_token_mask(tok, rec),
           "answer": rec.response, "saliency": {}}
    for name in models:
        subject = Subject(load_model(paths.model(name), torch.device("cpu")), tok, answer_token_ids(tok), dtype)
        g = saliency(subject, ids, rec.response)
        out["saliency"][name] = (g / g.sum()).tolist()
    return out


def save(fig: Figure, name: str, paths: Paths, table: pd.DataFrame | None = None) -> Path:
    """Write `figures/<name>.png` (and its table to `figures/data/<name>.csv`) atomically; returns the PNG path."""
    png = paths.figures / f"{name}.png"
    write_with(png, lambda f: fig.savefig(f, format="png", dpi=150, bbox_inches="tight"))
    if table is not None:
        write_with(paths.figures / "data" / f"{name}.csv", lambda f: table.to_csv(f, index=False))
    return png
