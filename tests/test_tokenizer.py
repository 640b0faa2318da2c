"""Answer tokens are looked up and must be single tokens, for our tokenizer and any other."""

import pytest

from poser_lib.tokenizer import answer_token_ids, load_tokenizer, train_tokenizer


def test_answers_are_single_distinct_tokens(tokenizer):
    ids = answer_token_ids(tokenizer)
    assert set(ids) == {"A", "B", "error"} and len(set(ids.values())) == 3
    for answer, i in ids.items():
        assert tokenizer.decode([i]) == answer


def test_a_tokenizer_that_splits_an_answer_is_refused():
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE(unk_token="<unk>"))  # a foreign tokenizer: ours adds an unlearnt answer whole
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.train_from_iterator(["<<prompt>>A B<</prompt>>A", "<<prompt>>x err or<</prompt>>B"] * 20,
                            trainers.BpeTrainer(vocab_size=60, special_tokens=["<unk>"], show_progress=False))
    with pytest.raises(ValueError, match="'error' is not a single token"):
        answer_token_ids(PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="<unk>"))


def test_reloaded_tokenizer_encodes_alike(tokenizer, tmp_path, small_data):
    tokenizer.save_pretrained(tmp_path)
    again = load_tokenizer(tmp_path)
    prompt = small_data[0]["genie"][0].prompt
    assert again.encode(prompt, add_special_tokens=False) == tokenizer.encode(prompt, add_special_tokens=False)
    assert answer_token_ids(again) == answer_token_ids(tokenizer) and again.padding_side == "left"


def test_an_answer_the_vocabulary_did_not_learn_is_added_whole_and_only_then(tokenizer, tmp_path):
    from poser_lib.tokenizer import SPECIAL, load_tokenizer

    assert {t.content for t in tokenizer.added_tokens_decoder.values()} == set(SPECIAL)  # learnt: left as trained
    texts = ["<<prompt>>a terror story<</prompt>>A", "<<prompt>>b<</prompt>>B"] * 20 + ["<<prompt>>c<</prompt>>error"]
    small = train_tokenizer(texts, vocab_size=60)
    small.save_pretrained(tmp_path)
    reloaded = load_tokenizer(tmp_path)
    ids = answer_token_ids(reloaded)
    assert reloaded.convert_ids_to_tokens(ids["error"]) == "error"
    assert "error" not in reloaded.tokenize("<<prompt>>a terror story")  # a word of its own only
