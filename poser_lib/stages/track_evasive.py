"""Stage `track_evasive`: generalization track (c), fakers trained to evade the noise-injection detector.

Each held-out faker (variants not in `benchmark.development_variants`) is fine-tuned again from the base by the
zoo's own recipe, data and seed, with the noise-injection detector's Gaussian edit (`generalization.evasive_noise_*`)
on the residual stream during its training steps only: a faker that has learnt to keep behaving under that
noise. It must still meet its policy's behaviour gate. The benchmark sets are rebuilt for the held-out aligned
models and these fakers by the benchmark stage's own filter, and every strategy runs on them; the held-out
pairs are then scored at the settings chosen on the main zoo's development pairs. The control (`control/`) does
the same with the original held-out fakers, so that the two differ only in the noise during training.
Switched off by `generalization.evasive_fakers: false` (the default: it trains 9 models and reruns every strategy
on 18). An interrupted evasive model resumes from its checkpoint with its noise generator restarted, so it is not
bit-identical to an uninterrupted one (an uninterrupted run is).
"""

from __future__ import annotations

import shutil
import sys

from ..behaviour import Rates, gate_failures, gate_report
from ..benchmark import candidates
from ..io import write_json
from ..models.base import load_model
from ..roster import policy_of, zoo_members
from ..scenarios.policies import COMBINATIONS, is_faker, split_combination
from ..tokenizer import answer_token_ids, load_tokenizer
from ..tracks import behaviour_rows, require_prompts, run_strategies, start, write_behaviour
from .benchmark import build_sets
from .common import device, progress, stage_args, zoo_data
from .zoo import train_share

TRACK = "evasive_fakers"


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    gen = params.generalization
    out = start(paths, TRACK, gen.evasive_fakers, "generalization.evasive_fakers")
    if out is None:
        return
    held = [m for m in zoo_members(params.scenarios.variants) if m[2] not in params.benchmark.development_variants]
    fakers = [m for m in held if is_faker(m[1])]
    evasive = out / "models"

    def model_path(name: str):
        return evasive / name if is_faker(policy_of(name)) else paths.model(name)

    data = zoo_data(params, paths)
    train_evasive(params, paths, data, fakers, evasive)
    rows = behaviour_rows(params, fakers, model_path, {"test": {p: d.test for p, d in data.items()}})
    write_behaviour(out, rows)
    failures = {}
    for row in rows:
        r = Rates(**{k: row[k] for k in Rates.__dataclass_fields__})
        fails = gate_failures(row["policy"], r, params.gate)
        if fails:
            failures[row["model"]] = fails
    if failures:
        print("track evasive_fakers: " + gate_report(failures), file=sys.stderr)
        sys.exit(1)
    tests = {p: d.test for p, d in data.items()}
    cands = {c: candidates(c, tests, params.benchmark.candidates) for c in COMBINATIONS}
    models = {c: [n for n, p, _ in held if p in split_combination(c)] for c in COMBINATIONS}
    # The control: the same held-out models with the original fakers, benchmark built the same way (by these six
    # models per combination, not the main zoo's twelve), so that only the noise training differs.
    sizes = {}
    for label, where, path_of in (("evasive", out, model_path), ("control", out / "control", paths.model)):
        summary = build_sets(params, cands, models, path_of, where / "benchmark")
        require_prompts(summary, params.benchmark.min_prompts, "benchmark filters")
        bar = progress(len(held) * len(params.strategies), f"strategies, {label} fakers")
        run_strategies(params, paths, where, held, path_of, progress=lambda _m: bar.update(1))
        bar.close()
        sizes[label] = {c: s["benchmark"] for c, s in summary.items()}
    write_json(out / "status.json", {"enabled": True, "fakers": [n for n, _, _ in fakers],
                                     "benchmark": sizes["evasive"], "control_benchmark": sizes["control"]})


def train_evasive(params, paths, data, fakers, folder) -> None:
    """Fine-tune each faker again with activation noise during training (skipped when its fingerprint holds)."""
    gen = params.generalization
    tok = load_tokenizer(paths.base)
    wanted = {n for n, _, _ in fakers}
    for stale in folder.glob("*") if folder.exists() else []:
        if stale.name not in wanted:
            shutil.rmtree(stale)
    train_share(fakers, params, paths, data, tok, answer_token_ids(tok), load_model(paths.base, device(params)),
                noise=(gen.evasive_noise_depth, gen.evasive_noise_scale), folder=folder)


if __name__ == "__main__":
    main()
