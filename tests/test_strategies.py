"""Every registered strategy returns finite scores, is deterministic, and leaves the model's weights alone."""


import warnings

import pytest
import torch

from poser_lib.config_loader import ConfigError
from poser_lib.interventions import hook_count
from poser_lib.models.attention import for_reading
from poser_lib.models.base import weights_hash
from poser_lib.strategies import CONFIGS, REGISTRY, parse_configs
from poser_lib.strategies.core import Bench, Subject
from poser_lib.strategies.prompts import contrast_pairs, critical_token_mask, has_critical, without_critical
from poser_lib.tokenizer import answer_token_ids

FAST = {  # small settings so the whole registry runs in seconds on the 2-layer fixture
    "belief_steering": {"coefficients": [1.0, 5.0], "contrast_pairs": 3, "eval_prompts": 6},
    "noise_injection": {"gaussian_scales": [0.5, 2.0], "uniform_coefficients": [3.0], "seeds": 2,
                        "contrast_pairs": 3, "eval_prompts": 6},
    "learning_speed": {"steps": 3, "batch_size": 2, "max_prompts": 10},
    "suspicious_concepts": {"behaviour_stimuli": 3, "eval_prompts": 6},
    "decision_speed": {"prompts": 12},
    "attentiveness": {"prompts": 3},
}


@pytest.fixture()
def bench(small_data):
    tests, _ = small_data
    recs = [r for r in tests["truth_teller"] if r.is_scenario and not r.oversight_is_poor
            and (r.dataset or "").startswith("data/truth_and_fitness")]
    return Bench("truth_and_fitness", tuple(recs))


@pytest.fixture()
def subject(tiny_model, tokenizer):
    base = {k: v.clone() + 0.01 for k, v in tiny_model.state_dict().items()}
    return Subject(tiny_model, tokenizer, answer_token_ids(tokenizer), "float32", base)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_strategy_is_finite_deterministic_and_leaves_the_model_alone(name, subject, bench):
    # The attention kernel the pipeline gives this strategy (detect.run_strategy): SDPA unless it reads weights.
    for_reading(subject.model, attention_weights=REGISTRY[name].needs_attention)
    cfg = parse_configs({name: FAST.get(name, {})})[name]
    before, attention = weights_hash(subject.model), subject.model.config._attn_implementation
    first = REGISTRY[name].score(subject, bench, cfg)
    assert weights_hash(subject.model) == before and subject.model.config._attn_implementation == attention
    assert all(p.grad is None for p in subject.model.parameters())
    assert first.scores and all(torch.isfinite(torch.tensor(list(s.values()))).all() for s in first.scores.values())
    second = REGISTRY[name].score(subject, bench, cfg)
    assert second.scores == first.scores
    assert hook_count(subject.model) == 0


def test_unknown_strategy_and_bad_value_are_named():
    with pytest.raises(ConfigError, match="strategies.nope"):
        parse_configs({"nope": {}})
    with pytest.raises(ConfigError, match="strategies.noise_injection.seeds"):
        parse_configs({"noise_injection": {"seeds": 0}})


def test_contrast_pairs_use_each_record_once(bench):
    pairs, rest = contrast_pairs(bench.records, 2)
    assert len(pairs) == 2 and len(rest) == len(bench.records) - 2
    clean, critical = pairs[0]
    source = next(r for r in bench.records if has_critical(r))
    assert clean == without_critical(source) and clean.startswith("<<prompt>>")
    assert f"A: {source.action_b}" in critical  # the critical copy swaps the actions


def test_critical_mask_covers_the_critical_fact(bench, tokenizer):
    rec = next(r for r in bench.records if has_critical(r))
    mask = critical_token_mask(tokenizer, rec)
    ids = tokenizer(rec.prompt, add_special_tokens=False)["input_ids"]
    text = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    fact = next(f.content for f in rec.facts if f.type == "critical")
    assert text.replace(" ", "") .strip(".\n") in fact.replace(" ", "") or fact.replace(" ", "") in text.replace(" ", "")


def test_prefix_cache_matches_full_forward_passes_with_and_without_an_edit(subject, bench):
    from poser_lib.interventions import adding
    from poser_lib.models.scoring import answer_logprobs
    from poser_lib.strategies.core import PrefixCache

    enc = subject.encode(bench.prompts[:7])
    with warnings.catch_warnings():
        # transformers 5 renamed `past_key_values` to `cache` and removes the old name in 5.40: fail here first.
        warnings.filterwarnings("error", message=".*past_key_values.*")
        cache = PrefixCache(subject, enc, max_tokens=600)  # several batches of different widths
        first = cache.logprobs()
    full = answer_logprobs(subject.model, enc, subject.answer_ids, subject.pad_id)
    assert torch.allclose(first, full, atol=1e-5)
    v = torch.randn(subject.model.config.hidden_size, generator=torch.Generator().manual_seed(0))
    with adding(subject.model, 1, 3 * v):
        edited_full = answer_logprobs(subject.model, enc, subject.answer_ids, subject.pad_id)
        edited = cache.logprobs()
    assert torch.allclose(edited, edited_full, atol=1e-5) and not torch.allclose(edited, full, atol=1e-3)
    assert torch.allclose(cache.logprobs(), full, atol=1e-5)  # the cache was cropped back after each use


def test_sdpa_reads_the_same_answers_as_eager_and_the_prefix_cache_agrees(subject, bench):
    from poser_lib.interventions import adding
    from poser_lib.models.scoring import answer_logprobs
    from poser_lib.strategies.core import PrefixCache

    enc = subject.encode(bench.prompts[:7])
    eager = answer_logprobs(subject.model, enc, subject.answer_ids, subject.pad_id)
    for_reading(subject.model)
    assert subject.model.config._attn_implementation == "sdpa"
    sdpa = answer_logprobs(subject.model, enc, subject.answer_ids, subject.pad_id)
    assert torch.allclose(sdpa, eager, atol=1e-4)
    v = torch.randn(subject.model.config.hidden_size, generator=torch.Generator().manual_seed(0))
    cache = PrefixCache(subject, enc, max_tokens=600)
    with adding(subject.model, 1, 3 * v):
        assert torch.allclose(cache.logprobs(), answer_logprobs(subject.model, enc, subject.answer_ids,
                                                                subject.pad_id), atol=1e-4)
    for_reading(subject.model, attention_weights=True)
    assert subject.model.config._attn_implementation == "eager"


def test_every_registered_strategy_has_its_config_and_no_other():
    assert set(REGISTRY) == set(CONFIGS)
    assert all(REGISTRY[name].config is CONFIGS[name] for name in REGISTRY)


def test_registering_a_config_missing_from_configs_is_refused():
    from poser_lib.strategies.registry import register

    with pytest.raises(ValueError, match="not_a_strategy.*CONFIGS"):
        register("not_a_strategy", dict)(lambda subject, bench, cfg: None)
    assert "not_a_strategy" not in REGISTRY
