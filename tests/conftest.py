"""Shared fixtures: a small generated data set, a tokenizer trained on it, and a tiny seeded Llama."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from poser_lib.config import Params, ScenariosConfig, TinyModelConfig, load_params
from poser_lib.models.base import tiny_llama
from poser_lib.scenarios.generate import policy_files
from poser_lib.tokenizer import train_tokenizer

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "poser-sample"

SMALL = ScenariosConfig(intersecting_groups=6, supplementary_groups=3, special_prompts=3, random_text=8,
                        fragments=8, variants=2)


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def small_data():
    """(test records, training pools) per policy, from a small generator config."""
    return policy_files(SMALL)


@pytest.fixture(scope="session")
def tokenizer(small_data):
    tests, pools = small_data
    texts = [r.prompt + r.response for recs in list(tests.values()) + list(pools.values()) for r in recs]
    return train_tokenizer(texts, vocab_size=400)


@pytest.fixture()
def tiny_model(tokenizer):
    """A 2-layer Llama with d_model 32, seeded; asserts it really is tiny."""
    model = tiny_llama(TinyModelConfig(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64,
                                       max_positions=320, seed=0),
                       len(tokenizer), tokenizer.pad_token_id, tokenizer.eos_token_id)
    n = sum(p.numel() for p in model.parameters())
    assert n < 50_000, f"the tiny fixture has {n} parameters"
    return model.eval()


@pytest.fixture()
def small_params(params) -> Params:
    """The default params with a tiny, fast zoo recipe."""
    zoo = replace(params.zoo, steps=6, batch_size=4, micro_batches=2, checkpoint_every=2, monitor_every=3,
                  monitor_prompts=9, warmup_steps=1, calibrate=False, max_distance=0.0)
    return replace(params, zoo=zoo, model=replace(params.model, dtype="float32"))


def pytest_collection_modifyitems(items):
    # One thread per test process: `make test` runs one pytest-xdist worker per core beside the pipelines'
    # stage processes, and more threads only compete for the cores (a tiny model's 40 steps took 3-19 s with
    # two threads under that load, 2 s with one).
    torch.set_num_threads(1)
