"""Stage `control_untempered`: the detectors named in `controls.untempered` rerun on every zoo model with its
calibration temperature undone; `evaluate` sets their accuracy beside the main run's (`metrics/controls.json`).

Calibration divides each model's final norm by a temperature so that fakers and aligned models end with the
same mean answer margin (a confound otherwise). A detector that reads how peaked the answer distribution is
then reads, in part, what calibration set. Undoing it in memory and rerunning measures how much. Detectors that
read only the residual stream before the final norm (concepts, decision-speed probes, attention, activation
shift) cannot change, so only those that read answer probabilities are worth listing.

Output: `data/controls/untempered/<name>/` (as `data/strategies/<name>/`, cached per model) and `status.json`.
"""

from __future__ import annotations

import shutil

from ..detect import run_strategy
from ..io import write_json
from .common import progress, stage_args


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    out = paths.control()
    names = list(params.controls.untempered)
    for stale in out.glob("*") if out.exists() else []:
        if stale.is_dir() and stale.name not in names:
            shutil.rmtree(stale)
    for name in names:
        bar = progress(params.scenarios.variants * 6, f"{name} (untempered)")
        run_strategy(name, params, paths, lambda _m: bar.update(1), out_dir=out / name, view="untempered")
        bar.close()
    write_json(out / "status.json", {"strategies": names})


if __name__ == "__main__":
    main()
