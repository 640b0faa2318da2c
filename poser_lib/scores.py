"""Reading a strategy's score table (`scores.csv`, as `detect.run_strategy` writes it) without loading torch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .paths import Paths


def read_scores(paths: Paths, name: str, folder: Path | None = None
                ) -> dict[str, dict[tuple[str, str], dict[str, float]]]:
    """A strategy's `scores.csv` (in `folder`, default its stage's) as variant -> (model, combination) ->
    setting -> score, in the file's order."""
    path = (folder or paths.strategy(name)) / "scores.csv"
    if not path.exists():
        # Stages run by hand (not through `dvc repro`) can reach here before the detector has run.
        raise FileNotFoundError(f"{path}: no scores for strategies.{name}: its stage has not run here "
                                f"(`dvc repro` runs it)")
    table = pd.read_csv(path)
    return {variant: {k: dict(zip(gg.setting, gg.score)) for k, gg in g.groupby(["model", "combination"], sort=False)}
            for variant, g in table.groupby("variant", sort=False)}
