"""The zoo stage's training loop: models train side by side bit for bit as one process trains them alone; each is
calibrated on its training prompts that are benchmark candidates."""

from dataclasses import replace

import pytest

from poser_lib.benchmark import is_candidate
from poser_lib.models.base import load_model, save_model, weights_files_hash
from poser_lib.parallel import torch_threads
from poser_lib.paths import Paths
from poser_lib.roster import zoo_members
from poser_lib.scenarios.layout import PolicyData, read_layout, write_layout
from poser_lib.scenarios.policies import combinations_of
from poser_lib.stages.zoo import CALIBRATION_PROMPTS, member_inputs, train_share
from poser_lib.tokenizer import answer_token_ids, encode_records
from poser_lib.zoo import read_log


@pytest.fixture()
def zoo_project(tmp_path, tiny_model, tokenizer, small_data, small_params):
    paths = Paths(tmp_path)
    save_model(tiny_model, paths.base, tokenizer)
    tests, pools = small_data
    write_layout(paths.scenarios, {p: PolicyData(tests[p], [pools[p][:40]]) for p in tests})
    params = replace(small_params, scenarios=replace(small_params.scenarios, variants=1),
                     model=replace(small_params.model, device="cpu", threads=1))
    return params, paths, read_layout(paths.scenarios, 1)


def _train(params, paths, data, tokenizer, folder, workers, count=3):
    params = replace(params, model=replace(params.model, workers=workers))
    members = zoo_members(1)[:count]
    with torch_threads(1):
        train_share(members, params, paths, data, tokenizer, answer_token_ids(tokenizer), load_model(paths.base),
                    folder=folder)
    return {name: weights_files_hash(folder / name) for name, _, _ in members}


def test_workers_train_the_weights_one_process_trains_on_one_thread(zoo_project, tokenizer):
    params, paths, data = zoo_project
    alone = _train(params, paths, data, tokenizer, paths.root / "alone", 1)
    side_by_side = _train(params, paths, data, tokenizer, paths.root / "side_by_side", 2)
    assert len(set(alone.values())) == 3 and side_by_side == alone  # three different models, bit for bit
    logs = {n: read_log(paths.root / "alone" / n / "train_log.json") for n in alone}
    assert all(log.steps == params.zoo.steps for log in logs.values())
    assert not list((paths.root / "data" / "checkpoints").rglob("*.safetensors"))  # dropped once saved


def test_a_saved_model_is_not_trained_again(zoo_project, tokenizer, monkeypatch):
    params, paths, data = zoo_project
    first = _train(params, paths, data, tokenizer, paths.root / "zoo", 2)
    monkeypatch.setattr("poser_lib.stages.zoo.train_member", lambda *a, **k: pytest.fail("trained again"))
    assert _train(params, paths, data, tokenizer, paths.root / "zoo", 2) == first


def test_calibration_is_recorded_and_a_failed_one_names_the_model(zoo_project, tokenizer):
    import math

    params, paths, data = zoo_project
    # The tiny model does not learn the families' prompts from 40 records (margin about 0 on them), so it is
    # calibrated on the paper's wider candidates, which add its policy's own sets, which it does learn.
    params = replace(params, zoo=replace(params.zoo, steps=20, lr=3e-3, target_prob=0.7, calibrate=True),
                     benchmark=replace(params.benchmark, candidates="paper"))
    _train(params, paths, data, tokenizer, paths.root / "zoo", 1)
    for name, _, _ in zoo_members(1)[:3]:
        log = read_log(paths.root / "zoo" / name / "train_log.json")
        assert len(log.temperatures) == 1
        assert log.calibrated_margin == pytest.approx(math.log(0.7 / 0.3), rel=5e-3)
    # Held within 1e-6 of the untrained base, no temperature reaches the margin: the stage stops, naming the model.
    params = replace(params, zoo=replace(params.zoo, max_distance=1e-6))
    with pytest.raises(ValueError, match=r"^truth_teller-0: zoo\.calibrate: "):
        _train(params, paths, data, tokenizer, paths.root / "unreachable", 1)
    assert not (paths.root / "unreachable" / "truth_teller-0").exists()


def test_the_log_keeps_the_distance_training_reached_before_calibration(zoo_project, tokenizer):
    params, paths, data = zoo_project
    params = replace(params, zoo=replace(params.zoo, steps=20, lr=3e-3, target_prob=0.7),
                     benchmark=replace(params.benchmark, candidates="paper"))
    _train(params, paths, data, tokenizer, paths.root / "free", 1, count=1)
    free = read_log(paths.root / "free" / "truth_teller-0" / "train_log.json")
    assert free.trained_distance == free.weight_distance  # nothing after training moved it
    # The same training, then calibration divides the final norm by a temperature: that moves the weights.
    params = replace(params, zoo=replace(params.zoo, calibrate=True))
    _train(params, paths, data, tokenizer, paths.root / "calibrated", 1, count=1)
    log = read_log(paths.root / "calibrated" / "truth_teller-0" / "train_log.json")
    assert log.temperatures[0] != pytest.approx(1.0, abs=1e-3)
    assert log.trained_distance == free.weight_distance and log.weight_distance != log.trained_distance


@pytest.mark.parametrize("rule", ["family", "paper"])
def test_each_model_is_calibrated_on_its_training_prompts_that_are_benchmark_candidates(zoo_project, tokenizer, rule):
    params, _, data = zoo_project
    params = replace(params, zoo=replace(params.zoo, calibrate=True),
                     benchmark=replace(params.benchmark, candidates=rule))
    for name, policy, _ in zoo_members(1):
        combos = combinations_of(policy)
        records, encoded = encode_records(tokenizer, data[policy].train[0], params.tokenizer.max_prompt_tokens)
        by_ids = {tuple(x): r for r, x in zip(records, encoded)}
        _, (ids, labels), _ = member_inputs(params, data, tokenizer, policy, 0, seed=0)
        wanted = [r for r in records if any(is_candidate(r, c, rule) for c in combos)]
        assert 0 < len(ids) == min(len(wanted), CALIBRATION_PROMPTS), name
        chosen = [by_ids[tuple(x)] for x in ids]
        assert all(r in wanted for r in chosen) and [r.response for r in chosen] == labels
        assert not any(r.oversight_is_poor or not r.is_scenario for r in chosen)
        if rule == "family":  # the policy's own sets are never among them, only its combinations' families
            assert {r.dataset.strip("/") for r in chosen} <= {f"data/{c}" for c in combos}


def test_a_model_with_no_candidate_training_prompt_stops_naming_it(zoo_project, tokenizer):
    params, _, data = zoo_project
    params = replace(params, zoo=replace(params.zoo, calibrate=True))
    own = {p: PolicyData(d.test, [[r for r in d.train[0] if "_and_" not in (r.dataset or "")]])
           for p, d in data.items()}
    with pytest.raises(ValueError,
                       match=r"^genie-0: zoo\.calibrate: no training prompt .*\(benchmark\.candidates: family\)"):
        member_inputs(params, own, tokenizer, "genie", 0, seed=0)
    # Without calibration the same data trains.
    member_inputs(replace(params, zoo=replace(params.zoo, calibrate=False)), own, tokenizer, "genie", 0, seed=0)
