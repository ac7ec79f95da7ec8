"""``tf.data`` pipelines of example dicts, from a dataset folder or a TFRecord folder.

Every example is the dict documented in :mod:`sievenet_tf.keys`. A pipeline has
two halves:

* **raw**: uint8 arrays, keypoints and names (:func:`raw_signature`). From a
  folder, :func:`raw_folder_dataset` decodes files with
  :func:`sievenet_tf.data.folder.load_example` inside a parallel
  ``tf.numpy_function`` (Pillow, so palette parses give label ids); from a
  TFRecord folder, :func:`sievenet_tf.data.tfrecord.raw_tfrecord_dataset`
  decodes stored PNGs.
* **finish** (:func:`finish_pipeline`): convert to float / model classes,
  batch, and compute the priors with TF ops
  (:func:`sievenet_tf.layers.priors.build_priors`) on whole batches.

A bad file met while decoding either stops the pipeline (strict, the default)
with an error that :func:`data_errors` turns into a :class:`DataError` naming
the file, or drops the example (``data.skip_bad_examples``).

Example:
    >>> from sievenet_tf.config import get_preset
    >>> from sievenet_tf.data.pipeline import make_dataset, dataset_fn
    >>> config = get_preset("viton_256x192")
    >>> train = make_dataset("data/viton", config, "train", batch_size=8,
    ...                      shuffle=True, seed=0, repeat=True)
    >>> strategy.distribute_datasets_from_function(
    ...     dataset_fn("data/viton", config, global_batch_size=8, seed=0))
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from sievenet_tf import keys, labels
from sievenet_tf.data import folder, tfrecord
from sievenet_tf.data.errors import BadExamples, DataError, raise_or_skip
from sievenet_tf.data.folder import FolderIndex
from sievenet_tf.data.layouts import ExampleFiles
from sievenet_tf.layers.priors import build_priors, parse_to_model_classes

# The raw arrays a decoder produces, and the per-example columns it reads.
RAW_ARRAY_KEYS = (keys.PERSON, keys.CLOTH, keys.CLOTH_MASK, keys.PARSE, keys.KEYPOINTS)
_FILE_COLUMNS = (
    "person",
    "parse",
    "pose",
    "cloth",
    "cloth_mask",
    keys.PERSON_NAME,
    keys.CLOTH_NAME,
    "raw_keypoints",
)
_ERROR_MARKER = "SieveNetDataError:"
_ERROR_PATTERN = re.compile(
    re.escape(_ERROR_MARKER) + r"\] \[(?P<path>[^\n]*?)\] \[(?P<problem>[^\n]*)\]"
)


def make_dataset(
    root,
    config,
    split: str = "train",
    pairs: str = "paired",
    *,
    batch_size: int | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    repeat: bool = False,
    drop_remainder: bool | None = None,
    input_context: tf.distribute.InputContext | None = None,
    layout: str | None = None,
    with_priors: bool = True,
    bad_examples: BadExamples | None = None,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of example dicts (see :mod:`sievenet_tf.keys`).

    ``root`` is a dataset folder (VITON or VITON-HD layout) or a folder written by
    ``sievenet-data to-tfrecord``; both give identical examples.

    Args:
        root: dataset root.
        config: a ``SieveNetConfig`` or its ``DataConfig`` (image size, priors,
            layout, shuffle buffer, skip_bad_examples).
        split: "train" or "test".
        pairs: "paired" (each person with their own garment: training and paired
            evaluation) or "unpaired" (the pairs file as written: try-on).
        batch_size: GLOBAL batch size; None yields single examples. Under
            ``input_context`` each pipeline batches
            ``input_context.get_per_replica_batch_size(batch_size)``.
        shuffle: shuffle the pairs (default: ``split == "train"``).
        seed: makes shuffling and element order deterministic. Without a seed,
            a shuffled pipeline may deliver elements out of order for speed.
        repeat: repeat forever (reshuffled every epoch).
        drop_remainder: drop a last partial batch (default: ``shuffle``), so
            training batches have a static shape.
        input_context: from ``strategy.distribute_datasets_from_function``; the
            pairs are sharded by ``input_pipeline_id``.
        layout: overrides ``config.layout`` ("auto", "viton", "viton_hd"); a
            TFRecord folder knows its layout.
        with_priors: add ``priors``, ``texture_priors``, ``cloth_worn`` and
            ``cloth_worn_mask`` (the only TF-heavy step).
        bad_examples: collects skipped examples when ``skip_bad_examples`` is set
            (a new one is used if None; it logs each bad example once).

    Returns:
        The dataset. With ``skip_bad_examples`` off, a bad file met while
        iterating raises ``tf.errors.InvalidArgumentError`` naming the file; see
        :func:`data_errors` to get a :class:`DataError` instead.

    Raises:
        DataError: missing folders, pairs file, files or malformed pose files
            found up front (unless ``skip_bad_examples``).
    """
    data = data_config(config)
    shuffle = split == "train" if shuffle is None else shuffle
    order = dict(shuffle=shuffle, seed=seed, repeat=repeat, input_context=input_context)
    if tfrecord.is_tfrecord_dir(root):
        raw, layout = tfrecord.raw_tfrecord_dataset(root, data, split, pairs, **order)
    else:
        if bad_examples is None and data.skip_bad_examples:
            bad_examples = BadExamples()
        raw, layout = raw_folder_dataset(
            root, data, split, pairs, layout=layout, bad_examples=bad_examples, **order
        )
    return finish_pipeline(
        raw,
        data,
        layout,
        batch_size=batch_size,
        drop_remainder=shuffle if drop_remainder is None else drop_remainder,
        deterministic=is_deterministic(shuffle, seed),
        input_context=input_context,
        with_priors=with_priors,
    )


