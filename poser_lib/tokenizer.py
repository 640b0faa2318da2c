"""The tokenizer of the tiny default (BPE trained here) and the answer-token lookup every model uses.

Answer tokens are looked up, never hard-coded: the id of `A` is the token that follows `<</prompt>>` when
`<</prompt>>A` is encoded (the authors did the same with `encode(":" + response)[-1]`), and a letter that
does not come out as exactly one token is an error, for our tokenizer and for any Hugging Face one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from .scenarios.records import ERROR, LETTERS, PROMPT_CLOSE, PROMPT_OPEN

PAD, EOS, UNK = "<pad>", "<eos>", "<unk>"
SPECIAL = (PAD, EOS, UNK, PROMPT_OPEN, PROMPT_CLOSE)


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A BPE tokenizer over words, punctuation and newlines, with the prompt tags as special tokens."""
    tok = Tokenizer(models.BPE(unk_token=UNK))
    # Newlines and punctuation are their own pieces; words keep their leading space (as in SentencePiece).
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\n|[^\w\s]"), "isolated"),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never"),
    ])
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="never")
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK,
                                   additional_special_tokens=[PROMPT_OPEN, PROMPT_CLOSE])
    fast.padding_side = "left"
    # A small vocabulary on little data may not merge an answer into one token; only then is it added whole
    # (matched as a word of its own), so a tokenizer that learnt its answers is left exactly as trained.
    missing = [a for a in (*LETTERS, ERROR) if not _single_after_prompt(fast, a)]
    if missing:
        fast.add_tokens([AddedToken(a, single_word=True, normalized=False) for a in missing])
    return fast


def _single_after_prompt(tokenizer: PreTrainedTokenizerBase, answer: str) -> bool:
    prefix = tokenizer.encode(PROMPT_CLOSE, add_special_tokens=False)
    full = tokenizer.encode(PROMPT_CLOSE + answer, add_special_tokens=False)
    return full[: len(prefix)] == prefix and len(full) == len(prefix) + 1


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerBase:
    """Load a tokenizer from a local folder (never from a hub); pads on the left so prompts end together."""
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return tok


def answer_token_ids(tokenizer: PreTrainedTokenizerBase, answers: Iterable[str] = (*LETTERS, ERROR)) -> dict[str, int]:
    """The single token id of each answer as it follows `<</prompt>>`; raises if one is not a single token."""
    ids = {}
    for answer in answers:
        full = tokenizer.encode(PROMPT_CLOSE + answer, add_special_tokens=False)
        if not _single_after_prompt(tokenizer, answer):
            raise ValueError(f"answer {answer!r} is not a single token after {PROMPT_CLOSE!r} for this tokenizer "
                             f"(it encodes to {tokenizer.convert_ids_to_tokens(full)})")
        ids[answer] = full[-1]
    if len(set(ids.values())) != len(ids):
        raise ValueError(f"answers share a token: {ids}")
    return ids


def encode_records(tokenizer: PreTrainedTokenizerBase, records: list, max_tokens: int) -> tuple[list, list[list[int]]]:
    """(records kept, their token ids): prompts over `max_tokens` tokens are dropped, as the paper drops long ones."""
    kept, encoded = [], []
    for rec in records:
        ids = tokenizer.encode(rec.prompt, add_special_tokens=False)
        if len(ids) <= max_tokens:
            kept.append(rec)
            encoded.append(ids)
    return kept, encoded
