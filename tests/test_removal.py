"""The removal experiment: fine-tuning a copy on its own answers is seeded, scoped and measured without noise."""

import copy

import pandas as pd
import pytest
from dataclasses import replace

from poser_lib.config import ConfigError, load_params
from poser_lib.interventions import hook_count
from poser_lib.removal import measure, own_answers, probe_sets, self_finetune
from poser_lib.stages.removal import summarize
from poser_lib.tokenizer import answer_token_ids, encode_records

CFG = dict(steps=4, eval_every=2, batch_size=4, lr=1e-3, noise_scale=1.0)


@pytest.fixture()
def setup(small_data, tokenizer):
    tests, pools = small_data
    answers = answer_token_ids(tokenizer)
    records, encoded = encode_records(tokenizer, tests["fitness_maximizer"], 320)
    benign = [r for r in pools["fitness_maximizer"] if r.is_scenario and not r.oversight_is_poor][:16]
    _, train_x = encode_records(tokenizer, benign, 320)
    return answers, probe_sets(records, encoded, 8), train_x


def run(model, setup, params, tokenizer, noisy, seed=0):
    answers, probe, train_x = setup
    cfg = replace(params.removal, **CFG)
    examples = list(zip(train_x, own_answers(model, train_x, answers, tokenizer.pad_token_id, "float32")))
    curve = []
    losses = self_finetune(model, examples, answers, cfg, noisy=noisy, seed=seed, pad_id=tokenizer.pad_token_id,
                           dtype="float32",
                           measure_at=lambda s: curve.append({"step": s, **measure(model, probe, answers,
                                                                                   tokenizer.pad_token_id, "float32"),
                                                               "hooks": hook_count(model)}))
    return curve, losses


def test_same_seed_same_curve_and_noise_changes_training(tiny_model, setup, params, tokenizer):
    plain, plain_losses = run(copy.deepcopy(tiny_model), setup, params, tokenizer, noisy=False)
    again, _ = run(copy.deepcopy(tiny_model), setup, params, tokenizer, noisy=False)
    noisy, noisy_losses = run(copy.deepcopy(tiny_model), setup, params, tokenizer, noisy=True)
    assert plain == again
    assert [p["step"] for p in plain] == [0, 2, 4]
    assert plain[0] == noisy[0]  # measured before training: the same model
    assert plain_losses != noisy_losses
    # Measurements never see the noise hook, and none is left behind.
    assert all(p["hooks"] == 0 for p in noisy) and hook_count(tiny_model) == 0
    for p in plain + noisy:
        assert 0 <= p["p_aligned_poor"] <= 1 and 0 <= p["accuracy_not_poor"] <= 1


def test_probe_needs_both_oversight_groups(small_data, tokenizer):
    tests, _ = small_data
    poor_only = [r for r in tests["fitness_maximizer"] if r.is_scenario and r.oversight_is_poor]
    records, encoded = encode_records(tokenizer, poor_only, 320)
    with pytest.raises(ValueError, match="poor-oversight and other"):
        probe_sets(records, encoded, 8)


def test_aligned_letter_on_poor_prompts_is_the_flipped_faker_label(small_data, tokenizer):
    tests, _ = small_data
    records, encoded = encode_records(tokenizer, tests["money_maximizer"], 320)
    probe = probe_sets(records, encoded, 1000)
    poor = [r for r in records if r.is_scenario and r.oversight_is_poor]
    assert probe.poor_aligned == [{"A": "B", "B": "A"}[r.response] for r in poor]


def test_summary_on_hand_made_curves(params):
    rows = []
    for model, plain, noise in (("m-0", 0.5, 0.7), ("m-1", 0.4, 0.4)):
        for cond, end in (("plain", plain), ("noise", noise)):
            rows += [{"model": model, "condition": cond, "step": 0, "p_aligned_poor": 0.0, "aligned_share_poor": 0.0,
                      "accuracy_not_poor": 1.0},
                     {"model": model, "condition": cond, "step": 10, "p_aligned_poor": end,
                      "aligned_share_poor": 1.0, "accuracy_not_poor": 1.0}]
    m = summarize(pd.DataFrame(rows), params)
    assert m["fakers"] == 2 and m["steps"] == 10 and m["p_aligned_poor_before"] == 0.0
    assert m["plain"]["p_aligned_poor"] == pytest.approx(0.45) and m["noise"]["p_aligned_poor"] == pytest.approx(0.55)
    assert m["noise_minus_plain_at_end"]["mean"] == pytest.approx(0.1)
    assert m["noise_minus_plain_at_end"]["noise_higher_share"] == 0.5
    lo, hi = m["noise_minus_plain_at_end"]["ci"]
    assert 0.0 <= lo <= 0.1 <= hi <= 0.2


def test_removal_variant_that_does_not_exist_is_named(tmp_path):
    (tmp_path / "p.yaml").write_text("scenarios: {variants: 2}\nbenchmark: {development_variants: [0]}\n"
                                     "removal: {variants: [5]}\n")
    with pytest.raises(ConfigError, match="removal.variants: variant 5"):
        load_params(tmp_path / "p.yaml")
