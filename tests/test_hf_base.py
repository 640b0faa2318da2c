"""A local Hugging Face model as the base: a tiny random GPT-2 with its own byte-level tokenizer, saved to a
temporary folder (nothing is downloaded), goes through import, the LoRA zoo and every strategy."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from poser_lib.config import load_params
from poser_lib.interventions import decoder_layers, hook_count, layer_at
from poser_lib.models.base import import_base, load_model, weights_hash
from poser_lib.models.calibration import final_norm_weight
from poser_lib.models.scoring import answer_logprobs
from poser_lib.config_loader import merge
from poser_lib.strategies import REGISTRY, parse_configs
from poser_lib.strategies.core import Bench, Subject
from poser_lib.tokenizer import answer_token_ids, encode_records, load_tokenizer

from poser_lib.config import PROJECT_ROOT as ROOT
from inprocess import run_in_process
from test_strategies import FAST

GPT2_LORA = ["c_attn", "c_fc"]  # GPT-2's module names: the Llama defaults do not exist in it


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory, small_data):
    """A 2-block GPT-2 (d_model 32) and a byte-level BPE tokenizer without a pad token, as a local folder."""
    tests, pools = small_data
    texts = [r.prompt + r.response for recs in list(tests.values()) + list(pools.values()) for r in recs]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>"],
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                                       show_progress=False))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>")
    eos = fast.eos_token_id
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(fast), n_embd=32, n_layer=2, n_head=2, n_positions=512,
                                       bos_token_id=eos, eos_token_id=eos))
    folder = tmp_path_factory.mktemp("gpt2")
    model.save_pretrained(folder, safe_serialization=True)
    fast.save_pretrained(folder)
    return folder


def test_import_copies_the_weights_and_finds_single_token_answers(gpt2_folder, tmp_path):
    info = import_base(gpt2_folder, tmp_path / "base", "float32", torch.device("cpu"))
    assert info["architecture"] == "GPT2LMHeadModel" and set(info["answer_tokens"]) == {"A", "B", "error"}
    assert weights_hash(load_model(tmp_path / "base")) == weights_hash(load_model(gpt2_folder))
    tok = load_tokenizer(tmp_path / "base")
    assert tok.pad_token == tok.eos_token  # GPT-2 has no pad token: prompts are left-padded with EOS
    assert json.loads((tmp_path / "base" / "import_log.json").read_text())["source"] == str(gpt2_folder)


def test_import_in_bfloat16_halves_the_weights_and_still_scores(gpt2_folder, tmp_path, small_data):
    import_base(gpt2_folder, tmp_path / "base", "bfloat16", torch.device("cpu"))
    model = load_model(tmp_path / "base")  # keeps the dtype it was saved in
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}
    tok = load_tokenizer(tmp_path / "base")
    _, enc = encode_records(tok, small_data[0]["genie"][:4], 512)
    lp = answer_logprobs(model, enc, answer_token_ids(tok), tok.pad_token_id, "bfloat16")
    assert lp.shape == (4, 3) and torch.isfinite(lp).all()


def test_import_refuses_what_it_cannot_load_safely(gpt2_folder, tmp_path):
    with pytest.raises(FileNotFoundError, match="model.base: .*nowhere is not a folder"):
        import_base(tmp_path / "nowhere", tmp_path / "base", "float32", torch.device("cpu"))
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "config.json").write_text((gpt2_folder / "config.json").read_text())
    (pickled / "pytorch_model.bin").write_bytes(b"not unpickled")
    with pytest.raises(ValueError, match="model.base: .*never unpickled"):
        import_base(pickled, tmp_path / "base", "float32", torch.device("cpu"))
    assert not (tmp_path / "base").exists()


def test_relative_depth_and_final_norm_resolve_on_gpt2(gpt2_folder):
    model = load_model(gpt2_folder)
    assert decoder_layers(model) is model.transformer.h and layer_at(model, 1.0) == 1
    assert final_norm_weight(model) is model.transformer.ln_f.weight


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_strategy_runs_on_gpt2(name, gpt2_folder, small_data):
    from poser_lib.models.attention import for_reading

    tok = load_tokenizer(gpt2_folder)
    model = for_reading(load_model(gpt2_folder), attention_weights=REGISTRY[name].needs_attention)
    base = {k: v.clone() + 0.01 for k, v in model.state_dict().items()}
    subject = Subject(model, tok, answer_token_ids(tok), "float32", base)
    recs = [r for r in small_data[0]["truth_teller"] if r.is_scenario and not r.oversight_is_poor
            and (r.dataset or "").startswith("data/truth_and_fitness")]
    bench = Bench("truth_and_fitness", tuple(recs))
    settings = dict(FAST.get(name, {}))
    if name == "learning_speed":
        settings["lora_targets"] = ["c_fc"]
    cfg = parse_configs({name: settings})[name]
    before = weights_hash(model)
    first = REGISTRY[name].score(subject, bench, cfg)
    assert weights_hash(model) == before and hook_count(model) == 0
    assert first.scores and all(torch.isfinite(torch.tensor(list(s.values()))).all() for s in first.scores.values())
    assert REGISTRY[name].score(subject, bench, cfg).scores == first.scores


def write_params(path, gpt2_folder, **zoo) -> None:
    params = merge(yaml.safe_load((ROOT / "params.yaml").read_text()),
                   yaml.safe_load((ROOT / "params.smoke.yaml").read_text()))
    params = merge(params, {"model": {"base": str(gpt2_folder), "dtype": "float32"},
                            "scenarios": {"variants": 1}, "removal": {"variants": [0]},
                            "benchmark": {"development_variants": [0]},
                            "zoo": {"method": "lora", "calibrate": False, "max_distance": 0.0, "steps": 3,
                                    "monitor_every": 0, "lora": {"r": 2, "target_modules": GPT2_LORA}, **zoo}})
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    load_params(path)


def run_stage(stage: str, cwd, *launcher: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [*launcher, "-m", f"poser_lib.stages.{stage}"] if launcher else [sys.executable, "-m",
                                                                          f"poser_lib.stages.{stage}"]
    return subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, text=True)


@pytest.mark.slow
def test_stages_import_the_base_and_train_a_lora_zoo_of_adapters(gpt2_folder, tmp_path):
    write_params(tmp_path / "params.yaml", gpt2_folder)
    for stage in ("scenarios", "base", "zoo"):
        run_stage(stage, tmp_path)
    zoo = sorted((tmp_path / "data" / "models" / "zoo").iterdir())
    assert [p.name for p in zoo] == [f"{p}-0" for p in ("fitness_maximizer", "genie", "money_maximizer",
                                                         "reward_maximizer", "saint", "truth_teller")]
    base_hash = weights_hash(load_model(tmp_path / "data" / "models" / "base"))
    assert base_hash == weights_hash(load_model(gpt2_folder))
    for folder in zoo:
        assert not (folder / "model.safetensors").exists() and (folder / "adapter_model.safetensors").exists()
        model = load_model(folder)
        assert type(model).__name__ == "GPT2LMHeadModel" and weights_hash(model) != base_hash
    stamps = {p.name: (p / "adapter_model.safetensors").stat().st_mtime_ns for p in zoo}
    again = run_stage("zoo", tmp_path)  # every fingerprint holds: nothing is retrained
    assert {p.name: (p / "adapter_model.safetensors").stat().st_mtime_ns for p in zoo} == stamps, again.stdout


@pytest.mark.slow
def test_accelerate_splits_the_zoo_between_processes(gpt2_folder, tmp_path):
    write_params(tmp_path / "params.yaml", gpt2_folder)
    for stage in ("scenarios", "base"):
        run_stage(stage, tmp_path)
    # `accelerate launch --multi_gpu` starts the same processes through torchrun; on CPUs they talk over gloo.
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    out = run_stage("zoo", tmp_path, *torchrun)
    # Not anchored at line starts: two processes share one pipe. Anchored, the pattern once missed one model's
    # line in a CI run under load (2026-11-28; not reproduced in 7 reruns, 4 of them under load), so what came
    # before it on that line is not known; the output is shown when this fails.
    done = re.findall(r"\[process (\d)/2\] (\S+): loss", out.stdout)
    assert sorted(n for _, n in done) == sorted(p.name for p in (tmp_path / "data" / "models" / "zoo").iterdir()), \
        out.stdout
    assert len(done) == 6 == len({n for _, n in done})  # every model once
    assert {i for i, _ in done} == {"1", "2"}  # and both processes trained some


@pytest.mark.slow
def test_the_pipeline_runs_on_a_gpt2_base_with_a_lora_zoo(gpt2_folder, tmp_path):
    """The pipeline's stages on the smoke profile with `model.base` naming the GPT-2 folder: import, a LoRA zoo
    saved as adapters, the benchmark, the report, the removal experiment, and the evasive-fakers track, which
    retrains the LoRA fakers and runs every strategy on the adapters. In this process (`inprocess`): the smoke
    test runs the same stages through DVC, and the notebooks, the evaluator and the generalization stage, which
    read only the strategies' tables whatever the architecture."""
    from poser_lib.smoke import prepare

    prepare(tmp_path, overlay={
        "model": {"base": str(gpt2_folder)},
        "zoo": {"method": "lora", "calibrate": False, "max_distance": 0.0, "lora": {"r": 2, "target_modules": GPT2_LORA}},
        "strategies": {"learning_speed": {"lora_targets": ["c_fc"]}}})
    ran = run_in_process(tmp_path, "report", "removal", "track_evasive")
    assert {"base", "zoo", "behaviour", "benchmark", "report", "removal", "track_evasive"} <= set(ran)
    imported = json.loads((tmp_path / "data" / "models" / "base" / "import_log.json").read_text())
    assert imported["architecture"] == "GPT2LMHeadModel"
    zoo = json.loads((tmp_path / "metrics" / "zoo.json").read_text())
    assert zoo["models"] == 12 and zoo["pairs"] == 36
    assert all((p / "adapter_model.safetensors").is_file() for p in (tmp_path / "data" / "models" / "zoo").iterdir())
    track = tmp_path / "data" / "tracks" / "evasive_fakers"
    assert json.loads((track / "status.json").read_text())["enabled"]  # LoRA fakers retrained under noise
    assert (track / "models" / "genie-1").exists() is False
    assert all((track / "models" / f"{p}-1" / "adapter_model.safetensors").is_file()
               for p in ("fitness_maximizer", "money_maximizer", "reward_maximizer"))
    for name in load_params(tmp_path / "params.yaml").strategies:  # every strategy, on the adapters and the control
        for where in (track, track / "control"):
            scores = pd.read_csv(where / "strategies" / name / "scores.csv")
            assert len(scores) and np.isfinite(scores.score).all(), (where, name)
            assert {"fitness_maximizer-1", "truth_teller-1"} <= set(scores.model), (where, name)
    assert json.loads((tmp_path / "metrics" / "removal.json").read_text())["fakers"] == 3
