"""The whole pipeline, every stage and notebook through `dvc repro`, on the tiny smoke profile."""

import json

import pytest

from poser_lib.smoke import prepare, run


@pytest.mark.smoke
@pytest.mark.slow
def test_smoke_pipeline(tmp_path):
    prepare(tmp_path)
    run(tmp_path)
    metrics = json.loads((tmp_path / "metrics" / "zoo.json").read_text())
    assert metrics["models"] == 12 and metrics["pairs"] == 36
    assert set(metrics["benchmark_prompts"]) == {f"{a}_and_{m}" for a in ("truth", "genie", "saint")
                                                 for m in ("fitness", "money", "reward")}
    strategies = json.loads((tmp_path / "metrics" / "strategies.json").read_text())
    assert {"noise_injection/gaussian", "learning_speed/lora", "confidence/margin", "random/coin"} <= set(strategies)
    for entry in strategies.values():
        assert 0 <= entry["heldout_accuracy"] <= 1 and entry["heldout_ci"][0] <= entry["heldout_ci"][1]
    notebooks = ["01_scenarios", "02_zoo", "03_benchmark", *(f"strategy_{k.split('/')[0]}" for k in strategies)]
    for nb in sorted(set(notebooks)):
        executed = json.loads((tmp_path / "runs" / f"{nb}.ipynb").read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, nb
    assert (tmp_path / "data" / "models" / "zoo" / "genie-1" / "model.safetensors").is_file()
