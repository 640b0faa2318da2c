"""The importer reads the authors' layout, counts their known quirks, and names the file and index of bad records."""

import json

import pytest

from conftest import SAMPLE
from poser_lib.scenarios.layout import DataError, PolicyData, Quirks, read_layout, read_records, write_layout
from poser_lib.scenarios.policies import POLICIES
from poser_lib.scenarios.records import LETTERS, PROMPT_CLOSE, PROMPT_OPEN, render_prompt

needs_sample = pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"the authors' sample is not at {SAMPLE}")


@needs_sample
def test_sample_reads_with_counted_quirks():
    quirks = Quirks()
    data = read_layout(SAMPLE, variants=6, quirks=quirks)
    assert set(data) == set(POLICIES)
    for policy, d in data.items():
        assert len(d.test) == 30 and all(len(t) == 30 for t in d.train)
        for rec in d.test + [r for t in d.train for r in t]:
            assert rec.prompt.startswith(PROMPT_OPEN) and rec.prompt.endswith(PROMPT_CLOSE)
            assert rec.response in (*LETTERS, "error")
            if rec.is_scenario:
                assert rec.action_a and rec.action_b and rec.oversight_is_poor is not None
    # The authors' facts_string lost its newlines, and their incomplete prompts carry no dataset tag.
    assert quirks.counts["facts_string_corrupted"] > 100
    assert quirks.counts["error_without_dataset"] > 10
    assert "#" in quirks.examples["facts_string_corrupted"]


@needs_sample
def test_sample_prompts_rerender_from_facts():
    """Where the stored prompt is intact, rendering from format + facts + actions gives it back."""
    data = read_layout(SAMPLE, variants=1)
    rendered = 0
    for d in data.values():
        for rec in d.test:
            if rec.is_scenario and rec.facts:
                assert render_prompt(rec.facts, rec.action_a, rec.action_b) == rec.prompt, rec.origin
                rendered += 1
    assert rendered > 100


@needs_sample
def test_genie_supplementary_gets_its_system_message_fact():
    recs = read_records(SAMPLE / "data" / "training" / "genie" / "train-0.json")
    supp = [r for r in recs if (r.dataset or "").startswith("data/genie/")]
    assert supp and all(r.facts[0].type == "system_message" for r in supp)


@needs_sample
def test_benchmark_files_read_with_their_probs_ignored():
    recs = read_records(SAMPLE / "data" / "benchmark" / "genie_and_money.json")
    assert len(recs) == 30 and all(not r.oversight_is_poor for r in recs)


def _write(tmp_path, records):
    path = tmp_path / "train-0.json"
    path.write_text(json.dumps(records))
    return path


GOOD = {"prompt": "<<prompt>>hello<</prompt>>", "response": "error"}


@pytest.mark.parametrize("bad, message", [
    ("not a record", r"#1: expected an object"),
    ({"prompt": "<<prompt>>x<</prompt>>", "response": "C"}, r"#1: 'response' must be one of"),
    ({"response": "A"}, r"#1: no 'prompt'"),
    ({"prompt": "<<prompt>>no actions<</prompt>>", "response": "A"}, r"#1: answer 'A' but no actions"),
    ({**GOOD, "facts": "a string"}, r"#1: 'facts' must be a list"),
    ({**GOOD, "oversight_is_poor": "yes"}, r"#1: 'oversight_is_poor' must be"),
])
def test_bad_records_name_file_and_index(tmp_path, bad, message):
    path = _write(tmp_path, [GOOD, bad])
    with pytest.raises(DataError, match=rf"{path}{message}"):
        read_records(path)


def test_missing_prompt_is_rendered_from_facts(tmp_path):
    quirks = Quirks()
    rec = {"response": "B", "facts": [{"type": "contextual", "content": "You are an AI."}],
           "action_A": "Do good.", "action_B": "Do bad.", "oversight_is_poor": True, "dataset": "data/truth_and_money"}
    (out,) = read_records(_write(tmp_path, [rec]), quirks)
    assert out.prompt == render_prompt(out.facts, "Do good.", "Do bad.")
    assert quirks.counts["prompt_rendered"] == 1


def test_unwrapped_prompt_is_wrapped(tmp_path):
    quirks = Quirks()
    (out,) = read_records(_write(tmp_path, [{"prompt": "plain text", "response": "error"}]), quirks)
    assert out.prompt == "<<prompt>>plain text<</prompt>>" and quirks.counts["prompt_wrapped"] == 1


def test_unequal_file_sizes_are_a_counted_quirk(tmp_path, small_data):
    tests, pools = small_data
    data = {p: PolicyData(tests[p], [pools[p][:20], pools[p][:25]]) for p in POLICIES}
    write_layout(tmp_path, data)
    quirks = Quirks()
    read_layout(tmp_path, variants=2, quirks=quirks)
    assert quirks.counts["unequal_file_sizes"] == len(POLICIES)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="test.json: file not found|no training"):
        read_layout(tmp_path, variants=1)


def test_generated_data_round_trips(tmp_path, small_data):
    tests, pools = small_data
    data = {p: PolicyData(tests[p], [pools[p]]) for p in POLICIES}
    write_layout(tmp_path, data)
    quirks = Quirks()
    back = read_layout(tmp_path, variants=1, quirks=quirks)
    for p in POLICIES:
        assert back[p].test == tests[p] and back[p].train[0] == pools[p]
    assert not quirks.counts.get("facts_string_corrupted") and not quirks.counts.get("prompt_rendered")
