"""Run independent per-model jobs side by side: one worker process per core, one torch thread each.

Tiny models leave a CPU's threads idle (a forward pass over a few prompts is too small to split well): on this
2-core machine two one-thread processes read 1.19x the prompts/s of one two-thread process (`make bench`,
2026-11-27); with smaller read batches as well, the detector stages ran 1.0-1.9x faster (learning speed
322 -> 170 s). With one thread per job, results also stop depending on how many cores the machine has.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from typing import TypeVar

import torch

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one, as under taskset or cgroups)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_count(setting: int, device: torch.device) -> int:
    """`model.workers` resolved: 0 is one per core on a CPU and one on a GPU (its own kernels fill it)."""
    if setting > 1 and device.type != "cpu":
        # Workers are forked, and a forked process cannot use the CUDA context its parent has set up.
        raise ValueError(f"model.workers: {setting} worker processes on {device.type}; use 0 or 1 on a GPU")
    if setting:
        return setting
    return 1 if device.type != "cpu" else cores()


def job_threads(workers: int) -> int:
    """Torch threads each job of `run_each(..., workers)` runs on: one with several workers, else all of ours.

    Results depend on the thread count in their last bits, so cached results put it in their fingerprint.
    """
    return 1 if workers > 1 else torch.get_num_threads()


@contextmanager
def torch_threads(n: int):
    """torch's intra-op thread count set to `n` inside the block, restored after it."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _one_thread() -> None:
    torch.set_num_threads(1)


def _context():
    # fork starts a worker in milliseconds with everything imported; spawn (elsewhere) re-imports torch.
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def run_each(fn: Callable[[T], R], jobs: Sequence[T], workers: int) -> Iterator[tuple[T, R]]:
    """(job, fn(job)) for every job, in the order they finish, over `workers` processes of one thread each.

    With one worker, or one job, they run here, still on one thread when `workers` > 1, so that a job's result
    does not depend on how many others were pending. A job's exception is raised here and the jobs not yet
    started are cancelled.
    """
    if workers <= 1 or len(jobs) <= 1:
        with torch_threads(1) if workers > 1 else nullcontext():
            for job in jobs:
                yield job, fn(job)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=_context(),
                             initializer=_one_thread) as pool:
        futures = {pool.submit(fn, job): job for job in jobs}
        try:
            for done in as_completed(futures):
                yield futures[done], done.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
