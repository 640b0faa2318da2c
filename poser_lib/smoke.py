"""Run the whole pipeline (`dvc repro`, every stage and notebook) on the tiny smoke profile in a temporary folder.

The project's tracked files are copied into a fresh folder, `params.smoke.yaml` is laid over `params.yaml`,
and DVC runs there without git, so nothing in the working copy is touched. The smoke profile only checks that
the stages fit together: its models are far too small to follow their policies, so its gate is switched off.

    python -m poser_lib.smoke [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from .config import PROJECT_ROOT, load_params

COPY = ("poser_lib", "notebooks", "dvc.yaml", "params.yaml", "params.smoke.yaml", "pyproject.toml")


def merge(base: dict, overlay: dict) -> dict:
    """`overlay` laid over `base`, recursively for mappings."""
    out = dict(base)
    for key, value in overlay.items():
        out[key] = merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return out


def prepare(target: Path, source: Path = PROJECT_ROOT, overlay: dict | None = None) -> None:
    """Copy the project into `target`, write the smoke params (with `overlay` laid over them), initialise DVC
    without git."""
    for name in COPY:
        src = source / name
        if src.is_dir():
            shutil.copytree(src, target / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, target / name)
    params = merge(yaml.safe_load((source / "params.yaml").read_text()),
                   yaml.safe_load((source / "params.smoke.yaml").read_text()))
    params = merge(params, overlay or {})
    (target / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    load_params(target / "params.yaml")  # fail here, with the key named, if the overlay is wrong
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "--no-scm", "--quiet"], cwd=target, check=True)
    subprocess.run([*dvc, "config", "core.analytics", "false"], cwd=target, check=True)


def run(target: Path, *stages: str) -> float:
    """`dvc repro` in `target` (of `stages` and what they need, or everything); returns the seconds it took.
    Raises if a stage fails."""
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONHASHSEED": "0", "TOKENIZERS_PARALLELISM": "false"}
    # The venv's bin first: DVC stage commands call `python` and `papermill` by name.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dvc", "repro", "--quiet", *stages], cwd=target, env=env, check=True)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="run in this (empty or new) folder and keep it")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        target, cleanup = args.keep, None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="poser-smoke-")
        target = Path(cleanup.name)
    try:
        prepare(target)
        seconds = run(target)
        print(f"smoke pipeline passed in {seconds:.0f}s ({target})")
    finally:
        if cleanup is not None:
            cleanup.cleanup()


if __name__ == "__main__":
    main()
