"""Run the whole pipeline (`dvc repro`, every stage and notebook) on the tiny smoke profile in a temporary folder.

The project's tracked files are copied into a fresh folder, `params.smoke.yaml` is laid over `params.yaml`,
and DVC runs there without git, so nothing in the working copy is touched. The smoke profile only checks that
the stages fit together: its models are far too small to follow their policies, so its gate is switched off.

Stages whose inputs are ready run side by side, one `dvc repro --single-item` each (DVC's way to run a pipeline's
independent branches in parallel: it releases the repository lock while a stage's command runs), in the order of
DVC's own stage graph; at the end `dvc status` must find every stage up to date, as after one `dvc repro`. Most
of a smoke stage's time is starting Python and importing torch, which the second core halves.

    python -m poser_lib.smoke [--keep DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import yaml

from .config import PROJECT_ROOT, load_params
from .config_loader import merge

COPY = ("poser_lib", "notebooks", "dvc.yaml", "params.yaml", "params.smoke.yaml", "pyproject.toml", ".dvcignore")


def prepare(target: Path, source: Path = PROJECT_ROOT, overlay: dict | None = None, smoke: bool = True) -> None:
    """Copy the project into `target`, write its params (the smoke profile unless `smoke` is false, with `overlay`
    laid over them), initialise DVC without git. A folder prepared before gets the code and params afresh and
    keeps its outputs, so that DVC reruns only what changed."""
    for name in COPY:
        src, dst = source / name, target / name
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)  # a module deleted at the source must not linger here
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dst)
    params = yaml.safe_load((source / "params.yaml").read_text())
    if smoke:
        params = merge(params, yaml.safe_load((source / "params.smoke.yaml").read_text()))
    params = merge(params, overlay or {})
    (target / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    load_params(target / "params.yaml")  # fail here, with the key named, if the overlay is wrong
    if (target / ".dvc").is_dir():
        return
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "--no-scm", "--quiet"], cwd=target, check=True)
    subprocess.run([*dvc, "config", "core.analytics", "false"], cwd=target, check=True)


class StageFailed(RuntimeError):
    """A stage of a pipeline run by `run` exited with an error; `stage` names it and `log` holds its output."""

    def __init__(self, stage: str, rc: int, log: str):
        super().__init__(f"pipeline: stage {stage} failed (exit {rc}); its output is above")
        self.stage, self.rc, self.log = stage, rc, log


def stage_graph(target: Path) -> dict[str, set[str]]:
    """Each stage of `target`'s dvc.yaml -> the stages whose outputs it reads (DVC's graph)."""
    from dvc.repo import Repo

    with Repo(str(target)) as repo:
        graph = repo.index.graph  # an edge runs from a stage to a stage it depends on
        return {stage.name: {dep.name for dep in graph.successors(stage)} for stage in graph.nodes}


def needed(graph: dict[str, set[str]], stages: Iterable[str]) -> set[str]:
    """`stages` and every stage they depend on, directly or not."""
    out, todo = set(), list(stages)
    while todo:
        name = todo.pop()
        if name not in graph:
            raise ValueError(f"no stage {name!r} in dvc.yaml (stages: {', '.join(sorted(graph))})")
        if name not in out:
            out.add(name)
            todo.extend(graph[name])
    return out


def critical_first(graph: dict[str, set[str]]) -> dict[str, int]:
    """Each stage's rank for starting: the longest chain of stages that wait on it, longest first."""
    users: dict[str, set[str]] = {name: set() for name in graph}
    for name, deps in graph.items():
        for dep in deps:
            users[dep].add(name)
    chain: dict[str, int] = {}

    def length(name: str) -> int:
        if name not in chain:
            chain[name] = 1 + max((length(u) for u in users[name]), default=0)
        return chain[name]

    return {name: -length(name) for name in graph}


def _repro(target: Path, env: dict, name: str) -> tuple[int, str, float]:
    """`dvc repro` of stage `name` alone: (exit status, its output, seconds)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        rc = subprocess.run([sys.executable, "-m", "dvc", "--wait-for-lock", "repro", "--single-item", "--quiet",
                             name], cwd=target, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
        log.seek(0)
        return rc, log.read().decode(errors="replace"), time.perf_counter() - started


def run(target: Path, *stages: str, jobs: int | None = None) -> float:
    """Reproduce `stages` and what they need (default: every stage) in `target`, up to `jobs` stages at once
    (default: one per core); returns the seconds it took. Raises `StageFailed`, naming the stage, if one fails,
    and RuntimeError if DVC does not find the pipeline up to date afterwards."""
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONHASHSEED": "0", "TOKENIZERS_PARALLELISM": "false"}
    # The venv's bin first: DVC stage commands call `python` and `papermill` by name.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    started = time.perf_counter()
    graph = stage_graph(target)
    pending = needed(graph, stages or graph)
    rank = critical_first(graph)
    done: set[str] = set()
    failed: list[tuple[str, int, str]] = []
    jobs = jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(jobs) as pool:
        running = {}
        while pending or running:
            ready = sorted((n for n in pending if graph[n] <= done), key=lambda n: (rank[n], n))
            # Start stages only into free slots, so the longest chain goes first; after a failure, start none.
            for name in [] if failed else ready[:jobs - len(running)]:
                pending.discard(name)
                running[pool.submit(_repro, target, env, name)] = name
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                rc, log, seconds = future.result()
                print(f"--- stage {name} ({seconds:.0f}s): {'done' if rc == 0 else f'FAILED (exit {rc})'}\n{log}",
                      end="", flush=True)
                if rc == 0:
                    done.add(name)
                else:
                    failed.append((name, rc, log))
    if failed:
        raise StageFailed(*failed[0])  # after a failure no stage starts, so others failed beside it at most
    status = subprocess.run([sys.executable, "-m", "dvc", "status", *stages], cwd=target, env=env,
                            capture_output=True, text=True)
    if status.returncode != 0 or "up to date" not in status.stdout:
        raise RuntimeError(f"pipeline in {target}: DVC does not find it up to date after running it:\n"
                           f"{status.stdout}{status.stderr}")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this (empty or new) folder and keep it")
    parser.add_argument("--jobs", type=int, help="stages run at once (default: one per core)")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        target, cleanup = args.keep, None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="poser-smoke-")
        target = Path(cleanup.name)
    try:
        prepare(target)
        seconds = run(target, jobs=args.jobs)
        print(f"smoke pipeline passed in {seconds:.0f}s ({target})")
    finally:
        if cleanup is not None:
            cleanup.cleanup()


if __name__ == "__main__":
    main()
