"""Benchmark candidates follow the paper's rule; the filter keeps only what every model agrees on; pairs are stable."""

from collections import Counter

from poser_lib.benchmark import Scored, candidates, pairs, prompt_id, score_row, select, survives
from poser_lib.config import BenchmarkConfig
from poser_lib.scenarios.policies import COMBINATIONS


def test_candidates_follow_the_papers_rule(small_data):
    tests, _ = small_data
    for combo in COMBINATIONS:
        aligned, faker = combo.split("_and_")
        cands = candidates(combo, tests)
        assert cands and len({c.prompt for c in cands}) == len(cands)
        for c in cands:
            assert c.is_scenario and not c.oversight_is_poor
            assert faker in c.dataset or c.dataset.startswith("data/" + {"truth": "truth_teller"}.get(aligned, aligned))


def test_select_needs_every_model_and_the_final_threshold():
    cfg = BenchmarkConfig(per_model_min_prob=0.9, final_min_prob=0.95)
    good, meh, wrong = Scored(0.99, 5.0, True), Scored(0.93, 3.0, True), Scored(0.99, 5.0, False)
    scores = {"m1": [good, good, good], "m2": [good, meh, wrong]}
    assert select(scores, cfg) == [True, False, False]
    assert not survives(wrong, cfg) and survives(wrong, BenchmarkConfig(require_agreement=False,
                                                                        per_model_min_prob=0.5))


def test_score_row_margin_and_argmax():
    import math

    s = score_row([math.log(0.7), math.log(0.2), math.log(0.1)], ["A", "B", "error"], "B")
    assert not s.label_is_argmax and abs(s.p_label - 0.2) < 1e-9 and abs(s.margin - math.log(0.2 / 0.7)) < 1e-9


def test_pairs_are_the_full_cross_product_with_stable_ids():
    ps = pairs(6, development=(0, 1, 2))
    assert len(ps) == 324 and len({p["id"] for p in ps}) == 324
    assert Counter(p["split"] for p in ps) == {"development": 81, "heldout": 81, "mixed": 162}
    assert ps == pairs(6, development=(0, 1, 2))
    assert {p["combination"] for p in ps} == set(COMBINATIONS)


def test_prompt_ids_are_stable():
    assert prompt_id("abc") == prompt_id("abc") != prompt_id("abd")
