"""Stage `scenarios`: write every policy's train/test files (generated, or imported from the authors' layout).

Outputs, under `data/scenarios/`:
- `training/<policy>/test.json`, `train-<i>.json`: the zoo's data, in the authors' layout;
- `corpus/training/<policy>/train-0.json`: scenarios for the base model's corpus (generated source: drawn
  with another seed; authors' source: their training files), never containing a test prompt;
- `manifest.json`: counts per policy and file, and the quirks met while importing.
"""

from __future__ import annotations

import argparse
from collections import Counter

from ..config import Params, load_params
from ..io import write_json
from ..paths import Paths
from ..scenarios.generate import corpus_files, policy_files, train_splits
from ..scenarios.layout import PolicyData, Quirks, read_layout, write_layout


def build(params: Params) -> tuple[dict[str, PolicyData], dict[str, PolicyData], Quirks]:
    """(zoo data, corpus data, quirks) for the configured source."""
    quirks = Quirks()
    if params.data.source == "poser":
        zoo = read_layout(params.data.poser_dir, params.scenarios.variants, quirks)
        test = {r.prompt for p in zoo.values() for r in p.test}
        # The authors' base model never saw their scenarios; ours learns concepts from their training files.
        corpus = {k: PolicyData([], [[r for t in v.train for r in t if r.prompt not in test]]) for k, v in zoo.items()}
        return zoo, corpus, quirks
    tests, pools = policy_files(params.scenarios)
    zoo = {p: PolicyData(tests[p], train_splits(pools[p], params.scenarios, p)) for p in tests}
    test = {r.prompt for p in tests.values() for r in p}
    corpus = {p: PolicyData([], [[r for r in recs if r.prompt not in test]])
              for p, recs in corpus_files(params.scenarios).items()}
    return zoo, corpus, quirks


def manifest(zoo: dict[str, PolicyData], corpus: dict[str, PolicyData], quirks: Quirks) -> dict:
    """Counts per policy (by response and by dataset) and the quirk summary."""
    out: dict = {"policies": {}, "quirks": dict(quirks.counts), "quirk_examples": quirks.examples}
    for policy, data in zoo.items():
        out["policies"][policy] = {
            "test": len(data.test), "train": [len(t) for t in data.train],
            "corpus": len(corpus[policy].train[0]),
            "test_responses": dict(Counter(r.response for r in data.test)),
            "test_poor_oversight": sum(1 for r in data.test if r.oversight_is_poor),
        }
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the stage with the project's params.yaml."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    args = parser.parse_args(argv)
    params = load_params(args.params)
    paths = Paths()
    zoo, corpus, quirks = build(params)
    write_layout(paths.scenarios, zoo)
    write_layout(paths.corpus_scenarios, corpus)
    write_json(paths.scenarios / "manifest.json", manifest(zoo, corpus, quirks))
    if quirks.counts:
        print("quirks in the imported data (counted, not fatal):\n" + quirks.summary())
    print(f"wrote {sum(len(d.test) + sum(map(len, d.train)) for d in zoo.values())} records under {paths.scenarios}")


if __name__ == "__main__":
    main()
