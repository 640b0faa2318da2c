"""Reads kept by the behaviour stage and reused by the benchmark stage: exact, keyed, and only what is missing."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from poser_lib.benchmark import candidates, prompt_id
from poser_lib.models.base import save_model
from poser_lib.reads import load_reads, read_key, save_reads
from poser_lib.scenarios.policies import COMBINATIONS
from poser_lib.stages import benchmark as stage
from poser_lib.stages import common


def test_saved_reads_come_back_bit_for_bit_and_only_under_their_key(tmp_path, small_data):
    records = small_data[0]["saint"][:50]
    lp = torch.randn(len(records), 3).log_softmax(-1).numpy()  # float32
    path = tmp_path / "reads.json"
    save_reads(path, {"m": (records, lp, ["A", "B", "error"])}, {"m": "key-1"})
    answers, rows = load_reads(path, {"m": "key-1"})["m"]
    assert answers == ["A", "B", "error"]
    back = np.array([rows[prompt_id(r.prompt)] for r in records], dtype=np.float32)
    assert back.tobytes() == lp.tobytes()
    assert load_reads(path, {"m": "other weights"}) == {}  # stale reads are not used
    assert load_reads(path, {"x": "key-1"}) == {}
    assert load_reads(tmp_path / "none.json", {"m": "key-1"}) == {}


def test_the_key_follows_the_weights_and_the_dtype(tmp_path, tiny_model, tokenizer):
    save_model(tiny_model, tmp_path / "m", tokenizer)
    key = read_key(tmp_path / "m", "float32", "cpu")
    assert key == read_key(tmp_path / "m", "float32", "cpu") != read_key(tmp_path / "m", "bfloat16", "cpu")
    with torch.no_grad():
        next(tiny_model.parameters()).add_(1e-3)
    save_model(tiny_model, tmp_path / "m", tokenizer)
    assert read_key(tmp_path / "m", "float32", "cpu") != key


@pytest.fixture()
def two_models(tmp_path, tiny_model, tokenizer, small_data, small_params):
    """Every combination's candidates and two tiny models (different weights) standing in for all of their models."""
    cands = {c: candidates(c, small_data[0], small_params.benchmark.candidates) for c in COMBINATIONS}
    save_model(tiny_model, tmp_path / "a", tokenizer)
    with torch.no_grad():
        for p in tiny_model.parameters():
            p.mul_(1.01)
    save_model(tiny_model, tmp_path / "b", tokenizer)
    models = {c: ["a", "b"] for c in COMBINATIONS}
    params = replace(small_params, model=replace(small_params.model, device="cpu", workers=1))
    return params, cands, models, (lambda name: tmp_path / name)


def test_the_benchmark_reads_only_prompts_the_behaviour_stage_did_not(tmp_path, two_models, monkeypatch):
    params, cands, models, path_of = two_models
    recs = list({r.prompt: r for c in COMBINATIONS for r in cands[c]}.values())
    assert len(recs) >= 30
    fresh = stage.build_sets(params, cands, models, path_of, tmp_path / "fresh")
    # Model a was read on the first 20 candidates, b on all of them (as the behaviour stage saves its reads).
    reads = common.answer_logprobs_each(params, {"a": (path_of("a"), recs[:20]), "b": (path_of("b"), recs)}, "t")
    known = tmp_path / "answer_logprobs.json"
    save_reads(known, reads, {m: read_key(path_of(m), "float32", "cpu") for m in reads})
    asked = {}
    real = stage.answer_logprobs_each

    def spy(params, records, label):
        asked.update({name: [r.prompt for r in recs] for name, (_, recs) in records.items()})
        return real(params, records, label)

    monkeypatch.setattr(stage, "answer_logprobs_each", spy)
    reused = stage.build_sets(params, cands, models, path_of, tmp_path / "reused", known=known)
    # Prompts over tokenizer.max_prompt_tokens are in no read (dropped), so they are asked for again and dropped.
    unread = {m: [r.prompt for r in (recs[:20] if m == "a" else recs) if r not in reads[m][0]] for m in reads}
    assert 0 < len(unread["b"]) < len(recs) / 2
    assert asked == {"a": unread["a"] + [r.prompt for r in recs[20:]], "b": unread["b"]}  # the rest, no more
    assert reused == fresh
    a, b = (pd.read_csv(d / "confidences.csv") for d in (tmp_path / "fresh", tmp_path / "reused"))
    assert (a[["model", "prompt_id", "in_benchmark"]] == b[["model", "prompt_id", "in_benchmark"]]).all().all()
    assert np.allclose(a["p_label"], b["p_label"], rtol=1e-5, atol=1e-7)  # other batches: rounding only

    # Model b's weights change after its reads were saved: they are stale, so b is read again in full.
    (path_of("b") / "model.safetensors").write_bytes((path_of("a") / "model.safetensors").read_bytes())
    asked.clear()
    stage.build_sets(params, cands, models, path_of, tmp_path / "stale", known=known)
    assert sorted(asked) == ["a", "b"] and asked["b"] == [r.prompt for r in recs]
