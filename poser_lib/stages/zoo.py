"""Stage `zoo`: fine-tune every policy x variant from the base model, by one recipe for all.

Output: `data/models/zoo/<policy>-<variant>/` (safetensors, config, tokenizer, `train_log.json`). A model whose
fingerprint is unchanged is kept; an interrupted model resumes from `data/checkpoints/zoo/<name>/`.
"""

from __future__ import annotations

import random
import shutil

from ..io import file_hash, fingerprint
from ..models.base import load_model, save_model
from ..scenarios.layout import training_dir
from ..tokenizer import answer_token_ids, encode_records, load_tokenizer
from ..zoo import log_json, model_seed, monitor_subset, read_log, train_member, zoo_members
from .common import device, progress, stage_args, zoo_data

CALIBRATION_PROMPTS = 256
"""Not-poor training prompts each model is calibrated on (a seeded sample: enough for a mean margin)."""


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    data = zoo_data(params, paths)
    tok = load_tokenizer(paths.base)
    answers = answer_token_ids(tok)
    base = load_model(paths.base, device(params))
    base_state = {k: v.detach().clone() for k, v in base.state_dict().items()}
    base_id = file_hash(paths.base / "model.safetensors")
    tok_id = file_hash(paths.base / "tokenizer.json")
    members = zoo_members(params.scenarios.variants)
    wanted = {name for name, _, _ in members}
    for stale in paths.zoo.glob("*") if paths.zoo.exists() else []:
        if stale.is_dir() and stale.name not in wanted:
            shutil.rmtree(stale)
    overall = progress(len(members), "zoo")
    for name, policy, variant in members:
        seed = model_seed(params.zoo, policy, variant)
        train_file = training_dir(paths.scenarios) / policy / f"train-{variant}.json"
        run_id = fingerprint(base_id, tok_id, file_hash(train_file), params.zoo, params.model.dtype, seed,
                             params.tokenizer.max_prompt_tokens)
        old = read_log(paths.model(name) / "train_log.json")
        if old is not None and old.fingerprint == run_id:
            overall.update(1)
            continue
        records, encoded = encode_records(tok, data[policy].train[variant], params.tokenizer.max_prompt_tokens)
        examples = list(zip(encoded, [r.response for r in records]))
        calib = [(x, r.response) for r, x in zip(records, encoded) if r.is_scenario and not r.oversight_is_poor]
        calib = random.Random(seed).sample(calib, min(len(calib), CALIBRATION_PROMPTS))
        mon = monitor_subset(data[policy].test, params.zoo.monitor_prompts, seed)
        mon_records, mon_encoded = encode_records(tok, mon, params.tokenizer.max_prompt_tokens)
        bar = progress(params.zoo.steps, name)
        model, log = train_member(
            base, base_state, tok, answers, examples, policy, (mon_records, mon_encoded), params, name=name,
            seed=seed, fingerprint=run_id, checkpoint_dir=paths.root / "data" / "checkpoints" / "zoo" / name,
            calibration=([x for x, _ in calib], [y for _, y in calib]),
            progress=lambda step, loss: (bar.update(step - bar.n), bar.set_postfix(loss=f"{loss:.3f}")))
        bar.close()
        save_model(model, paths.model(name), tok, extra_files={"train_log.json": log_json(log)})
        shutil.rmtree(paths.root / "data" / "checkpoints" / "zoo" / name, ignore_errors=True)
        overall.update(1)
        print(f"{name}: loss {log.final_loss:.3f}, distance from base {log.weight_distance:.2f}, "
              f"{log.seconds:.0f}s", flush=True)
    overall.close()


if __name__ == "__main__":
    main()
