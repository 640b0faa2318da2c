"""Outputs are written atomically: an error mid-write leaves the previous file and no debris."""

import pytest

from poser_lib.io import atomic_dir, read_json, write_json


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "out.json"
    write_json(path, {"v": 1})
    with pytest.raises(TypeError):
        write_json(path, {"v": object()})
    assert read_json(path) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_folder_write_keeps_the_old_folder(tmp_path):
    with atomic_dir(tmp_path / "m") as d:
        (d / "a.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(tmp_path / "m") as d:
            (d / "a.txt").write_text("new")
            raise RuntimeError("interrupted")
    assert (tmp_path / "m" / "a.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_invalid_json_names_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        read_json(path)
