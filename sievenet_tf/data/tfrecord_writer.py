"""``sievenet-data to-tfrecord``: write a dataset folder as sharded TFRecords.

The format is :mod:`sievenet_tf.data.tfrecord`. Every example is decoded once
by the folder reader (:func:`sievenet_tf.data.pipeline.raw_folder_dataset`) at
the configured image size. Writes are atomic: each shard is written under a
temporary name and renamed when its subset is complete, then the metadata is
replaced; an interrupted or failed conversion leaves the output folder as it
was (apart from ``*.tmp`` leftovers after a SIGKILL).
"""

from __future__ import annotations

import contextlib
import os

import tensorflow as tf

from sievenet_tf import atomic
from sievenet_tf.data import folder, layouts, pipeline, tfrecord
from sievenet_tf.data.errors import BadExamples, DataError
from sievenet_tf.data.output import check_writable_folder


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
    bad_examples: BadExamples | None = None,
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
        OSError: ``out_dir`` cannot be created or written (checked first).
    """
    data = pipeline.data_config(config)
    if encoding not in tfrecord.ENCODINGS:
        raise ValueError(f"encoding must be one of {tfrecord.ENCODINGS}, got {encoding!r}")
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    out_dir = check_writable_folder(out_dir)
    resolved_layout = layouts.resolve_layout(root, layout or data.layout)
    metadata = _metadata(root, out_dir, data, resolved_layout, encoding)
    if bad_examples is None and data.skip_bad_examples:
        bad_examples = BadExamples()
    os.makedirs(out_dir, exist_ok=True)
    for split in splits:
        if not os.path.isfile(layouts.pairs_path(root, split)):
            continue
        index = folder.index_folder(root, split, pairs, resolved_layout)
        raw, _ = pipeline.raw_folder_dataset(
            root, data, split, pairs, bad_examples=bad_examples, index=index
        )
        subset = tfrecord.subset_name(split, pairs)
        files, written = _write_subset(
            raw, out_dir, subset, len(index.examples), num_shards, encoding, progress
        )
        stale = metadata["datasets"].get(subset, {}).get("files", [])
        metadata["datasets"][subset] = {"files": files, "num_examples": written}
        atomic.write_json(os.path.join(out_dir, tfrecord.METADATA_NAME), metadata)
        for name in set(stale) - set(files):  # shards of an earlier conversion
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(out_dir, name))
    atomic.write_json(os.path.join(out_dir, tfrecord.METADATA_NAME), metadata)
    return metadata


def _metadata(root, out_dir: str, data, layout: str, encoding: str) -> dict:
    """The metadata of this conversion, with the subsets already in ``out_dir``.

    Raises:
        DataError: ``out_dir`` holds a conversion with other settings.
    """
    metadata = {
        "format_version": tfrecord.FORMAT_VERSION,
        "image_size": [int(v) for v in data.image_size],
        "layout": layout,
        "encoding": encoding,
        "source": os.path.abspath(os.fspath(root)),
        "datasets": {},
    }
    if tfrecord.is_tfrecord_dir(out_dir):
        existing = tfrecord.read_metadata(out_dir)
        for field in ("image_size", "layout", "encoding"):
            if existing.get(field) != metadata[field]:
                raise DataError(
                    os.path.join(out_dir, tfrecord.METADATA_NAME),
                    f"holds {field} {existing.get(field)!r}, this conversion writes "
                    f"{metadata[field]!r}; use another output folder",
                )
        metadata["datasets"] = dict(existing.get("datasets") or {})
    return metadata


def _write_subset(raw, out_dir, subset, expected, num_shards, encoding, progress):
    """Encode and write one subset's shards atomically.

    Returns:
        (file names, number of examples written).
    """
    encoded = raw.map(
        lambda element: tfrecord.encode_example(element, encoding),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    ).prefetch(tf.data.AUTOTUNE)
    shards = min(num_shards, max(1, expected))
    files = [f"{subset}-{i:05d}-of-{shards:05d}.tfrecord" for i in range(shards)]
    with contextlib.ExitStack() as stack:
        temporary = [
            stack.enter_context(atomic.replace_file(os.path.join(out_dir, name))) for name in files
        ]
        written = _write_records(encoded, temporary, expected, subset, progress)
    return files, written


def _write_records(encoded, paths, expected: int, subset: str, progress) -> int:
    """Write every element in order; shard i holds examples [i N / S, (i + 1) N / S)."""
    writers = [tf.io.TFRecordWriter(path) for path in paths]
    written = 0
    try:
        with pipeline.data_errors():
            for element in encoded.as_numpy_iterator():
                shard = min(len(paths) - 1, written * len(paths) // max(1, expected))
                writers[shard].write(tfrecord.to_record(element))
                written += 1
                if progress is not None and written % 100 == 0:
                    progress(subset, written)
    finally:
        for writer in writers:
            writer.close()
    return written
