"""Stage `tokenizer`: train the BPE tokenizer of the tiny default on the zoo's training text and the corpus.

Output: `data/tokenizer/` (a Hugging Face tokenizer folder). Fails if an answer (`A`, `B`, `error`) is not one
token after `<</prompt>>`.
"""

from __future__ import annotations

import itertools

from ..corpus import iter_documents
from ..io import atomic_dir
from ..tokenizer import answer_token_ids, train_tokenizer
from .common import corpus_sources, stage_args, zoo_data


def main(argv: list[str] | None = None) -> None:
    params, paths = stage_args(__doc__, argv, models=False)
    data = zoo_data(params, paths)
    texts = [r.prompt + r.response for d in data.values() for t in d.train for r in t]
    items, errors = corpus_sources(params, paths)
    docs = iter_documents(items, errors, params.corpus, seed=params.corpus.seed + 1)
    texts += [d.text for d in itertools.islice(docs, params.tokenizer.corpus_documents)]
    tok = train_tokenizer(texts, params.tokenizer.vocab_size)
    ids = answer_token_ids(tok)
    with atomic_dir(paths.tokenizer) as tmp:
        tok.save_pretrained(tmp)
    print(f"tokenizer: {len(tok)} tokens, answers {ids}, trained on {len(texts)} texts -> {paths.tokenizer}")


if __name__ == "__main__":
    main()
