"""What the generalization tracks share: where each writes, measuring behaviour, running every strategy on a
track's own benchmark and models, and scoring a track at the settings chosen on the main zoo's development pairs.

A track's folder, `data/tracks/<track>/`, holds `status.json` (enabled or not, what it ran), `behaviour.csv`,
`benchmark/` (sets in the benchmark stage's format) and `strategies/<name>/scores.csv` (as `detect` writes them).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from .config import Params
from .evaluation import auroc, bootstrap_ci, pair_accuracy
from .io import write_json, write_with
from .paths import Paths
from .scenarios.records import Record

TRACKS = ("unseen_paraphrases", "evasive_fakers")


def start(paths: Paths, track: str, enabled: bool, switch: str) -> Path | None:
    """The track's folder, ready to (re)run, or None when its switch is off: then the folder is cleared and its
    `status.json` says so."""
    out = paths.track(track)
    if not enabled:
        shutil.rmtree(out, ignore_errors=True)
        write_json(out / "status.json", {"enabled": False, "switch": switch})
        print(f"track {track}: off ({switch}: false)")
        return None
    (out / "status.json").unlink(missing_ok=True)  # written again when the track has finished
    return out


def behaviour_rows(params: Params, members: Sequence[tuple[str, str, int]], model_path: Callable[[str], Path],
                   tests: Mapping[str, Mapping[str, Sequence[Record]]]) -> list[dict]:
    """Behaviour rates (`behaviour.Rates`) of every model on each named test set of its policy."""
    # Model code is imported here and in `run_strategies`: the generalization stage only scores tracks.
    from .behaviour import rates
    from .models.attention import for_reading
    from .models.base import load_model, resolve_device
    from .models.scoring import answer_logprobs
    from .tokenizer import answer_token_ids, encode_records, load_tokenizer

    rows = []
    dev = resolve_device(params.model.device)
    for name, policy, _ in members:
        tok = load_tokenizer(model_path(name))
        answers = answer_token_ids(tok)
        model = for_reading(load_model(model_path(name), dev))
        for label, sets in tests.items():
            records, encoded = encode_records(tok, list(sets[policy]), params.tokenizer.max_prompt_tokens)
            lp = answer_logprobs(model, encoded, answers, tok.pad_token_id, params.model.dtype)
            rows.append({"model": name, "policy": policy, "prompts": label,
                         **rates(policy, records, lp, list(answers)).as_dict()})
    return rows


def write_behaviour(out: Path, rows: list[dict]) -> None:
    write_with(out / "behaviour.csv", lambda f: pd.DataFrame(rows).to_csv(f, index=False))


def require_prompts(summary: Mapping[str, dict], minimum: int, key: str) -> None:
    """Stop, naming the combinations, when a track's benchmark set is smaller than `benchmark.min_prompts`."""
    short = [f"{c}: {s['benchmark']}" for c, s in summary.items() if s["benchmark"] < minimum]
    if short:
        raise SystemExit(f"benchmark.min_prompts ({minimum}): the track's benchmark keeps fewer prompts in "
                         f"{', '.join(short)}; raise {key} or lower the filter")


def run_strategies(params: Params, paths: Paths, out: Path, members: Sequence[tuple[str, str, int]],
                   model_path: Callable[[str], Path], progress: Callable[[str], None] | None = None) -> None:
    """Every configured strategy on the track's benchmark and models (cached per model, so it resumes)."""
    from .detect import run_strategy

    for name in params.strategies:
        run_strategy(name, params, paths, progress, benchmark=out / "benchmark", members=members,
                     model_path=model_path, out_dir=out / "strategies" / name)


def score_track(out: Path, chosen: Mapping[str, str], pairs: Sequence[Mapping[str, str]],
                is_faker: Callable[[str], bool], *, seed: int, resamples: int, level: float) -> dict:
    """Each entry's pair accuracy (bootstrap interval over models) and AUROC on `pairs` at its setting chosen on
    the main zoo's development pairs: nothing is chosen on the track."""
    results, tables = {}, {}
    models = {p["aligned"] for p in pairs} | {p["faker"] for p in pairs}
    for entry, setting in chosen.items():
        name, variant = entry.split("/", 1)
        if name not in tables:
            tables[name] = pd.read_csv(out / "strategies" / name / "scores.csv")
        table = tables[name][(tables[name].variant == variant) & (tables[name].setting == setting)]
        scores = {(m, c): s for m, c, s in zip(table.model, table.combination, table.score)}

        def score(m, c):
            return scores[(m, c)]

        results[entry] = {
            "setting": setting, "accuracy": pair_accuracy(pairs, score),
            "ci": list(bootstrap_ci(pairs, score, seed=seed, resamples=resamples, level=level)),
            "auroc": auroc({k: v for k, v in scores.items() if k[0] in models}, is_faker)}
    return results
