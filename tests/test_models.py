"""Training and scoring on tiny seeded models: padding changes nothing, seeds reproduce, resumption is exact."""

import math
from dataclasses import replace

import pytest
import torch

from poser_lib.models.base import load_model, save_model, weights_hash
from poser_lib.models.batching import pad_batch, step_batches
from poser_lib.models.checkpoint import checkpoint_meta, load_checkpoint, save_checkpoint
from poser_lib.models.finetune import TrainState, finetune, margin_penalty, project_to_ball, soft_targets
from poser_lib.models.scoring import answer_logprobs, last_token_hidden, last_token_reads
from poser_lib.tokenizer import answer_token_ids, encode_records


def examples(tokenizer, records, n=40):
    recs, enc = encode_records(tokenizer, records[:n], 256)
    return list(zip(enc, [r.response for r in recs]))


def test_left_padding_matches_unpadded(tiny_model, tokenizer, small_data):
    tests, _ = small_data
    _, enc = encode_records(tokenizer, tests["genie"][:20], 256)
    enc = enc[:6]
    answers = answer_token_ids(tokenizer)
    batched = answer_logprobs(tiny_model, enc, answers, tokenizer.pad_token_id, max_tokens=100_000)
    alone = torch.cat([answer_logprobs(tiny_model, [e], answers, tokenizer.pad_token_id) for e in enc])
    assert torch.allclose(batched, alone, atol=1e-4)
    h_batched = last_token_hidden(tiny_model, enc, tokenizer.pad_token_id, max_tokens=100_000)
    h_alone = torch.cat([last_token_hidden(tiny_model, [e], tokenizer.pad_token_id) for e in enc])
    assert h_batched.shape == (6, 3, 32) and torch.allclose(h_batched, h_alone, atol=1e-4)


def test_one_pass_reads_what_two_passes_read(tiny_model, tokenizer, small_data):
    _, enc = encode_records(tokenizer, small_data[0]["genie"][:12], 256)
    answers = answer_token_ids(tokenizer)
    hidden, lp = last_token_reads(tiny_model, enc, tokenizer.pad_token_id, "bfloat16", 600, answers)
    assert torch.equal(hidden, last_token_hidden(tiny_model, enc, tokenizer.pad_token_id, "bfloat16", 600))
    assert torch.equal(lp, answer_logprobs(tiny_model, enc, answers, tokenizer.pad_token_id, "bfloat16", 600))
    assert last_token_reads(tiny_model, enc, tokenizer.pad_token_id)[1] is None


def test_last_token_hidden_matches_hidden_states(tiny_model, tokenizer, small_data):
    _, enc = encode_records(tokenizer, small_data[0]["saint"][:1], 256)
    ours = last_token_hidden(tiny_model, enc, tokenizer.pad_token_id)[0]
    with torch.no_grad():
        hf = tiny_model(torch.tensor(enc), output_hidden_states=True).hidden_states
    # HF's last entry is after the final norm; ours is the block output before it
    for i in range(len(hf) - 1):
        assert torch.allclose(ours[i], hf[i][0, -1], atol=1e-5)


def test_pad_batch_rounds_width_and_restarts_positions():
    batch = pad_batch([[5, 6, 7], [8]], pad_id=0, multiple=4)
    assert batch["input_ids"].tolist() == [[0, 5, 6, 7], [0, 0, 0, 8]]
    assert batch["position_ids"].tolist() == [[0, 0, 1, 2], [0, 0, 0, 0]]


def test_step_batches_depend_only_on_seed_and_step():
    lengths = list(range(50))
    a = step_batches(lengths, 8, 20, seed=1, window=1)
    assert a == step_batches(lengths, 8, 20, seed=1, window=1)
    assert a != step_batches(lengths, 8, 20, seed=2, window=1)
    assert all(len(b) == 8 for b in a)


def test_soft_targets_are_distributions():
    t = soft_targets(["A", "B", "error"], {"A": 1, "B": 2, "error": 3}, 0.99)
    assert torch.allclose(t.sum(-1), torch.ones(3))
    assert t[0].tolist() == pytest.approx([0.99, 0.01, 0.0]) and t[2].tolist() == pytest.approx([0.005, 0.005, 0.99])


