"""Stage `zoo`: fine-tune every policy x variant from the base model, by one recipe for all.

Output: `data/models/zoo/<policy>-<variant>/` (safetensors, config, tokenizer, `train_log.json`; with LoRA only
the adapter and `base_model.json`). A model whose fingerprint is unchanged is kept; an interrupted model resumes
from `data/checkpoints/zoo/<name>/`. On a CPU the models train side by side, `model.workers` processes of one
thread each. On several GPUs, `accelerate launch --multi_gpu --num_processes N -m poser_lib.stages.zoo` splits
the models between the processes (README, "A Hugging Face base on a GPU").
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import PartialState

from ..benchmark import is_candidate
from ..config import Params
from ..interventions import adding_noise, layer_at
from ..io import file_hash, fingerprint
from ..models.base import load_model, weights_files_hash
from ..models.calibration import RULE as CALIBRATION_RULE
from ..models.precision import resolve_dtype
from ..models.scoring import model_device
from ..parallel import job_threads, run_each, worker_count
from ..paths import Paths
from ..roster import zoo_members
from ..scenarios.layout import training_dir
from ..scenarios.policies import combinations_of
from ..tokenizer import answer_token_ids, encode_records, load_tokenizer
from ..zoo import ZooLog, model_seed, monitor_subset, read_log, save_member, train_member, unload_adapter
from .common import device, progress, stage_args, zoo_data

CALIBRATION_PROMPTS = 256
"""Training prompts each model is calibrated on (a seeded sample: enough for a mean margin)."""

CALIBRATION_SET = "the model's training prompts that are benchmark candidates of its combinations"
"""What the calibration prompts are drawn from (part of every fingerprint, with `benchmark.candidates`).

