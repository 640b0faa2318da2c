"""Scoped reads and edits of the residual stream of any Hugging Face decoder.

A *site* is the residual stream after decoder block `layer` at a token position (-1: the last token; prompts
are left-padded, so -1 is every row's last real token; None: every position). Blocks are found in one place,
`decoder_layers`, and addressed by relative depth (`layer_at`) so settings carry over between model sizes.
Every context manager removes its hooks on exit, also when the body raises; nothing here changes weights.

>>> with recording(model, [1, 3]) as acts:
...     model(**batch)
>>> with adding(model, layer_at(model, 0.5), vector):
...     logits = model(**batch).logits
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

import torch

Edit = Callable[[torch.Tensor], torch.Tensor]
"""A function from a block's hidden states (batch, seq, d_model) to their replacement."""


def decoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The decoder blocks of a causal LM (Llama, Mistral, Qwen, Gemma: `layers`; GPT-2: `h`; GPT-NeoX: `layers`)."""
    inner = model
    for _ in range(4):  # PeftModel -> LoraModel -> XForCausalLM -> XModel
        for name in ("layers", "h", "blocks"):
            blocks = getattr(inner, name, None)
            if isinstance(blocks, torch.nn.ModuleList):
                return blocks
        nxt = next((getattr(inner, n) for n in ("model", "transformer", "gpt_neox", "base_model")
                    if isinstance(getattr(inner, n, None), torch.nn.Module)), None)
        if nxt is None:
            break
        inner = nxt
    raise TypeError(f"cannot find the decoder blocks of {type(model).__name__}: expected a ModuleList named "
                    "layers, h or blocks")


def layer_at(model: torch.nn.Module, depth: float) -> int:
    """The block at relative depth `depth` in [0, 1] (0: the first block, 1: the last)."""
    if not 0.0 <= depth <= 1.0:
        raise ValueError(f"relative depth must be in [0, 1], got {depth}")
    return round(depth * (len(decoder_layers(model)) - 1))


def _hidden(output) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output


def _replace(output, hidden: torch.Tensor):
    return (hidden, *output[1:]) if isinstance(output, tuple) else hidden


@contextmanager
def editing(model: torch.nn.Module, layer: int, edit: Edit) -> Iterator[None]:
    """Replace the output of block `layer` by `edit(output)` for every forward pass inside the block."""
    block = decoder_layers(model)[layer]

    def hook(_module, _args, out):
        return _replace(out, edit(_hidden(out)))

    hook.poser_lib = True  # what `hook_count` counts
    handle = block.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def _at(position: int | None, hidden: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """`hidden` with `delta` added at `position` (None: at every position)."""
    if position is None:
        return hidden + delta.to(hidden.dtype)
    out = hidden.clone()
    out[:, position] = out[:, position] + delta.to(hidden.dtype)
    return out


@contextmanager
def adding(model: torch.nn.Module, layer: int, vector: torch.Tensor, position: int | None = -1) -> Iterator[None]:
    """Add `vector` (d_model,) to the residual stream after block `layer` at `position`."""
    with editing(model, layer, lambda h: _at(position, h, vector.to(h.device))):
        yield


@contextmanager
def adding_noise(model: torch.nn.Module, layer: int, scale: float, generator: torch.Generator,
                 position: int | None = -1) -> Iterator[None]:
    """Add zero-mean Gaussian noise whose norm is `scale` times the residual's norm, per row and position.

    The noise is drawn from `generator` (on its own device, then moved), so the same seed gives the same output.
    """
    def edit(h: torch.Tensor) -> torch.Tensor:
        site = h if position is None else h[:, position]
        z = torch.randn(site.shape, generator=generator, device=generator.device, dtype=torch.float32).to(h.device)
        z = z / z.norm(dim=-1, keepdim=True) * site.float().norm(dim=-1, keepdim=True) * scale
        return _at(position, h, z)

    with editing(model, layer, edit):
        yield


@contextmanager
def recording(model: torch.nn.Module, layers: Sequence[int], position: int | None = -1
              ) -> Iterator[dict[int, list[torch.Tensor]]]:
    """Collect the residual stream after each of `layers` at `position`, one float32 CPU tensor per pass."""
    seen: dict[int, list[torch.Tensor]] = {i: [] for i in layers}

    def keep(i: int) -> Edit:
        def edit(h: torch.Tensor) -> torch.Tensor:
            seen[i].append((h if position is None else h[:, position]).detach().float().cpu())
            return h
        return edit

    with ExitStack() as stack:
        for i in layers:
            stack.enter_context(editing(model, i, keep(i)))
        yield seen


def hook_count(model: torch.nn.Module) -> int:
    """Hooks of this module still registered on `model` (tests check it returns to zero). transformers 5 leaves
    its own output-capturing hooks on a model after a call with `output_attentions`; those are not counted."""
    return sum(getattr(h, "poser_lib", False) for m in model.modules()
               for h in [*m._forward_hooks.values(), *m._forward_pre_hooks.values()])
