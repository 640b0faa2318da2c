"""Stage `bases`: the pipeline on every further base in `bases.seeds`, then `metrics/bases.json` (poser_lib/bases.py).

The default run's figures come first (from `metrics/`; left out of the spread where `bases.overrides` change
the recipe), then one entry per seed. With no seeds the stage only summarises the default run, in about a second.
Each seed's pipeline runs one stage at a time, each stage with the workers `model.workers` gives it; its outputs
stay in its folder (`bases.base_folder`).
"""

from __future__ import annotations

from pathlib import Path

from ..bases import across, base_folder, run_base, summarise, table
from ..config import only_stop_thresholds
from ..io import write_json
from .common import stage_args


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv, models=False)
    root = Path(".").resolve()
    cfg = params.bases
    # The default run follows the bases' recipe unless the overrides change more than where the pipeline stops.
    same_recipe = only_stop_thresholds(cfg.overrides)
    bases = {"default": {"seed": params.pretrain.seed, "status": "done", "in_spread": same_recipe, **summarise(root)}}
    if not same_recipe:
        print(f"bases: bases.overrides {cfg.overrides} change the recipe, so the default run is left out of the "
              "spread", flush=True)
    for seed in cfg.seeds:
        print(f"bases: seed {seed}, through {cfg.through}", flush=True)
        outcome = run_base(root, seed, cfg.through, params.data.poser_dir, overrides=cfg.overrides)
        folder = base_folder(root, seed, cfg.overrides)
        bases[f"seed-{seed}"] = {"seed": seed, "folder": str(folder.relative_to(root)), **outcome, **summarise(folder)}
        if outcome["status"] == "gate":
            print(f"bases: seed {seed} stopped at {outcome['gate']} ({outcome['stage']}): {outcome['message']}")
    result = {"through": cfg.through, "overrides": cfg.overrides, "bases": bases,
              "bases_through": sum(1 for b in bases.values() if b["status"] == "done"),
              "spread": across(bases)}
    write_json(paths.metrics / "bases.json", result)
    print(table(result))


if __name__ == "__main__":
    main()
