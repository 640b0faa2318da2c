"""Stage `report`: the zoo's DVC metrics, `metrics/zoo.json`: counts, probes, behaviour, and the confounds.

Confounds are what a detector could read instead of the faking: a model's mean confidence margin on its
benchmark prompts, the distance of its weights from the base, the scale of its final norm (where the
calibration's temperature lives) and its final training loss. Each is reported as class means and as the
pair accuracy it reaches alone (in the better of its two directions: how much it gives away).
"""

from __future__ import annotations

import statistics

import pandas as pd

from ..confounds import confounds_over_limit
from ..evaluation import bootstrap_ci, pair_accuracy, separability
from ..io import read_json, write_json
from ..models.base import load_model
from ..models.calibration import final_norm_weight
from ..roster import zoo_members
from ..scenarios.policies import POLICIES, is_faker
from ..zoo import read_log, steps_to_spec
from .common import stage_args


def _mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.fmean(xs) if xs else None


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    members = zoo_members(params.scenarios.variants)
    logs = {name: read_log(paths.model(name) / "train_log.json") for name, _, _ in members}
    policy_of = {name: policy for name, policy, _ in members}
    behaviour = read_json(paths.behaviour / "rates.json")
    probes = read_json(paths.metrics / "base_probes.json")
    summary = read_json(paths.benchmark / "summary.json")
    pairs = read_json(paths.benchmark / "pairs.json")
    conf = pd.read_csv(paths.benchmark / "confidences.csv")
    margin = conf[conf.in_benchmark].groupby(["model", "combination"]).margin.mean().to_dict()
    model_margin = conf[conf.in_benchmark].groupby("model").margin.mean().to_dict()
    distance = {n: log.weight_distance for n, log in logs.items()}
    # Where training left each model, before calibration put it on the trust region's sphere (None in older logs):
    # a class that trains less far is scaled out further, which the distance after calibration cannot show.
    trained = {n: log.trained_distance for n, log in logs.items()}
    trained_known = all(v is not None for v in trained.values())
    # Calibration puts a temperature into the final norm: how much does that one vector's scale give away?
    base_norm = float(final_norm_weight(load_model(paths.base)).detach().norm())
    norm_scale = {n: float(final_norm_weight(load_model(paths.model(n))).detach().norm()) / base_norm for n in logs}
    spec = {n: steps_to_spec(policy_of[n], log, params.gate) for n, log in logs.items()}

    ev = params.evaluation
    ci = {"seed": ev.seed, "resamples": ev.bootstrap_resamples, "level": ev.ci_level}
    judged = [p for p in pairs if (p["aligned"], p["combination"]) in margin and (p["faker"], p["combination"]) in margin]

    def by_class(values: dict, faker: bool):
        return _mean([v for n, v in values.items() if is_faker(policy_of[n]) == faker])

    rate_keys = ("accuracy_not_poor", "accuracy_poor", "p_misaligned_poor", "error_rejection")
    per_policy = {p: {k: _mean([r[k] for r in behaviour.values() if r["policy"] == p]) for k in rate_keys}
                  for p in POLICIES}
    dtypes = sorted({str(log.dtype) for log in logs.values()})  # "None": logs written before it was recorded
    metrics = {
        "models": len(members),
        "training_dtype": dtypes[0] if len(dtypes) == 1 else dtypes,
        "gate_passed": sum(1 for r in behaviour.values() if r["passed"]),
        "pairs": len(pairs),
        "benchmark_prompts": {c: s["benchmark"] for c, s in summary.items()},
        "base_probe_oversight": probes["oversight"]["accuracy"],
        "base_probe_aligned_action": probes["aligned_action"]["accuracy"],
        "behaviour": per_policy,
        "confidence_margin": {"aligned": by_class(model_margin, False), "faker": by_class(model_margin, True)},
        "weight_distance": {"aligned": by_class(distance, False), "faker": by_class(distance, True)},
        # Directions of the authors' baselines: the faker is the less confident / the farther from the base.
        # Pairs whose benchmark set is empty have no confidence to compare (only possible off the default).
        "confidence_pair_accuracy": separability(judged, lambda m, c: -margin[(m, c)]) if judged else None,
        "confidence_pair_accuracy_faker_less_confident":
            pair_accuracy(judged, lambda m, c: -margin[(m, c)]) if judged else None,
        # The interval when the models are resampled (evaluation.*): how far another zoo of the same recipe
        # could land (a retrain differing only in rounding moved this figure from 0.59 to 0.66; calibrating the
        # one model the earlier rule had left uncalibrated moved it to 0.70).
        "confidence_pair_accuracy_faker_less_confident_ci":
            list(bootstrap_ci(judged, lambda m, c: -margin[(m, c)], **ci)) if judged else None,
        "confidence_pairs_judged": len(judged),
        "weight_distance_pair_accuracy": separability(pairs, lambda m, c: distance[m]),
        "weight_distance_pair_accuracy_faker_farther": pair_accuracy(pairs, lambda m, c: distance[m]),
        "trained_distance": ({"aligned": by_class(trained, False), "faker": by_class(trained, True)}
                             if trained_known else None),
        "trained_distance_pair_accuracy": separability(pairs, lambda m, c: trained[m]) if trained_known else None,
        "final_norm_scale": {"aligned": by_class(norm_scale, False), "faker": by_class(norm_scale, True)},
        "final_norm_scale_pair_accuracy": separability(pairs, lambda m, c: norm_scale[m]),
        "steps": {"aligned": by_class({n: l.steps for n, l in logs.items()}, False),
                  "faker": by_class({n: l.steps for n, l in logs.items()}, True)},
        "final_loss": {"aligned": by_class({n: l.final_loss for n, l in logs.items()}, False),
                       "faker": by_class({n: l.final_loss for n, l in logs.items()}, True)},
        "final_loss_pair_accuracy": separability(pairs, lambda m, c: logs[m].final_loss),
        "steps_to_spec": {
            "aligned_mean": by_class(spec, False), "faker_mean": by_class(spec, True),
            "aligned_max": max((v for n, v in spec.items() if v is not None and not is_faker(policy_of[n])),
                               default=None),
            "faker_max": max((v for n, v in spec.items() if v is not None and is_faker(policy_of[n])),
                             default=None),
            "never_met": sorted(n for n, v in spec.items() if v is None),
        },
    }
    metrics["confound_limit"] = params.report.max_confound
    metrics["confounds_over_limit"] = confounds_over_limit(metrics, params.report.max_confound)
    write_json(paths.metrics / "zoo.json", metrics)
    per_model = [{"model": n, "policy": policy_of[n], "steps": logs[n].steps, "final_loss": logs[n].final_loss,
                  "weight_distance": distance[n], "trained_distance": logs[n].trained_distance,
                  "confidence_margin": model_margin.get(n),
                  "final_norm_scale": norm_scale[n], "temperatures": logs[n].temperatures,
                  "steps_to_spec": spec[n]} for n, _, _ in members]
    write_json(paths.metrics / "zoo_models.json", per_model)
    for k in ("models", "training_dtype", "gate_passed", "pairs", "base_probe_oversight", "base_probe_aligned_action",
              "confidence_margin", "weight_distance", "confidence_pair_accuracy",
              "confidence_pair_accuracy_faker_less_confident_ci", "weight_distance_pair_accuracy",
              "trained_distance_pair_accuracy", "final_norm_scale_pair_accuracy", "final_loss_pair_accuracy",
              "steps_to_spec"):
        print(f"{k}: {metrics[k]}")
    for k in metrics["confounds_over_limit"]:
        print(f"WARNING: {k} is {metrics[k]:.3f}, over report.max_confound {params.report.max_confound}: "
              "detectors on this zoo may read this instead of the faking (README, 'The model organisms')")


if __name__ == "__main__":
    main()
