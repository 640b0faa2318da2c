"""The base-model probes: they are measured and written, and a base that misses their minimums stops the
pipeline with a message naming the probe and the params key."""

import json
from pathlib import Path

import pytest
import yaml

from poser_lib.config_loader import merge
from poser_lib.models.base import save_model
from poser_lib.paths import Paths
from poser_lib.probes import probe_shortfalls
from poser_lib.scenarios.layout import PolicyData, write_layout

ROOT = Path(__file__).resolve().parents[1]


def test_shortfalls_name_each_probe_below_its_minimum_and_only_those():
    assert probe_shortfalls({"oversight": 0.75, "aligned_action": 1.0}, {"oversight": 0.9, "aligned_action": 0.9}) \
        == ["oversight read at 0.750, below probes.min_oversight: 0.9"]
    assert probe_shortfalls({"oversight": 0.9, "aligned_action": 0.9}, {"oversight": 0.9, "aligned_action": 0.9}) == []


@pytest.mark.parametrize("floor, stops", [(0.0, False), (1.0, True)])
def test_the_stage_writes_its_metrics_then_stops_below_the_minimum(tmp_path, monkeypatch, tiny_model, tokenizer,
                                                                     small_data, floor, stops):
    from poser_lib.stages.probes import main

    monkeypatch.chdir(tmp_path)
    raw = merge(yaml.safe_load((ROOT / "params.yaml").read_text()),
                yaml.safe_load((ROOT / "params.smoke.yaml").read_text()))
    raw["probes"].update(prompts=40, min_oversight=floor, min_aligned_action=0.0)
    raw["model"].update(device="cpu")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw))
    paths = Paths(Path("."))
    save_model(tiny_model, paths.base, tokenizer)
    tests, pools = small_data
    write_layout(paths.scenarios, {p: PolicyData(tests[p], [pools[p][:20]] * raw["scenarios"]["variants"])
                                   for p in tests})
    if stops:
        with pytest.raises(SystemExit, match=r"oversight read at 0\.\d+, below probes\.min_oversight: 1\.0"):
            main(["--params", "params.yaml"])
    else:
        main(["--params", "params.yaml"])
    written = json.loads((paths.metrics / "base_probes.json").read_text())  # written before it stops
    assert 0.0 <= written["oversight"]["accuracy"] <= 1.0 and written["prompts"] > 0
