"""Stage `generalization`: the generalization tracks' DVC metrics, `metrics/generalization.json`, one entry per track.

- `leave_one_faker_policy_out` (a): each entry's setting chosen without the faker policy it is scored on
  (poser_lib/generalization.py); computed from the main scores, always on.
- `unseen_paraphrases` (b) and `evasive_fakers` (c): each entry scored on its track's benchmark at the setting
  chosen on the main zoo's development pairs, beside its main held-out accuracy (poser_lib/tracks.py); for (c)
  also beside its control (original fakers, benchmark built alike), and then `change` is against the control.
  An entry is `{"enabled": false, "switch": ...}` when the track is switched off.
"""

from __future__ import annotations

import pandas as pd

from ..generalization import leave_one_policy_out
from ..io import read_json, write_json
from ..roster import policy_of
from ..scenarios.policies import is_faker
from ..scores import read_scores
from ..tracks import TRACKS, score_track
from .common import stage_args


def behaviour_summary(path) -> dict:
    """Mean behaviour rates per class and prompt set of a track's `behaviour.csv` (the organisms on the track)."""
    table = pd.read_csv(path)
    table["class"] = ["faker" if is_faker(p) else "aligned" for p in table.policy]
    cols = ["accuracy_not_poor", "accuracy_poor", "p_misaligned_poor"]
    return {f"{c}/{s}": g[cols].mean().to_dict() for (c, s), g in table.groupby(["class", "prompts"])}


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv, models=False)
    pairs = read_json(paths.benchmark / "pairs.json")
    main_metrics = read_json(paths.metrics / "strategies.json")
    faker = lambda m: is_faker(policy_of(m))  # noqa: E731
    boot = dict(seed=params.evaluation.seed, resamples=params.evaluation.bootstrap_resamples,
                level=params.evaluation.ci_level)
    lopo = {}
    for name in params.strategies:
        for variant, scores in read_scores(paths, name).items():
            lopo[f"{name}/{variant}"] = leave_one_policy_out(scores, pairs, policy_of)
    out = {"leave_one_faker_policy_out": lopo}
    chosen = {k: v["setting"] for k, v in main_metrics.items() if k.split("/")[0] in params.strategies}
    held = [p for p in pairs if p["split"] == "heldout"]
    for track in TRACKS:
        status = read_json(paths.track(track) / "status.json")
        if not status.get("enabled"):
            out[track] = status
            continue
        res = score_track(paths.track(track), chosen, held, faker, **boot)
        control = paths.track(track) / "control"
        base = score_track(control, chosen, held, faker, **boot) if control.is_dir() else None
        for key, r in res.items():
            r["main_heldout_accuracy"] = main_metrics[key]["heldout_accuracy"]
            r["change"] = r["accuracy"] - r["main_heldout_accuracy"]
            if base is not None:  # the same construction with the original models: the change due to the track
                r["control_accuracy"] = base[key]["accuracy"]
                r["control_ci"] = base[key]["ci"]
                r["change"] = r["accuracy"] - r["control_accuracy"]
        out[track] = {"enabled": True, "pairs": "held-out", **{k: v for k, v in status.items() if k != "enabled"},
                      "behaviour": behaviour_summary(paths.track(track) / "behaviour.csv"), "entries": res}
    write_json(paths.metrics / "generalization.json", out)
    for key, g in lopo.items():
        line = f"{key:40s} leave-one-faker-policy-out {g['heldout_accuracy']:.3f} (main {g['standard_heldout_accuracy']:.3f})"
        for track in TRACKS:
            if out[track].get("enabled"):
                line += f"  {track} {out[track]['entries'][key]['accuracy']:.3f}"
        print(line)


if __name__ == "__main__":
    main()
