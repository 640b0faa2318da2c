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