def dataset_fn(
    root, config, global_batch_size: int, split: str = "train", pairs: str = "paired", **kwargs
) -> Callable:
    """``(input_context) -> dataset`` for ``strategy.distribute_datasets_from_function``.

    Each input pipeline reads its own shard of the pairs and batches the
    per-replica share of ``global_batch_size``. Keyword arguments go to
    :func:`make_dataset` (shuffle, seed, repeat, ...).
    """

    def fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        return make_dataset(
            root,
            config,
            split,
            pairs,
            batch_size=global_batch_size,
            input_context=input_context,
            **kwargs,
        )

    return fn


@contextlib.contextmanager
def data_errors():
    """Turn a bad-file failure inside a tf.data pipeline into a :class:`DataError`.

    A bad file met while iterating a strict pipeline (``skip_bad_examples`` off)
    stops it with a ``tf.errors.InvalidArgumentError`` whose message names the
    file; inside this context the error is re-raised as ``DataError(path, problem)``
    without the TF stack trace. Wrap training/evaluation loops with it.
    """
    try:
        yield
    except tf.errors.InvalidArgumentError as e:
        match = _ERROR_PATTERN.search(e.message or "")
        if match is None:
            raise
        raise DataError(match["path"], match["problem"]) from None


def data_config(config):
    """Accept a SieveNetConfig or a DataConfig."""
    return getattr(config, "data", config)


def is_deterministic(shuffle: bool, seed) -> bool:
    """Whether a pipeline must keep element order (seeded, or not shuffled)."""
    return seed is not None or not shuffle


# ----------------------------------------------------------------- raw (folders)


