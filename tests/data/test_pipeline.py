"""The folder reader: both layouts, the example dict, order, sharding, bad input."""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf import keys, labels
from sievenet_tf.data.errors import BadExamples, DataError
from sievenet_tf.data.layouts import detect_layout
from sievenet_tf.data.pipeline import data_errors, dataset_fn, make_dataset
from tests.data.conftest import CORRUPTIONS, person_arrays

EXPECTED = {  # key -> (shape without batch, dtype) at the tiny preset's 64 x 48
    keys.PERSON: ((64, 48, 3), tf.float32),
    keys.CLOTH: ((64, 48, 3), tf.float32),
    keys.CLOTH_MASK: ((64, 48, 1), tf.float32),
    keys.PARSE: ((64, 48), tf.int32),
    keys.SEGMENTATION: ((64, 48), tf.int32),
    keys.KEYPOINTS: ((18, 3), tf.float32),
    keys.PRIORS: ((64, 48, 19), tf.float32),
    keys.TEXTURE_PRIORS: ((64, 48, 3), tf.float32),
    keys.CLOTH_WORN: ((64, 48, 3), tf.float32),
    keys.CLOTH_WORN_MASK: ((64, 48, 1), tf.float32),
    keys.PERSON_NAME: ((), tf.string),
    keys.CLOTH_NAME: ((), tf.string),
}


def check_example(example, batch=None):
    assert set(example) == set(keys.ALL_KEYS) == set(EXPECTED)
    lead = () if batch is None else (batch,)
    for name, (shape, dtype) in EXPECTED.items():
        assert tuple(example[name].shape) == lead + shape, name
        assert example[name].dtype == dtype, name
    for name in (keys.PERSON, keys.CLOTH, keys.TEXTURE_PRIORS, keys.CLOTH_WORN):
        value = example[name].numpy()
        assert value.min() >= -1.0 and value.max() <= 1.0, name
    for name in (keys.CLOTH_MASK, keys.CLOTH_WORN_MASK):
        assert set(np.unique(example[name].numpy())) <= {0.0, 1.0}, name
    priors = example[keys.PRIORS].numpy()
    assert priors.min() >= 0.0 and priors.max() <= 1.0
    segmentation = example[keys.SEGMENTATION].numpy()
    assert segmentation.min() >= 0 and segmentation.max() < labels.NUM_MODEL_CLASSES


def names(dataset):
    return [n.decode() for e in dataset for n in np.atleast_1d(e[keys.PERSON_NAME].numpy())]


def test_viton_layout(viton_root, tiny_config):
    assert detect_layout(viton_root) == "viton"
    dataset = make_dataset(viton_root, tiny_config, "train", batch_size=2, shuffle=False)
    batches = list(dataset)
    assert [int(b[keys.PERSON].shape[0]) for b in batches] == [2, 1]
    check_example(batches[0], batch=2)
    first = batches[0]
    photo, parse, keypoints = person_arrays(0, (64, 48))
    np.testing.assert_array_equal(first[keys.PARSE][0].numpy(), parse)  # P-mode ids
    np.testing.assert_array_equal(first[keys.SEGMENTATION][0].numpy(), parse)  # identity
    np.testing.assert_allclose(first[keys.KEYPOINTS][0].numpy(), keypoints, atol=1e-4)
    assert first[keys.KEYPOINTS][0, 16].numpy().tolist() == [0.0, 0.0, 0.0]  # missing ear
    assert first[keys.PRIORS][0, ..., 16].numpy().max() == 0.0  # ... gives an empty map
    garment = np.isin(parse, labels.GARMENT_CLASSES)
    np.testing.assert_array_equal(first[keys.CLOTH_WORN_MASK][0, ..., 0].numpy(), garment)
    assert np.all(first[keys.CLOTH_WORN][0].numpy()[~garment] == 1.0)


def test_viton_hd_layout_resized_and_mapped(viton_hd_root, tiny_config):
    assert detect_layout(viton_hd_root) == "viton_hd"
    example = next(iter(make_dataset(viton_hd_root, tiny_config, "train", shuffle=False)))
    check_example(example)
    assert example[keys.PERSON_NAME].numpy() == b"00000_00.jpg"
    assert example[keys.CLOTH_NAME].numpy() == b"00000_00.jpg"
    # The 96 x 72 parse is resized (nearest) to 64 x 48: same labels as drawn at 64 x 48.
    _, parse_64, keypoints_96 = person_arrays(0, (64, 48), "viton_hd")
    got = example[keys.PARSE].numpy()
    assert set(np.unique(got)) == set(np.unique(parse_64))
    assert labels.VITON_HD_NECK in got  # dataset ids are kept in "parse" ...
    segmentation = example[keys.SEGMENTATION].numpy()
    assert labels.VITON_HD_NECK not in segmentation  # ... the neck is background for the model
    np.testing.assert_array_equal(segmentation[got == labels.VITON_HD_NECK], 0)
    # BODY_25 -> COCO-18, scaled from 96 x 72 to 64 x 48 (half-pixel exact).
    _, _, keypoints_96 = person_arrays(0, (96, 72), "viton_hd")
    expected = keypoints_96.copy()
    present = expected[:, 2] > 0
    expected[present, :2] = (expected[present, :2] + 0.5) * (2 / 3) - 0.5
    np.testing.assert_allclose(example[keys.KEYPOINTS].numpy(), expected, atol=1e-4)


