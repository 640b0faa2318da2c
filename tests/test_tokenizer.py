"""Answer tokens are looked up and must be single tokens, for our tokenizer and any other."""

import pytest

from poser_lib.tokenizer import answer_token_ids, load_tokenizer, train_tokenizer


def test_answers_are_single_distinct_tokens(tokenizer):
    ids = answer_token_ids(tokenizer)
    assert set(ids) == {"A", "B", "error"} and len(set(ids.values())) == 3
    for answer, i in ids.items():
        assert tokenizer.decode([i]) == answer


def test_a_tokenizer_that_splits_an_answer_is_refused():
    tok = train_tokenizer(["<<prompt>>A B<</prompt>>A", "<<prompt>>x<</prompt>>B"] * 20, vocab_size=60)
    with pytest.raises(ValueError, match="'error' is not a single token"):
        answer_token_ids(tok)


def test_reloaded_tokenizer_encodes_alike(tokenizer, tmp_path, small_data):
    tokenizer.save_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)
    prompt = small_data[0]["genie"][0].prompt
    assert again.encode(prompt, add_special_tokens=False) == tokenizer.encode(prompt, add_special_tokens=False)
    assert answer_token_ids(again) == answer_token_ids(tokenizer) and again.padding_side == "left"
