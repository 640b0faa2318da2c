"""Zoos over several bases: the same pipeline on further tiny bases, and each figure's spread across them.

Which class fits worse, and with it which detectors work, changes with the base (README: "A third base"), so a
detector's accuracy on one zoo says little until it is measured on several. For each seed in `bases.seeds` the
project is copied into `runs/bases/seed-<n>/` (`seed-<n>-<hash>/` where `bases.overrides` change the recipe): code,
notebooks, dvc.yaml and params.yaml with `pretrain.seed` and `model.tiny.seed` set to the seed and the overrides
laid over the rest. DVC reproduces it there through `bases.through`; the scenarios, tokenizer and zoo recipe stay
those of the default run (unless overridden), so the base is what differs. A folder run before is reused: DVC
reruns only what changed, and an interrupted base resumes where its stages left off.

A base that misses a gate (its probes, the behaviour gate, the benchmark's minimum) is a result, recorded with
the stage and its message; any other failure stops the stage. `metrics/bases.json` then holds each base's probes,
gate, confounds and detector accuracies (the default run's from `metrics/` first) and, per figure, its spread
over the bases that got that far.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from .config import only_stop_thresholds
from .config_loader import merge
from .confounds import CONFOUNDS
from .io import fingerprint, read_json
from .smoke import StageFailed, needed, prepare, run, stage_graph

# Stages whose failure is a verdict on the base or its zoo, not a fault: each writes its metrics, then exits 1.
GATES = {"probes": "the base's probes", "behaviour": "the behaviour gate", "benchmark": "benchmark.min_prompts"}


def seed_overlay(seed: int, poser_dir: str | None, root: Path, overrides: dict | None = None) -> dict:
    """What `runs/bases/seed-<seed>/params.yaml` changes: `bases.overrides`, the base's two seeds, no further bases
    inside it, and the authors' data folder made absolute (the copy runs elsewhere)."""
    poser_dir = (overrides or {}).get("data", {}).get("poser_dir", poser_dir)
    overlay = merge(overrides or {}, {"pretrain": {"seed": seed}, "model": {"tiny": {"seed": seed}},
                                      "bases": {"seeds": [], "overrides": {}}})
    if poser_dir and not Path(poser_dir).is_absolute():
        overlay = merge(overlay, {"data": {"poser_dir": str((root / poser_dir).resolve())}})
    return overlay


def gate_message(log: str) -> str:
    """The verdict a gate stage printed last: its last line or, where it ends with an indented list (the
    behaviour gate: one line per failing model), the list and the heading above it."""
    lines = [line.rstrip() for line in log.splitlines()
             if line.strip() and not line.startswith(("ERROR", "WARNING"))]
    start = len(lines)
    while start > 1 and lines[start - 1].startswith((" ", "\t")):
        start -= 1
    return " ".join(line.strip() for line in lines[max(start - 1, 0):])


def base_folder(root: Path, seed: int, overrides: dict | None = None) -> Path:
    """Where the pipeline of the base of `seed` runs: its own copy of the project and DVC project. Overrides that
    change the recipe get folders of their own (`seed-<n>-<hash>`), so that trying a recipe keeps the default
    recipe's zoos; stop thresholds alone do not (they change no output)."""
    tag = "" if only_stop_thresholds(overrides or {}) else f"-{fingerprint(overrides)[:8]}"
    return root / "runs" / "bases" / f"seed-{seed}{tag}"


