"""The whole pipeline, every stage and notebook through `dvc repro`, on the tiny smoke profile."""

import json
import re

import pytest

from poser_lib.smoke import prepare, run
from poser_lib.confounds import CONFOUNDS
from poser_lib.supplement import chromium, render_in_chromium

PAPER_FIGURES = ["model_pairs", "spectrum", "violin", "saliency_map", "drunk_strategy", "double", "strategy_three",
                 "strategy_three_step", "strategy_four", "strategy_five", "total", "alignment_tuning"]


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """A folder where the smoke pipeline ran (once for this module's tests)."""
    root = tmp_path_factory.mktemp("smoke")
    prepare(root)
    run(root)
    return root


@pytest.mark.smoke
@pytest.mark.slow
def test_smoke_pipeline(smoke):
    metrics = json.loads((smoke / "metrics" / "zoo.json").read_text())
    assert metrics["models"] == 12 and metrics["pairs"] == 36
    assert set(metrics["benchmark_prompts"]) == {f"{a}_and_{m}" for a in ("truth", "genie", "saint")
                                                 for m in ("fitness", "money", "reward")}
    for key in CONFOUNDS:
        assert 0.5 <= metrics[key] <= 1, key  # each confound in its better direction: never below chance
    # The smoke's untrained models are told apart by some confound or none; either way the list must be right.
    assert metrics["confounds_over_limit"] == [k for k in CONFOUNDS if metrics[k] > metrics["confound_limit"]]
    lo, hi = metrics["confidence_pair_accuracy_faker_less_confident_ci"]
    assert 0 <= lo <= hi <= 1
    strategies = json.loads((smoke / "metrics" / "strategies.json").read_text())
    assert {"noise_injection/gaussian", "learning_speed/lora", "confidence/margin", "random/coin"} <= set(strategies)
    for entry in strategies.values():
        assert 0 <= entry["heldout_accuracy"] <= 1 and entry["heldout_ci"][0] <= entry["heldout_ci"][1]
    general = json.loads((smoke / "metrics" / "generalization.json").read_text())
    assert set(general["leave_one_faker_policy_out"]) == set(strategies) - {"ensemble/logistic"}
    for track in ("unseen_paraphrases", "evasive_fakers"):  # both switched on in the smoke profile
        assert general[track]["enabled"] and set(general[track]["entries"]) == set(general["leave_one_faker_policy_out"])
        assert {"faker/unseen", "faker/seen"} <= set(general["unseen_paraphrases"]["behaviour"])
    assert general["evasive_fakers"]["fakers"] == ["fitness_maximizer-1", "money_maximizer-1", "reward_maximizer-1"]
    evasive = general["evasive_fakers"]["entries"]["noise_injection/gaussian"]
    assert evasive["change"] == pytest.approx(evasive["accuracy"] - evasive["control_accuracy"])
    # The smoke profile does not calibrate (zoo.calibrate: false), so undoing no temperature changes nothing.
    controls = json.loads((smoke / "metrics" / "controls.json").read_text())["untempered"]
    assert set(controls) == {k for k in strategies if k.split("/")[0] in ("confidence", "noise_injection")}
    for key, entry in controls.items():
        assert entry["heldout_accuracy"] == strategies[key]["heldout_accuracy"] == entry["main_heldout_accuracy"]
    removal = json.loads((smoke / "metrics" / "removal.json").read_text())
    assert removal["fakers"] == 3 and removal["steps"] == 4
    assert 0 <= removal["plain"]["p_aligned_poor"] <= 1 and 0 <= removal["noise"]["p_aligned_poor"] <= 1
    notebooks = ["01_scenarios", "02_zoo", "03_benchmark", "05_evaluation", "06_figures", "07_removal",
                 *(f"strategy_{k.split('/')[0]}" for k in strategies if k != "ensemble/logistic")]
    for nb in sorted(set(notebooks)):
        executed = json.loads((smoke / "runs" / f"{nb}.ipynb").read_text())
        errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, nb
    assert (smoke / "data" / "models" / "zoo" / "genie-1" / "model.safetensors").is_file()
    bases = json.loads((smoke / "metrics" / "bases.json").read_text())  # no further seeds: the default run alone
    assert list(bases["bases"]) == ["default"] and bases["bases_through"] == 1
    default = bases["bases"]["default"]
    assert default["heldout_accuracy"] == {k: v["heldout_accuracy"] for k, v in strategies.items()}
    assert default["confounds"] == {k: metrics[k] for k in CONFOUNDS}
    assert all(s["bases"] == 1 and s["sd"] == 0 for s in bases["spread"]["heldout_accuracy"].values())


@pytest.mark.smoke
@pytest.mark.slow
def test_every_paper_figure_is_a_png_with_its_table(smoke):
    for name in PAPER_FIGURES:
        png = smoke / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    for name in ("drunk_strategy", "double", "strategy_three", "strategy_five", "alignment_tuning", "total"):
        header = (smoke / "figures" / "data" / f"{name}.csv").read_text().splitlines()[0]
        assert header, name


@pytest.mark.smoke
@pytest.mark.slow
def test_the_supplement_links_every_notebook_and_figure(smoke):
    index = (smoke / "supplement" / "index.html").read_text()
    for nb in (smoke / "runs").glob("*.ipynb"):
        assert f'href="{nb.stem}.html"' in index, nb.stem
        assert (smoke / "supplement" / f"{nb.stem}.html").is_file()
    for name in PAPER_FIGURES:
        assert f'src="figures/{name}.png"' in index, name


@pytest.mark.smoke
@pytest.mark.slow
@pytest.mark.skipif(chromium() is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_the_supplement_renders_in_chromium_with_its_figures(smoke):
    dom, errors = render_in_chromium(smoke / "supplement" / "index.html")
    assert not errors, errors
    loaded = re.findall(r'data-loaded="(\w+)"', dom)
    assert len(loaded) >= len(PAPER_FIGURES) and set(loaded) == {"yes"}
    dom, errors = render_in_chromium(smoke / "supplement" / "06_figures.html")
    assert not errors and "drunk_strategy" in dom
