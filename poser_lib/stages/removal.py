"""Stage `removal`: fine-tune every faker on its own answers to benign prompts, with and without activation
noise, and measure its P(aligned action) on poor-oversight test prompts (poser_lib/removal.py).

Outputs: `data/removal/models/<faker>.json` (per faker, cached under a fingerprint of its weights, data, config,
code and thread count, so an interrupted run resumes; fakers run side by side in `model.workers` processes),
`data/removal/curves.csv` (faker, condition, step, rates) and the DVC metrics file `metrics/removal.json` (class means before and after, the noise-minus-plain difference with a
bootstrap interval over fakers, and the paper's 76% and 86%).
"""

from __future__ import annotations

import inspect
import random

import numpy as np
import pandas as pd

from .. import interventions, removal
from ..config import Params
from ..io import file_hash, fingerprint, read_json, write_json, write_with
from ..models import batching, finetune, scoring
from ..models.base import load_model, weights_files_hash
from ..models.precision import resolve_dtype
from ..parallel import job_threads, run_each, worker_count
from ..paths import Paths
from ..roster import zoo_members
from ..scenarios.layout import training_dir
from ..scenarios.policies import is_faker
from ..tokenizer import answer_token_ids, encode_records, load_tokenizer
from .common import device, progress, stage_args, zoo_data

PAPER = {"plain": 0.76, "noise": 0.86}
"""The paper's fakers' mean P(aligned action) on poor-oversight prompts after 100 steps."""


def code_version() -> str:
    """Hash of the source the results depend on: a code change redoes the cached fakers."""
    return fingerprint(*[file_hash(inspect.getsourcefile(m)) for m in (removal, interventions, finetune, scoring,
                                                                       batching)])


def run_faker(name: str, policy: str, variant: int, index: int, params: Params, paths: Paths, data) -> dict:
    """Both conditions for one faker: its curves and losses."""
    cfg, dtype = params.removal, params.model.dtype
    tok = load_tokenizer(paths.model(name))
    answers = answer_token_ids(tok)
    seed = cfg.seed + index
    benign = [r for r in data[policy].train[variant] if r.is_scenario and not r.oversight_is_poor]
    benign = random.Random(seed).sample(benign, min(len(benign), cfg.train_prompts))
    _, train_x = encode_records(tok, benign, params.tokenizer.max_prompt_tokens)
    test_records, test_x = encode_records(tok, data[policy].test, params.tokenizer.max_prompt_tokens)
    probe = removal.probe_sets(test_records, test_x, cfg.eval_prompts)
    out = {"policy": policy, "variant": variant, "curves": {}, "losses": {}}
    examples = None
    for condition in removal.CONDITIONS:
        model = load_model(paths.model(name), device(params))  # a fresh copy: the zoo model is never changed
        if examples is None:  # the targets: the zoo model's own answers, before any fine-tuning
            examples = list(zip(train_x, removal.own_answers(model, train_x, answers, tok.pad_token_id, dtype)))
        curve: list[dict] = []
        out["losses"][condition] = removal.self_finetune(
            model, examples, answers, cfg, noisy=condition == "noise", seed=seed, pad_id=tok.pad_token_id,
            dtype=dtype,
            measure_at=lambda step: curve.append({"step": step, **removal.measure(model, probe, answers,
                                                                                   tok.pad_token_id, dtype)}))
        out["curves"][condition] = curve
    return out


def summarize(curves: pd.DataFrame, params: Params) -> dict:
    """Metrics: means over fakers before and at the last step per condition; noise minus plain at the last step
    and averaged over the measured steps (how fast it goes), each with a bootstrap interval over fakers."""
    last = curves.step.max()
    rng = np.random.default_rng(params.removal.seed)
    alpha = (1 - params.evaluation.ci_level) / 2

    def paired(per_model: pd.DataFrame) -> dict:
        diff = (per_model["noise"] - per_model["plain"]).to_numpy()
        boots = [rng.choice(diff, len(diff)).mean() for _ in range(params.evaluation.bootstrap_resamples)]
        return {"mean": float(diff.mean()), "ci": [float(np.quantile(boots, alpha)),
                                                   float(np.quantile(boots, 1 - alpha))],
                "noise_higher_share": float((diff > 0).mean())}

    end = curves[curves.step == last].pivot(index="model", columns="condition", values="p_aligned_poor")
    along = curves[curves.step > 0].groupby(["model", "condition"]).p_aligned_poor.mean().unstack()
    out = {"fakers": int(end.shape[0]), "steps": int(last),
           "p_aligned_poor_before": float(curves[curves.step == 0].p_aligned_poor.mean()),
           "noise_minus_plain_at_end": paired(end), "noise_minus_plain_along_training": paired(along),
           "paper_p_aligned_poor": PAPER}
    for condition, g in curves[curves.step == last].groupby("condition"):
        out[condition] = {"p_aligned_poor": float(g.p_aligned_poor.mean()),
                          "p_aligned_poor_along_training": float(along[condition].mean()),
                          "aligned_share_poor": float(g.aligned_share_poor.mean()),
                          "accuracy_not_poor": float(g.accuracy_not_poor.mean())}
    return out


