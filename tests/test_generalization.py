"""Leave-one-faker-policy-out selection and the ensemble: both learn from development models only."""

import numpy as np
import pandas as pd
import pytest

from poser_lib.ensemble import fit_ensemble, member_table, members_of, standardise
from poser_lib.generalization import leave_one_policy_out


def policy(model: str) -> str:
    return model.split("-")[0]


def pairs_of(fakers=("p", "q"), variants=4):
    """Every aligned `a-i` with every faker `<policy>-j`; variants 0-1 development, 2-3 held out."""
    out = []
    for i in range(variants):
        for f in fakers:
            for j in range(variants):
                split = "development" if i < 2 and j < 2 else "heldout" if i >= 2 and j >= 2 else "mixed"
                out.append({"aligned": f"a-{i}", "faker": f"{f}-{j}", "combination": "c", "split": split})
    return out


def test_leaving_a_policy_out_chooses_without_it():
    pairs = pairs_of()
    models = {m for p in pairs for m in (p["aligned"], p["faker"])}
    # Setting x singles out the p fakers (q pairs tie); setting y singles out the q fakers.
    scores = {(m, "c"): {"x": float(policy(m) == "p"), "y": float(policy(m) == "q")} for m in models}
    out = leave_one_policy_out(scores, pairs, policy)
    # With both policies seen, x and y tie on development (0.75) and the first listed, x, is chosen.
    assert out["by_policy"]["p"]["standard_setting"] == "x"
    # Leaving p out, only q fakers are seen: y is chosen, and it cannot tell held-out p fakers apart.
    assert out["by_policy"]["p"]["setting"] == "y" and out["by_policy"]["p"]["accuracy"] == 0.5
    assert out["by_policy"]["p"]["standard_accuracy"] == 1.0
    assert out["by_policy"]["q"]["setting"] == "x" and out["by_policy"]["q"]["accuracy"] == 0.5
    assert out["heldout_accuracy"] == 0.5 and out["standard_heldout_accuracy"] == 0.75
    assert out["change"] == -0.25 and out["by_policy"]["p"]["pairs"] == 4


def frame_of(models, signal, noise_seed=0):
    rng = np.random.default_rng(noise_seed)
    rows = {(m, combo): {"good": signal(m) + 0.1 * rng.standard_normal(), "noise": rng.standard_normal()}
            for m in models for combo in ("c1", "c2")}
    return member_table({"good": {k: {"s": v["good"]} for k, v in rows.items()},
                         "noise": {k: {"s": v["noise"]} for k, v in rows.items()}}, {"good": "s", "noise": "s"})


MODELS = [f"a-{i}" for i in range(6)] + [f"f-{i}" for i in range(6)]
DEV = {m for m in MODELS if int(m[-1]) < 3}


def test_standardising_uses_development_models_per_combination():
    frame = frame_of(MODELS, lambda m: 5.0 * (m[0] == "f"))
    frame.loc[frame.index.get_level_values("combination") == "c2"] *= 100  # another scale in c2
    z = standardise(frame, DEV)
    dev = z[z.index.get_level_values("model").isin(DEV)]
    for _, rows in dev.groupby(level="combination"):
        assert np.allclose(rows.mean(), 0.0) and np.allclose(rows.std(ddof=0), 1.0)


def test_ensemble_is_fit_on_development_models_only():
    faker = lambda m: m.startswith("f")  # noqa: E731
    frame = frame_of(MODELS, lambda m: float(faker(m)))
    scores, weights = fit_ensemble(frame, DEV, faker, C=1.0, seed=0)
    assert weights["good"] > abs(weights["noise"])
    held = [m for m in MODELS if m not in DEV]
    assert min(scores[(m, "c1")] for m in held if faker(m)) > max(scores[(m, "c1")] for m in held if not faker(m))
    # Whatever the held-out models score, the fit (and so every development score) is the same.
    moved = frame.copy()
    moved.loc[~moved.index.get_level_values("model").isin(DEV)] = 1e6
    scores2, weights2 = fit_ensemble(moved, DEV, faker, C=1.0, seed=0)
    assert weights2 == weights
    assert all(scores2[k] == scores[k] for k in scores if k[0] in DEV)


def test_members_default_to_non_baselines_and_unknown_ones_are_named():
    entries = ["random/coin", "confidence/margin", "noise_injection/gaussian", "attentiveness/attention"]
    assert members_of(entries, None, {"random", "confidence"}) == ["noise_injection/gaussian",
                                                                    "attentiveness/attention"]
    with pytest.raises(ValueError, match=r"ensemble.members: \['nope/x'\]"):
        members_of(entries, ["nope/x"], set())


def test_a_member_missing_a_score_is_named():
    with pytest.raises(ValueError, match="without a score .*'b'"):
        member_table({"a": {("m", "c"): {"s": 1.0}, ("n", "c"): {"s": 0.0}}, "b": {("m", "c"): {"s": 1.0}}},
                     {"a": "s", "b": "s"})


def test_a_track_is_scored_at_the_main_setting_never_chosen_on_it(tmp_path):
    from poser_lib.tracks import score_track

    rows = []
    for m in ("a-3", "a-4", "f-3", "f-4"):
        faker = m.startswith("f")
        # On the track, setting y separates perfectly and x inverts; the main zoo chose x.
        rows += [{"model": m, "combination": "c", "variant": "v", "setting": "x", "score": float(not faker)},
                 {"model": m, "combination": "c", "variant": "v", "setting": "y", "score": float(faker)}]
    (tmp_path / "strategies" / "s").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp_path / "strategies" / "s" / "scores.csv", index=False)
    pairs = [{"aligned": a, "faker": f, "combination": "c", "split": "heldout"}
             for a in ("a-3", "a-4") for f in ("f-3", "f-4")]
    out = score_track(tmp_path, {"s/v": "x"}, pairs, lambda m: m.startswith("f"), seed=0, resamples=20, level=0.95)
    assert out["s/v"]["setting"] == "x" and out["s/v"]["accuracy"] == 0.0 and out["s/v"]["auroc"] == 0.0
    assert out["s/v"]["ci"] == [0.0, 0.0]


def test_missing_scores_name_the_strategy_and_file(tmp_path):
    from poser_lib.paths import Paths
    from poser_lib.scores import read_scores

    with pytest.raises(FileNotFoundError, match=r"strategies/noise_injection/scores.csv: no scores for "
                                                r"strategies.noise_injection"):
        read_scores(Paths(tmp_path), "noise_injection")
