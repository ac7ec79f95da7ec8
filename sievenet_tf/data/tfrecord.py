"""Sharded TFRecord copies of a dataset: the format, and its reader.

``sievenet-data to-tfrecord ROOT OUT --shards N`` (:mod:`.tfrecord_writer`)
decodes every example once with the folder reader at the configured image size
and stores the arrays losslessly (PNG by default, or raw bytes), so reading
back gives exactly the folder reader's examples while decoding only small
PNGs in TF's parallel C++ ops. Priors are not stored: they are computed at read
time, so keypoint style and radius may change without converting again.

Folder ``OUT``::

    OUT/sievenet_tfrecord.json                 metadata (below)
    OUT/{split}-{pairs}-00000-of-0000N.tfrecord

Metadata: ``format_version``, ``image_size``, ``layout``, ``encoding``,
``source`` and, per ``"{split}-{pairs}"``, its ``files`` and ``num_examples``.
Converting another split or pairing into the same folder adds to it.

A record holds the features ``person``, ``cloth`` (H x W x 3), ``cloth_mask``
(H x W x 1), ``parse`` (H x W dataset ids) as encoded bytes, ``keypoints``
(54 floats, COCO-18 at H x W) and ``person_name``, ``cloth_name``.

:func:`sievenet_tf.data.pipeline.make_dataset` reads such a folder like a
dataset folder.
"""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf

from sievenet_tf import keys
from sievenet_tf.data.errors import DataError

METADATA_NAME = "sievenet_tfrecord.json"
FORMAT_VERSION = 1
ENCODINGS = ("png", "raw")
IMAGE_KEYS = (keys.PERSON, keys.CLOTH, keys.CLOTH_MASK, keys.PARSE)


def is_tfrecord_dir(path) -> bool:
    """True when ``path`` holds a ``sievenet_tfrecord.json`` (a converted dataset)."""
    return os.path.isfile(os.path.join(os.fspath(path), METADATA_NAME))


def read_metadata(path) -> dict:
    """The metadata of a TFRecord folder; raises ``DataError`` when unreadable."""
    metadata_path = os.path.join(os.fspath(path), METADATA_NAME)
    try:
        with open(metadata_path, "rb") as f:
            metadata = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise DataError(metadata_path, "missing file (not a TFRecord folder)") from None
    except (OSError, ValueError, RecursionError) as e:  # ValueError: bad JSON or UTF-8
        raise DataError(metadata_path, f"unreadable metadata ({e})") from None
    version = metadata.get("format_version") if isinstance(metadata, dict) else None
    if version != FORMAT_VERSION:
        raise DataError(
            metadata_path, f"format_version {version!r}, this reader reads {FORMAT_VERSION}"
        )
    return metadata


def subset_name(split: str, pairs: str) -> str:
    """The metadata key and file prefix of one split and pairing, e.g. "train-paired"."""
    return f"{split}-{pairs}"


# ------------------------------------------------------------------------ records


def encode_example(raw: dict, encoding: str) -> dict:
    """tf.data map: raw uint8 arrays -> encoded bytes (runs in parallel in C++)."""
    encoded = {}
    for name in IMAGE_KEYS:
        value = raw[name][..., None] if name == keys.PARSE else raw[name]
        if encoding == "png":
            encoded[name] = tf.io.encode_png(value)
        else:
            encoded[name] = tf.io.serialize_tensor(value)
    encoded[keys.KEYPOINTS] = tf.reshape(raw[keys.KEYPOINTS], (-1,))
    encoded[keys.PERSON_NAME] = raw[keys.PERSON_NAME]
    encoded[keys.CLOTH_NAME] = raw[keys.CLOTH_NAME]
    return encoded


