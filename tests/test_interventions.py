"""Scoped residual-stream edits: a zero edit changes nothing, earlier blocks stay put, hooks always go."""

import pytest
import torch

from poser_lib.interventions import (adding, adding_noise, decoder_layers, editing, hook_count, layer_at,
                                     recording)
from poser_lib.models.batching import pad_batch
from poser_lib.tokenizer import encode_records


@pytest.fixture()
def batch(tokenizer, small_data):
    _, encoded = encode_records(tokenizer, small_data[0]["genie"][:4], 256)
    return pad_batch(encoded, tokenizer.pad_token_id)


def _logits(model, batch):
    with torch.no_grad():
        return model(**batch).logits


def _hidden(model, batch):
    with torch.no_grad():
        return model(**batch, output_hidden_states=True).hidden_states


def test_zero_edit_leaves_logits_bit_identical(tiny_model, batch):
    before = _logits(tiny_model, batch)
    d = tiny_model.config.hidden_size
    for layer in range(len(decoder_layers(tiny_model))):
        with adding(tiny_model, layer, torch.zeros(d)):
            assert torch.equal(_logits(tiny_model, batch), before)
        with adding_noise(tiny_model, layer, 0.0, torch.Generator().manual_seed(0), position=None):
            assert torch.equal(_logits(tiny_model, batch), before)


def test_edit_at_a_block_leaves_earlier_blocks_identical(tiny_model, batch):
    before = _hidden(tiny_model, batch)
    with adding(tiny_model, 1, torch.ones(tiny_model.config.hidden_size), position=None):
        after = _hidden(tiny_model, batch)
    assert all(torch.equal(a, b) for a, b in zip(after[:2], before[:2]))  # embeddings and block 0
    assert not torch.equal(after[2], before[2])  # block 1's output is the edited one (before the final norm)


def test_last_position_edit_touches_only_the_last_token(tiny_model, batch):
    before = _logits(tiny_model, batch)
    with adding(tiny_model, 0, torch.full((tiny_model.config.hidden_size,), 3.0)):
        after = _logits(tiny_model, batch)
    real = batch["attention_mask"].bool()[:, :-1]  # pad positions attend to garbage and are never read
    assert torch.equal(after[:, :-1][real], before[:, :-1][real])  # causal: nothing before the edit moves
    assert not torch.equal(after[:, -1], before[:, -1])


def test_hooks_are_removed_also_after_an_exception(tiny_model, batch):
    assert hook_count(tiny_model) == 0
    with pytest.raises(RuntimeError, match="boom"):
        with recording(tiny_model, [0, 1]), adding(tiny_model, 1, torch.ones(tiny_model.config.hidden_size)):
            assert hook_count(tiny_model) == 3
            raise RuntimeError("boom")
    assert hook_count(tiny_model) == 0


def test_same_seed_same_noisy_output(tiny_model, batch):
    outs = []
    for seed in (0, 0, 1):
        with adding_noise(tiny_model, 0, 0.5, torch.Generator().manual_seed(seed)):
            outs.append(_logits(tiny_model, batch))
    assert torch.equal(outs[0], outs[1]) and not torch.equal(outs[0], outs[2])


def test_noise_has_the_requested_relative_norm(tiny_model, batch):
    with recording(tiny_model, [0]) as clean:
        _logits(tiny_model, batch)
    with adding_noise(tiny_model, 0, 0.25, torch.Generator().manual_seed(0)), recording(tiny_model, [0]) as noisy:
        _logits(tiny_model, batch)
    h, n = clean[0][0], noisy[0][0]  # recording registered after the noise runs after it on the same block
    assert torch.allclose((n - h).norm(dim=-1), 0.25 * h.norm(dim=-1), rtol=1e-4)


def test_recording_matches_hidden_states(tiny_model, batch):
    with recording(tiny_model, [0], position=None) as acts:
        hs = _hidden(tiny_model, batch)
    assert torch.allclose(acts[0][0], hs[1])


def test_relative_depth_and_bad_models(tiny_model):
    assert layer_at(tiny_model, 0.0) == 0 and layer_at(tiny_model, 1.0) == 1
    with pytest.raises(ValueError, match="relative depth"):
        layer_at(tiny_model, 1.5)
    with pytest.raises(TypeError, match="decoder blocks"):
        decoder_layers(torch.nn.Linear(2, 2))


def test_editing_leaves_the_weights_alone(tiny_model, batch):
    state = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    with editing(tiny_model, 0, lambda h: h * 2):
        _logits(tiny_model, batch)
    assert all(torch.equal(v, state[k]) for k, v in tiny_model.state_dict().items())