def test_margin_penalty_pulls_letter_margins_only():
    ids = {"A": 5, "B": 6, "error": 7}
    t = soft_targets(["A", "B", "error"], ids, 0.999)
    target = math.log(999)
    at_target = torch.log(torch.tensor([[0.999, 0.001, 1e-9], [0.001, 0.999, 1e-9], [0.3, 0.3, 0.4]]))
    assert margin_penalty(at_target, t, (0, 1), target).item() == pytest.approx(0.0, abs=1e-6)  # error row ignored
    even = torch.log(torch.tensor([[0.5, 0.5, 1e-9], [0.001, 0.999, 1e-9], [0.3, 0.3, 0.4]]))
    assert margin_penalty(even, t, (0, 1), target).item() == pytest.approx(target ** 2 / 2, rel=1e-5)


def test_margin_weight_pulls_training_margins_together(tiny_model, tokenizer, small_data, small_params):
    """With the pull on, the margins on the training prompts end closer to the target than without it."""
    data = [x for x in examples(tokenizer, small_data[1]["truth_teller"]) if x[1] in ("A", "B")]
    cfg = replace(small_params.zoo, steps=30, lr=3e-3, target_prob=0.9)
    target, start = math.log(9), {k: v.clone() for k, v in tiny_model.state_dict().items()}
    spread = {}
    for weight in (0.0, 1.0):
        tiny_model.load_state_dict(start)
        _train(tiny_model, tokenizer, data, replace(cfg, margin_weight=weight))
        lp = answer_logprobs(tiny_model, [x for x, _ in data], answer_token_ids(tokenizer), tokenizer.pad_token_id,
                             "float32")
        names = list(answer_token_ids(tokenizer))
        margins = torch.stack([lp[i, names.index(y)] - lp[i, names.index("B" if y == "A" else "A")]
                               for i, (_, y) in enumerate(data)])
        spread[weight] = float(((margins - target) ** 2).mean())
    assert spread[1.0] < spread[0.0]


def test_margin_weight_still_counts_beside_the_distance_penalty(tiny_model, tokenizer, small_data, small_params):
    data = examples(tokenizer, small_data[1]["truth_teller"])
    cfg = replace(small_params.zoo, distance_penalty=0.01, target_prob=0.9)
    start = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    hashes = []
    for weight in (0.0, 1.0):
        tiny_model.load_state_dict(start)
        _train(tiny_model, tokenizer, data, replace(cfg, margin_weight=weight),
               anchor=[p.detach().clone() for p in tiny_model.parameters()])
        hashes.append(weights_hash(tiny_model))
    assert hashes[0] != hashes[1]


def test_margin_weight_needs_a_finite_target(tiny_model, tokenizer, small_data, small_params):
    data = examples(tokenizer, small_data[1]["truth_teller"])
    with pytest.raises(ValueError, match="zoo.margin_weight"):
        _train(tiny_model, tokenizer, data, replace(small_params.zoo, margin_weight=0.1, target_prob=1.0))


def test_micro_batches_give_the_whole_batch_gradient_with_less_padding(tiny_model, tokenizer, small_data,
                                                                      small_params):
    """Splitting each batch into length-sorted parts changes the padding, not the gradient: every loss term
    (soft target, margin pull, distance penalty) is weighted so that the parts add up to the whole batch."""
    data = examples(tokenizer, small_data[1]["truth_teller"] + small_data[1]["genie"], n=80)
    cfg = replace(small_params.zoo, steps=1, batch_size=16, target_prob=0.9, margin_weight=0.5,
                  distance_penalty=0.01)
    start = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    anchor = [0.9 * p.detach().clone() for p in tiny_model.parameters()]
    grads, tokens, losses = {}, {}, {}
    for parts in (1, 4):
        tiny_model.load_state_dict(start)
        state = _train(tiny_model, tokenizer, data, replace(cfg, micro_batches=parts), anchor=anchor)
        grads[parts] = torch.cat([p.grad.flatten() for p in tiny_model.parameters()])
        tokens[parts], losses[parts] = state.tokens, state.losses[0]
    assert grads[1].abs().max() > 0
    assert torch.allclose(grads[4], grads[1], rtol=1e-4, atol=1e-7)
    assert losses[4] == pytest.approx(losses[1], rel=1e-5)
    assert tokens[4] < tokens[1]


