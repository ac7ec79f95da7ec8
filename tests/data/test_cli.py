"""``sievenet-data``: synth -> validate -> read, and argument errors."""

import importlib.util
import shutil
import subprocess
import sys

import pytest

from sievenet_tf import keys
from sievenet_tf.data.cli import main
from sievenet_tf.data.pipeline import make_dataset

HAS_SYNTHETIC = importlib.util.find_spec("sievenet_tf.data.synthetic") is not None


@pytest.mark.skipif(not HAS_SYNTHETIC, reason="sievenet_tf.data.synthetic not written yet")
def test_synth_validate_read(tmp_path, tiny_config, capsys):
    out = tmp_path / "synthetic"
    assert main(["synth", str(out), "--num-train", "2", "--num-test", "2", "--size", "64x48",
                 "--quiet"]) == 0  # fmt: skip
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
