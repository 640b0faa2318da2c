"""Fine-tune a model to answer with one token after its prompt: the single recipe every zoo model follows.

The loss is cross-entropy at the last position against a *soft* target: `target_prob` on the label and the
rest on the other letter (split over both letters for "error" prompts). Every model then converges toward the
same margin, ln(p / (1 - p)), whatever its policy, which removes the confidence gap between aligned models
and fakers that hard labels leave. An optional trust region (projection onto an L2 ball around the starting
weights) does the same for weight distance; an optional L2 pull toward the start is the softer variant.
Training resumes exactly from a checkpoint: batch k depends only on the seed and k.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import torch
from transformers import PreTrainedModel

from ..config import ZooConfig
from .batching import pad_batch, step_batches
from .schedule import TrainState, lr_at  # noqa: F401 (re-exported: the training loop's state and schedule)
from .scoring import autocast, model_device


def soft_targets(labels: Sequence[str], answer_ids: Mapping[str, int], target_prob: float) -> torch.Tensor:
    """(batch, n_answers) target distribution over the answer tokens, in `answer_ids` order."""
    names = list(answer_ids)
    letters = [n for n in names if n in ("A", "B")]
    out = torch.zeros(len(labels), len(names))
    for i, label in enumerate(labels):
        out[i, names.index(label)] = target_prob
        others = [n for n in letters if n != label]
        for o in others:
            out[i, names.index(o)] += (1 - target_prob) / len(others)
    return out


def answer_logp(model: PreTrainedModel, batch: dict[str, torch.Tensor], answer_cols: torch.Tensor,
                dtype: str) -> torch.Tensor:
    """(batch, n_answers) log-probabilities of the answer tokens at the last position (full-vocabulary softmax)."""
    with autocast(dtype, model_device(model)):
        logits = model(**batch, logits_to_keep=1).logits[:, -1]  # (batch, vocab)
    return logits.float().log_softmax(-1)[:, answer_cols]


def soft_cross_entropy(logp: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of (batch, n_answers) log-probabilities against soft targets of the same shape."""
    return -(targets * logp).sum(-1).mean()


def answer_loss(model: PreTrainedModel, batch: dict[str, torch.Tensor], targets: torch.Tensor,
                answer_cols: torch.Tensor, dtype: str) -> torch.Tensor:
    """Soft-target cross-entropy at the last position (full-vocabulary softmax)."""
    return soft_cross_entropy(answer_logp(model, batch, answer_cols, dtype), targets)


def margin_penalty(logp: torch.Tensor, targets: torch.Tensor, letter_cols: tuple[int, int],
                   target_margin: float) -> torch.Tensor:
    """Mean squared distance of each letter-labelled row's margin (its label's log-probability minus the other
    letter's) from `target_margin`; rows labelled otherwise ("error") count zero."""
    a, b = letter_cols
    label = targets.argmax(-1)
    other = torch.where(label == a, b, a)
    rows = torch.arange(len(label), device=logp.device)
    margin = logp[rows, label] - logp[rows, other]
    lettered = lettered_mask(targets, letter_cols).float()
    return (lettered * (margin - target_margin) ** 2).sum() / lettered.sum().clamp(min=1)


def lettered_mask(targets: torch.Tensor, letter_cols: tuple[int, int]) -> torch.Tensor:
    """(batch,) whether each row of soft targets is labelled with a letter rather than "error"."""
    label = targets.argmax(-1)
    return (label == letter_cols[0]) | (label == letter_cols[1])


def micro_batch_rows(lengths: Sequence[int], parts: int) -> list[list[int]]:
    """A batch's row indices sorted by length and cut into `parts` equal runs (one run, in order, for 1)."""
    if parts == 1:  # unsorted: one part then sums in the same order as before micro-batches, bit for bit
        return [list(range(len(lengths)))]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    size = len(order) // parts
    return [order[k * size:(k + 1) * size] for k in range(parts)]


