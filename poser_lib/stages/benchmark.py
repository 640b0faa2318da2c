"""Stage `benchmark`: the benchmark sets of the nine combinations and the aligned x faker pairs.

The sets are built from the test files with the paper's filter, or (`benchmark.source: poser`) are the
authors' own files as they are.

Outputs under `data/benchmark/`: `<combination>.json` (records in the authors' schema plus `id` and `probs`,
each model's probability of the label), `confidences.csv` (every model x candidate: probability, margin, kept),
`pairs.json` (stable ids, development / held-out split), `summary.json` (counts per combination).

A model's scores come from what the behaviour stage read (`data/behaviour/answer_logprobs.json`, while its weights
and read settings are the same); only prompts not read there are read here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..benchmark import candidates, pairs, prompt_id, score_row, select, survives
from ..config import Params
from ..io import write_json, write_with
from ..reads import load_reads, read_key
from ..roster import model_name
from ..scenarios.layout import Quirks, read_benchmark, records_to_json
from ..scenarios.policies import COMBINATIONS, split_combination
from .common import answer_logprobs_each, device, stage_args, zoo_data


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    cfg, variants = params.benchmark, params.scenarios.variants
    models = {c: [model_name(p, i) for p in split_combination(c) for i in range(variants)] for c in COMBINATIONS}
    if cfg.source == "poser":
        quirks = Quirks()
        cands = {c: read_benchmark(params.data.poser_dir, c, quirks) for c in COMBINATIONS}
        if quirks.counts:
            print("quirks in the authors' benchmark files (counted, not fatal):\n" + quirks.summary())
    else:
        tests = {p: d.test for p, d in zoo_data(params, paths).items()}
        cands = {c: candidates(c, tests, cfg.candidates) for c in COMBINATIONS}
    summary = build_sets(params, cands, models, paths.model, paths.benchmark, keep_all=cfg.source == "poser",
                         known=paths.behaviour / "answer_logprobs.json")
    write_json(paths.benchmark / "pairs.json", pairs(variants, cfg.development_variants))
    short = [f"{c}: {s['benchmark']} prompts" for c, s in summary.items() if s["benchmark"] < cfg.min_prompts]
    if short:
        print("benchmark.min_prompts: these combinations keep fewer than "
              f"{cfg.min_prompts} prompts: " + ", ".join(short), file=sys.stderr)
        sys.exit(1)


def build_sets(params: Params, cands: dict[str, list], models: dict[str, list[str]],
               model_path: Callable[[str], Path], out: Path, keep_all: bool = False,
               known: Path | None = None) -> dict:
    """Score every candidate with every model of its combinations and write the benchmark sets under `out`
    (`<combination>.json`, `confidences.csv`, `summary.json`); returns the summary. `keep_all` keeps every
    candidate (the authors' sets as they are) instead of filtering. `known`: reads saved by `reads.save_reads`,
    used where a model's key still matches, so that only the other prompts are read."""
    cfg = params.benchmark
    # Each model scores the union of its combinations' candidates once.
    by_model: dict[str, dict[str, object]] = {}
    for c in cands:
        for m in models[c]:
            by_model.setdefault(m, {}).update({r.prompt: r for r in cands[c]})
    dev = device(params)
    reuse = {} if known is None else load_reads(
        known, {name: read_key(model_path(name), params.model.dtype, dev) for name in by_model})
    scores: dict[str, dict[str, object]] = {name: {} for name in by_model}
    missing: dict[str, list] = {}
    for name, prompts in by_model.items():
        answers, rows = reuse.get(name, ([], {}))
        for prompt, r in prompts.items():
            row = rows.get(prompt_id(prompt))
            if row is None:
                missing.setdefault(name, []).append(r)
            else:
                scores[name][prompt] = score_row(row, answers, r.response)
    if reuse:
        total = sum(len(p) for p in by_model.values())
        print(f"benchmark: {total - sum(len(m) for m in missing.values())} of {total} model x prompt scores "
              f"taken from {known}")
    reads = answer_logprobs_each(params, {name: (model_path(name), recs) for name, recs in missing.items()},
                                 "benchmark")
    for name, (records, lp, answers) in reads.items():
        scores[name].update({r.prompt: score_row(row, answers, r.response) for r, row in zip(records, lp.tolist())})
    rows, summary = [], {}
    for c in cands:
        recs = [r for r in cands[c] if all(r.prompt in scores[m] for m in models[c])]
        per = {m: [scores[m][r.prompt] for r in recs] for m in models[c]}
        keep = [True] * len(recs) if keep_all else select(per, cfg) if recs else []
        kept = [r for r, k in zip(recs, keep) if k]
        sets = []
        for rec, entry in zip(kept, records_to_json(kept)):
            sets.append({**entry, "id": prompt_id(rec.prompt),
                         "probs": {m: scores[m][rec.prompt].p_label for m in models[c]}})
        write_json(out / f"{c}.json", sets)
        for i, rec in enumerate(recs):
            for m in models[c]:
                s = per[m][i]
                rows.append({"model": m, "combination": c, "prompt_id": prompt_id(rec.prompt),
                             "dataset": rec.dataset, "p_label": s.p_label, "margin": s.margin,
                             "kept_by_model": survives(s, cfg), "in_benchmark": keep[i]})
        summary[c] = {"candidates": len(recs), "benchmark": len(kept),
                      "per_model_kept": {m: sum(survives(s, cfg) for s in per[m]) for m in models[c]}}
    write_with(out / "confidences.csv", lambda p: pd.DataFrame(rows).to_csv(p, index=False))
    write_json(out / "summary.json", summary)
    for c, s in summary.items():
        print(f"{c:20s} {s['benchmark']:4d} of {s['candidates']} candidates")
    return summary


if __name__ == "__main__":
    main()
