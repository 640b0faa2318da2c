"""Run a prepared project's stages in this process: the stage code on other data or another architecture, without
DVC and without a Python per stage.

The smoke test runs every stage as users do (`dvc repro`, one process and one notebook kernel per stage, 30 of
them); most of its time is starting those processes and importing torch and transformers in each. The pipelines
that check a path through the same stages (the authors' data, a GPT-2 base) need the stages' code, not DVC's
bookkeeping again: here each stage's `python -m <module>` command runs as `<module>.main([...])` in this process,
in the order of DVC's graph, and a strategy notebook as the strategy stage it calls. Other notebooks only show
what the stages wrote, on any data, and are left to the smoke test.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path

import torch

from poser_lib.smoke import needed, stage_graph
from poser_lib.stages import common

PYTHON_MODULE = re.compile(r"^python -m (\S+)(.*)$")


def commands(target: Path) -> dict[str, list[str]]:
    """Each stage of `target`'s dvc.yaml -> its command lines."""
    from dvc.repo import Repo

    with Repo(str(target)) as repo:
        return {s.name: [s.cmd] if isinstance(s.cmd, str) else list(s.cmd) for s in repo.index.stages}


def in_order(graph: dict[str, set[str]], names: set[str]) -> list[str]:
    """`names` so that every stage comes after the stages it reads (ties by name, so the order is fixed)."""
    out: list[str] = []
    while len(out) < len(names):
        ready = sorted(n for n in names if n not in out and graph[n] <= set(out))
        if not ready:
            raise ValueError(f"dvc.yaml: a cycle among {sorted(names - set(out))}")
        out.append(ready[0])
    return out


def call(line: str) -> tuple[str, list[str]] | None:
    """(module, argv) of the stage function a command line stands for; None for a line with nothing to run here
    (`mkdir`, a notebook that only shows results)."""
    match = PYTHON_MODULE.match(line)
    if match is None:
        if line.startswith("mkdir "):
            return None
        raise ValueError(f"no in-process form for the command {line!r}")
    module, argv = match.group(1), shlex.split(match.group(2))
    if module != "poser_lib.notebook":
        return module, argv
    if "notebooks/04_strategy.ipynb" in argv:  # its one computing cell is `stages.strategy.run(strategy)`
        return "poser_lib.stages.strategy", [argv[argv.index("strategy") + 1]]
    return None


@contextmanager
def exit_hooks_now() -> Iterator[None]:
    """Run what a stage registers for interpreter exit (`stage_args` logs its time into `runs/timings/` under the
    relative project root) when the block ends, not when the test process exits in another directory."""
    hooks = []
    register = common.atexit.register
    common.atexit.register = lambda fn, *a, **k: hooks.append((fn, a, k))
    try:
        yield
    finally:
        common.atexit.register = register
        for fn, a, k in hooks:
            fn(*a, **k)


def run_in_process(target: Path, *stages: str) -> dict[str, float]:
    """Run `stages` and every stage they need (default: all) in `target`, here; returns each one's seconds.

    Changes the working directory to `target` while it runs (stages read `params.yaml` and write `data/` there) and
    restores it, and torch's thread count, afterwards. A stage's error propagates, with the stage named.
    """
    graph, cmds = stage_graph(target), commands(target)
    order = in_order(graph, needed(graph, stages or graph))
    timings, here, threads = {}, Path.cwd(), torch.get_num_threads()
    try:
        os.chdir(target)
        for name in order:
            started = time.perf_counter()
            for line in cmds[name]:
                what = call(line)
                if what is None:
                    continue
                module, argv = what
                try:
                    with exit_hooks_now():
                        import_module(module).main(argv)
                except BaseException as e:  # SystemExit too: a stage that stops the pipeline exits
                    raise RuntimeError(f"stage {name} ({line}) failed: {e!r}") from e
            timings[name] = time.perf_counter() - started
    finally:
        os.chdir(here)
        torch.set_num_threads(threads)
    return timings


def run_as_commands(target: Path, *stages: str) -> None:
    """Run `stages` (notebooks, say) as DVC would, their command lines in a shell in `target`, without DVC; the
    stages they read must have run. Raises RuntimeError, naming the stage and showing its output, if one fails."""
    cmds = commands(target)
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONHASHSEED": "0", "TOKENIZERS_PARALLELISM": "false",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in stages:
        for line in cmds[name]:
            done = subprocess.run(line, shell=True, cwd=target, env=env, capture_output=True, text=True,
                                  check=False)
            if done.returncode != 0:
                raise RuntimeError(f"stage {name} ({line}) failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")

