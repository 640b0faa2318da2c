"""The authors' data end to end: the whole pipeline on their layout (the sample beside the project), with their
benchmark files taken as they are. Skips where the sample is absent (it is never copied into the project)."""

import json

import pytest

from conftest import SAMPLE
from inprocess import run_as_commands, run_in_process
from poser_lib.config import load_params
from poser_lib.scenarios.layout import Quirks, read_benchmark
from poser_lib.scenarios.policies import COMBINATIONS

needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"the authors' sample is not at {SAMPLE}")


@needs_sample
def test_their_benchmark_files_read_one_record_per_prompt():
    quirks = Quirks()
    sets = {c: read_benchmark(SAMPLE, c, quirks) for c in COMBINATIONS}
    for combo, recs in sets.items():
        raw = json.loads((SAMPLE / "data" / "benchmark" / f"{combo}.json").read_text())
        assert len(recs) == len({r["prompt"] for r in raw}) and recs
        assert not any(r.oversight_is_poor for r in recs)  # the authors' sets hold no poor-oversight prompt
    assert quirks.counts["repeated_benchmark_prompt"] == sum(
        len(json.loads((SAMPLE / "data" / "benchmark" / f"{c}.json").read_text())) - len(sets[c]) for c in sets)


@needs_sample
@pytest.mark.slow
def test_the_whole_pipeline_runs_on_their_data_with_their_benchmark(tmp_path):
    """Every stage that reads prompts, on their data: the import, the zoo, their benchmark taken as it is, every
    strategy, the control, the evaluator, the removal experiment, and the saliency figure's reading of their
    oversight facts, in this process (`inprocess`), then the two notebooks that show records. The smoke test runs
    every stage through DVC, and the other notebooks, which show only the stages' tables."""
    from poser_lib.figures import saliency_example
    from poser_lib.paths import Paths
    from poser_lib.smoke import prepare

    # Their prompts are longer than ours: room for them, so that their benchmark's cued prompts are kept.
    prepare(tmp_path, overlay={"data": {"source": "poser", "poser_dir": str(SAMPLE)},
                               "benchmark": {"source": "poser"},
                               "tokenizer": {"max_prompt_tokens": 600}, "model": {"tiny": {"max_positions": 640}},
                               "generalization": {"unseen_paraphrases": False, "evasive_fakers": False}})
    ran = run_in_process(tmp_path, "generalization", "removal", "report")
    # The two notebooks that show records, not tables: their examples and their benchmark sets.
    run_as_commands(tmp_path, "notebook_scenarios", "notebook_benchmark")
    assert (tmp_path / "runs" / "01_scenarios.ipynb").is_file() and (tmp_path / "runs" / "03_benchmark.ipynb").is_file()
    assert {f"strategy@{name}" for name in load_params(tmp_path / "params.yaml").strategies} <= set(ran)
    manifest = json.loads((tmp_path / "data" / "scenarios" / "manifest.json").read_text())
    assert manifest["policies"]["genie"]["test"] == len(json.loads(
        (SAMPLE / "data" / "training" / "genie" / "test.json").read_text()))
    summary = json.loads((tmp_path / "data" / "benchmark" / "summary.json").read_text())
    for combo in COMBINATIONS:
        theirs = read_benchmark(SAMPLE, combo, Quirks())
        kept = json.loads((tmp_path / "data" / "benchmark" / f"{combo}.json").read_text())
        # As they are: every prompt of theirs that fits max_prompt_tokens, none filtered by our models.
        assert summary[combo]["benchmark"] == summary[combo]["candidates"] == len(kept) <= len(theirs)
        assert {r["prompt"] for r in kept} <= {r.prompt for r in theirs}
    strategies = json.loads((tmp_path / "metrics" / "strategies.json").read_text())
    assert "noise_injection/gaussian" in strategies and "ensemble/logistic" in strategies
    general = json.loads((tmp_path / "metrics" / "generalization.json").read_text())
    assert general["unseen_paraphrases"] == {"enabled": False, "switch": "generalization.unseen_paraphrases"}
    assert json.loads((tmp_path / "metrics" / "removal.json").read_text())["fakers"] > 0
    # The figure notebook's saliency example: their oversight fact found in their prompt's tokens.
    example = saliency_example(Paths(tmp_path), "genie_and_money", ["genie-1", "money_maximizer-1"])
    assert any(example["critical"]) and not all(example["critical"])
    assert all(len(s) == len(example["tokens"]) for s in example["saliency"].values())