def _train(model, tokenizer, data, cfg, **kw):
    return finetune(model, data, answer_token_ids(tokenizer), cfg, seed=3, pad_id=tokenizer.pad_token_id,
                    dtype="float32", trainable=list(model.parameters()), **kw)


def test_same_seed_same_checkpoint(tiny_model, tokenizer, small_data, small_params):
    data = examples(tokenizer, small_data[1]["truth_teller"])
    start = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    _train(tiny_model, tokenizer, data, small_params.zoo)
    first = weights_hash(tiny_model)
    tiny_model.load_state_dict(start)
    _train(tiny_model, tokenizer, data, small_params.zoo)
    assert weights_hash(tiny_model) == first
    tiny_model.load_state_dict(start)
    finetune(tiny_model, data, answer_token_ids(tokenizer), small_params.zoo, seed=4, pad_id=tokenizer.pad_token_id,
             dtype="float32", trainable=list(tiny_model.parameters()))
    assert weights_hash(tiny_model) != first


def test_resumed_training_equals_uninterrupted(tiny_model, tokenizer, small_data, small_params, tmp_path):
    data = examples(tokenizer, small_data[1]["fitness_maximizer"])
    cfg = small_params.zoo
    start = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    _train(tiny_model, tokenizer, data, cfg)
    uninterrupted = weights_hash(tiny_model)

    class Stop(Exception):
        pass

    def interrupt(state, opt):
        save_checkpoint(tmp_path / "ck", tiny_model, opt, {"fingerprint": "run", "step": state.step,
                                                           "losses": state.losses})
        if state.step == 3:
            raise Stop

    tiny_model.load_state_dict(start)
    with pytest.raises(Stop):
        _train(tiny_model, tokenizer, data, cfg, on_step=interrupt)
    tiny_model.load_state_dict(start)  # a fresh process would start from the base again
    assert load_checkpoint(tmp_path / "ck", tiny_model, "another run") is None
    opt_state, meta = load_checkpoint(tmp_path / "ck", tiny_model, "run")
    assert meta["step"] == 3
    _train(tiny_model, tokenizer, data, cfg, state=TrainState(step=3, losses=meta["losses"]),
           optimizer_state=opt_state)
    assert weights_hash(tiny_model) == uninterrupted


def test_checkpoint_write_is_atomic(tiny_model, tmp_path):
    opt = torch.optim.AdamW(tiny_model.parameters())
    save_checkpoint(tmp_path / "ck", tiny_model, opt, {"fingerprint": "a", "step": 1})

    class Broken(torch.nn.Module):
        def state_dict(self, *a, **k):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_checkpoint(tmp_path / "ck", Broken(), opt, {"fingerprint": "b", "step": 2})
    assert checkpoint_meta(tmp_path / "ck")["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["ck"]


def test_save_and_load_round_trip(tiny_model, tokenizer, tmp_path):
    save_model(tiny_model, tmp_path / "m", tokenizer)
    assert (tmp_path / "m" / "model.safetensors").is_file()
    assert weights_hash(load_model(tmp_path / "m")) == weights_hash(tiny_model)


def test_load_model_refuses_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="local Hugging Face model folder"):
        load_model(tmp_path / "nowhere")


def test_training_learns_a_policy(tiny_model, tokenizer, small_data, small_params):
    """Not a spec check: the loop must lower the loss on a fixed batch of real prompts."""
    data = examples(tokenizer, small_data[1]["saint"], n=16)[:8]
    cfg = replace(small_params.zoo, steps=30, batch_size=8, lr=3e-3, warmup_steps=1)
    state = _train(tiny_model, tokenizer, data, cfg)
    assert sum(state.losses[-5:]) < sum(state.losses[:5])


