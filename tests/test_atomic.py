"""Atomic file and folder writes: the old content survives a failed write."""

import json
import os

import pytest

from sievenet_tf import atomic


def test_write_json_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "config.json"
    atomic.write_json(path, {"a": 1})
    atomic.write_json(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert os.listdir(tmp_path) == ["config.json"]


def test_failed_replace_file_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic.replace_file(path, suffix=".keras") as temporary:
        assert temporary.endswith(".keras")
        with open(temporary, "w") as f:
            f.write("half")
        raise RuntimeError("writer failed")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["model.keras"]


def test_replace_directory_swaps_only_when_complete(tmp_path):
    target = tmp_path / "export"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(ValueError), atomic.replace_directory(target) as staging:
        (open(os.path.join(staging, "new.txt"), "w")).close()
        raise ValueError("parity failed")
    assert sorted(os.listdir(target)) == ["old.txt"]
    assert sorted(os.listdir(tmp_path)) == ["export"]
    with atomic.replace_directory(target) as staging:
        with open(os.path.join(staging, "new.txt"), "w") as f:
            f.write("new")
    assert sorted(os.listdir(target)) == ["new.txt"]
    assert sorted(os.listdir(tmp_path)) == ["export"]


def test_replaced_directory_has_ordinary_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    with atomic.replace_directory(tmp_path / "export"):
        pass
    assert (tmp_path / "export").stat().st_mode & 0o777 == 0o777 & ~umask
