"""The smoke runner: DVC stages side by side in the order of DVC's graph, a failure named, the pipeline up to date."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from poser_lib.smoke import critical_first, needed, run, stage_graph

GRAPH = {"a": set(), "b": {"a"}, "c": {"a"}, "d": {"c"}, "e": {"b", "d"}}


def test_needed_is_the_stage_and_everything_upstream_and_names_an_unknown_stage():
    assert needed(GRAPH, ["d"]) == {"a", "c", "d"}
    assert needed(GRAPH, ["e"]) == set(GRAPH)
    with pytest.raises(ValueError, match="no stage 'x'"):
        needed(GRAPH, ["x"])


def test_the_longest_chain_starts_first():
    rank = critical_first(GRAPH)
    assert rank["c"] < rank["b"]  # c -> d -> e waits on c; only e waits on b
    assert rank["a"] == min(rank.values())


def project(root: Path, fail: str | None = None) -> Path:
    """A DVC project without git: a -> (b, c), c -> d, (b, d) -> e; each stage writes `<name>.txt`."""
    stages = {}
    for name, deps in GRAPH.items():
        inputs = " ".join(f"{d}.txt" for d in sorted(deps)) or "/dev/null"
        cmd = "exit 3" if name == fail else f"cat {inputs} > {name}.txt && echo {name} >> {name}.txt"
        stages[name] = {"cmd": cmd, "deps": [f"{d}.txt" for d in sorted(deps)], "outs": [f"{name}.txt"]}
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}))
    if not (root / ".dvc").exists():
        subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "--quiet"], cwd=root, check=True)
    return root


def test_stages_run_side_by_side_and_leave_the_pipeline_up_to_date(tmp_path):
    root = project(tmp_path)
    assert stage_graph(root) == GRAPH
    run(root, jobs=2)
    assert (root / "e.txt").read_text().split() == ["a", "b", "a", "c", "d", "e"]


def test_a_failing_stage_is_named_and_nothing_after_it_runs(tmp_path, capsys):
    root = project(tmp_path, fail="c")
    with pytest.raises(RuntimeError, match="stage c failed"):
        run(root, jobs=2)
    assert (root / "a.txt").exists() and not (root / "d.txt").exists() and not (root / "e.txt").exists()
    assert "--- stage c" in capsys.readouterr().out
    run(project(tmp_path), "d", jobs=2)  # fixed: the rest runs, only what `d` needs
    assert (root / "d.txt").exists() and not (root / "e.txt").exists()
