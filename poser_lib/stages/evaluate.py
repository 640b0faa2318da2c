"""Stage `evaluate`: every strategy and baseline through one evaluator, `metrics/strategies.json`.

For each strategy variant: the setting chosen on development pairs, held-out pair accuracy with a bootstrap
interval over models, AUROC over held-out models, all-324-pairs accuracy (for comparison with the paper), a
breakdown per combination, the correlation of the scores with the models' confidence margins, and the
paper's number where it reports one; and `ensemble/logistic`, every non-baseline detector combined
(poser_lib/ensemble.py). `data/strategies/evaluation.csv` has accuracy per setting for figures.
`metrics/controls.json`: the `controls.untempered` detectors with each model's calibration temperature undone,
evaluated alike, beside the main run's held-out accuracy and AUROC.
"""

from __future__ import annotations

import pandas as pd

from ..ensemble import fit_ensemble, member_table, members_of
from ..evaluation import evaluate_variant
from ..io import read_json, write_json, write_text
from ..roster import policy_of
from ..scenarios.policies import is_faker
from ..scores import read_scores
from .common import stage_args

# The paper's pair accuracies (poser-paper.md section 4; belief steering ~100% but declared a failure).
PAPER = {"belief_steering/contrast": 1.00, "noise_injection/uniform": 0.98, "learning_speed/lora": 0.90,
         "learning_speed/full": 0.63, "suspicious_concepts/combined": 0.71, "decision_speed/probe": 0.47,
         "attentiveness/attention": 0.46, "confidence/margin": 0.64, "random/coin": 0.50}


BASELINES = {"random", "confidence", "weight_distance"}
"""The baselines every detector must beat: never members of the ensemble by default."""


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv, models=False)
    pairs = read_json(paths.benchmark / "pairs.json")
    conf = pd.read_csv(paths.benchmark / "confidences.csv")
    margins = conf[conf.in_benchmark].groupby(["model", "combination"]).margin.mean().to_dict()
    faker = lambda m: is_faker(policy_of(m))  # noqa: E731
    settings = dict(seed=params.evaluation.seed, resamples=params.evaluation.bootstrap_resamples,
                    level=params.evaluation.ci_level, margins=margins)
    metrics, rows, tables = {}, [], {}
    for name in params.strategies:
        for variant, scores in read_scores(paths, name).items():
            key = f"{name}/{variant}"
            tables[key] = scores
            res = evaluate_variant(scores, pairs, faker, **settings)
            metrics[key] = {"paper_accuracy": PAPER.get(key), **res}
            rows += _setting_rows(key, res)
            _print(key, res)
    members = members_of(list(tables), params.ensemble.members, BASELINES & set(params.strategies))
    if members:
        dev_models = {m for p in pairs if p["split"] == "development" for m in (p["aligned"], p["faker"])}
        frame = member_table({e: tables[e] for e in members}, {e: metrics[e]["setting"] for e in members})
        combined, weights = fit_ensemble(frame, dev_models, faker, params.ensemble.C, params.ensemble.seed)
        res = evaluate_variant({k: {"fit": v} for k, v in combined.items()}, pairs, faker, **settings)
        # Its development accuracy is in-sample (the fit saw those models), and so is part of all_pairs_accuracy.
        metrics["ensemble/logistic"] = {"paper_accuracy": None, **res, "weights": weights}
        rows += _setting_rows("ensemble/logistic", res)
        _print("ensemble/logistic", res)
    write_json(paths.metrics / "strategies.json", metrics)
    controls = {}
    for name in params.controls.untempered:
        for variant, scores in read_scores(paths, name, paths.control() / name).items():
            key, res = f"{name}/{variant}", evaluate_variant(scores, pairs, faker, **settings)
            main_run = metrics[key]
            controls[key] = {"heldout_accuracy": res["heldout_accuracy"], "heldout_ci": res["heldout_ci"],
                             "auroc": res["auroc"], "all_pairs_accuracy": res["all_pairs_accuracy"],
                             "setting": res["setting"], "main_heldout_accuracy": main_run["heldout_accuracy"],
                             "main_auroc": main_run["auroc"], "main_setting": main_run["setting"]}
            _print(f"{key} (untempered)", res)
    write_json(paths.metrics / "controls.json", {"untempered": controls})
    write_text(paths.root / "data" / "strategies" / "evaluation.csv", pd.DataFrame(rows).to_csv(index=False))


def _setting_rows(key: str, res: dict) -> list[dict]:
    return [{"entry": key, "setting": s, "chosen": s == res["setting"],
             "development_accuracy": res["development_accuracy_by_setting"][s],
             "heldout_accuracy": res["heldout_accuracy_by_setting"][s]} for s in res["development_accuracy_by_setting"]]


def _print(key: str, res: dict) -> None:
    print(f"{key:40s} held-out {res['heldout_accuracy']:.3f} [{res['heldout_ci'][0]:.2f}, {res['heldout_ci'][1]:.2f}]"
          f"  AUROC {res['auroc']:.3f}  all pairs {res['all_pairs_accuracy']:.3f}  ({res['setting']})")


if __name__ == "__main__":
    main()
