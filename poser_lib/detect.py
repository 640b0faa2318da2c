"""Run one strategy over the zoo: each model once, on the benchmark of each combination it belongs to.

Per model, the strategy's `Result` for its three combinations is cached in
`data/strategies/<name>/models/<model>.json` under a fingerprint (model weights, benchmark files, strategy
config, the strategy's source, the thread count), so an interrupted run resumes and a finished one is not
redone; models are scored side by side by `model.workers` processes. The strategy sees a `Subject` and a `Bench`,
never the model's name or policy. Outputs: `scores.csv` (model, combination, variant, setting,
score) and `curves.json` (model -> combination -> curve name -> values).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from .config import Params
from .io import file_hash, fingerprint, read_json, write_json, write_text
from .models.attention import for_reading
from .models.base import load_model, resolve_device, weights_files_hash
from .models.calibration import undo_temperature
from .models.precision import resolve_dtype
from .parallel import job_threads, run_each, worker_count
from .paths import Paths
from .roster import zoo_members
from .scenarios.layout import read_records
from .scenarios.policies import COMBINATIONS, combinations_of
from .strategies import REGISTRY
from .strategies.core import Bench, Subject
from .tokenizer import answer_token_ids, load_tokenizer
from .zoo import read_log


def code_version(name: str) -> str:
    """Hash of the source a strategy's scores depend on (its module and the shared strategy code), so that a
    cached per-model result is redone when the code changes, not only when params or weights do."""
    import inspect

    from . import interventions
    from .models import attention, batching, calibration, distance, scoring
    from .strategies import core, prompts, registry, steering

    modules = [inspect.getmodule(REGISTRY[name].score), core, prompts, registry, steering, interventions,
               scoring, batching, attention, calibration, distance, sys.modules[__name__]]
    return fingerprint(*[file_hash(inspect.getsourcefile(m)) for m in modules])


def load_benches(folder: Path) -> dict[str, Bench]:
    """The benchmark prompts of every combination, as the benchmark stage wrote them into `folder`."""
    out = {}
    for combo in COMBINATIONS:
        path = folder / f"{combo}.json"
        out[combo] = Bench(combo, tuple(read_records(path)))
    return out


@dataclass(frozen=True)
class _Job:
    """One model to score with one strategy, on the combinations it belongs to (picklable, for a worker)."""

    strategy: str
    config: Any
    model: str
    model_dir: Path
    combinations: tuple[str, ...]
    benchmark: Path
    base: Path
    dtype: str
    device: str
    batch_tokens: int
    view: str | None
    """A change to the loaded model before it is scored (`VIEWS`), for a control; None: as trained."""
    inputs: str
    """Hash of the benchmark files and the base (keys what a process keeps of them between jobs)."""
    fingerprint: str
    cache: Path


def _untempered(model, model_dir: Path):
    log = read_log(model_dir / "train_log.json")
    if log is None:
        raise FileNotFoundError(f"{model_dir}: no train_log.json, so no calibration temperature to undo")
    return undo_temperature(model, log.temperatures)


VIEWS = {"untempered": _untempered}
"""Controls: what is done to each loaded model (in memory only) before a strategy reads it."""


@functools.lru_cache(maxsize=2)
def _read_inputs(benchmark: Path, base: Path, _inputs: str) -> tuple[dict[str, Bench], Any, dict[str, int]]:
    """Benchmarks, tokenizer and answer ids, read once per process while their files are unchanged."""
    tok = load_tokenizer(base)
    return load_benches(benchmark), tok, answer_token_ids(tok)


@functools.lru_cache(maxsize=1)
def _base_state(base: Path, device: str, _inputs: str) -> dict:
    return load_model(base, torch.device(device)).state_dict()


def _score_model(job: _Job) -> dict:
    """Run the strategy on one model and write its cache file; returns what it wrote."""
    strategy = REGISTRY[job.strategy]
    benches, tok, answers = _read_inputs(job.benchmark, job.base, job.inputs)
    dev = torch.device(job.device)
    # Eager attention on CPUs too: in one-thread workers and 2048-token batches it is as fast or faster.
    model = for_reading(load_model(job.model_dir, dev), attention_weights=strategy.needs_attention,
                        eager=dev.type == "cpu")
    if job.view is not None:
        model = VIEWS[job.view](model, job.model_dir)
    subject = Subject(model, tok, answers, job.dtype, _base_state(job.base, job.device, job.inputs) if strategy.needs_base
                      else None, job.batch_tokens)
    results = {c: strategy.score(subject, benches[c], job.config) for c in job.combinations}
    done = {"fingerprint": job.fingerprint,
            "results": {c: {"scores": r.scores, "curves": r.curves} for c, r in results.items()}}
    write_json(job.cache, done, indent=None)
    return done


def run_strategy(name: str, params: Params, paths: Paths,
                 progress: Callable[[str], None] | None = None, *, benchmark: Path | None = None,
                 members: Sequence[tuple[str, str, int]] | None = None,
                 model_path: Callable[[str], Path] | None = None, out_dir: Path | None = None,
                 view: str | None = None) -> pd.DataFrame:
    """Scores of strategy `name` for every zoo model and its combinations (cached per model).

    The models not cached yet are scored side by side by `model.workers` processes (`parallel.run_each`).
    The defaults are the pipeline's own; a generalization track passes its benchmark folder, its models
    ((name, policy, variant) and where each is) and its output folder; a control passes a `view`.
    """
    if view is not None and view not in VIEWS:
        raise KeyError(f"view {view!r}: not one of {', '.join(VIEWS)}")
    if name not in params.strategies:
        raise KeyError(f"strategies.{name}: not configured in params.yaml (configured: "
                       f"{', '.join(params.strategies) or 'none'})")
    cfg = params.strategies[name]
    benchmark = benchmark or paths.benchmark
    members = zoo_members(params.scenarios.variants) if members is None else members
    model_path = model_path or paths.model
    out_dir = out_dir or paths.strategy(name)
    bench_ids = {c: file_hash(benchmark / f"{c}.json") for c in COMBINATIONS}
    dev = resolve_device(params.model.device)
    workers = worker_count(params.model.workers, dev)
    threads = job_threads(workers)
    code = code_version(name)
    dtype = resolve_dtype(params.model.dtype, dev)  # the cache holds what this machine's dtype computed
    inputs = fingerprint(bench_ids, weights_files_hash(paths.base), file_hash(paths.base / "tokenizer.json"))
    done, pending = {}, []
    for model_name, policy, _ in members:
        combos = combinations_of(policy)
        run_id = fingerprint(name, cfg, code, weights_files_hash(model_path(model_name)),
                             [bench_ids[c] for c in combos], dtype, threads,
                             *(() if view is None else (view,)))
        cache = out_dir / "models" / f"{model_name}.json"
        old = read_json(cache) if cache.is_file() else None
        if old is not None and old.get("fingerprint") == run_id:
            done[model_name] = old
            if progress is not None:
                progress(model_name)
            continue
        pending.append(_Job(name, cfg, model_name, model_path(model_name), combos, benchmark, paths.base,
                            dtype, str(dev), 2048 if dev.type == "cpu" else 16384, view, inputs, run_id,
                            cache))
    for job, result in run_each(_score_model, pending, workers):
        done[job.model] = result
        if progress is not None:
            progress(job.model)
    rows, curves = [], {}
    for model_name, _, _ in members:
        for combo, r in done[model_name]["results"].items():
            for variant, settings in r["scores"].items():
                for setting, value in settings.items():
                    rows.append({"model": model_name, "combination": combo, "variant": variant,
                                 "setting": setting, "score": value})
            curves.setdefault(model_name, {})[combo] = r["curves"]
    table = pd.DataFrame(rows)
    write_text(out_dir / "scores.csv", table.to_csv(index=False))
    write_json(out_dir / "curves.json", curves, indent=None)
    return table