def to_record(element: dict) -> bytes:
    """One encoded example (numpy values of :func:`encode_example`) -> a serialized record."""

    def as_bytes(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    feature = {name: as_bytes(element[name]) for name in IMAGE_KEYS}
    feature[keys.PERSON_NAME] = as_bytes(element[keys.PERSON_NAME])
    feature[keys.CLOTH_NAME] = as_bytes(element[keys.CLOTH_NAME])
    feature[keys.KEYPOINTS] = tf.train.Feature(
        float_list=tf.train.FloatList(value=np.asarray(element[keys.KEYPOINTS]).tolist())
    )
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _decoder(image_size, encoding: str):
    """tf.data map: a serialized record -> raw uint8 arrays and names."""
    height, width = image_size
    features = {name: tf.io.FixedLenFeature([], tf.string) for name in IMAGE_KEYS}
    features[keys.PERSON_NAME] = tf.io.FixedLenFeature([], tf.string)
    features[keys.CLOTH_NAME] = tf.io.FixedLenFeature([], tf.string)
    features[keys.KEYPOINTS] = tf.io.FixedLenFeature([18 * 3], tf.float32)
    channels = {keys.PERSON: 3, keys.CLOTH: 3, keys.CLOTH_MASK: 1, keys.PARSE: 1}

    def decode(record):
        parsed = tf.io.parse_single_example(record, features)
        raw = {}
        for name, depth in channels.items():
            if encoding == "png":
                value = tf.io.decode_png(parsed[name], channels=depth)
            else:
                value = tf.io.parse_tensor(parsed[name], tf.uint8)
            shape = (height, width, depth)
            value = tf.ensure_shape(tf.reshape(value, shape), shape)
            raw[name] = value[..., 0] if name == keys.PARSE else value
        raw[keys.KEYPOINTS] = tf.reshape(parsed[keys.KEYPOINTS], (18, 3))
        raw[keys.PERSON_NAME] = parsed[keys.PERSON_NAME]
        raw[keys.CLOTH_NAME] = parsed[keys.CLOTH_NAME]
        return raw

    return decode


# ------------------------------------------------------------------------ reading


def raw_tfrecord_dataset(
    root,
    config,
    split: str,
    pairs: str,
    *,
    shuffle: bool = False,
    seed: int | None = None,
    repeat: bool = False,
    input_context: tf.distribute.InputContext | None = None,
) -> tuple[tf.data.Dataset, str]:
    """Decoded uint8 examples of a TFRecord folder (like ``pipeline.raw_folder_dataset``).

    Shuffling: shard files, shuffle file order, interleave 4 files, then a
    buffer of ``config.shuffle_buffer`` examples. Without shuffling, files are
    read in order and the examples come in the folder reader's order. Under
    ``input_context``, whole files are sharded when there are at least as many
    files as input pipelines, records otherwise.

    Returns:
        (dataset, layout).

    Raises:
        DataError: missing subset or files, or an image size other than the
            config's.
    """
    data = getattr(config, "data", config)
    metadata = read_metadata(root)
    files = _subset_files(os.fspath(root), metadata, data, split, pairs)
    deterministic = seed is not None or not shuffle
    dataset = _records(files, shuffle, seed, deterministic, input_context)
    if shuffle:
        dataset = dataset.shuffle(data.shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.map(
        _decoder(tuple(data.image_size), metadata["encoding"]),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=deterministic,
    )
    return dataset, metadata["layout"]


def _subset_files(root: str, metadata: dict, data, split: str, pairs: str) -> list[str]:
    """The record files of one subset, checked against the config and the disk."""
    metadata_path = os.path.join(root, METADATA_NAME)
    if tuple(metadata["image_size"]) != tuple(data.image_size):
        h, w = metadata["image_size"]
        raise DataError(
            metadata_path,
            f"written at {h}x{w} but data.image_size is {data.image_size[0]}x"
            f"{data.image_size[1]}; convert again with that size",
        )
    subset = subset_name(split, pairs)
    if subset not in metadata["datasets"]:
        raise DataError(
            metadata_path,
            f"no {subset!r} records (has {sorted(metadata['datasets'])}); convert it with "
            f"`sievenet-data to-tfrecord SOURCE {root} --split {split} --pairs {pairs}`",
        )
    files = [os.path.join(root, name) for name in metadata["datasets"][subset]["files"]]
    for path in files:
        if not os.path.isfile(path):
            raise DataError(path, "missing file")
    return files


def _records(files, shuffle: bool, seed, deterministic: bool, input_context) -> tf.data.Dataset:
    """Serialized records of ``files``: this pipeline's shard, in file order or
    interleaved from shuffled files."""
    dataset = tf.data.Dataset.from_tensor_slices(files)
    pipelines = input_context.num_input_pipelines if input_context is not None else 1
    shard_files = input_context is not None and len(files) >= pipelines
    if shard_files:
        dataset = dataset.shard(pipelines, input_context.input_pipeline_id)
    if shuffle:
        dataset = dataset.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.interleave(
            tf.data.TFRecordDataset,
            cycle_length=min(4, len(files)),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=deterministic,
        )
    else:
        dataset = dataset.flat_map(tf.data.TFRecordDataset)
    if input_context is not None and not shard_files:
        dataset = dataset.shard(pipelines, input_context.input_pipeline_id)
    return dataset
