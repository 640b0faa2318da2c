"""The in-process runner the authors'-data and GPT-2 pipeline tests use (`tests/inprocess.py`)."""

from importlib import import_module

import pytest
from inprocess import call, commands, in_order, run_as_commands

from poser_lib.config import PROJECT_ROOT


def test_every_stage_command_has_an_in_process_form():
    cmds = commands(PROJECT_ROOT)
    forms = {name: [call(line) for line in lines] for name, lines in cmds.items()}
    for name, calls in forms.items():
        for what in calls:
            if what is not None:
                assert callable(getattr(import_module(what[0]), "main", None)), (name, what)
    # Every stage that computes runs; only notebooks that show results are left out.
    skipped = {name for name, calls in forms.items() if all(c is None for c in calls)}
    assert skipped and all(name.startswith("notebook_") or name == "figures" for name in skipped), skipped
    assert forms["strategy@noise_injection"][-1] == ("poser_lib.stages.strategy", ["noise_injection"])


def test_stages_come_after_what_they_read_and_a_cycle_is_named():
    graph = {"c": {"a", "b"}, "b": {"a"}, "a": set(), "d": set()}
    assert in_order(graph, set(graph)) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="cycle"):
        in_order({"a": {"b"}, "b": {"a"}}, {"a", "b"})
    with pytest.raises(ValueError, match="no in-process form"):
        call("papermill in.ipynb out.ipynb")


def test_a_failing_command_is_named_with_its_output(tmp_path, monkeypatch):
    import inprocess

    monkeypatch.setattr(inprocess, "commands", lambda target: {"broken": ["mkdir -p runs", "echo said-this; exit 3"]})
    with pytest.raises(RuntimeError, match=r"(?s)stage broken .*exit 3.*said-this"):
        run_as_commands(tmp_path, "broken")
    assert (tmp_path / "runs").is_dir()  # the lines before it ran, in the target
