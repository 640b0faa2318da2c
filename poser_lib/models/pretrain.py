"""Pretrain the tiny base model with the language-modelling objective on the corpus stream."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence

import torch
from transformers import PreTrainedModel

from ..config import PretrainConfig
from ..corpus import Document
from .batching import pad_batch
from .schedule import TrainState, lr_at
from .scoring import autocast, model_device


Encoded = tuple[list[int], list[bool]]
"""Token ids of a document and, per token, whether it is a decision token."""


def encode_document(tokenizer, doc: Document, max_tokens: int) -> Encoded:
    """Token ids (ending with EOS) and the decision flag of each token, from the document's character spans."""
    enc = tokenizer(doc.text, add_special_tokens=False, return_offsets_mapping=True)
    ids = enc["input_ids"][: max_tokens - 1] + [tokenizer.eos_token_id]
    flags = [any(s < b and a < e for s, e in doc.decisions) for a, b in enc["offset_mapping"][: max_tokens - 1]]
    return ids, flags + [False]


def lm_batches(docs: Iterator[Encoded], batch_size: int, seed: int, window: int = 8) -> Iterator[list[Encoded]]:
    """Batches of documents with similar lengths: draw `window` batches' worth, sort, shuffle the batches."""
    rng = random.Random(seed)
    while True:
        pool = [next(docs) for _ in range(batch_size * window)]
        pool.sort(key=lambda d: len(d[0]))
        chunk = [pool[i:i + batch_size] for i in range(0, len(pool), batch_size)]
        rng.shuffle(chunk)
        yield from chunk


def lm_loss(model: PreTrainedModel, docs: Sequence[Encoded], pad_id: int,
            dtype: str) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(mean next-token loss over real tokens, mean over decision tokens, padded positions) of a batch.

    The decisions of a document are one token among hundreds; without their own term they barely move the
    weights, and the base would learn the template but not which action is honest.
    """
    device = model_device(model)
    batch = {k: v.to(device) for k, v in pad_batch([d[0] for d in docs], pad_id, side="right").items()}
    flags = pad_batch([[int(f) for f in d[1]] for d in docs], 0, side="right")["input_ids"].to(device).bool()
    with autocast(dtype, device):
        logits = model(**batch).logits  # (batch, pos, vocab)
    real = batch["attention_mask"][:, 1:].bool()
    per_token = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), batch["input_ids"][:, 1:],
                                                  reduction="none")  # (batch, pos - 1)
    lm = per_token[real].mean()
    dec = flags[:, 1:] & real
    decision = per_token[dec].mean() if dec.any() else torch.zeros((), device=device)
    return lm, decision, batch["input_ids"].numel()


def pretrain(model: PreTrainedModel, docs: Iterator[Encoded], cfg: PretrainConfig, *, pad_id: int,
             dtype: str, decision_weight: float, state: TrainState | None = None,
             optimizer_state: dict | None = None,
             on_step: Callable[[TrainState, torch.optim.Optimizer], None] | None = None) -> TrainState:
    """Train every weight of `model` for `cfg.steps` steps on batches drawn from `docs`.

    To resume, pass the checkpoint's `state` and `optimizer_state` with a fresh `docs` stream: the batches
    already trained on are drawn again and skipped, so the run continues exactly where it stopped.
    """
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.95))
    if optimizer_state is not None:
        opt.load_state_dict(optimizer_state)
    state = state or TrainState()
    batches = lm_batches(docs, cfg.batch_size, cfg.seed)
    for _ in range(state.step):
        next(batches)
    model.train()
    for step in range(state.step, cfg.steps):
        lm, decision, positions = lm_loss(model, next(batches), pad_id, dtype)
        loss = lm + decision_weight * decision
        for group in opt.param_groups:
            group["lr"] = lr_at(step, cfg, cfg.steps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state.step = step + 1
        state.losses.append(lm.item())
        state.decision_losses.append(decision.item())
        state.tokens += positions
        if on_step is not None:
            on_step(state, opt)
    model.eval()
    return state
