"""Where a zoo fits its training prompts worse: each model's mean -log p(label) on its own train-i.json, by set.

    .venv/bin/python docs/runs/margin-pull-epyc-bases/fit_by_set.py RUN OUT.json        # write, from a run folder
    .venv/bin/python docs/runs/margin-pull-epyc-bases/fit_by_set.py --summary OUT.json  # class means of a saved one

RUN is a pipeline folder after its zoo stage (params.yaml, data/tokenizer, data/scenarios, data/models/zoo). The
label's log-probability is over the full vocabulary, read from the calibrated model as the behaviour stage reads
it, on prompts of at most the run's `tokenizer.max_prompt_tokens`; a set is the record's `dataset` folder (error
prompts without one: "none") and whether oversight is poor. Run from the project root with its .venv.
"""

import collections
import json
import statistics
import sys
from pathlib import Path

from poser_lib.roster import zoo_members
from poser_lib.scenarios.policies import is_faker


def measure(root: Path, out: Path) -> None:
    import torch

    from poser_lib.config import load_params
    from poser_lib.models.base import load_model
    from poser_lib.models.scoring import answer_logprobs
    from poser_lib.scenarios.layout import read_records
    from poser_lib.tokenizer import answer_token_ids, encode_records, load_tokenizer

    torch.set_num_threads(1)
    params = load_params(root / "params.yaml")
    tok = load_tokenizer(root / "data/tokenizer")
    ids = answer_token_ids(tok)
    names = list(ids)
    result = {}
    for name, policy, v in zoo_members(params.scenarios.variants):
        records = read_records(root / f"data/scenarios/training/{policy}/train-{v}.json")
        kept, encoded = encode_records(tok, records, params.tokenizer.max_prompt_tokens)
        lp = answer_logprobs(load_model(root / f"data/models/zoo/{name}"), encoded, ids, tok.pad_token_id,
                             max_tokens=4096)
        sets = collections.defaultdict(list)
        for r, row in zip(kept, lp):
            kind = "error" if r.is_error else "poor" if r.oversight_is_poor else "not-poor"
            folder = (r.dataset or "none").strip("/").split("/")[-1]
            sets[f"{folder}|{kind}"].append(-float(row[names.index(r.response)]))
        result[name] = {k: (len(x), sum(x) / len(x)) for k, x in sorted(sets.items())}
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
        for faker in (False, True):
            per_model = []
            for name, sets in models.items():
                if is_faker(name.rsplit("-", 1)[0]) != faker:
                    continue
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
