"""``sievenet-data holdout``: the last training pairs as a test split, linked, not copied."""

import os

import pytest

from sievenet_tf.data import folder
from sievenet_tf.data.cli import main
from sievenet_tf.data.errors import DataError
from sievenet_tf.data.holdout import make_holdout


@pytest.mark.parametrize("layout", ["viton", "viton_hd"])
def test_holdout_splits_the_training_pairs_and_reads_paired(layout, make_files, tmp_path, capsys):
    root = make_files(tmp_path / "root", layout, num_train=5, num_test=2)
    out = tmp_path / "held_out"
    assert main(["holdout", str(root), str(out), "--count", "2"]) == 0
    assert "3 training pairs, the last 2" in capsys.readouterr().out
    source = [line.split()[0] for line in (root / "train_pairs.txt").read_text().splitlines()]
    train = folder.index_folder(out, "train", "paired", layout)
    test = folder.index_folder(out, "test", "paired", layout)
    assert [e.person_name for e in train.examples] == source[:3]
    assert [e.person_name for e in test.examples] == source[3:]  # each with their own garment
    assert not train.problems and not test.problems
    # links, not copies
    assert os.path.islink(out / "train") and os.path.islink(out / "test")
    assert os.path.realpath(out / "test") == os.path.realpath(root / "train")
    assert "never seen" in (out / "README.md").read_text()


def test_holdout_refuses_bad_counts_and_a_used_output(make_files, tmp_path, capsys):
    root = make_files(tmp_path / "root", "viton", num_train=3, num_test=1)
    for count in (0, 3):
        with pytest.raises(DataError, match="between 1 and 2"):
            make_holdout(root, tmp_path / f"out{count}", count)
    used = tmp_path / "used"
    used.mkdir()
    (used / "file").write_text("x")
    with pytest.raises(DataError, match="not an empty folder"):
        make_holdout(root, used, 1)
    with pytest.raises(DataError, match="inside the dataset root"):
        make_holdout(root, root / "held_out", 1)
    assert main(["holdout", str(tmp_path / "missing"), str(tmp_path / "o"), "--count", "1"]) == 1
    assert "no training split folder" in capsys.readouterr().err