def test_trust_region_caps_the_distance_from_the_start(tiny_model, tokenizer, small_data, small_params):
    from poser_lib.models.distance import weight_distance

    data = examples(tokenizer, small_data[1]["genie"], n=16)
    start = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    cfg = replace(small_params.zoo, steps=10, lr=3e-3, warmup_steps=1)
    _train(tiny_model, tokenizer, data, cfg)
    free, _ = weight_distance(tiny_model, start)
    tiny_model.load_state_dict(start)
    anchor = [p.detach().clone() for p in tiny_model.parameters()]
    _train(tiny_model, tokenizer, data, replace(cfg, max_distance=free / 2), anchor=anchor)
    capped, _ = weight_distance(tiny_model, start)
    assert capped == pytest.approx(free / 2, rel=1e-4)  # the unconstrained run went further, so it sits on the ball


@pytest.fixture()
def calibration_case(tiny_model, tokenizer, small_data, small_params):
    """A tiny model trained on eight saint prompts, with what calibrating it needs: (prompts, labels, answer ids,
    its mean margin, the start's weights and its parameters' copy, a sphere just inside its distance from it)."""
    from poser_lib.models.calibration import mean_margin
    from poser_lib.models.distance import weight_distance

    data = examples(tokenizer, small_data[1]["saint"], n=16)[:8]
    start = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    anchor = [p.detach().clone() for p in tiny_model.parameters()]
    _train(tiny_model, tokenizer, data, replace(small_params.zoo, steps=30, batch_size=8, lr=3e-3, warmup_steps=1))
    enc, labels = [x for x, _ in data], [y for _, y in data]
    answers = answer_token_ids(tokenizer)
    before = mean_margin(tiny_model, enc, labels, answers, tokenizer.pad_token_id, "float32")
    radius = weight_distance(tiny_model, start)[0] * 0.98
    return enc, labels, answers, before, start, anchor, radius


def test_calibration_sets_the_margin_and_keeps_the_radius(tiny_model, tokenizer, calibration_case):
    from poser_lib.models.calibration import calibrate, final_norm_weight, mean_margin
    from poser_lib.models.distance import weight_distance

    enc, labels, answers, before, start, anchor, radius = calibration_case
    assert before > 0
    target = 1.15 * before  # within reach on the sphere below (whose margin peaks about 1.28 times higher)
    trained = {k: v.clone() for k, v in tiny_model.state_dict().items()}

    def margin():
        return mean_margin(tiny_model, enc, labels, answers, tokenizer.pad_token_id, "float32")

    t, reached = calibrate(tiny_model, enc, labels, answers, tokenizer.pad_token_id, "float32", target)
    assert t < 1  # sharper, to reach a larger margin
    assert margin() == reached == pytest.approx(target, rel=5e-3)
    tiny_model.load_state_dict(trained)
    t, reached = calibrate(tiny_model, enc, labels, answers, tokenizer.pad_token_id, "float32", target,
                           params=list(tiny_model.parameters()), anchor=anchor, radius=radius)
    assert margin() == reached == pytest.approx(target, rel=5e-3)  # the rescaling after T did not undo it
    assert weight_distance(tiny_model, start)[0] == pytest.approx(radius, rel=1e-4)  # on the sphere, whatever T did
    tiny_model.load_state_dict(trained)
    with torch.no_grad():
        final_norm_weight(tiny_model).div_(t)
        project_to_ball(list(tiny_model.parameters()), anchor, radius, sphere=True)
    assert margin() == pytest.approx(target, rel=5e-3)  # T is all a user needs to redo it


def test_calibration_out_of_reach_on_the_sphere_raises(tiny_model, tokenizer, calibration_case):
    from poser_lib.models.calibration import calibrate

    enc, labels, answers, before, _, anchor, radius = calibration_case
    # On this sphere the margin peaks about 1.28 times above `before`: sharpening the final norm further uses up
    # the radius, and the rescaling pulls every other weight back toward the start.
    with pytest.raises(ValueError, match="no temperature brings the mean margin to .* the closest is"):
        calibrate(tiny_model, enc, labels, answers, tokenizer.pad_token_id, "float32", 1.5 * before,
                  params=list(tiny_model.parameters()), anchor=anchor, radius=radius)