def run_base(root: Path, seed: int, through: str, poser_dir: str | None = None, jobs: int = 1,
             overrides: dict | None = None) -> dict:
    """Reproduce the pipeline for one base in `root/runs/bases/seed-<seed>` through stage `through`: {status,
    stage, message} where a gate stopped it, {status: done} otherwise. Raises on any other failure."""
    target = base_folder(root, seed, overrides)
    target.mkdir(parents=True, exist_ok=True)
    prepare(target, source=root, overlay=seed_overlay(seed, poser_dir, root, overrides), smoke=False)
    try:
        # The probes gate first: DVC's graph lets the zoo (and the detectors) run without it, and a base it
        # rejects needs no zoo. Then the report, whose confounds `evaluate` does not need either. A run that
        # stops short of the probes (`through` upstream of them) skips them.
        upstream = needed(stage_graph(target), ["probes"]) - {"probes"}
        order = ("probes", "report", "evaluate") if through == "evaluate" else ("probes", through)
        for stage in [through] if through in upstream else dict.fromkeys(order):
            run(target, stage, jobs=jobs)
    except StageFailed as e:
        if e.stage not in GATES or "Traceback" in e.log:
            raise RuntimeError(f"bases: seed {seed} ({target}): stage {e.stage} failed (exit {e.rc}); its output "
                               f"is above") from e
        return {"status": "gate", "stage": e.stage, "gate": GATES[e.stage], "message": gate_message(e.log)}
    return {"status": "done"}


def summarise(folder: Path) -> dict:
    """One base's figures from a run's `metrics/` folder: probes, gate, confounds, each detector's held-out
    accuracy; a file the run did not get to is left out."""
    metrics = folder / "metrics"
    out: dict = {}
    if (metrics / "base_probes.json").is_file():
        probes = read_json(metrics / "base_probes.json")
        out["probes"] = {"oversight": probes["oversight"]["accuracy"],
                         "aligned_action": probes["aligned_action"]["accuracy"]}
    if (metrics / "zoo.json").is_file():
        zoo = read_json(metrics / "zoo.json")
        out.update(models=zoo["models"], gate_passed=zoo["gate_passed"],
                   min_benchmark_prompts=min(zoo["benchmark_prompts"].values()),
                   confounds={k: zoo.get(k) for k in CONFOUNDS})
    if (metrics / "strategies.json").is_file():
        out["heldout_accuracy"] = {k: v["heldout_accuracy"] for k, v in read_json(metrics / "strategies.json").items()}
    return out


def spread(values: list[float]) -> dict:
    """Count, mean, standard deviation (0 for one value), min and max."""
    return {"bases": len(values), "mean": statistics.fmean(values),
            "sd": statistics.stdev(values) if len(values) > 1 else 0.0, "min": min(values), "max": max(values)}


def across(bases: dict[str, dict]) -> dict:
    """Each detector's and each confound's spread over the bases that measured it (and are not marked
    `in_spread: false`)."""
    accuracy: dict[str, list[float]] = {}
    confound: dict[str, list[float]] = {}
    for summary in bases.values():
        if not summary.get("in_spread", True):
            continue
        for key, value in summary.get("heldout_accuracy", {}).items():
            accuracy.setdefault(key, []).append(value)
        for key, value in summary.get("confounds", {}).items():
            if value is not None:
                confound.setdefault(key, []).append(value)
    return {"heldout_accuracy": {k: spread(v) for k, v in sorted(accuracy.items())},
            "confounds": {k: spread(v) for k, v in confound.items()}}


def table(result: dict) -> str:
    """Markdown: each detector's held-out accuracy on every base, then its spread; best mean first."""
    names = [n for n, b in result["bases"].items() if "heldout_accuracy" in b]
    heads = [n if result["bases"][n].get("in_spread", True) else f"{n} (not in the spread)" for n in names]
    rows = ["| entry | " + " | ".join(heads) + " | mean | sd | min |", "|---" * (len(names) + 4) + "|"]
    for key, s in sorted(result["spread"]["heldout_accuracy"].items(), key=lambda kv: -kv[1]["mean"]):
        cells = [f"{result['bases'][n]['heldout_accuracy'].get(key, float('nan')):.2f}" for n in names]
        rows.append(f"| {key} | " + " | ".join(cells) + f" | {s['mean']:.2f} | {s['sd']:.2f} | {s['min']:.2f} |")
    return "\n".join(rows)
