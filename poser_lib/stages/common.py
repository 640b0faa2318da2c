"""What several stages share: reading params and data from their fixed places, torch setup, progress bars."""

from __future__ import annotations

import argparse
import atexit
import random
import resource
import sys
import time
from pathlib import Path

import torch
import transformers
from tqdm import tqdm

from ..config import Params, load_params
from ..corpus import Item, corpus_items
from ..io import write_json
from ..models.base import resolve_device
from ..paths import Paths
from ..scenarios.build import fragment_text, random_text
from ..scenarios.layout import PolicyData, read_layout


def stage_args(doc: str, argv: list[str] | None = None) -> tuple[Params, Paths]:
    """Parse `--params` and load it, set torch up, and log the stage's time and memory when it ends."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="the params file (default: params.yaml)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    setup_torch(params)
    paths = Paths()
    stage = Path(sys.argv[0]).stem if argv is None else "stage"
    atexit.register(log_timing, paths, stage, time.perf_counter())
    return params, paths


def log_timing(paths: Paths, stage: str, started: float) -> None:
    """Write `runs/timings/<stage>.json`: wall time and peak memory of this run (read by `make bench`).

    `worker_peak_rss_mb` is the largest worker process it started (`parallel.run_each`), 0 if none; with `n`
    workers at once the stage held at most its own peak plus `n` times that.
    """
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    write_json(paths.root / "runs" / "timings" / f"{stage}.json",
               {"stage": stage, "seconds": time.perf_counter() - started, "peak_rss_mb": peak_mb,
                "worker_peak_rss_mb": worker_mb, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")})


def setup_torch(params: Params) -> None:
    """Threads as configured, deterministic kernels where torch offers them, quiet weight loading."""
    transformers.utils.logging.disable_progress_bar()
    if params.model.threads:
        torch.set_num_threads(params.model.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def device(params: Params) -> torch.device:
    """The device models run on (`model.device`)."""
    return resolve_device(params.model.device)


def zoo_data(params: Params, paths: Paths) -> dict[str, PolicyData]:
    """Every policy's test and training records, as the scenarios stage wrote them."""
    return read_layout(paths.scenarios, params.scenarios.variants)


def corpus_sources(params: Params, paths: Paths) -> tuple[list[Item], list[str]]:
    """(scenario items, non-scenario texts) the base model's corpus is drawn from."""
    files = {p: d.train[0] for p, d in read_layout(paths.corpus_scenarios, 1).items()}
    items = corpus_items(files, exclude=set())
    rng = random.Random(params.corpus.seed)
    errors = [random_text(rng) for _ in range(500)]
    errors += [fragment_text(rng, it.record) for it in rng.sample(items, min(500, len(items)))]
    return items, errors


def progress(total: int, desc: str) -> tqdm:
    """A progress bar on stderr that stays quiet when stderr is not a terminal (CI logs, papermill)."""
    return tqdm(total=total, desc=desc, file=sys.stderr, mininterval=2.0, dynamic_ncols=True,
                disable=None)
