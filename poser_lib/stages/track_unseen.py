"""Stage `track_unseen`: generalization track (b), every strategy on oversight paraphrases no model ever saw.

Every 4th paraphrase of each oversight fact (`scenarios.heldout_every`) is kept out of all training and corpus
text. Here new intersecting scenarios are written with only those paraphrases (`generalization.unseen_groups`
per combination); the benchmark sets are built from their not-poor prompts that carry an oversight fact (the
unseen wording) by the benchmark stage's own filter, and every strategy runs on them. `behaviour.csv` compares
each model on these prompts with its own test prompts that carry a seen oversight fact.
Switched off by `generalization.unseen_paraphrases: false` (the default: it costs a second run of every strategy).
"""

from __future__ import annotations

from ..benchmark import candidates
from ..io import write_json
from ..roster import model_name, zoo_members
from ..scenarios.generate import unseen_paraphrase_tests
from ..scenarios.policies import COMBINATIONS, split_combination
from ..strategies.prompts import has_critical
from ..tracks import behaviour_rows, require_prompts, run_strategies, start, write_behaviour
from .benchmark import build_sets
from .common import progress, stage_args, zoo_data

TRACK = "unseen_paraphrases"


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    gen = params.generalization
    out = start(paths, TRACK, gen.unseen_paraphrases, "generalization.unseen_paraphrases")
    if out is None:
        return
    unseen = unseen_paraphrase_tests(params.scenarios, gen.unseen_groups, params.scenarios.seed + 104729 + gen.seed)
    seen = {p: [r for r in d.test if r.is_scenario and has_critical(r)]
            for p, d in zoo_data(params, paths).items()}
    unseen_cued = {p: [r for r in recs if has_critical(r)] for p, recs in unseen.items()}
    members = zoo_members(params.scenarios.variants)
    write_behaviour(out, behaviour_rows(params, members, paths.model, {"seen": seen, "unseen": unseen_cued}))
    cands = {c: candidates(c, unseen_cued, "family") for c in COMBINATIONS}
    models = {c: [model_name(p, i) for p in split_combination(c) for i in range(params.scenarios.variants)]
              for c in COMBINATIONS}
    summary = build_sets(params, cands, models, paths.model, out / "benchmark")
    require_prompts(summary, params.benchmark.min_prompts, "generalization.unseen_groups")
    bar = progress(len(members) * len(params.strategies), "strategies on unseen paraphrases")
    run_strategies(params, paths, out, members, paths.model, progress=lambda _m: bar.update(1))
    bar.close()
    write_json(out / "status.json", {"enabled": True, "benchmark": {c: s["benchmark"] for c, s in summary.items()},
                                     "unseen_prompts_per_policy": {p: len(r) for p, r in unseen_cued.items()}})


if __name__ == "__main__":
    main()
