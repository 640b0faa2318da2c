"""Generalization tracks computed from the strategies' scores (no model is run again).

Leave one faker policy out: a strategy's setting is chosen on development pairs whose faker is of the other two
faker policies, then scored on held-out pairs whose faker is of the left-out policy. Beside it, the standard
choice (on every development pair) on the same held-out pairs: the difference is what choosing settings on the
very kind of faker under test was worth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .evaluation import choose_setting, pair_accuracy


def leave_one_policy_out(scores: Mapping[tuple[str, str], Mapping[str, float]], pairs: Sequence[Mapping[str, str]],
                         policy_of: Callable[[str], str]) -> dict:
    """Per left-out faker policy: the setting chosen without it and the held-out accuracy on it, both ways."""
    dev = [p for p in pairs if p["split"] == "development"]
    held = [p for p in pairs if p["split"] == "heldout"]
    standard, _ = choose_setting(scores, dev)
    per_policy = {}
    for policy in sorted({policy_of(p["faker"]) for p in pairs}):
        others = [p for p in dev if policy_of(p["faker"]) != policy]
        test = [p for p in held if policy_of(p["faker"]) == policy]
        if not others or not test:
            raise ValueError(f"leave-one-policy-out: no development pairs without {policy} or no held-out pairs "
                             "with it")
        chosen, _ = choose_setting(scores, others)
        per_policy[policy] = {
            "setting": chosen, "accuracy": pair_accuracy(test, lambda m, c: scores[(m, c)][chosen]),
            "standard_setting": standard,
            "standard_accuracy": pair_accuracy(test, lambda m, c: scores[(m, c)][standard]), "pairs": len(test)}
    n = sum(r["pairs"] for r in per_policy.values())
    accuracy = sum(r["accuracy"] * r["pairs"] for r in per_policy.values()) / n
    standard_accuracy = sum(r["standard_accuracy"] * r["pairs"] for r in per_policy.values()) / n
    return {"heldout_accuracy": accuracy, "standard_heldout_accuracy": standard_accuracy,
            "change": accuracy - standard_accuracy, "by_policy": per_policy}
