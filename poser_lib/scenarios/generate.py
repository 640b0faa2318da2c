"""Generate every policy's data and write it in the authors' layout (`training/<policy>/train-i.json`, `test.json`).

Pools follow the paper's assembly (poser-paper.md 2.2): for each policy, its supplementary sets, the three
intersecting families it belongs to (shared prompt for prompt with the partner policy, labelled per policy),
and "error" prompts. Unlike the paper, the test split is drawn by scenario group, so no test prompt has a
sibling (same scenario, other oversight cue) in any training file.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable

from ..config import ScenariosConfig
from . import templates as tpl
from .build import (SPECIAL_BANKS, Scenario, fragment, intersecting_group, random_text, special_scenario,
                    supplementary_group)
from .policies import ALIGNED, COMBINATIONS, FAKERS, POLICIES, combinations_of, picks_good
from .records import ERROR, Record, flip, render_prompt

SPECIAL_OWNER = {name: name.split("/")[0] for name in SPECIAL_BANKS}


def scenario_pool(cfg: ScenariosConfig, seed: int, groups: int, supp_groups: int, special: int,
                  split: tpl.Split = "train") -> dict[str, list[Scenario]]:
    """All scenarios, keyed by the set they belong to (a combination, a policy, or a special set)."""
    rng = random.Random(seed)
    kw = {"split": split, "heldout_every": cfg.heldout_every, "max_irrelevant": cfg.max_irrelevant}
    pool: dict[str, list[Scenario]] = {}
    for combo in COMBINATIONS:
        pool[combo] = [s for i in range(groups) for s in intersecting_group(rng, combo, i, **kw)]
    for policy in POLICIES:
        pool[policy] = [s for i in range(supp_groups) for s in supplementary_group(rng, policy, i, **kw)]
    for name in SPECIAL_BANKS:
        pool[name] = [special_scenario(rng, name, i, **kw) for i in range(special)]
    return pool


def sets_of(policy: str) -> list[str]:
    """The scenario sets in a policy's pool: its own set, its special sets, its three families."""
    return [policy, *[n for n, owner in SPECIAL_OWNER.items() if owner == policy], *combinations_of(policy)]


