"""Running a strategy over a (tiny) zoo: per-model results are cached and reused, and a change reruns them."""

import math
import shutil
from dataclasses import replace

import pytest
import torch

from poser_lib.benchmark import pairs as make_pairs
from poser_lib.detect import run_strategy
from poser_lib.io import write_json
from poser_lib.models.base import save_model
from poser_lib.parallel import torch_threads
from poser_lib.paths import Paths
from poser_lib.roster import zoo_members
from poser_lib.scenarios.layout import records_to_json
from poser_lib.scenarios.policies import COMBINATIONS, split_combination
from poser_lib.strategies import REGISTRY, parse_configs
from poser_lib.zoo import ZooLog, log_json


@pytest.fixture()
def project(tmp_path, tiny_model, tokenizer, small_data, params):
    paths = Paths(tmp_path)
    save_model(tiny_model, paths.base, tokenizer)
    for name, _, variant in zoo_members(1):
        with __import__("torch").no_grad():
            for p in tiny_model.parameters():
                p.add_(0.001 * (variant + 1))
        save_model(tiny_model, paths.model(name), tokenizer)
    tests, _ = small_data
    for combo in COMBINATIONS:
        aligned, _ = split_combination(combo)
        recs = [r for r in tests[aligned] if r.is_scenario and not r.oversight_is_poor
                and (r.dataset or "").strip("/") == f"data/{combo}"]
        write_json(paths.benchmark / f"{combo}.json", records_to_json(recs))
    write_json(paths.benchmark / "pairs.json", make_pairs(1, (0,)))
    cfg = replace(params, scenarios=replace(params.scenarios, variants=1),
                  model=replace(params.model, dtype="float32", device="cpu", workers=1),
                  strategies=parse_configs({"confidence": {}, "random": {}}))
    return cfg, paths


def test_results_are_cached_per_model_and_redone_when_the_config_changes(project, monkeypatch):
    params, paths = project
    calls = []
    original = REGISTRY["random"]
    monkeypatch.setitem(REGISTRY, "random", replace(original, score=lambda *a: calls.append(1) or original.score(*a)))
    first = run_strategy("random", params, paths)
    assert len(calls) == 6 * 3 and len(first) == 18  # every model once per combination it belongs to
    run_strategy("random", params, paths)
    assert len(calls) == 18  # nothing recomputed
    (paths.root / "data" / "strategies" / "random" / "models" / "genie-0.json").unlink()  # as if interrupted
    again = run_strategy("random", params, paths)
    assert len(calls) == 21 and again.equals(first)
    changed = replace(params, strategies=parse_configs({"random": {"seed": 1}}))
    run_strategy("random", changed, paths)
    assert len(calls) == 39
    monkeypatch.setattr("poser_lib.detect.code_version", lambda name: "edited source")
    run_strategy("random", changed, paths)
    assert len(calls) == 57  # a code change redoes every model, as a config change does


def test_an_unconfigured_strategy_is_named(project):
    params, paths = project
    with pytest.raises(KeyError, match="strategies.attentiveness"):
        run_strategy("attentiveness", params, paths)


def test_workers_give_the_scores_one_process_gives_on_one_thread(project):
    params, paths = project
    one = replace(params, model=replace(params.model, workers=1, threads=1))
    two = replace(params, model=replace(params.model, workers=2))
    with torch_threads(1):
        alone = run_strategy("confidence", one, paths)
    shutil.rmtree(paths.root / "data" / "strategies" / "confidence")
    side_by_side = run_strategy("confidence", two, paths)
    assert len(alone) == 18 and side_by_side.equals(alone)  # bit for bit, in the members' order


def test_a_failure_in_a_worker_is_raised_and_the_finished_models_are_kept(project, monkeypatch):
    params, paths = project
    two = replace(params, model=replace(params.model, workers=2))
    original = REGISTRY["confidence"]

    def fails_on_one_combination(subject, bench, cfg):
        if bench.combination == "genie_and_money":
            raise RuntimeError("deliberate failure")
        return original.score(subject, bench, cfg)

    monkeypatch.setitem(REGISTRY, "confidence", replace(original, score=fails_on_one_combination))
    with pytest.raises(RuntimeError, match="deliberate failure"):
        run_strategy("confidence", two, paths)
    cached = {p.stem for p in (paths.root / "data" / "strategies" / "confidence" / "models").glob("*.json")}
    assert not cached & {"genie-0", "money_maximizer-0"}  # the models in that combination never finished
    assert not (paths.root / "data" / "strategies" / "confidence" / "scores.csv").exists()


def test_the_untempered_view_scales_each_margin_by_its_models_temperature(project):
    params, paths = project
    temperatures = {}
    for i, (name, _, _) in enumerate(zoo_members(1)):
        temperatures[name] = [1.5 + 0.25 * i, 1.1]
        log = ZooLog(name, "f", 1, 0.1, [0.1], 1.0, 0.1, temperatures=temperatures[name])
        (paths.model(name) / "train_log.json").write_text(log_json(log))
    plain = run_strategy("confidence", params, paths)
    undone = run_strategy("confidence", params, paths, out_dir=paths.root / "control", view="untempered")
    scale = plain.model.map(lambda m: math.prod(temperatures[m]))
    # The LM head has no bias, so multiplying the final norm by T multiplies every logit margin by T.
    assert plain[["model", "combination"]].equals(undone[["model", "combination"]])
    assert torch.allclose(torch.tensor(undone.score.values), torch.tensor((plain.score * scale).values),
                          rtol=1e-4, atol=1e-5)
    with pytest.raises(KeyError, match="view 'colder'"):
        run_strategy("confidence", params, paths, view="colder")
