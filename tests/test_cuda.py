"""On a CUDA GPU (skipped without one): every detector runs there, in float32 and on bfloat16 weights, reads finite
scores, leaves the model as it was and its hooks removed. Run by `python -m poser_lib.device_check` sessions."""

from __future__ import annotations

import pytest
import torch

from poser_lib.interventions import hook_count
from poser_lib.models.attention import for_reading
from poser_lib.models.base import weights_hash
from poser_lib.strategies import REGISTRY, parse_configs
from poser_lib.strategies.core import Subject
from poser_lib.tokenizer import answer_token_ids

from test_strategies import FAST, bench  # noqa: F401  (bench: a fixture)

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.mark.parametrize("weights", ["float32", "bfloat16"])
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_strategy_runs_on_the_gpu(name, weights, tiny_model, tokenizer, bench):
    model = for_reading(tiny_model.to("cuda", getattr(torch, weights)),
                        attention_weights=REGISTRY[name].needs_attention)  # SDPA on a GPU, as detect.py reads
    base = {k: v.clone() + 0.01 for k, v in model.state_dict().items()}
    subject = Subject(model, tokenizer, answer_token_ids(tokenizer), "auto", base)
    cfg = parse_configs({name: FAST.get(name, {})})[name]
    before = weights_hash(model)
    result = REGISTRY[name].score(subject, bench, cfg)
    assert weights_hash(model) == before and hook_count(model) == 0
    assert result.scores and all(torch.isfinite(torch.tensor(list(s.values()))).all()
                                 for s in result.scores.values())
