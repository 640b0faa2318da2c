"""Run the pipeline's stages on a CUDA GPU without DVC or papermill, and write what each did to one JSON file.

Four runs, each in its own folder, each stage as `python -m poser_lib.stages.<name>` (what `dvc.yaml` runs):

- `smoke_cuda`: the smoke profile on the GPU up to the report;
- `hf_lora`: `smoke_cuda`'s base, a local Hugging Face folder, imported (`model.base: <folder>`,
  bfloat16 weights and matrix products), a LoRA zoo through peft, every detector on it;
- `default_cuda`: the default params on the GPU up to the report, in float32 (`model.dtype` as in params.yaml),
  then the zoo again in bfloat16 on the same float32 base (`default_cuda_bf16zoo`);
- `precision`: the default params with `--variants` models per policy (3: 81 pairs, a third of the time) and a
  float32 base of `--base-seed`, then the zoo to the report in each of `--zoo-dtypes` on that same base
  (`precision_bf16zoo`, `precision_fp32zoo`), the gate and probe minimums off (still reported). It separates
  the fine-tuning's precision from the base's (README: "Which makes the gap: the base").

Each stage gets what is left of a deadline, so a run cut short still reports what finished.

    python -m poser_lib.device_check OUT_DIR [--seconds 540] [--runs hf_lora,smoke_cuda,default_cuda,precision]
        [--strategies random,...] [--variants 3] [--zoo-dtypes bfloat16,float32] [--base-seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .config import PROJECT_ROOT, load_params
from .config_loader import merge
from .strategies.configs import CONFIGS

UP_TO_REPORT = ["scenarios", "tokenizer", "base", "probes", "zoo", "behaviour", "benchmark", "report"]
STRATEGIES = list(CONFIGS)  # every detector, in params.yaml's order
AFTER_STRATEGIES = ["control_untempered", "evaluate", "removal"]
METRICS = ["zoo.json", "base_probes.json", "strategies.json", "controls.json", "removal.json"]
ZOO_METRICS = ["zoo.json", "zoo_models.json"]


class Runner:
    """Runs stages in folders under `work`, each within what is left of one deadline, and records them."""

    def __init__(self, work: Path, out: Path, seconds: float):
        self.work, self.out, self.deadline = work, out, time.monotonic() + seconds
        self.report: dict = {"python": sys.version.split()[0]}
        path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
        self.env = dict(os.environ, PYTHONPATH=path, PYTHONUNBUFFERED="1",
                        # cuBLAS is deterministic only with a fixed workspace (torch's deterministic mode warns)
                        CUBLAS_WORKSPACE_CONFIG=":4096:8")

    def folder(self, run: str, params: dict) -> Path:
        """A fresh folder for `run` with `params` as its params.yaml (checked now, so a bad overlay fails here)."""
        folder = self.work / run
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        write_params(folder, params)
        return folder

    def stage(self, run: str, folder: Path, name: str, *args: str) -> bool:
        """Run one stage; record its exit status, seconds and, when it fails, the end of its output."""
        left = self.deadline - time.monotonic()
        key = " ".join([name, *args])
        record = self.report.setdefault(run, {})
        if left < 5:
            record[key] = {"rc": None, "why": "deadline"}
            return False
        started = time.monotonic()
        try:
            done = subprocess.run([sys.executable, "-m", f"poser_lib.stages.{name}", *args], cwd=folder,
                                  env=self.env, capture_output=True, text=True, timeout=left)
            rc, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as stopped:
            rc, output = "timeout", (stopped.stdout or b"").decode() + (stopped.stderr or b"").decode()
        record[key] = {"rc": rc, "seconds": round(time.monotonic() - started, 1)}
        if rc != 0:
            record[key]["tail"] = output[-3000:]
        print(f"{run}: {key}: rc {rc} in {record[key]['seconds']} s", flush=True)
        self.save(run, folder)
        return rc == 0

    def stages(self, run: str, folder: Path, names: list[str]) -> bool:
        """Run `names` in order, stopping at the first that fails (the next ones need its outputs)."""
        return all(self.stage(run, folder, name) for name in names)

    def strategies(self, run: str, folder: Path, names: list[str]) -> None:
        """The detectors `names` (each independent of the others); with all of them, then the control, the
        evaluator and removal."""
        for name in names:
            self.stage(run, folder, "strategy", name)
        if set(names) >= set(STRATEGIES):
            for name in AFTER_STRATEGIES:
                self.stage(run, folder, name)

    def save(self, run: str, folder: Path) -> None:
        """Write the report with `run`'s metrics so far into `out`, one file (a cut-short call still returns it)."""
        metrics = self.report.setdefault("metrics", {}).setdefault(run, {})
        for name in METRICS + ZOO_METRICS[1:]:
            path = folder / "metrics" / name
            if path.exists():
                metrics[name] = json.loads(path.read_text())
        (self.out / "device_check.json").write_text(json.dumps(self.report, indent=1))


