"""`make results` rewrites only the README's results section, from the metrics files."""

import json

import pytest

from poser_lib.results import BEGIN, END, update_readme


def entry(acc, paper=None):
    return {"setting": "layer=2", "heldout_accuracy": acc, "heldout_ci": [acc - 0.1, acc + 0.05], "auroc": 0.7,
            "all_pairs_accuracy": acc - 0.01, "paper_accuracy": paper}


def test_section_is_replaced_from_metrics_and_the_rest_kept(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "strategies.json").write_text(json.dumps(
        {"random/coin": entry(0.5, 0.5), "attentiveness/attention": entry(0.9, 0.46)}))
    (tmp_path / "README.md").write_text(f"# title\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n")
    update_readme(tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("# title\n\nbefore\n") and text.endswith(f"{END}\nafter\n")
    assert "old table" not in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "/" in line]
    assert rows[0].startswith("| attentiveness/attention | layer=2 | 0.90 [0.80, 0.95] | 0.70 | 0.89 | 0.46 |")
    assert rows[1].startswith("| random/coin |")
    update_readme(tmp_path)  # idempotent: a second run gives the same file
    assert (tmp_path / "README.md").read_text() == text


def test_missing_markers_are_named(tmp_path):
    (tmp_path / "README.md").write_text("# no markers\n")
    with pytest.raises(ValueError, match="results:begin"):
        update_readme(tmp_path)


def test_the_bases_table_appears_once_there_is_a_second_base(tmp_path):
    from poser_lib.bases import across

    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "strategies.json").write_text(json.dumps({"random/coin": entry(0.5, 0.5)}))
    (tmp_path / "README.md").write_text(f"{BEGIN}\n{END}\n")
    bases = {"default": {"status": "done", "probes": {"oversight": 0.99, "aligned_action": 1.0},
                         "heldout_accuracy": {"random/coin": 0.5}}}
    write = lambda: (tmp_path / "metrics" / "bases.json").write_text(json.dumps(  # noqa: E731
        {"through": "evaluate", "bases": bases, "spread": across(bases)}))
    write()
    update_readme(tmp_path)
    assert "Across bases" not in (tmp_path / "README.md").read_text()  # the default alone: nothing to compare
    bases["seed-3"] = {"status": "gate", "gate": "the base's probes", "probes": {"oversight": 0.7, "aligned_action": 1.0}}
    write()
    update_readme(tmp_path)
    text = (tmp_path / "README.md").read_text()
    assert "seed-3 (probes 0.70 / 1.00, stopped by the base's probes)" in text
    assert "| random/coin | 0.50 | 0.50 | 0.00 | 0.50 |" in text  # only the default measured detectors
