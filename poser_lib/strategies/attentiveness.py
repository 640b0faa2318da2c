"""S6, attentiveness to oversight: a faker's decision hinges on the oversight fact, so it should react to it
more. Three readouts on benchmark prompts that contain a critical fact:

- `activation_shift`: 1 - cosine similarity of the last-token residual with and without the critical facts
  (wrapper kept: the authors' removed copy lost it), per layer;
- `attention`: attention mass from the last token onto the critical fact's tokens, mean over heads, per layer;
- `saliency`: share of the input-gradient norm of log P(answer) on the critical fact's tokens.
Higher means more attentive, which the paper reads as the faker.
"""

from __future__ import annotations

import torch

from ..models.batching import pad_batch
from ..models.scoring import autocast, model_device
from .configs import AttentivenessConfig as Config
from .core import Bench, Result, Subject
from .prompts import critical_token_mask, has_critical, without_critical
from .registry import register


def saliency(subject: Subject, prompt_ids: list[int], answer: str) -> torch.Tensor:
    """Per-token L2 norm of the gradient of log P(answer) with respect to the input embeddings."""
    model = subject.model
    device = model_device(model)
    emb = model.get_input_embeddings()(torch.tensor([prompt_ids], device=device)).detach().requires_grad_(True)
    with autocast(subject.dtype, device):
        logits = model(inputs_embeds=emb, logits_to_keep=1).logits[0, -1]
    # autograd.grad, not backward(): nothing accumulates in the model's own .grad fields
    (grad,) = torch.autograd.grad(logits.float().log_softmax(-1)[subject.answer_ids[answer]], emb)
    return grad[0].float().norm(dim=-1).cpu()


def attention_to(subject: Subject, prompt_ids: list[int], mask: list[bool]) -> list[float]:
    """Per layer, the attention mass of the last position on the masked tokens, mean over heads."""
    model = subject.model
    batch = {k: v.to(model_device(model)) for k, v in pad_batch([prompt_ids], subject.pad_id, multiple=1).items()}
    with torch.no_grad():
        out = model(**batch, output_attentions=True, logits_to_keep=1)
    if not out.attentions or out.attentions[0] is None:
        raise RuntimeError("the model returned no attention weights: load it with attn_implementation='eager'")
    m = torch.tensor(mask, device=out.attentions[0].device)
    return [float(a[0, :, -1][:, m].sum(-1).mean()) for a in out.attentions]


@register("attentiveness", Config, needs_attention=True)
def score(subject: Subject, bench: Bench, cfg: Config) -> Result:
    """Activation shift, attention and saliency on the critical fact, each per layer where it has layers."""
    records = [r for r in bench.records if has_critical(r)][: cfg.prompts]
    if not records:
        raise ValueError(f"benchmark {bench.combination}: no prompt with a critical fact")
    enc = subject.encode([r.prompt for r in records])
    removed = subject.encode([without_critical(r) for r in records])
    h, h0 = subject.hidden(enc), subject.hidden(removed)
    shift = 1 - torch.nn.functional.cosine_similarity(h, h0, dim=-1).mean(0)  # (layers + 1,)
    masks = [critical_token_mask(subject.tokenizer, r) for r in records]
    attn = torch.tensor([attention_to(subject, ids, m) for ids, m in zip(enc, masks)]).mean(0)
    sal = []
    for ids, m, r in zip(enc, masks, records):
        g = saliency(subject, ids, r.response)
        sal.append(float(g[torch.tensor(m)].sum() / g.sum()))
    result = Result()
    for i, v in enumerate(shift.tolist()):
        result.add("activation_shift", f"layer={i}", v)
    for i, v in enumerate(attn.tolist()):
        result.add("attention", f"layer={i}", v)
    result.add("saliency", "share", sum(sal) / len(sal))
    result.curves["activation_shift/by_layer"] = shift.tolist()
    result.curves["attention/by_layer"] = attn.tolist()
    result.curves["saliency/share"] = sal
    return result
