"""Stages that run no model start without importing torch: with torch and transformers a Python process takes
about three seconds to start, which the smoke pipeline's thirty stages would otherwise pay each."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imports_torch(module: str) -> bool:
    """Whether importing `module` and loading the project's params imports torch (in a fresh interpreter)."""
    code = (f"import sys, {module}; from poser_lib.config import load_params; load_params('params.yaml'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


@pytest.mark.parametrize("module", ["poser_lib.config", "poser_lib.stages.scenarios", "poser_lib.stages.evaluate",
                                    "poser_lib.stages.generalization", "poser_lib.stages.supplement",
                                    "poser_lib.figures", "poser_lib.plotting.zoo", "poser_lib.roster",
                                    "poser_lib.scores", "poser_lib.strategies", "poser_lib.notebook",
                                    "poser_lib.stages.bases", "poser_lib.results"])
def test_stages_that_run_no_model_do_not_import_torch(module):
    assert not imports_torch(module)


def test_the_check_sees_a_module_that_imports_torch():
    assert imports_torch("poser_lib.detect")
