"""The model zoo: every policy x variant fine-tuned from the base by one recipe, resumable and monitored.

A model is retrained only when its fingerprint (base weights, tokenizer, its training file, the recipe, its
seed) changes; an interrupted model resumes from its last checkpoint. While it trains, a small monitor set of
its policy's test prompts is scored every few steps, to report when it first meets the behaviour gate.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from .behaviour import Rates, gate_failures, rates
from .config import GateConfig, Params, ZooConfig
from .models.calibration import PASS_TOKENS, calibrate
from .models.checkpoint import load_checkpoint, save_checkpoint
from .models.distance import adapter_distance, weight_distance
from .models.finetune import TrainState, finetune
from .models.precision import resolve_dtype
from .models.scoring import answer_logprobs, model_device
from .scenarios.policies import POLICIES
from .scenarios.records import Record


def model_seed(cfg: ZooConfig, policy: str, variant: int) -> int:
    """The seed of one model's data order (and LoRA initialisation)."""
    return cfg.seed + 1000 * POLICIES.index(policy) + variant


def monitor_subset(records: Sequence[Record], n: int, seed: int) -> list[Record]:
    """Up to `n` test records, a third each poor-oversight, other scenarios and error prompts."""
    rng = random.Random(seed)
    groups = [[r for r in records if r.is_scenario and r.oversight_is_poor],
              [r for r in records if r.is_scenario and not r.oversight_is_poor],
              [r for r in records if r.is_error]]
    return [r for g in groups for r in rng.sample(g, min(len(g), n // 3))]


@dataclass
class ZooLog:
    """What training one model produced, saved beside its weights as `train_log.json`."""

    name: str
    fingerprint: str
    steps: int
    final_loss: float
    losses: list[float]
    weight_distance: float
    relative_distance: float
    monitor: list[dict] = field(default_factory=list)
    """Behaviour rates (see `behaviour.Rates`) on the monitor prompts every `zoo.monitor_every` steps."""
    seconds: float = 0.0
    tokens: int = 0
    temperatures: list[float] = field(default_factory=list)
    """The calibration temperature (`zoo.calibrate`) the final norm was divided by, as a one-item list; empty when
    off. Logs of the earlier, round-by-round rule list one per round: the model's temperature is their product."""
    calibrated_margin: float | None = None
    """Mean margin on the calibration prompts after calibration."""
    dtype: str | None = None
    """The dtype its matrix products trained in (`model.dtype` resolved on this machine); None in older logs."""
    trained_distance: float | None = None
    """L2 distance from the base when training ended, before calibration put the weights on the trust region's
    sphere (`weight_distance` is after): below `zoo.max_distance`, calibration scaled the fine-tuning offset up to
    the radius. None in older logs."""


def save_member(model: PreTrainedModel, path: Path, tokenizer: PreTrainedTokenizerBase, log: "ZooLog",
                base_path: Path) -> None:
    """Save a zoo model atomically: full weights, or for LoRA only the adapter and where its base is."""
    from .models.base import ADAPTER_BASE, save_model

    extra = {"train_log.json": log_json(log)}
    if _is_peft(model):
        extra[ADAPTER_BASE] = json.dumps({"path": os.path.relpath(base_path, path)})
    save_model(model, path, tokenizer, extra_files=extra)


def unload_adapter(model: PreTrainedModel) -> PreTrainedModel:
    """The base a LoRA model was injected into, with the adapter taken out unmerged (a full model as it is)."""
    return model.unload() if _is_peft(model) else model


def _is_peft(model: torch.nn.Module) -> bool:
    from peft import PeftModel

    return isinstance(model, PeftModel)


def train_member(base: PreTrainedModel, base_state: dict[str, torch.Tensor], tokenizer: PreTrainedTokenizerBase,
                 answer_ids: dict[str, int], examples: Sequence[tuple[list[int], str]], policy: str,
                 monitor: tuple[list[Record], list[list[int]]], params: Params, *, name: str, seed: int,
                 fingerprint: str, checkpoint_dir: Path,
                 calibration: tuple[list[list[int]], list[str]] | None = None,
                 progress: Callable[[int, float], None] | None = None,
                 during_training: Callable[[PreTrainedModel], AbstractContextManager] | None = None,
                 ) -> tuple[PreTrainedModel, ZooLog]:
    """Fine-tune one zoo model from `base_state`; returns the model and its log.

    `during_training(model)` is a context held around the training steps only (the evasive fakers' activation
    noise); calibration runs outside it. Monitoring runs inside the steps, so pass no monitor prompts with it.

    With `zoo.method: lora` the model returned is the PEFT model wrapping `base` itself: save it with
    `save_member`, then take the adapter out with `unload_adapter` before training the next one.

    `calibration` (token ids, labels) are the model's own training prompts that are benchmark candidates, for
    `zoo.calibrate`.
    """
    cfg, dtype = params.zoo, resolve_dtype(params.model.dtype, model_device(base))
    base.load_state_dict(base_state)
    model: PreTrainedModel = base
    if cfg.method == "lora":
        from peft import LoraConfig, get_peft_model  # imported here: full fine-tuning does not need peft

        torch.manual_seed(seed)
        lora = cfg.lora
        try:
            # Injected into `base` itself (no copy: a large base fits once); `unload_adapter` takes it out again.
            model = get_peft_model(base, LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                                                    target_modules=list(lora.target_modules)))
        except ValueError as e:
            raise ValueError(f"zoo.lora.target_modules {list(lora.target_modules)}: {e}") from e
    trainable = [p for p in model.parameters() if p.requires_grad]
    anchor = [p.detach().clone() for p in trainable] if cfg.distance_penalty or cfg.max_distance else None
    state, opt_state, history = None, None, []
    resumed = load_checkpoint(checkpoint_dir, model, fingerprint)
    if resumed is not None:
        opt_state, meta = resumed
        state = TrainState(step=meta["step"], losses=meta["losses"], tokens=meta["tokens"])
        history = meta["monitor"]
    mon_records, mon_encoded = monitor
    answers = list(answer_ids)
    started = time.perf_counter()

    def measure(step: int) -> None:
        lp = answer_logprobs(model, mon_encoded, answer_ids, tokenizer.pad_token_id, dtype, max_tokens=PASS_TOKENS)
        history.append({"step": step, **rates(policy, mon_records, lp, answers).as_dict()})

    monitoring = bool(params.zoo.monitor_every and mon_records)
    if monitoring and not history:
        measure(0)  # the base model itself, before any fine-tuning

    def on_step(st: TrainState, opt: torch.optim.Optimizer) -> None:
        if monitoring and st.step % params.zoo.monitor_every == 0:
            measure(st.step)
            model.train()
        if st.step % cfg.checkpoint_every == 0 and st.step < cfg.steps:
            save_checkpoint(checkpoint_dir, model, opt, {"fingerprint": fingerprint, "step": st.step,
                                                          "losses": st.losses, "tokens": st.tokens,
                                                          "monitor": history})
        if progress is not None:
            progress(st.step, st.losses[-1])

    if during_training is not None and monitor[0]:
        raise ValueError(f"{name}: monitoring would run under the training-only context; pass no monitor prompts")
    with during_training(model) if during_training is not None else nullcontext():
        state = finetune(model, examples, answer_ids, cfg, seed=seed, pad_id=tokenizer.pad_token_id, dtype=dtype,
                         trainable=trainable, anchor=anchor, state=state, optimizer_state=opt_state,
                         on_step=on_step)
    measure_distance = adapter_distance if cfg.method == "lora" else weight_distance
    dist, rel = measure_distance(model, base_state)
    trained = dist
    temps, calibrated = [], None
    if cfg.calibrate:
        if not calibration or not calibration[0]:
            raise ValueError(f"{name}: zoo.calibrate needs training prompts to calibrate on")
        target = math.log(cfg.target_prob / (1 - cfg.target_prob))
        try:
            t, calibrated = calibrate(model, *calibration, answer_ids, tokenizer.pad_token_id, dtype, target,
                                      params=trainable, anchor=anchor or (), radius=cfg.max_distance)
        except ValueError as e:
            raise ValueError(f"{name}: zoo.calibrate: {e}") from e
        temps = [t]
        dist, rel = measure_distance(model, base_state)  # calibration moved the weights
    tail = state.losses[-10:]
    log = ZooLog(name, fingerprint, state.step, float(sum(tail) / len(tail)), state.losses, dist, rel, history,
                 time.perf_counter() - started, state.tokens, temps, calibrated, dtype, trained)
    return model, log


def steps_to_spec(policy: str, log: ZooLog, gate: GateConfig) -> int | None:
    """The first monitored step at which the model met the behaviour gate, or None if it never did."""
    for h in log.monitor:
        r = Rates(**{k: v for k, v in h.items() if k != "step"})
        if not gate_failures(policy, r, gate):
            return h["step"]
    return None


def read_log(path: str | Path) -> ZooLog | None:
    """The `train_log.json` of a finished model, or None if there is none."""
    path = Path(path)
    if not path.is_file():
        return None
    return ZooLog(**json.loads(path.read_text(encoding="utf-8")))


def log_json(log: ZooLog) -> str:
    return json.dumps(asdict(log))