def raw_folder_dataset(
    root,
    config,
    split: str,
    pairs: str,
    *,
    layout: str | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    repeat: bool = False,
    input_context: tf.distribute.InputContext | None = None,
    bad_examples: BadExamples | None = None,
    index: FolderIndex | None = None,
) -> tuple[tf.data.Dataset, str]:
    """Decoded but unconverted examples of a dataset folder: the part of
    :func:`make_dataset` before :func:`finish_pipeline`.

    Elements hold the uint8 arrays of :func:`~sievenet_tf.data.folder.load_example`
    and the names (:func:`raw_signature`). Sharding and shuffling act on the
    list of pairs, so shuffling is a full shuffle that costs no memory.

    Args:
        index: reuse an :func:`~sievenet_tf.data.folder.index_folder` result
            instead of listing again.

    Returns:
        (dataset, layout).
    """
    data = data_config(config)
    if index is None:
        index = folder.index_folder(root, split, pairs, layout or data.layout)
    raise_or_skip(index.problems, root, data.skip_bad_examples, bad_examples)
    if not index.examples:
        raise DataError(root, f"no usable {pairs} examples in split {split!r}")
    dataset = tf.data.Dataset.from_tensor_slices(file_table(index))
    if input_context is not None:
        dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if shuffle:
        dataset = dataset.shuffle(len(index.examples), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.map(
        decoder(data, index.layout, bad_examples),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=is_deterministic(shuffle, seed),
    )
    return check_errors(dataset, data.skip_bad_examples), index.layout


def file_table(index: FolderIndex) -> dict:
    """The columns :func:`decoder` reads: one entry per example of ``index``."""
    examples = index.examples
    return {
        "person": [f.person for f in examples],
        "parse": [f.parse for f in examples],
        "pose": [f.pose for f in examples],
        "cloth": [f.cloth for f in examples],
        "cloth_mask": [f.cloth_mask for f in examples],
        keys.PERSON_NAME: [f.person_name for f in examples],
        keys.CLOTH_NAME: [f.cloth_name for f in examples],
        "raw_keypoints": index.keypoints,
    }


def decoder(data, layout: str, bad_examples: BadExamples | None) -> Callable:
    """The parallel map function: a :func:`file_table` row -> raw uint8 example
    plus the error fields ``error_path`` / ``error_problem`` ("" when fine)."""
    image_size = tuple(data.image_size)
    spec = raw_signature(image_size)

    def load(person, parse, pose, cloth, cloth_mask, person_name, cloth_name, raw_keypoints):
        files = ExampleFiles(
            person_name.decode(),
            cloth_name.decode(),
            person.decode(),
            parse.decode(),
            pose.decode(),
            cloth.decode(),
            cloth_mask.decode(),
        )
        try:
            raw = folder.load_example(files, image_size, layout, keypoints=raw_keypoints)
            error_path, error_problem = b"", b""
        except DataError as e:
            if bad_examples is not None:
                bad_examples.add(str(e))
            raw = {
                name: np.zeros(spec[name].shape, spec[name].dtype.as_numpy_dtype)
                for name in RAW_ARRAY_KEYS
            }
            error_path, error_problem = e.path.encode(), e.problem.encode()
        arrays = (raw[name] for name in RAW_ARRAY_KEYS)
        return (*arrays, np.bytes_(error_path), np.bytes_(error_problem))

    def decode(element):
        outputs = tf.numpy_function(
            load,
            [element[name] for name in _FILE_COLUMNS],
            [spec[name].dtype for name in RAW_ARRAY_KEYS] + [tf.string, tf.string],
            name="load_example",
        )
        raw = {}
        for name, value in zip(RAW_ARRAY_KEYS, outputs):
            value.set_shape(spec[name].shape)
            raw[name] = value
        raw[keys.PERSON_NAME] = element[keys.PERSON_NAME]
        raw[keys.CLOTH_NAME] = element[keys.CLOTH_NAME]
        raw["error_path"], raw["error_problem"] = outputs[-2], outputs[-1]
        return raw

    return decode


def check_errors(dataset: tf.data.Dataset, skip: bool) -> tf.data.Dataset:
    """Drop (skip) or fail on (strict) elements whose decoding reported a problem."""
    if skip:
        dataset = dataset.filter(lambda raw: tf.equal(raw["error_path"], ""))
        return dataset.map(_drop_error_fields)

    def check(raw):
        ok = tf.equal(raw["error_path"], "")
        assertion = tf.debugging.Assert(
            ok, [_ERROR_MARKER, raw["error_path"], raw["error_problem"]], name="bad_data_file"
        )
        with tf.control_dependencies([assertion]):
            raw = {name: tf.identity(value) for name, value in raw.items()}
        return _drop_error_fields(raw)

    return dataset.map(check)


def _drop_error_fields(raw):
    return {k: v for k, v in raw.items() if k not in ("error_path", "error_problem")}


def raw_signature(image_size) -> dict:
    """TensorSpecs of the raw (uint8) example of ``load_example`` plus names."""
    height, width = image_size
    return {
        keys.PERSON: tf.TensorSpec((height, width, 3), tf.uint8),
        keys.CLOTH: tf.TensorSpec((height, width, 3), tf.uint8),
        keys.CLOTH_MASK: tf.TensorSpec((height, width, 1), tf.uint8),
        keys.PARSE: tf.TensorSpec((height, width), tf.uint8),
        keys.KEYPOINTS: tf.TensorSpec((18, 3), tf.float32),
        keys.PERSON_NAME: tf.TensorSpec((), tf.string),
        keys.CLOTH_NAME: tf.TensorSpec((), tf.string),
    }


# ------------------------------------------------------------------------ finish


def finish_pipeline(
    raw: tf.data.Dataset,
    config,
    layout: str,
    *,
    batch_size: int | None,
    drop_remainder: bool,
    deterministic: bool,
    input_context: tf.distribute.InputContext | None = None,
    with_priors: bool = True,
) -> tf.data.Dataset:
    """Raw uint8 examples -> example dicts: convert, batch, priors, prefetch."""
    data = data_config(config)
    dataset = raw.map(lambda element: finish_example(element, layout))
    if batch_size is not None:
        per_replica = (
            input_context.get_per_replica_batch_size(batch_size)
            if input_context is not None
            else batch_size
        )
        dataset = dataset.batch(
            per_replica,
            drop_remainder=drop_remainder,
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=deterministic,
        )
    if with_priors:
        batched = batch_size is not None
        dataset = dataset.map(
            lambda example: add_priors(example, data, batched),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=deterministic,
        )
    options = tf.data.Options()
    options.deterministic = deterministic
    # Sharded by us under distribute_datasets_from_function; by element otherwise.
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
        if input_context is not None
        else tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


def finish_example(raw: dict, layout: str) -> dict:
    """Raw uint8 arrays (tensors, any batch shape) -> example dict without the
    priors: images to [-1, 1], masks to float, parse to model classes."""
    example = {
        keys.PERSON: tf.cast(raw[keys.PERSON], tf.float32) / 127.5 - 1.0,
        keys.CLOTH: tf.cast(raw[keys.CLOTH], tf.float32) / 127.5 - 1.0,
        keys.CLOTH_MASK: tf.cast(raw[keys.CLOTH_MASK], tf.float32),
        keys.PARSE: tf.cast(raw[keys.PARSE], tf.int32),
        keys.KEYPOINTS: tf.cast(raw[keys.KEYPOINTS], tf.float32),
        keys.PERSON_NAME: raw[keys.PERSON_NAME],
        keys.CLOTH_NAME: raw[keys.CLOTH_NAME],
    }
    example[keys.SEGMENTATION] = parse_to_model_classes(
        example[keys.PARSE], labels.dataset_to_model_table(layout)
    )
    return example


def add_priors(example: dict, config, batched: bool) -> dict:
    """Add ``priors``, ``texture_priors``, ``cloth_worn``, ``cloth_worn_mask``."""
    data = data_config(config)
    inputs = [example[keys.PERSON], example[keys.SEGMENTATION], example[keys.KEYPOINTS]]
    if not batched:
        inputs = [x[None] for x in inputs]
    priors = build_priors(
        *inputs,
        image_size=tuple(data.image_size),
        num_keypoints=data.num_keypoints,
        keypoint_style=data.keypoint_style,
        keypoint_radius=data.keypoint_radius,
        shape_downsample=data.shape_downsample,
    )
    if not batched:
        priors = {name: value[0] for name, value in priors.items()}
    return {**example, **priors}
