"""``sievenet-data``: synth -> validate -> read, and argument errors."""

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import pytest

from sievenet_tf import keys
from sievenet_tf.data.cli import main
from sievenet_tf.data.pipeline import make_dataset

HAS_SYNTHETIC = importlib.util.find_spec("sievenet_tf.data.synthetic") is not None


@pytest.mark.skipif(not HAS_SYNTHETIC, reason="sievenet_tf.data.synthetic not written yet")
def test_synth_validate_read(tmp_path, tiny_config, capsys):
    out = tmp_path / "synthetic"
    assert (
        main(
            ["synth", str(out), "--num-train", "2", "--num-test", "2", "--size", "64x48", "--quiet"]
        )
        == 0
    )
    assert main(["validate", str(out), "--paired"]) == 0
    assert "no problems" in capsys.readouterr().out
    batch = next(iter(make_dataset(out, tiny_config, "train", batch_size=2, shuffle=False)))
    assert set(batch) == set(keys.ALL_KEYS)
    assert float(batch[keys.CLOTH_WORN_MASK].numpy().mean()) > 0.0


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["to-tfrecord", "a", "b", "--size", "256by192"])
    assert exit_info.value.code == 2
    assert "expected HEIGHTxWIDTH" in capsys.readouterr().err


def test_unknown_preset_is_one_line(viton_root, tmp_path, capsys):
    assert main(["to-tfrecord", str(viton_root), str(tmp_path / "r"), "--preset", "nope"]) == 2
    assert "unknown preset 'nope'" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("sievenet-data") is None, reason="console script not installed")
def test_console_script_validates(viton_root):
    (viton_root / "test" / "pose" / "000003_0_keypoints.json").write_text('{"people": []}')
    result = subprocess.run(
        [shutil.which("sievenet-data") or sys.executable, "validate", str(viton_root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "000003_0_keypoints.json: no person in the pose file" in result.stdout
    assert "1 problem(s) in 1 file(s)" in result.stderr


def test_readme_spelling_of_synth_counts(tmp_path, capsys):
    """#10.1: `--train/--test` (README) and `--num-train/--num-test` both work."""
    assert (
        main(
            [
                "synth",
                str(tmp_path / "a"),
                "--train",
                "2",
                "--test",
                "0",
                "--size",
                "64x48",
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "synth",
                str(tmp_path / "b"),
                "--num-train",
                "2",
                "--num-test",
                "0",
                "--size",
                "64x48",
                "--quiet",
            ]
        )
        == 0
    )
    for name in ("a", "b"):
        assert len(list((tmp_path / name / "train" / "image").iterdir())) == 2


@pytest.fixture
def unwritable_dir(tmp_path):
    """A folder nothing can be written in: read-only permissions, or (as root,
    who ignores them) a pseudo file system that refuses new files."""
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").write_text("x")
    except OSError:
        yield folder
        folder.chmod(0o755)
        return
    (folder / "probe").unlink()
    folder.chmod(0o755)
    if not os.path.isdir("/sys") or os.access("/sys", os.W_OK) and _can_create("/sys"):
        pytest.skip("no unwritable folder on this machine")
    yield pathlib.Path("/sys")


def _can_create(folder) -> bool:
    try:
        descriptor, path = tempfile.mkstemp(dir=folder)
    except OSError:
        return False
    os.close(descriptor)
    os.remove(path)
    return True


def _output_cases(tmp_path, unwritable):
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("mine")
    return {
        "a file": (a_file, "exists and is not a folder"),
        "under a file": (a_file / "sub", "is not a folder"),
        "read-only": (unwritable / "out", "cannot write here"),
    }


@pytest.mark.parametrize("command", ["synth", "to-tfrecord"])
def test_unwritable_output_is_one_line_before_any_work(
    command, viton_root, tmp_path, unwritable_dir, capsys
):
    """#11.7: a file, a path under a file or a read-only folder as OUT: exit 2,
    one line naming the path, no traceback, checked before the data is read."""
    # A broken dataset: had the conversion started, it would fail with status 1.
    (viton_root / "train" / "image" / "000000_0.jpg").write_bytes(b"broken")
    for label, (out, words) in _output_cases(tmp_path, unwritable_dir).items():
        if command == "synth":
            argv = ["synth", str(out), "--train", "2", "--test", "0", "--size", "64x48", "--quiet"]
        else:
            argv = ["to-tfrecord", str(viton_root), str(out), "--preset", "tiny", "--quiet"]
        assert main(argv) == 2, label
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, (label, err)
        assert err.startswith(f"sievenet-data {command}: "), (label, err)
        assert words in err and str(out).split("/sub")[0] in err, (label, err)
    assert (tmp_path / "a_file.txt").read_text() == "mine"
