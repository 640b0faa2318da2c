"""Forward passes over many prompts: answer probabilities at the last position, and last-token residuals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import nullcontext

import torch
from transformers import PreTrainedModel

from ..interventions import decoder_layers
from .batching import inference_batches, pad_batch
from .precision import resolve_dtype


def autocast(dtype: str | torch.dtype, device: torch.device | str = "cpu"):
    """bf16 autocast context for matrix products, or a no-op for float32 (`auto`: see `precision`)."""
    dt = getattr(torch, resolve_dtype(dtype, device)) if isinstance(dtype, str) else dtype
    if dt == torch.float32:
        return nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=dt)


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a model's first parameter."""
    return next(model.parameters()).device


@torch.no_grad()
def answer_logprobs(model: PreTrainedModel, encoded: Sequence[Sequence[int]], answer_ids: Mapping[str, int],
                    pad_id: int, dtype: str = "float32", max_tokens: int = 16384) -> torch.Tensor:
    """Full-vocabulary log-probabilities of each answer token at the last position: (n_prompts, n_answers)."""
    device = model_device(model)
    cols = torch.tensor(list(answer_ids.values()), device=device)
    out = torch.empty(len(encoded), len(cols))
    for batch in inference_batches([len(s) for s in encoded], max_tokens):
        inputs = {k: v.to(device) for k, v in pad_batch([encoded[i] for i in batch], pad_id).items()}
        with autocast(dtype, device):
            logits = model(**inputs, logits_to_keep=1).logits[:, -1]  # (batch, vocab)
        out[batch] = logits.float().log_softmax(-1)[:, cols].cpu()
    return out


def last_token_hidden(model: PreTrainedModel, encoded: Sequence[Sequence[int]], pad_id: int,
                      dtype: str = "float32", max_tokens: int = 16384) -> torch.Tensor:
    """Residual stream at the last position after every block: (n_prompts, n_layers + 1, d_model).

    Index 0 is the embeddings and index i the output of block i; the last block's output is taken before the
    final norm (transformers 5 returns it after the norm in `hidden_states[-1]`), so all layers compare alike.
    """
    return last_token_reads(model, encoded, pad_id, dtype, max_tokens)[0]


@torch.no_grad()
def last_token_reads(model: PreTrainedModel, encoded: Sequence[Sequence[int]], pad_id: int, dtype: str = "float32",
                     max_tokens: int = 16384, answer_ids: Mapping[str, int] | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(`last_token_hidden`, and with `answer_ids` the `answer_logprobs` of the same prompts) from one pass."""
    device = model_device(model)
    layers = decoder_layers(model)
    captured: dict[int, torch.Tensor] = {}
    cols = None if answer_ids is None else torch.tensor(list(answer_ids.values()), device=device)

    def keep(i):
        def hook(_module, _args, output):
            captured[i] = (output[0] if isinstance(output, tuple) else output)[:, -1].float()
        return hook

    def embedded(_module, args, kwargs):
        # The input of the first block: the embeddings as every architecture sums and scales them.
        captured[0] = (args[0] if args else kwargs["hidden_states"])[:, -1].float()

    handles = [layer.register_forward_hook(keep(i + 1)) for i, layer in enumerate(layers)]
    handles.append(layers[0].register_forward_pre_hook(embedded, with_kwargs=True))
    try:
        out, lp = None, None if cols is None else torch.empty(len(encoded), len(cols))
        for batch in inference_batches([len(s) for s in encoded], max_tokens):
            inputs = {k: v.to(device) for k, v in pad_batch([encoded[i] for i in batch], pad_id).items()}
            with autocast(dtype, device):
                logits = model(**inputs, logits_to_keep=1).logits[:, -1]
            stacked = torch.stack([captured[i] for i in range(len(layers) + 1)], dim=1).cpu()
            if out is None:
                out = torch.empty(len(encoded), *stacked.shape[1:])
            out[batch] = stacked
            if lp is not None:
                lp[batch] = logits.float().log_softmax(-1)[:, cols].cpu()
    finally:
        for h in handles:
            h.remove()
    return out, lp