The benchmark compares models on their combinations' candidate prompts, so that is the distribution on which
they are made equally confident. Calibrating on all not-poor training prompts instead included each policy's own
sets, on which aligned models are far less confident than on the families (development models: 5.68 against 7.02
nats; fakers 6.08 against 6.96), which left aligned models the more confident on the benchmark."""


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    # Under `accelerate launch --num_processes N` each process trains its share of the models on its own GPU;
    # run plainly, this is one process with everything.
    dev = device(params)
    state = PartialState(cpu=dev.type == "cpu")  # on CPUs: processes talk over gloo (as in the tests)
    dev = state.device if state.num_processes > 1 else dev
    data = zoo_data(params, paths)
    tok = load_tokenizer(paths.base)
    answers = answer_token_ids(tok)
    base = load_model(paths.base, dev)
    members = zoo_members(params.scenarios.variants)
    wanted = {name for name, _, _ in members}
    if state.is_main_process:
        for stale in paths.zoo.glob("*") if paths.zoo.exists() else []:
            if stale.is_dir() and stale.name not in wanted:
                shutil.rmtree(stale)
    tag = f"[process {state.process_index + 1}/{state.num_processes}] " if state.num_processes > 1 else ""
    with state.split_between_processes(members) as mine:
        train_share(mine, params, paths, data, tok, answers, base, tag)
    state.wait_for_everyone()


def member_inputs(params: Params, data: dict, tok, policy: str, variant: int, seed: int) -> tuple[list, tuple, tuple]:
    """(training examples, calibration prompts and labels, monitor records and ids) of one zoo model."""
    records, encoded = encode_records(tok, data[policy].train[variant], params.tokenizer.max_prompt_tokens)
    examples = list(zip(encoded, [r.response for r in records]))
    combos = combinations_of(policy)
    calib = [(x, r.response) for r, x in zip(records, encoded)
             if any(is_candidate(r, c, params.benchmark.candidates) for c in combos)]
    if params.zoo.calibrate and not calib:
        raise ValueError(f"{policy}-{variant}: zoo.calibrate: no training prompt of train-{variant}.json is a "
                         f"benchmark candidate of {', '.join(combos)} (benchmark.candidates: "
                         f"{params.benchmark.candidates}), so there is nothing to calibrate on")
    calib = random.Random(seed).sample(calib, min(len(calib), CALIBRATION_PROMPTS))
    mon = monitor_subset(data[policy].test, params.zoo.monitor_prompts, seed)
    monitor = encode_records(tok, mon, params.tokenizer.max_prompt_tokens)
    return examples, ([x for x, _ in calib], [y for _, y in calib]), monitor


@dataclass(frozen=True)
class _Job:
    """One model to train (in a worker process, or here with one worker)."""
    name: str
    policy: str
    variant: int
    seed: int
    fingerprint: str
    out: Path
    checkpoint_dir: Path
    noise: tuple[float, float] | None
    show_steps: bool


_SHARED: dict = {}
"""What every training job reads: set just before the workers are forked, so they inherit it without pickling."""


def _train_job(job: _Job) -> ZooLog:
    """Train one model from the shared base, save it atomically, drop its checkpoint; returns its log."""
    params, data, tok, answers, base, base_state, base_path = (
        _SHARED[k] for k in ("params", "data", "tok", "answers", "base", "base_state", "base_path"))
    examples, calibration, monitor = member_inputs(params, data, tok, job.policy, job.variant, job.seed)
    bar = progress(params.zoo.steps, job.name) if job.show_steps else None
    model, log = train_member(
        base, base_state, tok, answers, examples, job.policy, monitor if job.noise is None else ([], []), params,
        name=job.name, seed=job.seed, fingerprint=job.fingerprint, checkpoint_dir=job.checkpoint_dir,
        calibration=calibration, during_training=None if job.noise is None else training_noise(*job.noise, job.seed),
        progress=None if bar is None else (lambda step, loss: (bar.update(step - bar.n),
                                                               bar.set_postfix(loss=f"{loss:.3f}"))))
    if bar is not None:
        bar.close()
    save_member(model, job.out, tok, log, base_path)
    unload_adapter(model)  # LoRA: the adapter out of the shared base again (full fine-tuning: nothing to do)
    shutil.rmtree(job.checkpoint_dir, ignore_errors=True)
    return log


def train_share(members: list[tuple[str, str, int]], params: Params, paths: Paths, data: dict, tok, answers: dict,
                base, tag: str = "", *, noise: tuple[float, float] | None = None, folder: Path | None = None) -> None:
    """Train every model of `members` whose fingerprint is not already saved (in `folder`, default the zoo's).

    The models not saved yet train side by side in `model.workers` processes of one thread each
    (`parallel.run_each`); with one worker (a GPU), one after another here with a progress bar per model.
    `noise` (relative depth, scale) trains with the noise-injection edit on during the training steps, as the
    evasive fakers are (generalization track c); such a model has its own fingerprint and no monitor.
    """
    kind = "zoo" if noise is None else "evasive"
    model_dir = paths.model if folder is None else (lambda name: folder / name)
    # LoRA never changes the base's weights, so they are not copied (a large base then fits once on a GPU).
    lora = params.zoo.method == "lora"
    base_state = {k: v.detach() if lora else v.detach().clone() for k, v in base.state_dict().items()}
    base_id = weights_files_hash(paths.base)
    tok_id = file_hash(paths.base / "tokenizer.json")
    workers = worker_count(params.model.workers, model_device(base))
    # Weights depend on the thread count in their last bits, so it is part of each model's fingerprint.
    threads = job_threads(workers)
    dtype = resolve_dtype(params.model.dtype, model_device(base))
    overall = progress(len(members), kind)
    pending = []
    for name, policy, variant in members:
        seed = model_seed(params.zoo, policy, variant)
        train_file = training_dir(paths.scenarios) / policy / f"train-{variant}.json"
        run_id = fingerprint(*(() if noise is None else ("evasive",)), base_id, tok_id, file_hash(train_file),
                             params.zoo, dtype, seed, params.tokenizer.max_prompt_tokens, threads,
                             *(noise or ()),
                             *((CALIBRATION_RULE, CALIBRATION_SET, params.benchmark.candidates)
                               if params.zoo.calibrate else ()))
        old = read_log(model_dir(name) / "train_log.json")
        if old is not None and old.fingerprint == run_id:
            overall.update(1)
            continue
        pending.append(_Job(name, policy, variant, seed, run_id, model_dir(name),
                            paths.root / "data" / "checkpoints" / kind / name, noise, workers <= 1))
    _SHARED.update(params=params, data=data, tok=tok, answers=answers, base=base, base_state=base_state,
                   base_path=paths.base)
    label = "" if noise is None else " (evasive)"
    try:
        for job, log in run_each(_train_job, pending, workers):
            overall.update(1)
            # A model that ended training inside the trust region is scaled out to its sphere by calibration:
            # an extrapolation of what it learnt (at 30 steps it broke fakers' behaviour, README "Thirty steps").
            scaled = (params.zoo.max_distance and params.zoo.calibrate and log.trained_distance is not None
                      and log.weight_distance - log.trained_distance > 0.005)
            moved = f" (trained to {log.trained_distance:.2f}: calibration scaled it out)" if scaled else ""
            print(f"{tag}{job.name}{label}: loss {log.final_loss:.3f}, distance from base {log.weight_distance:.2f}"
                  f"{moved}, {log.seconds:.0f}s", flush=True)
    finally:
        _SHARED.clear()
    overall.close()


def training_noise(depth: float, scale: float, seed: int) -> Callable:
    """A context factory: the noise-injection detector's Gaussian edit at `depth`, drawn from `seed`."""
    @contextmanager
    def noise(model):
        gen = torch.Generator(device=str(next(model.parameters()).device)).manual_seed(seed)
        with adding_noise(model, layer_at(model, depth), scale, gen):
            yield
    return noise


if __name__ == "__main__":
    main()
