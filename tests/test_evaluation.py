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
