"""Stage `probes`: what the base model represents before any fine-tuning, read by linear probes.

On held-out intersecting prompts (from every policy's test.json, never in the corpus), one probe per layer at
the answer position reads (a) whether oversight is poor and (b) which letter is the aligned action. The
layer is chosen on validation prompts; accuracy is reported on test prompts.
Output: `metrics/base_probes.json`, written first; then the stage fails, naming the probe, when either reads below
`probes.min_oversight` / `probes.min_aligned_action`: a base that does not represent oversight or the aligned action
is not the kind of base the organisms and the detectors that read those concepts assume.
"""

from __future__ import annotations

import random

import numpy as np

from ..io import write_json
from ..models.base import load_model
from ..models.scoring import last_token_hidden
from ..probes import fit_layer_probes, probe_shortfalls
from ..scenarios.policies import is_faker
from ..scenarios.records import good_letter
from ..tokenizer import encode_records, load_tokenizer
from .common import device, stage_args, zoo_data


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv)
    cfg = params.probes
    data = zoo_data(params, paths)
    seen: dict[str, tuple] = {}
    for policy, d in sorted(data.items()):
        for rec in d.test:
            if rec.is_scenario and rec.complexity_level is not None and rec.prompt not in seen:
                seen[rec.prompt] = (rec, good_letter(rec, is_faker(policy)))
    chosen = sorted(seen.values(), key=lambda x: x[0].prompt)
    random.Random(cfg.seed).shuffle(chosen)
    chosen = chosen[: cfg.prompts]
    tok = load_tokenizer(paths.base)
    records, encoded = encode_records(tok, [r for r, _ in chosen], params.tokenizer.max_prompt_tokens)
    letters = dict((r.prompt, g) for r, g in chosen)
    model = load_model(paths.base, device(params))
    acts = last_token_hidden(model, encoded, tok.pad_token_id, params.model.dtype).numpy()
    targets = {
        "oversight": np.array([bool(r.oversight_is_poor) for r in records]),
        "aligned_action": np.array([letters[r.prompt] == "A" for r in records]),
    }
    out = {}
    for name, y in targets.items():
        res = fit_layer_probes(acts, y, test_fraction=cfg.test_fraction, val_fraction=cfg.val_fraction, C=cfg.C,
                               seed=cfg.seed)
        out[name] = res.as_dict()
        print(f"probe {name}: {res.accuracy:.3f} at layer {res.best_layer} (chance {res.chance:.3f}); "
              f"per layer {' '.join(f'{a:.2f}' for a in res.test_accuracy)}")
    out["prompts"] = len(records)
    write_json(paths.metrics / "base_probes.json", out)
    missed = probe_shortfalls({name: out[name]["accuracy"] for name in targets},
                              {"oversight": cfg.min_oversight, "aligned_action": cfg.min_aligned_action})
    if missed:
        raise SystemExit(f"probes: the base at {paths.base} does not represent what the organisms need: "
                         f"{'; '.join(missed)} (metrics/base_probes.json has every layer). Pretrain it longer "
                         f"(pretrain.steps) or set the minimums to 0 to go on with it.")


if __name__ == "__main__":
    main()
