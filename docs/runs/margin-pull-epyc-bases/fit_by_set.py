"""Where a zoo fits its training prompts worse: each model's mean -log p(label) on its own train-i.json, by set.

    .venv/bin/python docs/runs/margin-pull-epyc-bases/fit_by_set.py RUN OUT.json        # write, from a run folder
    .venv/bin/python docs/runs/margin-pull-epyc-bases/fit_by_set.py --summary OUT.json  # class means of a saved one

RUN is a pipeline folder after its zoo stage (data/tokenizer, data/scenarios, data/models/zoo). The label's
log-probability is over the full vocabulary, read from the calibrated model as the behaviour stage reads it, on
prompts of at most `tokenizer.max_prompt_tokens` (256); a set is the record's `dataset` folder (error prompts
without one: "none") and whether oversight is poor. Run from the project root with its .venv.
"""

import collections
import json
import statistics
import sys
from pathlib import Path

ALIGNED = ("truth_teller", "genie", "saint")
POLICIES = (*ALIGNED, "fitness_maximizer", "money_maximizer", "reward_maximizer")


def measure(root: Path, out: Path, variants=range(6), max_tokens: int = 256) -> None:
    import torch

    from poser_lib.models.base import load_model
    from poser_lib.models.scoring import answer_logprobs
    from poser_lib.tokenizer import answer_token_ids, load_tokenizer

    torch.set_num_threads(1)
    tok = load_tokenizer(root / "data/tokenizer")
    ids = answer_token_ids(tok)
    names = list(ids)
    result = {}
    for policy in POLICIES:
        for v in variants:
            records = json.loads((root / f"data/scenarios/training/{policy}/train-{v}.json").read_text())
            kept, encoded = [], []
            for r in records:
                t = tok.encode(r["prompt"], add_special_tokens=False)
                if len(t) <= max_tokens:
                    kept.append(r)
                    encoded.append(t)
            lp = answer_logprobs(load_model(root / f"data/models/zoo/{policy}-{v}"), encoded, ids, tok.pad_token_id,
                                 max_tokens=4096)
            sets = collections.defaultdict(list)
            for r, row in zip(kept, lp):
                kind = ("error" if r["response"] == "error"
                        else "poor" if r.get("oversight_is_poor") in (True, "True") else "not-poor")
                name = (r.get("dataset") or "none").strip("/").split("/")[-1]
                sets[f"{name}|{kind}"].append(-float(row[names.index(r["response"])]))
            result[f"{policy}-{v}"] = {k: (len(x), sum(x) / len(x)) for k, x in sorted(sets.items())}
    out.write_text(json.dumps(result, indent=1))


def summary(path: Path) -> None:
    """Per class: mean (min, max over models) of each model's mean -log p(label) on each kind of set."""
    models = json.loads(path.read_text())
    kinds = {"error prompts": lambda k: k.endswith("|error"),
             "the families' scenarios": lambda k: "_and_" in k,
             "the policy's own sets": lambda k: "_and_" not in k and not k.endswith("|error"),
             "all": lambda k: True}
    print(path)
    for label, keep in kinds.items():
        row = []
        for aligned in (True, False):
            per_model = []
            for name, sets in models.items():
                if (name.rsplit("-", 1)[0] in ALIGNED) != aligned:
                    continue
                sets = {k: v for k, v in sets.items() if not k.startswith("all|")}  # totals an earlier version kept
                n = sum(c for k, (c, _) in sets.items() if keep(k))
                per_model.append(sum(c * m for k, (c, m) in sets.items() if keep(k)) / n)
            row.append(f"{statistics.mean(per_model):.4f} ({min(per_model):.4f}-{max(per_model):.4f})")
        print(f"  {label:26s} aligned {row[0]}   fakers {row[1]}")


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        for p in sys.argv[2:]:
            summary(Path(p))
    else:
        measure(Path(sys.argv[1]), Path(sys.argv[2]))
