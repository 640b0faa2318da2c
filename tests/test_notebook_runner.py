"""`python -m poser_lib.notebook`: papermill without jsonschema's IRI grammar, validating notebooks the same."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def string_formats(schema) -> set[str]:
    """Every JSON-schema `format` keyword in `schema` (a property that happens to be named "format" is a mapping)."""
    found = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "format" and isinstance(value, str):
                found.add(value)
            found |= string_formats(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= string_formats(item)
    return found


def test_no_notebook_schema_uses_the_formats_the_skipped_grammar_checks():
    schemas = sorted(Path(nbformat.__file__).parent.rglob("*.schema.json"))
    assert schemas, "nbformat ships no schema files: this test no longer sees what it checks"
    used = set().union(*(string_formats(json.loads(p.read_text())) for p in schemas))
    assert not used & {"iri", "iri-reference"}


def test_the_check_finds_a_format_keyword_and_ignores_a_property_named_format():
    schema = {"properties": {"format": {"type": "string"}, "link": {"type": "string", "format": "iri"}}}
    assert string_formats(schema) == {"iri"}


def test_papermill_runs_a_notebook_without_the_grammar_and_still_rejects_an_invalid_one(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 6 * 7\nprint(x)")])
    nbformat.write(notebook, tmp_path / "in.ipynb")
    subprocess.run([sys.executable, "-m", "poser_lib.notebook", "-k", "python3", "--no-progress-bar",
                    "--log-level", "WARNING", str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb")],
                   cwd=ROOT, check=True, capture_output=True)
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[0].outputs[0]["text"] == "42\n"
    # In a process where the grammar is skipped, nbformat's validator still works and the grammar is not loaded.
    code = ("import sys; from poser_lib.notebook import skip_iri_grammar; skip_iri_grammar(); import nbformat\n"
            f"nb = nbformat.read({str(tmp_path / 'out.ipynb')!r}, as_version=4); nbformat.validate(nb)\n"
            "nb.cells[0]['cell_type'] = 'nonsense'\n"
            "try:\n    nbformat.validate(nb)\nexcept nbformat.ValidationError:\n    print('rejected')\n"
            "print(sys.modules['rfc3987_syntax'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert result.stdout.split() == ["rejected", "None"]


def test_a_failing_notebook_fails_the_command(tmp_path):
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('boom')")]),
                   tmp_path / "in.ipynb")
    result = subprocess.run([sys.executable, "-m", "poser_lib.notebook", "-k", "python3", "--no-progress-bar",
                             str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "boom" in result.stderr + result.stdout


def test_every_notebook_stage_runs_through_the_runner():
    text = (ROOT / "dvc.yaml").read_text()
    assert "python -m poser_lib.notebook -k python3" in text
    assert "- papermill " not in text