def test_explicit_layout_override(viton_root, tiny_config):
    config = dataclasses.replace(tiny_config.data, layout="viton")
    assert len(list(make_dataset(viton_root, config, "test", shuffle=False))) == 2
    with pytest.raises(DataError, match="no pose folder"):
        make_dataset(viton_root, tiny_config, "test", layout="viton_hd")
    (viton_root / "train" / "pose").rename(viton_root / "train" / "keypoints")
    (viton_root / "test" / "pose").rename(viton_root / "test" / "keypoints")
    with pytest.raises(DataError, match="cannot detect the dataset layout"):
        make_dataset(viton_root, tiny_config, "test")


def test_paired_and_unpaired(viton_root, tiny_config):
    def pairs(mode):
        dataset = make_dataset(viton_root, tiny_config, "test", mode, with_priors=False)
        return [
            (e[keys.PERSON_NAME].numpy().decode(), e[keys.CLOTH_NAME].numpy().decode())
            for e in dataset
        ]

    assert pairs("paired") == [("000003_0.jpg", "000003_1.jpg"), ("000004_0.jpg", "000004_1.jpg")]
    assert pairs("unpaired") == [("000003_0.jpg", "000004_1.jpg"), ("000004_0.jpg", "000003_1.jpg")]


def test_seeded_order_is_deterministic_and_epochs_reshuffle(tmp_path, make_files, tiny_config):
    root = make_files(tmp_path / "data", num_train=8, num_test=0, size=(32, 24))

    def order(seed):
        dataset = make_dataset(
            root, tiny_config, "train", shuffle=True, seed=seed, repeat=True, with_priors=False
        )
        return names(dataset.take(16))

    first = order(3)
    assert first == order(3)
    assert sorted(first[:8]) == sorted(first[8:])  # each epoch is a permutation
    assert first[:8] != first[8:]  # reshuffled (fixed seed: this holds)
    assert order(3) != order(4)


def test_sharding_by_input_context(tmp_path, make_files, tiny_config):
    root = make_files(tmp_path / "data", num_train=6, num_test=0, size=(32, 24))
    fn = dataset_fn(
        root,
        tiny_config,
        global_batch_size=4,
        shuffle=False,
        with_priors=False,
        drop_remainder=True,
    )
    shards = []
    for pipeline in range(2):
        context = tf.distribute.InputContext(
            num_input_pipelines=2, input_pipeline_id=pipeline, num_replicas_in_sync=2
        )
        batches = list(fn(context))
        assert all(int(b[keys.PERSON].shape[0]) == 2 for b in batches)  # per-replica batch
        shards.append(names(batches))
    assert not set(shards[0]) & set(shards[1])
    assert len(shards[0]) == len(shards[1]) == 2  # 3 each, the partial batch dropped
    assert set(shards[0] + shards[1]) <= {f"{i:06d}_0.jpg" for i in range(6)}
    # Usable as is by a strategy.
    distributed = tf.distribute.get_strategy().distribute_datasets_from_function(fn)
    assert int(next(iter(distributed))[keys.PERSON].shape[0]) == 4


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_bad_input_fails_with_the_file_named(tmp_path, make_files, tiny_config, case):
    root = make_files(tmp_path / "data", num_train=3, num_test=2)
    bad_path, words = CORRUPTIONS[case](root)
    with pytest.raises(DataError) as error:
        with data_errors():
            list(make_dataset(root, tiny_config, "train", shuffle=False, with_priors=False))
    assert error.value.path == str(bad_path), str(error.value)
    assert words in str(error.value)


@pytest.mark.parametrize("case", ["truncated_image", "malformed_json", "label_outside_set"])
def test_bad_input_skipped_and_counted(tmp_path, make_files, tiny_config, case):
    root = make_files(tmp_path / "data", num_train=3, num_test=2)
    bad_path, words = CORRUPTIONS[case](root)
    config = dataclasses.replace(tiny_config.data, skip_bad_examples=True)
    bad = BadExamples()
    dataset = make_dataset(root, config, "train", batch_size=2, shuffle=False, bad_examples=bad)
    assert names(dataset) == ["000001_0.jpg", "000002_0.jpg"]
    assert bad.count == 1
    (message,) = bad.problems
    assert str(bad_path) in message and words in message


def test_strict_error_without_the_context_manager_names_the_file(tmp_path, make_files, tiny_config):
    root = make_files(tmp_path / "data", num_train=2, num_test=1)
    bad_path, _ = CORRUPTIONS["truncated_image"](root)
    with pytest.raises(tf.errors.InvalidArgumentError, match=str(bad_path)):
        list(make_dataset(root, tiny_config, "train", shuffle=False, with_priors=False))


@pytest.mark.realdata
def test_real_sample(viton_sample, tiny_config):
    config = dataclasses.replace(tiny_config.data, image_size=(256, 192), keypoint_radius=5.0)
    batch = next(
        iter(
            make_dataset(viton_sample, config, "test", "paired", batch_size=2, shuffle=True, seed=0)
        )
    )
    for name, (shape, dtype) in EXPECTED.items():
        scaled = (256, 192, *shape[2:]) if shape[:2] == (64, 48) else shape
        assert tuple(batch[name].shape) == (2, *scaled), name
        assert batch[name].dtype == dtype
    np.testing.assert_array_equal(batch[keys.SEGMENTATION], batch[keys.PARSE])
    assert batch[keys.CLOTH_WORN_MASK].numpy().mean() > 0.05  # every person wears a top
    assert (batch[keys.KEYPOINTS].numpy()[..., 2] > 0).sum() >= 20