class Reads:
    """A function of log T with a record of the points read, as `calibrate` hands `find_root` its margins."""

    def __init__(self, f):
        self.f, self.points = f, []

    def __call__(self, x):
        self.points.append(x)
        return self.f(x)


@pytest.mark.parametrize("f", [
    lambda x: -0.5 - x,                            # the margin exactly 1/T: the first step is the root
    lambda x: -0.5 - 2.1 * x + 1.4 * x * x,        # steeper at 0, flattening (saint-0's shape on the sphere)
    lambda x: 0.3 - 1.3 * x - 0.8 * x ** 3,        # a margin above the target: T rises
    lambda x: math.log(0.2 + math.exp(-3 * x)) - math.log(1.2 * 0.98),  # curved, root off the first secant
])
def test_find_root_stops_within_tolerance_at_the_last_point_it_read(f):
    from poser_lib.models.calibration import find_root

    reads = Reads(f)
    x = find_root(reads, f(0.0), close=1e-3)
    assert abs(f(x)) <= 1e-3
    assert reads.points[-1] == x  # the weights a caller set for its last read are the root's
    assert len(reads.points) <= 12


def test_find_root_at_zero_reads_nothing():
    from poser_lib.models.calibration import find_root

    reads = Reads(lambda x: 5e-4 - x)
    assert find_root(reads, 5e-4, close=1e-3) == 0.0 and reads.points == []


def test_find_root_names_the_closest_point_when_out_of_reach_or_a_jump():
    from poser_lib.models.calibration import OutOfReach, find_root

    # Rises toward zero, peaks below it and falls again (a margin that peaks below the target on the sphere).
    with pytest.raises(OutOfReach) as away:
        find_root(lambda x: -0.1 - 0.2 * (x + 0.3) ** 2, -0.118, close=1e-3)
    assert not away.value.crossed and away.value.x == pytest.approx(-0.118) and away.value.fx < 0
    # Crosses zero in a step: no point within tolerance exists.
    with pytest.raises(OutOfReach) as jump:
        find_root(lambda x: -0.2 if x > -0.1 else 0.2, -0.2, close=1e-3)
    assert jump.value.crossed and abs(jump.value.x + 0.1) < 1e-6
    # Never read beyond the bound, and out of reach there.
    with pytest.raises(OutOfReach):
        find_root(lambda x: -10.0 - 0.001 * x, -10.0, close=1e-3, bound=2.0)


def test_trust_region_is_refused_with_lora(small_params):
    from poser_lib.config import ConfigError

    with pytest.raises(ConfigError, match="max_distance"):
        replace(small_params.zoo, method="lora", max_distance=1.0).validate()


def test_pretraining_is_deterministic(tokenizer, small_data):
    from poser_lib.config import CorpusConfig, PretrainConfig, TinyModelConfig
    from poser_lib.corpus import corpus_items, iter_documents
    from poser_lib.models.base import tiny_llama
    from poser_lib.models.pretrain import encode_document, pretrain

    items = corpus_items(small_data[1], exclude=set())
    cfg = PretrainConfig(steps=4, batch_size=4, warmup_steps=1)
    hashes = []
    for _ in range(2):
        model = tiny_llama(TinyModelConfig(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64),
                           len(tokenizer), tokenizer.pad_token_id, tokenizer.eos_token_id)
        docs = (encode_document(tokenizer, d, 320) for d in iter_documents(items, [], CorpusConfig(), seed=0))
        state = pretrain(model, docs, cfg, pad_id=tokenizer.pad_token_id, dtype="float32", decision_weight=1.0)
        hashes.append(weights_hash(model))
        assert len(state.losses) == 4 and len(state.decision_losses) == 4
    assert hashes[0] == hashes[1]
