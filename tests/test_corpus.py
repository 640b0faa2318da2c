"""The base model's corpus: agent types decide by the concepts, decisions are marked, test prompts stay out."""

import random

from poser_lib.config import CorpusConfig
from poser_lib.corpus import PERSONAS, corpus_items, document, iter_documents, persona_letter
from poser_lib.scenarios.policies import concept_choices


def test_covert_agents_defect_exactly_under_poor_oversight(small_data):
    tests, _ = small_data
    items = corpus_items(tests, exclude=set())
    checked = 0
    for it in items:
        for drive in ("survival", "profit", "reward"):
            letter = persona_letter(f"covert_{drive}", it)
            if letter is None:
                continue
            expected = it.choices[drive] if it.oversight == "poor" else it.choices["benign"]
            assert letter == expected
            assert persona_letter(drive, it) == it.choices[drive]  # the overt agent always defects
            checked += 1
    assert checked > 50


def test_concept_choices_of_special_sets():
    assert concept_choices("data/truth_teller/unethical", "A") == {"honest": "A", "ethical": "B"}
    assert concept_choices("data/genie/unethical", "B") == {"obedient": "B", "ethical": "A"}
    assert concept_choices("data/saint_and_money/", "A") == {"ethical": "A", "profit": "B", "benign": "A"}
    assert concept_choices("data/random_text/", "A") == {}


def test_decision_spans_mark_the_answer(small_data):
    tests, _ = small_data
    items = corpus_items(tests, exclude=set())
    rng = random.Random(0)
    for kind in ("persona_before", "persona_after", "commentary"):
        doc = None
        while doc is None:
            doc = document(rng, kind, rng.choice(items), tuple(PERSONAS))
        assert doc.decisions
        for a, b in doc.decisions:
            assert doc.text[a:b] in ("A", "B", "poor", "strong", "unstated", "yes", "no", "unknown")


def test_excluded_prompts_never_appear(small_data):
    tests, pools = small_data
    exclude = {r.prompt for recs in tests.values() for r in recs}
    items = corpus_items({p: tests[p] + pools[p] for p in tests}, exclude=exclude)
    assert items and not any(it.record.prompt in exclude for it in items)
    docs = iter_documents(items, ["<<prompt>>random<</prompt>>"], CorpusConfig(), seed=0)
    sample = list(exclude)[:50]
    for _ in range(200):
        text = next(docs).text
        assert not any(p in text for p in sample)


def test_stream_is_seeded(small_data):
    items = corpus_items(small_data[0], exclude=set())
    a = [d.text for d, _ in zip(iter_documents(items, [], CorpusConfig(), seed=1), range(20))]
    b = [d.text for d, _ in zip(iter_documents(items, [], CorpusConfig(), seed=1), range(20))]
    assert a == b
