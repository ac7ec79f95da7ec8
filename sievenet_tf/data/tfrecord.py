"""Sharded TFRecord copies of a dataset, and their reader.

``sievenet-data to-tfrecord ROOT OUT --shards N`` decodes every example once with
the folder reader (:mod:`sievenet_tf.data.viton`) at the configured image size
and stores the arrays losslessly (PNG by default, or raw bytes), so reading
back gives exactly the folder reader's examples while decoding only small
PNGs in TF's parallel C++ ops. Priors are not stored: they are computed at read
time, so keypoint style and radius may change without converting again.

Folder ``OUT``::

    OUT/sievenet_tfrecord.json                 metadata (below)
    OUT/{split}-{pairs}-00000-of-0000N.tfrecord

Metadata: ``format_version``, ``image_size``, ``layout``, ``encoding`` and, per
``"{split}-{pairs}"``, its ``files`` and ``num_examples``. Converting another
split or pairing into the same folder adds to it.

A record holds the features ``person``, ``cloth`` (H x W x 3), ``cloth_mask``
(H x W x 1), ``parse`` (H x W dataset ids) as encoded bytes, ``keypoints``
(54 floats, COCO-18 at H x W) and ``person_name``, ``cloth_name``.

:func:`sievenet_tf.data.viton.make_dataset` reads such a folder like a dataset folder.
"""

from __future__ import annotations

import json
import os

import numpy as np
import tensorflow as tf

from sievenet_tf.data import keys, viton
from sievenet_tf.data.io import DataError

METADATA_NAME = "sievenet_tfrecord.json"
FORMAT_VERSION = 1
ENCODINGS = ("png", "raw")
_IMAGE_KEYS = (keys.PERSON, keys.CLOTH, keys.CLOTH_MASK, keys.PARSE)


def is_tfrecord_dir(path) -> bool:
    """True when ``path`` holds a ``sievenet_tfrecord.json`` written by :func:`convert`."""
    return os.path.isfile(os.path.join(os.fspath(path), METADATA_NAME))


def read_metadata(path) -> dict:
    """The metadata of a TFRecord folder; raises ``DataError`` when unreadable."""
    metadata_path = os.path.join(os.fspath(path), METADATA_NAME)
    try:
        with open(metadata_path, encoding="utf-8") as f:
            metadata = json.load(f)
    except FileNotFoundError:
        raise DataError(metadata_path, "missing file (not a TFRecord folder)") from None
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(metadata_path, f"unreadable metadata ({e})") from None
    if metadata.get("format_version") != FORMAT_VERSION:
        raise DataError(
            metadata_path,
            f"format_version {metadata.get('format_version')!r}, this reader reads {FORMAT_VERSION}",
        )
    return metadata


def _subset(split: str, pairs: str) -> str:
    return f"{split}-{pairs}"


# ---------------------------------------------------------------------- writing


def _encode(raw: dict, encoding: str) -> dict:
    """tf.data map: uint8 arrays -> bytes (runs in parallel in C++)."""
    encoded = {}
    for name in _IMAGE_KEYS:
        value = raw[name]
        if name == keys.PARSE:
            value = value[..., None]
        if encoding == "png":
            encoded[name] = tf.io.encode_png(value)
        else:
            encoded[name] = tf.io.serialize_tensor(value)
    encoded[keys.KEYPOINTS] = tf.reshape(raw[keys.KEYPOINTS], (-1,))
    encoded[keys.PERSON_NAME] = raw[keys.PERSON_NAME]
    encoded[keys.CLOTH_NAME] = raw[keys.CLOTH_NAME]
    return encoded


