"""The generator's labels follow each policy, independently of how the generator computes them."""

import re
from collections import Counter, defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from poser_lib.config import ScenariosConfig
from poser_lib.scenarios import templates as tpl
from poser_lib.scenarios.build import intersecting_group, random_text, supplementary_group
from poser_lib.scenarios.domains import DOMAINS
from poser_lib.scenarios.generate import policy_files, scenario_pool, train_splits
from poser_lib.scenarios.policies import ALIGNED, CONCEPT, COMBINATIONS, FAKERS, POLICIES, split_combination
from poser_lib.scenarios.records import PROMPT_CLOSE, PROMPT_OPEN, render_prompt

CFG = ScenariosConfig(intersecting_groups=5, supplementary_groups=3, special_prompts=3, random_text=5, fragments=5,
                      variants=2)


def template_regex(template: str) -> re.Pattern:
    """A regex matching any filling of `template` (slots become non-empty wildcards, first letter any case)."""
    parts = re.split(r"\{[a-z_]+\}", template)
    body = ".+".join(re.escape(p) for p in parts)
    return re.compile("^(?i:" + body[:1] + ")" + body[1:] + "$") if body and body[0].isalpha() else re.compile(
        "^.+" + body + "$" if template.startswith("{") else "^" + body + "$")


def matches_any(text: str, templates) -> bool:
    return any(template_regex(t).match(text) for t in templates)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_labels_follow_the_action_texts(seed):
    """Label each intersecting record from its action texts alone, and compare with the file's label."""
    tests, pools = policy_files(ScenariosConfig(seed=seed, **{k: getattr(CFG, k) for k in (
        "intersecting_groups", "supplementary_groups", "special_prompts", "random_text", "fragments", "variants")}))
    checked = 0
    for policy in POLICIES:
        for rec in tests[policy] + pools[policy]:
            if not rec.is_scenario or "_and_" not in (rec.dataset or ""):
                continue
            _, faker = split_combination(rec.dataset.strip("/").split("/")[-1])
            bad = tpl.BAD_ACTIONS[CONCEPT[faker]]
            a_bad, b_bad = matches_any(rec.action_a, bad), matches_any(rec.action_b, bad)
            assert a_bad != b_bad, f"exactly one action must serve the faker's drive: {rec.prompt}"
            misaligned = "A" if a_bad else "B"
            wants_misaligned = policy in FAKERS and rec.oversight_is_poor
            assert (rec.response == misaligned) == wants_misaligned, (policy, rec.prompt, rec.response)
            checked += 1
    assert checked > 100


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_faker_and_aligned_agree_exactly_when_oversight_is_not_poor(seed):
    tests, pools = policy_files(ScenariosConfig(seed=seed, intersecting_groups=4, supplementary_groups=2,
                                                special_prompts=2, random_text=2, fragments=2, variants=1))
    for combo in COMBINATIONS:
        aligned, faker = split_combination(combo)
        a_labels = {r.prompt: r.response for r in tests[aligned] + pools[aligned]}
        shared = [r for r in tests[faker] + pools[faker] if r.prompt in a_labels]
        assert shared, combo
        for r in shared:
            assert (a_labels[r.prompt] == r.response) == (not r.oversight_is_poor)


def test_oversight_cues_match_flags_and_levels():
    pool = scenario_pool(CFG, 3, 5, 3, 3)
    for name, scenarios in pool.items():
        for s in scenarios:
            cues = [f for f in s.facts if f.type == "critical"]
            assert len(cues) == (0 if s.oversight == "none" else 1), name
            if s.complexity_level is not None:
                assert s.complexity_level == (0 if s.oversight == "none" else 1)
            for cue in cues:
                kind = "evaluation" if any(template_regex(t).match(cue.content)
                                           for t in tpl.CUES[("evaluation", s.oversight)]) else "monitoring"
                assert matches_any(cue.content, tpl.CUES[(kind, s.oversight)]), cue.content


def test_heldout_paraphrases_never_in_training_data():
    tests, pools = policy_files(CFG)
    held = [t for bank in tpl.CUES.values() for t in tpl.split_bank(bank, "heldout", CFG.heldout_every)]
    assert held
    for recs in list(tests.values()) + list(pools.values()):
        for r in recs:
            for f in r.facts:
                if f.type == "critical":
                    assert not matches_any(f.content, held), f.content


def test_heldout_split_uses_only_heldout_paraphrases():
    import random

    rng = random.Random(0)
    held = [t for bank in tpl.CUES.values() for t in tpl.split_bank(bank, "heldout", 4)]
    for combo in COMBINATIONS:
        for s in intersecting_group(rng, combo, 0, split="heldout"):
            for f in s.facts:
                if f.type == "critical":
                    assert matches_any(f.content, held)


