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
from contextlib import contextmanager

import torch

from ..behaviour import Rates, gate_failures, gate_report
from ..benchmark import candidates
from ..interventions import adding_noise, layer_at
from ..io import file_hash, fingerprint, write_json
from ..models.base import load_model, weights_files_hash
from ..scenarios.layout import training_dir
from ..scenarios.policies import COMBINATIONS, is_faker, split_combination
from ..tokenizer import answer_token_ids, load_tokenizer
from ..tracks import behaviour_rows, require_prompts, run_strategies, start, write_behaviour
from ..zoo import model_seed, read_log, save_member, train_member, unload_adapter, zoo_members
from .benchmark import build_sets
from .common import device, progress, stage_args, zoo_data
from .zoo import member_inputs

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
        return evasive / name if is_faker(name.rsplit("-", 1)[0]) else paths.model(name)

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
    answers = answer_token_ids(tok)
    base = load_model(paths.base, device(params))
    lora = params.zoo.method == "lora"
    base_state = {k: v.detach() if lora else v.detach().clone() for k, v in base.state_dict().items()}
    base_id, tok_id = weights_files_hash(paths.base), file_hash(paths.base / "tokenizer.json")
    wanted = {n for n, _, _ in fakers}
    for stale in folder.glob("*") if folder.exists() else []:
        if stale.name not in wanted:
            shutil.rmtree(stale)
    layer = layer_at(base, gen.evasive_noise_depth)
    for name, policy, variant in fakers:
        seed = model_seed(params.zoo, policy, variant)
        train_file = training_dir(paths.scenarios) / policy / f"train-{variant}.json"
        run_id = fingerprint("evasive", base_id, tok_id, file_hash(train_file), params.zoo, params.model.dtype, seed,
                             params.tokenizer.max_prompt_tokens, gen.evasive_noise_depth, gen.evasive_noise_scale)
        old = read_log(folder / name / "train_log.json")
        if old is not None and old.fingerprint == run_id:
            continue
        examples, calibration, _ = member_inputs(params, data, tok, policy, variant, seed)

        @contextmanager
        def noise(model):
            gen_ = torch.Generator(device=str(next(model.parameters()).device)).manual_seed(seed)
            with adding_noise(model, layer, gen.evasive_noise_scale, gen_):
                yield

        bar = progress(params.zoo.steps, f"{name} (evasive)")
        model, log = train_member(
            base, base_state, tok, answers, examples, policy, ([], []), params, name=name, seed=seed,
            fingerprint=run_id, checkpoint_dir=paths.root / "data" / "checkpoints" / "evasive" / name,
            calibration=calibration, during_training=noise,
            progress=lambda step, loss: (bar.update(step - bar.n), bar.set_postfix(loss=f"{loss:.3f}")))
        bar.close()
        save_member(model, folder / name, tok, log, paths.base)
        base = unload_adapter(model) if lora else base
        shutil.rmtree(paths.root / "data" / "checkpoints" / "evasive" / name, ignore_errors=True)
        print(f"{name} (evasive): loss {log.final_loss:.3f}, distance from base {log.weight_distance:.2f}, "
              f"{log.seconds:.0f}s", flush=True)


if __name__ == "__main__":
    main()
