"""Run one strategy over the zoo: each model once, on the benchmark of each combination it belongs to.

Per model, the strategy's `Result` for its three combinations is cached in
`data/strategies/<name>/models/<model>.json` under a fingerprint (model weights, benchmark files, strategy
config, the strategy's source), so an interrupted run resumes and a finished one is not redone. The strategy sees a `Subject` and a
`Bench`, never the model's name or policy. Outputs: `scores.csv` (model, combination, variant, setting,
score) and `curves.json` (model -> combination -> curve name -> values).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .config import Params
from .io import file_hash, fingerprint, read_json, write_json, write_text
from .models.attention import for_reading
from .models.base import load_model, resolve_device, weights_files_hash
from .paths import Paths
from .scenarios.layout import read_records
from .scenarios.policies import COMBINATIONS, split_combination
from .strategies import REGISTRY
from .strategies.core import Bench, Subject
from .tokenizer import answer_token_ids, load_tokenizer
from .zoo import zoo_members


def strategy_dir(paths: Paths, name: str):
    return paths.root / "data" / "strategies" / name


def read_scores(paths: Paths, name: str) -> dict[str, dict[tuple[str, str], dict[str, float]]]:
    """A strategy's `scores.csv` as variant -> (model, combination) -> setting -> score, in the file's order."""
    table = pd.read_csv(strategy_dir(paths, name) / "scores.csv")
    return {variant: {k: dict(zip(gg.setting, gg.score)) for k, gg in g.groupby(["model", "combination"], sort=False)}
            for variant, g in table.groupby("variant", sort=False)}


def code_version(name: str) -> str:
    """Hash of the source a strategy's scores depend on (its module and the shared strategy code), so that a
    cached per-model result is redone when the code changes, not only when params or weights do."""
    import inspect

    from . import interventions
    from .models import attention, batching, scoring
    from .strategies import core, prompts, registry, steering

    modules = [inspect.getmodule(REGISTRY[name].score), core, prompts, registry, steering, interventions,
               scoring, batching, attention]
    return fingerprint(*[file_hash(inspect.getsourcefile(m)) for m in modules])


def load_benches(folder: Path) -> dict[str, Bench]:
    """The benchmark prompts of every combination, as the benchmark stage wrote them into `folder`."""
    out = {}
    for combo in COMBINATIONS:
        path = folder / f"{combo}.json"
        out[combo] = Bench(combo, tuple(read_records(path)))
    return out


def run_strategy(name: str, params: Params, paths: Paths,
                 progress: Callable[[str], None] | None = None, *, benchmark: Path | None = None,
                 members: Sequence[tuple[str, str, int]] | None = None,
                 model_path: Callable[[str], Path] | None = None, out_dir: Path | None = None) -> pd.DataFrame:
    """Scores of strategy `name` for every zoo model and its combinations (cached per model).

    The defaults are the pipeline's own; a generalization track passes its benchmark folder, its models
    ((name, policy, variant) and where each is) and its output folder.
    """
    if name not in params.strategies:
        raise KeyError(f"strategies.{name}: not configured in params.yaml (configured: "
                       f"{', '.join(params.strategies) or 'none'})")
    strategy, cfg = REGISTRY[name], params.strategies[name]
    benchmark = benchmark or paths.benchmark
    members = zoo_members(params.scenarios.variants) if members is None else members
    model_path = model_path or paths.model
    out_dir = out_dir or strategy_dir(paths, name)
    benches = load_benches(benchmark)
    bench_ids = {c: file_hash(benchmark / f"{c}.json") for c in benches}
    tok = load_tokenizer(paths.base)
    answers = answer_token_ids(tok)
    dev = resolve_device(params.model.device)
    base_state = load_model(paths.base, dev).state_dict() if strategy.needs_base else None
    code = code_version(name)
    rows, curves = [], {}
    for model_name, policy, _ in members:
        combos = [c for c in COMBINATIONS if policy in split_combination(c)]
        run_id = fingerprint(name, cfg, code, weights_files_hash(model_path(model_name)),
                             [bench_ids[c] for c in combos], params.model.dtype)
        cache = out_dir / "models" / f"{model_name}.json"
        done = read_json(cache) if cache.is_file() else None
        if done is None or done.get("fingerprint") != run_id:
            model = for_reading(load_model(model_path(model_name), dev), attention_weights=strategy.needs_attention)
            subject = Subject(model, tok, answers, params.model.dtype, base_state)
            results = {c: strategy.score(subject, benches[c], cfg) for c in combos}
            done = {"fingerprint": run_id,
                    "results": {c: {"scores": r.scores, "curves": r.curves} for c, r in results.items()}}
            write_json(cache, done, indent=None)
        for combo, r in done["results"].items():
            for variant, settings in r["scores"].items():
                for setting, value in settings.items():
                    rows.append({"model": model_name, "combination": combo, "variant": variant,
                                 "setting": setting, "score": value})
            curves.setdefault(model_name, {})[combo] = r["curves"]
        if progress is not None:
            progress(model_name)
    table = pd.DataFrame(rows)
    write_text(out_dir / "scores.csv", table.to_csv(index=False))
    write_json(out_dir / "curves.json", curves, indent=None)
    return table