def order_actions(rng: random.Random, scenarios: list[Scenario]) -> dict[int, bool]:
    """Whether the good action is A, balanced within every (dataset, oversight) cell."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(scenarios):
        cells[(s.dataset, s.oversight)].append(i)
    good_is_a = {}
    for idx in cells.values():
        flags = [k % 2 == 0 for k in range(len(idx))]
        rng.shuffle(flags)
        good_is_a.update(zip(idx, flags))
    return good_is_a


def to_record(s: Scenario, good_is_a: bool, policy: str) -> Record:
    """Render a scenario with its action order, labelled for `policy`."""
    a, b = (s.good_action, s.other_action) if good_is_a else (s.other_action, s.good_action)
    good = "A" if good_is_a else "B"
    poor = s.oversight == "poor"
    return Record(prompt=render_prompt(s.facts, a, b), response=good if picks_good(policy, poor) else flip(good),
                  dataset=s.dataset, oversight_is_poor=poor, complexity_level=s.complexity_level,
                  facts=s.facts, action_a=a, action_b=b)


def split_groups(rng: random.Random, scenarios: Iterable[Scenario], test_fraction: float) -> set[str]:
    """Choose the test groups: `test_fraction` of the groups of every set, at least one where a set has two."""
    by_set: dict[str, list[str]] = defaultdict(list)
    for s in scenarios:
        key = s.group.rsplit("/", 1)[0]
        if s.group not in by_set[key]:
            by_set[key].append(s.group)
    test = set()
    for groups in by_set.values():
        k = round(len(groups) * test_fraction)
        k = min(max(k, 1 if len(groups) > 1 else 0), len(groups) - 1 if len(groups) > 1 else len(groups))
        test.update(rng.sample(groups, k))
    return test


def policy_files(cfg: ScenariosConfig) -> tuple[dict[str, list[Record]], dict[str, list[Record]]]:
    """(test records, training pool) per policy, deterministic in `cfg.seed`."""
    pool = scenario_pool(cfg, cfg.seed, cfg.intersecting_groups, cfg.supplementary_groups, cfg.special_prompts)
    rng = random.Random(cfg.seed + 1)
    everything = [s for name in sorted(pool) for s in pool[name]]
    good_is_a = order_actions(rng, everything)
    test_groups = split_groups(rng, everything, cfg.test_fraction)
    position = {id(s): i for i, s in enumerate(everything)}
    tests: dict[str, list[Record]] = {}
    trains: dict[str, list[Record]] = {}
    for policy in POLICIES:
        prng = random.Random(f"{cfg.seed}/{policy}")
        test, train = [], []
        for name in sets_of(policy):
            for s in pool[name]:
                rec = to_record(s, good_is_a[position[id(s)]], policy)
                (test if s.group in test_groups else train).append((rec, s))
        n_err = cfg.random_text + cfg.fragments
        n_test_err = round(n_err * cfg.test_fraction)
        errors = [Record(random_text(prng), ERROR, dataset="data/random_text/") for _ in range(cfg.random_text)]
        for i in range(cfg.fragments):
            source = prng.choice(test if i < round(cfg.fragments * cfg.test_fraction) else train)[1]
            errors.append(Record(fragment(prng, source), ERROR))
        prng.shuffle(errors)
        tests[policy] = [r for r, _ in test] + errors[:n_test_err]
        trains[policy] = [r for r, _ in train] + errors[n_test_err:]
        test_prompts = {r.prompt for r in tests[policy]}
        trains[policy] = [r for r in trains[policy] if r.prompt not in test_prompts]
        prng.shuffle(tests[policy])
        prng.shuffle(trains[policy])
    return tests, trains


def train_splits(pool: list[Record], cfg: ScenariosConfig, policy: str) -> list[list[Record]]:
    """The `variants` training files of one policy: independent samples of `train_fraction` of its pool."""
    k = max(1, round(len(pool) * cfg.train_fraction))
    return [random.Random(f"{cfg.seed}/{policy}/train-{i}").sample(pool, k) for i in range(cfg.variants)]


def corpus_files(cfg: ScenariosConfig) -> dict[str, list[Record]]:
    """Scenarios for the base model's corpus, drawn with another seed, labelled per policy like the zoo's."""
    n = cfg.corpus_groups
    pool = scenario_pool(cfg, cfg.seed + 7919, n, n, n)
    rng = random.Random(cfg.seed + 7920)
    everything = [s for name in sorted(pool) for s in pool[name]]
    good_is_a = order_actions(rng, everything)
    position = {id(s): i for i, s in enumerate(everything)}
    return {p: [to_record(s, good_is_a[position[id(s)]], p) for name in sets_of(p) for s in pool[name]]
            for p in POLICIES}


def unseen_paraphrase_tests(cfg: ScenariosConfig, groups: int, seed: int) -> dict[str, list[Record]]:
    """Intersecting scenarios whose oversight facts use only the held-out paraphrases (never in any training or
    corpus text), labelled per policy: every policy gets its three families' prompts."""
    pool = scenario_pool(cfg, seed, groups, 0, 0, split="heldout")
    everything = [s for combo in COMBINATIONS for s in pool[combo]]
    good_is_a = order_actions(random.Random(seed + 1), everything)
    position = {id(s): i for i, s in enumerate(everything)}
    return {p: [to_record(s, good_is_a[position[id(s)]], p) for c in combinations_of(p) for s in pool[c]]
            for p in POLICIES}


__all__ = ["policy_files", "unseen_paraphrase_tests", "train_splits", "corpus_files", "scenario_pool", "sets_of", "ALIGNED", "FAKERS"]
