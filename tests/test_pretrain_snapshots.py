"""Weight snapshots of pretraining and the probes' curve over them: a snapshot is exactly the base a shorter run
would have made, taking snapshots changes nothing, and the probes stage reads every one."""

import json
import shutil
from pathlib import Path

import pytest
import yaml
from safetensors.torch import load_file

from inprocess import exit_hooks_now
from poser_lib.config_loader import merge
from poser_lib.models.base import load_model, weights_hash
from poser_lib.models.checkpoint import snapshot_step
from poser_lib.paths import Paths
from poser_lib.scenarios.layout import PolicyData, write_layout

ROOT = Path(__file__).resolve().parents[1]


def pipeline_folder(folder: Path, tokenizer, small_data, **pretrain) -> Paths:
    """A folder with smoke params (pretrain overridden), a tokenizer, corpus and scenario files."""
    raw = merge(yaml.safe_load((ROOT / "params.yaml").read_text()),
                yaml.safe_load((ROOT / "params.smoke.yaml").read_text()))
    raw["pretrain"].update(pretrain)
    raw["probes"].update(prompts=40)
    raw["model"].update(device="cpu")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "params.yaml").write_text(yaml.safe_dump(raw))
    paths = Paths(folder)
    tokenizer.save_pretrained(paths.tokenizer)
    tests, pools = small_data
    write_layout(paths.corpus_scenarios, {p: PolicyData([], [pools[p]]) for p in pools})
    write_layout(paths.scenarios, {p: PolicyData(tests[p], [pools[p][:20]] * raw["scenarios"]["variants"])
                                   for p in tests})
    return paths


def run_stage(monkeypatch, folder: Path, stage: str) -> None:
    import importlib

    monkeypatch.chdir(folder)
    with exit_hooks_now():  # its time is logged in `folder`, not where the test process exits
        importlib.import_module(f"poser_lib.stages.{stage}").main(["--params", "params.yaml"])


def snapshot_hash(path: Path, like: Path) -> str:
    model = load_model(like, "cpu")
    model.load_state_dict(load_file(str(path)))
    return weights_hash(model)


def test_a_snapshot_is_the_base_of_a_shorter_run_and_taking_them_changes_nothing(tmp_path, monkeypatch, tokenizer,
                                                                                 small_data):
    runs = {"snap": dict(steps=6, snapshot_every=2), "plain": dict(steps=6, snapshot_every=0),
            "short": dict(steps=4, snapshot_every=0)}
    paths = {}
    for name, pretrain in runs.items():
        paths[name] = pipeline_folder(tmp_path / name, tokenizer, small_data, **pretrain)
        run_stage(monkeypatch, tmp_path / name, "base")
    snaps = sorted((paths["snap"].base / "snapshots").glob("*.safetensors"))
    assert [snapshot_step(s) for s in snaps] == [2, 4]  # the last step is the base itself
    assert not (paths["plain"].base / "snapshots").exists()
    assert not (tmp_path / "snap" / "data" / "checkpoints").exists() or \
        not any((tmp_path / "snap" / "data" / "checkpoints").iterdir())
    base = lambda name: weights_hash(load_model(paths[name].base, "cpu"))  # noqa: E731
    assert base("snap") == base("plain")
    assert snapshot_hash(snaps[1], paths["snap"].base) == base("short")
    assert snapshot_hash(snaps[0], paths["snap"].base) != base("short")


def test_the_probes_stage_reads_every_snapshot_then_the_base(tmp_path, monkeypatch, tokenizer, small_data):
    pipeline_folder(tmp_path, tokenizer, small_data, steps=6, snapshot_every=2)
    run_stage(monkeypatch, tmp_path, "base")
    run_stage(monkeypatch, tmp_path, "probes")
    probes = json.loads((tmp_path / "metrics" / "base_probes.json").read_text())
    curve = probes["curve"]
    assert [p["step"] for p in curve] == [2, 4, 6]
    for name in ("oversight", "aligned_action"):
        assert curve[-1][name] == probes[name]["accuracy"]
        assert curve[-1][f"{name}_per_layer"] == probes[name]["test_accuracy"]
        assert all(0.0 <= p[name] <= 1.0 and len(p[f"{name}_per_layer"]) == 3 for p in curve)


def test_a_file_without_a_step_is_refused_by_name(tmp_path, monkeypatch, tokenizer, small_data):
    paths = pipeline_folder(tmp_path, tokenizer, small_data, steps=4, snapshot_every=2)
    run_stage(monkeypatch, tmp_path, "base")
    stray = paths.base / "snapshots" / "step-000003.safetensors"
    shutil.copyfile(paths.base / "model.safetensors", stray)  # weights, but not the metadata of a snapshot
    with pytest.raises(SystemExit, match="step-000003.safetensors has no step"):
        run_stage(monkeypatch, tmp_path, "probes")


def test_a_snapshot_of_the_same_weights_is_the_same_file_and_old_snapshots_still_read(tmp_path):
    """safetensors writes its metadata map in hash order, which varies between calls: a snapshot keeps one key."""
    import torch
    from safetensors.torch import save_file

    from poser_lib.models.checkpoint import save_snapshot

    model = torch.nn.Linear(3, 2)
    files = [tmp_path / f"s{i}.safetensors" for i in range(12)]
    for f in files:
        save_snapshot(f, model, "abc", 250)
    assert len({f.read_bytes() for f in files}) == 1
    assert snapshot_step(files[0], "abc") == 250 and snapshot_step(files[0], "other") is None
    old = tmp_path / "old.safetensors"  # written before 2026-11-29: two metadata keys
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(old),
              metadata={"fingerprint": "abc", "step": "500"})
    assert snapshot_step(old, "abc") == 500 and snapshot_step(old, "other") is None
