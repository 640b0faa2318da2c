"""`model.dtype: auto`: bfloat16 only where the hardware has bfloat16 matrix instructions, else float32."""

import pytest
import torch

from poser_lib.models import precision
from poser_lib.models.precision import cpu_has_native_bf16, resolve_dtype
from poser_lib.models.scoring import answer_logprobs, autocast
from poser_lib.tokenizer import answer_token_ids, encode_records


@pytest.fixture
def cpu_bf16(monkeypatch):
    """Pretend this CPU has (True) or lacks (False) AMX and AVX512-BF16, for one test."""
    def pretend(native: bool):
        precision.cpu_has_native_bf16.cache_clear()
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: native)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    yield pretend
    precision.cpu_has_native_bf16.cache_clear()


def test_explicit_dtypes_are_kept(cpu_bf16):
    cpu_bf16(False)
    assert resolve_dtype("bfloat16") == "bfloat16" and resolve_dtype("float32", "cpu") == "float32"


@pytest.mark.parametrize("native, expected", [(True, "bfloat16"), (False, "float32")])
def test_auto_follows_the_cpu(cpu_bf16, native, expected):
    cpu_bf16(native)
    assert cpu_has_native_bf16() is native
    assert resolve_dtype("auto", torch.device("cpu")) == expected
    with autocast("auto", "cpu"):
        product = torch.ones(4, 4) @ torch.ones(4, 4)
    assert product.dtype == getattr(torch, expected)


def test_auto_scores_as_the_dtype_it_resolves_to(cpu_bf16, tiny_model, tokenizer, small_data):
    _, enc = encode_records(tokenizer, small_data[0]["genie"][:8], 256)
    answers = answer_token_ids(tokenizer)
    for native in (True, False):
        cpu_bf16(native)
        auto = answer_logprobs(tiny_model, enc, answers, tokenizer.pad_token_id, "auto")
        resolved = answer_logprobs(tiny_model, enc, answers, tokenizer.pad_token_id, resolve_dtype("auto"))
        assert torch.equal(auto, resolved)
    cpu_bf16(True)
    in_bf16 = answer_logprobs(tiny_model, enc, answers, tokenizer.pad_token_id, "auto")
    assert not torch.equal(in_bf16, auto)  # the two resolutions really compute differently
