"""Stage `strategy_<name>`: one detector's scores for every zoo model, `data/strategies/<name>/scores.csv`.

Usually run through its notebook (`notebooks/04_strategy.ipynb`, which calls `run`); also a command:
`python -m poser_lib.stages.strategy noise_injection`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from ..config import load_params
from ..detect import run_strategy
from ..paths import Paths
from .common import log_timing, progress, setup_torch


def run(name: str, params_path: str | Path = "params.yaml", root: str | Path = ".") -> pd.DataFrame:
    """Scores of strategy `name` (cached per model; resumes an interrupted run)."""
    params = load_params(params_path)
    setup_torch(params)
    bar = progress(params.scenarios.variants * 6, name)
    started = time.perf_counter()
    try:
        table = run_strategy(name, params, Paths(Path(root)), progress=lambda _m: bar.update(1))
    finally:
        bar.close()
    log_timing(Paths(Path(root)), f"strategy_{name}", started)  # read by `make bench`
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    table = run(args.name, args.params)
    print(f"{args.name}: {len(table)} scores for {table.model.nunique()} models")


if __name__ == "__main__":
    main()