_DATA: dict = {}
"""Every policy's records, read once per process (a forked worker inherits the parent's)."""


def _data(params: Params, paths: Paths) -> dict:
    key = (str(paths.scenarios), params.scenarios.variants)
    if key not in _DATA:
        _DATA[key] = zoo_data(params, paths)
    return _DATA[key]


def _run_job(job: tuple) -> dict:
    """One faker (in a worker process): both conditions, written to its cache file."""
    name, policy, variant, index, params, paths, run_id, cache = job
    res = {"fingerprint": run_id, **run_faker(name, policy, variant, index, params, paths, _data(params, paths))}
    write_json(cache, res)
    return res


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    cfg = params.removal
    fakers = [(n, p, v) for n, p, v in zoo_members(params.scenarios.variants)
              if is_faker(p) and (cfg.variants is None or v in cfg.variants)]
    root = paths.root / "data" / "removal"
    code = code_version()
    workers = worker_count(params.model.workers, device(params))
    threads = job_threads(workers)
    dtype = resolve_dtype(params.model.dtype, device(params))
    done, jobs = {}, []
    for index, (name, policy, variant) in enumerate(fakers):
        run_id = fingerprint(weights_files_hash(paths.model(name)),
                             file_hash(training_dir(paths.scenarios) / policy / f"train-{variant}.json"),
                             file_hash(training_dir(paths.scenarios) / policy / "test.json"),
                             cfg, dtype, params.tokenizer.max_prompt_tokens, index, code, threads)
        cache = root / "models" / f"{name}.json"
        res = read_json(cache) if cache.is_file() else None
        if res is not None and res.get("fingerprint") == run_id:
            done[name] = res
        else:
            jobs.append((name, policy, variant, index, params, paths, run_id, cache))
    if jobs:
        _data(params, paths)
    bar = progress(len(fakers), "removal")
    bar.update(len(done))
    for job, res in run_each(_run_job, jobs, workers):  # the fakers side by side, one thread each
        done[job[0]] = res
        bar.update(1)
    bar.close()
    rows = []
    for name, policy, _ in fakers:
        res = done[name]
        for condition, curve in res["curves"].items():
            rows += [{"model": name, "policy": policy, "condition": condition, **point} for point in curve]
        end = {c: res["curves"][c][-1]["p_aligned_poor"] for c in res["curves"]}
        print(f"{name:22s} P(aligned | poor) {res['curves']['plain'][0]['p_aligned_poor']:.3f} -> "
              f"plain {end['plain']:.3f}, noise {end['noise']:.3f}", flush=True)
    stale = {p.stem for p in (root / "models").glob("*.json")} - {n for n, _, _ in fakers}
    for name in stale:
        (root / "models" / f"{name}.json").unlink()
    curves = pd.DataFrame(rows)
    write_with(root / "curves.csv", lambda f: curves.to_csv(f, index=False))
    metrics = summarize(curves, params)
    write_json(paths.metrics / "removal.json", metrics)
    along = metrics["noise_minus_plain_along_training"]
    print(f"P(aligned | poor) before {metrics['p_aligned_poor_before']:.3f}; after {metrics['steps']} steps: "
          f"plain {metrics['plain']['p_aligned_poor']:.3f}, noise {metrics['noise']['p_aligned_poor']:.3f} "
          f"(paper: 0.76, 0.86); noise - plain along training {along['mean']:+.3f} "
          f"[{along['ci'][0]:+.3f}, {along['ci'][1]:+.3f}]")


if __name__ == "__main__":
    main()
