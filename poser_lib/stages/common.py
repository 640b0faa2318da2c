"""What several stages share: reading params and data from their fixed places, torch setup, progress bars."""

from __future__ import annotations

import argparse
import atexit
import ctypes
import os
import random
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from ..config import Params, load_params
from ..corpus import Item, corpus_items
from ..io import write_json
from ..paths import Paths
from ..scenarios.build import fragment_text, random_text
from ..scenarios.layout import PolicyData, read_layout
from ..scenarios.records import Record

if TYPE_CHECKING:
    import torch

# torch, transformers and the model code are imported where they are used: a stage that runs no model (evaluate,
# generalization, supplement, ...) then starts in a fraction of a second instead of about three.


def stage_args(doc: str, argv: list[str] | None = None, models: bool = True) -> tuple[Params, Paths]:
    """Parse `--params` and load it, set torch up (for a stage that runs `models`), and log the stage's time and
    memory when it ends."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="the params file (default: params.yaml)")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    if models:
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


def keep_freed_memory() -> bool:
    """Have glibc's malloc serve every block from its heap and keep what is freed; False where that is not glibc.

    By default glibc maps each block over 32 MB afresh and unmaps it on free, so every pretraining step faulted in
    its logits (32 x 238 positions x 1,200 tokens, 36 MB) and attention scores page by page: 0.15 s of system time
    a step on the Xeon. Only where memory is placed changes (torch aligns every block to 64 bytes), not a bit of
    the results; `make bench` measures the step time both ways.
    """
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not Linux, or a libc without mallopt (musl)
        return False
    m_trim_threshold, m_top_pad, m_mmap_max = -1, -2, -4  # malloc.h
    settings = ((m_mmap_max, 0), (m_trim_threshold, 2**31 - 1), (m_top_pad, 256 << 20))
    return all(mallopt(key, value) == 1 for key, value in settings)


def setup_torch(params: Params) -> None:
    """Threads as configured, deterministic kernels where torch offers them, quiet weight loading, malloc keeping
    freed memory."""
    import torch
    import transformers

    keep_freed_memory()

    transformers.utils.logging.disable_progress_bar()
    if params.model.threads:
        torch.set_num_threads(params.model.threads)
    # cuBLAS is deterministic only with a fixed workspace; read when its first handle is made, so set it before
    # any CUDA work (a user's own setting wins). Nothing reads it on a CPU.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)


def device(params: Params) -> torch.device:
    """The device models run on (`model.device`)."""
    from ..models.base import resolve_device

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


@dataclass(frozen=True)
class _Read:
    """One model's answer log-probabilities to read (picklable, for a worker)."""
    name: str
    model_dir: Path
    prompts: list[list[int]]
    answers: dict[str, int]
    pad_id: int
    dtype: str
    device: str


def _read_answers(job: _Read) -> np.ndarray:
    import torch

    from ..models.attention import for_reading
    from ..models.base import load_model
    from ..models.scoring import answer_logprobs

    dev = torch.device(job.device)
    # Eager attention and 2048-token batches on CPUs: the faster setting for one-thread workers (`make bench`).
    model = for_reading(load_model(job.model_dir, dev), eager=dev.type == "cpu")
    lp = answer_logprobs(model, job.prompts, job.answers, job.pad_id, job.dtype, 2048 if dev.type == "cpu" else 16384)
    return lp.numpy()


def answer_logprobs_each(params: Params, records: dict[str, tuple[Path, Sequence[Record]]],
                         label: str) -> dict[str, tuple[list[Record], np.ndarray, list[str]]]:
    """Each named model (its folder, its records) read on its records with its own tokenizer: (the records kept
    under `tokenizer.max_prompt_tokens`, their answer log-probabilities (n, n_answers), the answer names).

    The models are read side by side, `model.workers` processes of one thread each (`parallel.run_each`).
    """
    from ..parallel import run_each, worker_count
    from ..tokenizer import answer_token_ids, encode_records, load_tokenizer

    dev = device(params)
    kept, jobs, out = {}, [], {}
    for name, (path, recs) in records.items():
        tok = load_tokenizer(path)
        kept[name], encoded = encode_records(tok, list(recs), params.tokenizer.max_prompt_tokens)
        answers = answer_token_ids(tok)
        if not encoded:  # nothing to read (no prompt, or every one over the limit): the model is not loaded
            out[name] = ([], np.empty((0, len(answers)), dtype=np.float32), list(answers))
            continue
        jobs.append(_Read(name, path, encoded, answers, tok.pad_token_id, params.model.dtype, str(dev)))
    bar = progress(len(jobs), label)
    for job, lp in run_each(_read_answers, jobs, worker_count(params.model.workers, dev)):
        out[job.name] = (kept[job.name], lp, list(job.answers))
        bar.update(1)
    bar.close()
    return {name: out[name] for name in records}
