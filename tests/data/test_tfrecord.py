"""TFRecord conversion: the reader gives exactly the folder reader's examples."""

import dataclasses
import json

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf import keys
from sievenet_tf.data import tfrecord
from sievenet_tf.data.cli import main
from sievenet_tf.data.errors import DataError
from sievenet_tf.data.pipeline import make_dataset
from sievenet_tf.data.tfrecord_writer import convert


def assert_same(a, b):
    assert set(a) == set(b)
    for name in a:
        np.testing.assert_array_equal(a[name].numpy(), b[name].numpy(), err_msg=name)


@pytest.mark.parametrize("layout, encoding", [("viton", "png"), ("viton_hd", "raw")])
def test_identical_examples(tmp_path, make_files, tiny_config, layout, encoding):
    root = make_files(tmp_path / "data", layout, num_train=3, num_test=2, size=(96, 72))
    out = tmp_path / "records"
    metadata = convert(root, out, tiny_config, num_shards=2, encoding=encoding)
    assert metadata["layout"] == layout and metadata["image_size"] == [64, 48]
    assert metadata["datasets"]["train-paired"]["num_examples"] == 3
    assert len(list(out.glob("train-paired-*-of-00002.tfrecord"))) == 2
    assert tfrecord.is_tfrecord_dir(out) and not tfrecord.is_tfrecord_dir(root)

    for split in ("train", "test"):
        folder = list(make_dataset(root, tiny_config, split, batch_size=2, shuffle=False))
        records = list(make_dataset(out, tiny_config, split, batch_size=2, shuffle=False))
        assert len(folder) == len(records)
        for a, b in zip(folder, records):
            assert_same(a, b)


def test_shuffled_sharded_reading(tmp_path, make_files, tiny_config):
    root = make_files(tmp_path / "data", num_train=6, num_test=0, size=(32, 24))
    out = tmp_path / "records"
    convert(root, out, tiny_config, splits=("train",), num_shards=3)

    def order(seed, context=None):
        dataset = make_dataset(
            out,
            tiny_config,
            "train",
            shuffle=True,
            seed=seed,
            input_context=context,
            with_priors=False,
        )
        return [e[keys.PERSON_NAME].numpy().decode() for e in dataset]

    assert order(1) == order(1)
    assert sorted(order(1)) == [f"{i:06d}_0.jpg" for i in range(6)]
    halves = [order(1, tf.distribute.InputContext(2, i, 2)) for i in range(2)]
    assert sorted(halves[0] + halves[1]) == sorted(order(1))
    assert not set(halves[0]) & set(halves[1])


def test_mismatches_are_reported(tmp_path, make_files, tiny_config):
    root = make_files(tmp_path / "data", num_train=2, num_test=0, size=(32, 24))
    out = tmp_path / "records"
    convert(root, out, tiny_config, splits=("train",), num_shards=1)
    other = dataclasses.replace(tiny_config.data, image_size=(128, 96))
    with pytest.raises(DataError, match="written at 64x48 but data.image_size is 128x96"):
        make_dataset(out, other, "train")
    with pytest.raises(DataError, match="no 'test-paired' records"):
        make_dataset(out, tiny_config, "test")
    with pytest.raises(DataError, match="holds image_size"):
        convert(root, out, other, splits=("train",))


def test_command_line(tmp_path, make_files, capsys):
    root = make_files(tmp_path / "data", num_train=3, num_test=2, size=(32, 24))
    out = tmp_path / "records"
    args = ["to-tfrecord", str(root), str(out), "--shards", "2", "--preset", "tiny", "--quiet"]
    assert main(args) == 0
    assert main(args[:3] + ["--pairs", "unpaired", "--split", "test", "--preset", "tiny"]) == 0
    text = capsys.readouterr().out
    assert "train-paired: 3 examples in 2 shard(s)" in text
    assert "test-unpaired: 2 examples" in text
    metadata = json.loads((out / tfrecord.METADATA_NAME).read_text())
    assert set(metadata["datasets"]) == {"train-paired", "test-paired", "test-unpaired"}
    # Bad input: one message, exit status 1, no traceback.
    (root / "train" / "image" / "000000_0.jpg").write_bytes(b"broken")
    assert main(["to-tfrecord", str(root), str(tmp_path / "r2"), "--preset", "tiny"]) == 1
    err = capsys.readouterr().err
    assert "000000_0.jpg: not a readable image" in err and "Traceback" not in err


def test_a_failed_conversion_leaves_the_previous_one(
    tmp_path, make_files, tiny_config, monkeypatch
):
    """Shards are written under temporary names and renamed with the metadata."""
    root = make_files(tmp_path / "data", num_train=3, num_test=2, size=(32, 24))
    out = tmp_path / "records"
    convert(root, out, tiny_config, splits=("train",), num_shards=2)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = []

    def failing(element):
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        calls.append(1)
        return tfrecord.to_record(element)

    monkeypatch.setattr("sievenet_tf.data.tfrecord_writer.tfrecord.to_record", failing)
    with pytest.raises(OSError, match="No space"):
        convert(root, out, tiny_config, splits=("train",), num_shards=3)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.undo()
    # A conversion with another shard count replaces the old shards (none left behind).
    convert(root, out, tiny_config, splits=("train",), num_shards=3)
    assert sorted(p.name for p in out.glob("*.tfrecord")) == [
        f"train-paired-0000{i}-of-00003.tfrecord" for i in range(3)
    ]
