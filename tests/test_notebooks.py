"""Notebooks are committed clean, declare a kernel, and take only the documented parameters."""

import json
from pathlib import Path

import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
DOCUMENTED = {"params_path", "project_root", "examples_per_set", "strategy", "saliency_combination", "saliency_variant"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_parameterised(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell["outputs"] and cell["execution_count"] is None, "strip outputs before committing"
    params = papermill.inspect_notebook(str(path))
    assert params and set(params) <= DOCUMENTED


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3