def write_params(folder: Path, params: dict) -> None:
    """`params` as `folder`'s params.yaml, checked now (a bad overlay fails here, with the key named)."""
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    load_params(folder / "params.yaml")


def gpu_facts() -> dict:
    """What torch sees of the GPU, and the library versions in use."""
    import peft
    import torch
    import transformers

    props = torch.cuda.get_device_properties(0)
    return {"gpu": props.name, "memory_gib": round(props.total_memory / 2**30, 1), "torch": torch.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__,
            "bf16": torch.cuda.is_bf16_supported()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seconds", type=float, default=540.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/poser_device_check"))
    parser.add_argument("--runs", default="hf_lora,smoke_cuda,default_cuda", help="which runs, comma-separated")
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="the hf_lora run's detectors")
    parser.add_argument("--variants", type=int, default=3, help="the precision run's models per policy")
    parser.add_argument("--zoo-dtypes", default="bfloat16,float32", help="the precision run's zoos, in order")
    parser.add_argument("--base-seed", type=int, default=0, help="the precision run's base: its init and data seed")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.work, args.out, args.seconds)
    runner.report.update(gpu_facts())

    default = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text())
    smoke = merge(default, yaml.safe_load((PROJECT_ROOT / "params.smoke.yaml").read_text()))
    on_gpu = {"model": {"device": "cuda", "threads": 8, "workers": 1}}

    # The GPU path first (a base on the smoke profile, a Hugging Face import of it with a LoRA zoo and the
    # detectors, the smoke profile's other stages), then the default zoo in both precisions, while time is left.
    runs = set(args.runs.split(","))
    folder = runner.folder("smoke_cuda", merge(smoke, on_gpu))
    if runs & {"hf_lora", "smoke_cuda"} and runner.stages("smoke_cuda", folder, UP_TO_REPORT[:3]):
        if "hf_lora" in runs:
            hf_base = args.work / "hf_base"
            shutil.rmtree(hf_base, ignore_errors=True)
            shutil.copytree(folder / "data" / "models" / "base", hf_base)
            hf = merge(smoke, merge(on_gpu, {
                "model": {"base": str(hf_base), "weights": "bfloat16", "dtype": "auto"},
                "zoo": {"method": "lora", "calibrate": False, "max_distance": 0.0,
                        "lora": {"r": 4, "alpha": 8.0}}}))
            hf_folder = runner.folder("hf_lora", hf)
            if runner.stages("hf_lora", hf_folder, UP_TO_REPORT):
                runner.strategies("hf_lora", hf_folder, args.strategies.split(","))
        if "smoke_cuda" in runs:
            runner.stages("smoke_cuda", folder, UP_TO_REPORT[3:])

    if "default_cuda" in runs:
        folder = runner.folder("default_cuda", merge(default, on_gpu))
        if runner.stages("default_cuda", folder, UP_TO_REPORT):
            write_params(folder, merge(default, merge(on_gpu, {"model": {"dtype": "bfloat16"}})))
            runner.stages("default_cuda_bf16zoo", folder, UP_TO_REPORT[4:])

    if "precision" in runs:
        fewer = merge(default, merge(on_gpu, {
            "scenarios": {"variants": args.variants},
            "benchmark": {"development_variants": list(range(max(1, args.variants - 1)))},
            "removal": {"variants": [args.variants - 1]},
            "model": {"tiny": {"seed": args.base_seed}}, "pretrain": {"seed": args.base_seed},
            # The gate and the probes report each model's rates and the base's accuracies but stop nothing
            # here: one model or probe just under a threshold must not cost the comparison the run is for.
            "gate": {key: 0.0 for key in default["gate"]},
            "probes": {"min_oversight": 0.0, "min_aligned_action": 0.0}}))
        folder = runner.folder("precision", fewer)
        if runner.stages("precision", folder, UP_TO_REPORT[:4]):
            for dtype in args.zoo_dtypes.split(","):
                run = {"bfloat16": "precision_bf16zoo", "float32": "precision_fp32zoo"}[dtype]
                write_params(folder, merge(fewer, {"model": {"dtype": dtype}}))
                for name in ZOO_METRICS:  # so a run cut short cannot report the previous zoo's figures as its own
                    (folder / "metrics" / name).unlink(missing_ok=True)
                runner.stages(run, folder, UP_TO_REPORT[4:])
    print(json.dumps({k: v for k, v in runner.report.items() if not isinstance(v, dict)}))


if __name__ == "__main__":
    main()
