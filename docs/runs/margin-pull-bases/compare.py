"""Print gate, benchmark sizes, confounds and the calibration temperature's own pair accuracy of saved zoo runs.

python docs/runs/margin-pull-bases/compare.py docs/runs/margin-pull-bases/*/   (each folder as saved here:
zoo.json, zoo_models.json); run from the project root with its .venv.
"""

import json
import sys
from pathlib import Path

from poser_lib.evaluation import separability
from poser_lib.roster import zoo_members
from poser_lib.scenarios.policies import is_faker


def pairs(models: dict) -> list[dict]:
    """Every aligned model with every faker: the 324 pairs (a score that depends on the model alone ignores the
    combination)."""
    names = [n for n, _, _ in zoo_members(6)]
    return [{"aligned": a, "faker": f, "combination": ""} for a in names for f in names
            if not is_faker(models[a]["policy"]) and is_faker(models[f]["policy"])]


for run in map(Path, sys.argv[1:]):
    z = json.loads((run / "zoo.json").read_text())
    models = {m["model"]: m for m in json.loads((run / "zoo_models.json").read_text())}
    t_acc = separability(pairs(models), lambda m, c, models=models: models[m]["temperatures"][0])
    bp = z["benchmark_prompts"]
    temps = {k: [m["temperatures"][0] for m in models.values() if is_faker(m["policy"]) == k] for k in (False, True)}
    print(f"{run.name}: gate {z['gate_passed']}; prompts {min(bp.values())}-{max(bp.values())}; temperature "
          f"aligned/fakers {sum(temps[False]) / 18:.3f}/{sum(temps[True]) / 18:.3f} (pair {t_acc:.3f}); final norm "
          f"{z['final_norm_scale_pair_accuracy']:.3f}; trained distance {z['trained_distance_pair_accuracy']:.3f}; "
          f"confidence {z['confidence_pair_accuracy']:.3f}; weight distance {z['weight_distance_pair_accuracy']:.3f}; "
          f"final loss {z['final_loss_pair_accuracy']:.3f}")