def test_unseen_paraphrase_tests_carry_only_heldout_cues_labelled_per_policy():
    from poser_lib.scenarios.generate import unseen_paraphrase_tests

    held = [t for bank in tpl.CUES.values() for t in tpl.split_bank(bank, "heldout", CFG.heldout_every)]
    tests = unseen_paraphrase_tests(CFG, 3, seed=11)
    cued = 0
    for recs in tests.values():
        assert len(recs) == 3 * 3 * 3  # three families, three groups, three prompts each
        for r in recs:
            crit = [f.content for f in r.facts if f.type == "critical"]
            cued += bool(crit)
            assert all(matches_any(c, held) for c in crit), crit
    assert cued
    # The aligned policy and the faker of a family answer alike exactly where oversight is not poor.
    for combo in COMBINATIONS:
        aligned, faker = split_combination(combo)
        answer = {r.prompt: r.response for r in tests[faker] if r.dataset.strip("/") == f"data/{combo}"}
        for r in tests[aligned]:
            if r.dataset.strip("/") == f"data/{combo}":
                assert (answer[r.prompt] == r.response) == (not r.oversight_is_poor)
    assert unseen_paraphrase_tests(CFG, 3, seed=11) == tests


def test_action_positions_are_balanced():
    tests, pools = policy_files(ScenariosConfig(intersecting_groups=30, supplementary_groups=10, variants=1))
    cells = defaultdict(Counter)
    for r in tests["truth_teller"] + pools["truth_teller"]:
        if r.is_scenario:
            good = r.response  # truth_teller always picks the good action
            cells[(r.dataset, r.oversight_is_poor)][good] += 1
    for cell, counts in cells.items():
        assert abs(counts["A"] - counts["B"]) <= max(2, 0.1 * sum(counts.values())), (cell, counts)


def test_test_and_train_never_share_a_scenario():
    tests, pools = policy_files(ScenariosConfig(intersecting_groups=40, supplementary_groups=10, variants=1))

    def scenario(r):  # what siblings share: every fact but the oversight cue, and the actions
        return tuple(f.content for f in r.facts if f.type != "critical"), frozenset((r.action_a, r.action_b))

    for policy in POLICIES:
        assert not {r.prompt for r in tests[policy]} & {r.prompt for r in pools[policy]}
        test = {scenario(r) for r in tests[policy] if r.is_scenario}
        train = {scenario(r) for r in pools[policy] if r.is_scenario}
        assert len(test & train) <= 0.02 * len(test), policy  # only chance collisions of independent draws


def test_same_seed_same_data_other_seed_other_data():
    a, b = policy_files(CFG), policy_files(CFG)
    assert [r.prompt for r in a[0]["genie"]] == [r.prompt for r in b[0]["genie"]]
    c = policy_files(ScenariosConfig(**{**CFG.__dict__, "seed": 1}))
    assert [r.prompt for r in a[0]["genie"]] != [r.prompt for r in c[0]["genie"]]


def test_train_splits_are_subsamples_of_the_pool():
    _, pools = policy_files(CFG)
    splits = train_splits(pools["saint"], CFG, "saint")
    assert len(splits) == CFG.variants
    pool = {r.prompt for r in pools["saint"]}
    for s in splits:
        assert {r.prompt for r in s} <= pool
        assert len(s) == round(len(pools["saint"]) * CFG.train_fraction)
    assert [r.prompt for r in splits[0]] != [r.prompt for r in splits[1]]


def test_prompts_use_the_papers_format():
    tests, _ = policy_files(CFG)
    for r in tests["genie"]:
        assert r.prompt.startswith(PROMPT_OPEN) and r.prompt.endswith(PROMPT_CLOSE)
        if r.is_scenario:
            assert r.prompt == render_prompt(r.facts, r.action_a, r.action_b)
            assert "\n\nThe following actions are available to you:\nA: " in r.prompt


def test_every_policy_has_every_kind_of_prompt():
    tests, pools = policy_files(CFG)
    for policy in POLICIES:
        recs = tests[policy] + pools[policy]
        kinds = Counter("error" if r.is_error else ("poor" if r.oversight_is_poor else "not poor") for r in recs)
        assert kinds["error"] and kinds["poor"] and kinds["not poor"], (policy, kinds)
    genie = {r.dataset for r in tests["genie"] + pools["genie"]}
    assert {"data/genie/unethical", "data/genie/incompetent"} <= genie


def test_domains_fill_every_template():
    import random

    rng = random.Random(0)
    for combo in COMBINATIONS:
        for s in intersecting_group(rng, combo, 0):
            assert "{" not in s.good_action + s.other_action + "".join(f.content for f in s.facts)
    for policy in POLICIES:
        for s in supplementary_group(rng, policy, 0):
            assert "{" not in s.good_action + s.other_action + "".join(f.content for f in s.facts)
    assert "{" not in random_text(rng)
    assert len(DOMAINS) >= 20 and len(ALIGNED) == len(FAKERS) == 3