def _to_record(element: dict) -> bytes:
    def as_bytes(value):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))

    feature = {name: as_bytes(element[name]) for name in _IMAGE_KEYS}
    feature[keys.PERSON_NAME] = as_bytes(element[keys.PERSON_NAME])
    feature[keys.CLOTH_NAME] = as_bytes(element[keys.CLOTH_NAME])
    feature[keys.KEYPOINTS] = tf.train.Feature(
        float_list=tf.train.FloatList(value=np.asarray(element[keys.KEYPOINTS]).tolist())
    )
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def convert(
    root,
    out_dir,
    config,
    *,
    splits=("train", "test"),
    pairs: str = "paired",
    num_shards: int = 8,
    layout: str | None = None,
    encoding: str = "png",
    bad_examples: viton.BadExamples | None = None,
    progress=None,
) -> dict:
    """Write ``root``'s examples as sharded TFRecords in ``out_dir``.

    Args:
        root: dataset folder (VITON or VITON-HD layout).
        out_dir: output folder (created; existing metadata must agree).
        config: a ``SieveNetConfig`` or ``DataConfig``: image size, layout,
            skip_bad_examples.
        splits: splits to convert; a split without a pairs file is skipped.
        pairs: "paired" or "unpaired".
        num_shards: files per split (contiguous ranges of examples, in order).
        layout: overrides ``config.layout``.
        encoding: "png" (lossless, ~3x smaller) or "raw".
        bad_examples: collects skipped examples when ``skip_bad_examples`` is set.
        progress: optional callable ``(subset, written)`` called every 100 examples.

    Returns:
        The metadata written.

    Raises:
        DataError: a bad input file (unless skipping), or ``out_dir`` holds a
            conversion with another image size, layout or encoding.
    """
    data = getattr(config, "data", config)
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    resolved_layout = viton.resolve_layout(root, layout or data.layout)
    metadata = {
        "format_version": FORMAT_VERSION,
        "image_size": [int(v) for v in data.image_size],
        "layout": resolved_layout,
        "encoding": encoding,
        "source": os.path.abspath(os.fspath(root)),
        "datasets": {},
    }
    if is_tfrecord_dir(out_dir):
        existing = read_metadata(out_dir)
        for field in ("image_size", "layout", "encoding"):
            if existing[field] != metadata[field]:
                raise DataError(
                    os.path.join(out_dir, METADATA_NAME),
                    f"holds {field} {existing[field]!r}, this conversion writes "
                    f"{metadata[field]!r}; use another output folder",
                )
        metadata["datasets"] = existing["datasets"]
    if bad_examples is None and data.skip_bad_examples:
        bad_examples = viton.BadExamples()

    for split in splits:
        if not os.path.isfile(viton.pairs_path(root, split)):
            continue
        subset = _subset(split, pairs)
        index = viton.index_folder(root, split, pairs, resolved_layout)
        raw, _ = viton.raw_folder_dataset(
            root, data, split, pairs, bad_examples=bad_examples, index=index
        )
        encoded = raw.map(lambda element: _encode(element, encoding),
                          num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)  # fmt: skip
        encoded = encoded.prefetch(tf.data.AUTOTUNE)
        expected = len(index.examples)
        shards = min(num_shards, max(1, expected))
        files = [f"{subset}-{i:05d}-of-{shards:05d}.tfrecord" for i in range(shards)]
        temporary = [os.path.join(out_dir, name + ".tmp") for name in files]
        writers = [tf.io.TFRecordWriter(path) for path in temporary]
        written = 0
        try:
            with viton.data_errors():
                for element in encoded.as_numpy_iterator():
                    # Contiguous ranges: shard i holds examples [i N / S, (i + 1) N / S).
                    shard = min(shards - 1, written * shards // max(1, expected))
                    writers[shard].write(_to_record(element))
                    written += 1
                    if progress is not None and written % 100 == 0:
                        progress(subset, written)
        except BaseException:
            for writer, path in zip(writers, temporary):
                writer.close()
                os.remove(path)
            raise
        for writer in writers:
            writer.close()
        for path, name in zip(temporary, files):
            os.replace(path, os.path.join(out_dir, name))
        metadata["datasets"][subset] = {"files": files, "num_examples": written}
    with open(os.path.join(out_dir, METADATA_NAME), "w", encoding="utf-8") as f:
        json.dump(metadata, f, indent=2)
        f.write("\n")
    return metadata


# ---------------------------------------------------------------------- reading


def _decoder(image_size, encoding: str):
    height, width = image_size
    features = {name: tf.io.FixedLenFeature([], tf.string) for name in _IMAGE_KEYS}
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
            value = tf.ensure_shape(tf.reshape(value, (height, width, depth)), (height, width, depth))
            raw[name] = value[..., 0] if name == keys.PARSE else value
        raw[keys.KEYPOINTS] = tf.reshape(parsed[keys.KEYPOINTS], (18, 3))
        raw[keys.PERSON_NAME] = parsed[keys.PERSON_NAME]
        raw[keys.CLOTH_NAME] = parsed[keys.CLOTH_NAME]
        return raw

    return decode


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
    """Decoded uint8 examples of a TFRecord folder (like ``viton.raw_folder_dataset``).

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
    root = os.fspath(root)
    metadata = read_metadata(root)
    metadata_path = os.path.join(root, METADATA_NAME)
    if tuple(metadata["image_size"]) != tuple(data.image_size):
        h, w = metadata["image_size"]
        raise DataError(
            metadata_path,
            f"written at {h}x{w} but data.image_size is {data.image_size[0]}x"
            f"{data.image_size[1]}; convert again with that size",
        )
    subset = _subset(split, pairs)
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
    deterministic = seed is not None or not shuffle

    dataset = tf.data.Dataset.from_tensor_slices(files)
    shard_files = input_context is not None and len(files) >= input_context.num_input_pipelines
    if shard_files:
        dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
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
        dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
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
