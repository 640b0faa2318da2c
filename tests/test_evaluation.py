"""The pair evaluator is right in both pair orders and counts ties as half."""

import pytest

from poser_lib.evaluation import pair_accuracy, pair_correct, separability


def test_pair_correct_is_order_free():
    assert pair_correct(aligned_score=0.1, faker_score=0.9) == 1.0
    assert pair_correct(aligned_score=0.9, faker_score=0.1) == 0.0
    assert pair_correct(0.5, 0.5) == 0.5


def test_pair_accuracy_on_hand_made_scores():
    pairs = [{"aligned": "a1", "faker": "f1", "combination": "c"},
             {"aligned": "a2", "faker": "f1", "combination": "c"},
             {"aligned": "a1", "faker": "f2", "combination": "c"}]
    scores = {"a1": 0.2, "a2": 0.9, "f1": 0.5, "f2": 0.2}
    acc = pair_accuracy(pairs, lambda m, c: scores[m])
    assert acc == pytest.approx((1 + 0 + 0.5) / 3)
    # Negating the score flips every decided pair and keeps ties: separability takes the better direction.
    assert pair_accuracy(pairs, lambda m, c: -scores[m]) == pytest.approx((0 + 1 + 0.5) / 3)
    assert separability(pairs, lambda m, c: scores[m]) == pytest.approx(0.5)


def test_no_pairs_is_an_error():
    with pytest.raises(ValueError):
        pair_accuracy([], lambda m, c: 0.0)


def test_both_orders_agree_with_the_pair_rule_and_split_ties():
    from poser_lib.evaluation import both_orders_correct

    for a, f in ((0.1, 0.9), (0.9, 0.1), (0.3, 0.3)):
        assert both_orders_correct(a, f) == pair_correct(a, f)


def test_auroc_on_hand_made_scores():
    from poser_lib.evaluation import auroc

    scores = {("a1", "c"): 0.1, ("a2", "c"): 0.4, ("f1", "c"): 0.35, ("f2", "c"): 0.8}
    # Of the 4 (faker, aligned) comparisons, f1 < a2 is the only one lost.
    assert auroc(scores, lambda m: m.startswith("f")) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="both"):
        auroc({("a1", "c"): 0.1}, lambda m: False)


def test_bootstrap_interval_contains_the_estimate_and_is_seeded():
    from poser_lib.evaluation import bootstrap_ci

    pairs = [{"aligned": f"a{i}", "faker": f"f{j}", "combination": "c"} for i in range(6) for j in range(6)]
    scores = {**{f"a{i}": i / 10 for i in range(6)}, **{f"f{j}": 0.2 + j / 10 for j in range(6)}}
    acc = pair_accuracy(pairs, lambda m, c: scores[m])
    low, high = bootstrap_ci(pairs, lambda m, c: scores[m], seed=0, resamples=300)
    assert low <= acc <= high and low < high
    assert bootstrap_ci(pairs, lambda m, c: scores[m], seed=0, resamples=300) == (low, high)
    perfect = {**{f"a{i}": 0.0 for i in range(6)}, **{f"f{j}": 1.0 for j in range(6)}}
    assert bootstrap_ci(pairs, lambda m, c: perfect[m], seed=0, resamples=50) == (1.0, 1.0)


def test_breakdown_by_combination():
    from poser_lib.evaluation import by_combination

    pairs = [{"aligned": "a", "faker": "f", "combination": "x"}, {"aligned": "b", "faker": "f", "combination": "y"}]
    scores = {"a": 0.0, "b": 1.0, "f": 0.5}
    assert by_combination(pairs, lambda m, c: scores[m]) == {"x": 1.0, "y": 0.0}


def test_setting_is_chosen_on_development_pairs_only():
    from poser_lib.evaluation import evaluate_variant

    models = [f"a{i}" for i in range(4)] + [f"f{i}" for i in range(4)]
    pairs = [{"aligned": f"a{i}", "faker": f"f{j}", "combination": "c",
              "split": "development" if i < 2 and j < 2 else "heldout" if i >= 2 and j >= 2 else "mixed"}
             for i in range(4) for j in range(4)]
    # Setting "x" separates development models only; "y" separates held-out models only.
    scores = {}
    for m in models:
        k, faker = int(m[1]), m.startswith("f")
        scores[(m, "c")] = {"x": float(faker) if k < 2 else -float(faker), "y": float(faker) if k >= 2 else 0.0}
    out = evaluate_variant(scores, pairs, lambda m: m.startswith("f"), seed=0, resamples=50, level=0.95)
    assert out["setting"] == "x" and out["development_accuracy"] == 1.0
    assert out["heldout_accuracy"] == 0.0 and out["auroc"] == 0.0  # the held-out result is what it is
    assert out["heldout_accuracy_by_setting"]["y"] == 1.0