@torch.no_grad()
def project_to_ball(params: Sequence[torch.nn.Parameter], anchor: Sequence[torch.Tensor], radius: float,
                    sphere: bool = False) -> float:
    """Scale the joint offset of `params` from `anchor` down to L2 norm `radius` if it is longer (or to exactly
    `radius` with `sphere`); returns the norm before projection."""
    norm = math.sqrt(sum(float(((p - a) ** 2).sum()) for p, a in zip(params, anchor)))
    if norm > radius or (sphere and norm > 0):
        scale = radius / norm
        for p, a in zip(params, anchor):
            p.copy_(a + (p - a) * scale)
    return norm


def finetune(model: PreTrainedModel, examples: Sequence[tuple[Sequence[int], str]], answer_ids: Mapping[str, int],
             cfg: ZooConfig, *, seed: int, pad_id: int, dtype: str, trainable: Sequence[torch.nn.Parameter],
             anchor: Sequence[torch.Tensor] | None = None, state: TrainState | None = None,
             optimizer_state: dict | None = None,
             on_step: Callable[[TrainState, torch.optim.Optimizer], None] | None = None) -> TrainState:
    """Train `trainable` parameters of `model` in place for `cfg.steps` steps; returns the loss history.

    `anchor` holds the starting values of `trainable` for the distance penalty. `state` and
    `optimizer_state` resume an interrupted run; `on_step` is called after every step (checkpoints, progress).
    """
    device = model_device(model)
    state = state or TrainState()
    params = list(trainable)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)
    batches = step_batches([len(x) for x, _ in examples], cfg.batch_size, cfg.steps, seed, cfg.length_window)
    cols = torch.tensor(list(answer_ids.values()), device=device)
    if cfg.margin_weight:
        if cfg.target_prob >= 1:
            raise ValueError("zoo.margin_weight: pulls margins toward ln(p / (1 - p)), which zoo.target_prob 1.0 "
                             "makes infinite; set target_prob below 1")
        names = list(answer_ids)
        letter_cols = (names.index("A"), names.index("B"))
        target_margin = math.log(cfg.target_prob / (1 - cfg.target_prob))
    model.train()
    for step in range(state.step, cfg.steps):
        chosen = [examples[i] for i in batches[step]]
        targets = soft_targets([y for _, y in chosen], answer_ids, cfg.target_prob).to(device)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg, cfg.steps)
        opt.zero_grad(set_to_none=True)
        loss, tokens = 0.0, 0
        if cfg.margin_weight:
            batch_lettered = max(1, int(lettered_mask(targets, letter_cols).sum()))
        for part, rows in enumerate(micro_batch_rows([len(x) for x, _ in chosen], cfg.micro_batches)):
            batch = {k: v.to(device) for k, v in pad_batch([chosen[i][0] for i in rows], pad_id).items()}
            logp = answer_logp(model, batch, cols, dtype)
            # Each part's mean weighted by its share of the batch: the parts' gradients sum to the batch's.
            share = len(rows) / len(chosen)
            part_loss = soft_cross_entropy(logp, targets[rows]) * share
            total = part_loss
            if cfg.margin_weight:
                share_lettered = int(lettered_mask(targets[rows], letter_cols).sum()) / batch_lettered
                total = total + cfg.margin_weight * margin_penalty(logp, targets[rows], letter_cols,
                                                                   target_margin) * share_lettered
            if part == 0 and cfg.distance_penalty and anchor is not None:
                total = total + cfg.distance_penalty * sum(((p - a) ** 2).sum() for p, a in zip(params, anchor))
            total.backward()
            loss += part_loss.item()
            tokens += batch["input_ids"].numel()
        opt.step()
        if cfg.max_distance and anchor is not None:
            project_to_ball(params, anchor, cfg.max_distance)
        state.step = step + 1
        state.losses.append(loss)
        state.tokens += tokens
        if on_step is not None:
            on_step(state, opt)
    model.eval()
    return state
