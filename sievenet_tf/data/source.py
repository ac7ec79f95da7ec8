"""The trainer's data: what it needs (:class:`DataSource`) and the two sources.

Training order is driven by :func:`~sievenet_tf.data.stream.index_stream`, a
pure function of (seed, step), so ``--resume`` continues with exactly the
batches an uninterrupted run would have seen.

* :class:`VitonDataSource` reads a dataset root with the decoder of
  :func:`sievenet_tf.data.pipeline.make_dataset`, either

  - **in memory**: every training example decoded once, up front, to uint8
    arrays (a bad file therefore fails before step 0); priors are computed per
    batch; or
  - **streaming**: files decoded in parallel as the index stream asks for
    them, for datasets too large to hold (a bad file stops training with its
    name).

  A TFRecord folder (``sievenet-data to-tfrecord``) is read sequentially with
  its own seeded shuffle; resuming skips the consumed examples (exact, but the
  skipped records are read again).
* :class:`ArrayDataSource` serves examples already held as numpy arrays
  (tests, benchmarks).
"""

from __future__ import annotations

import os
import sys
from typing import Protocol

import numpy as np
import tensorflow as tf

from sievenet_tf import keys
from sievenet_tf.data import folder, pipeline, tfrecord
from sievenet_tf.data.errors import DataError, raise_or_skip
from sievenet_tf.data.stream import index_stream, shard_for_replicas

# In "auto" mode, hold the decoded training set in memory below this size.
IN_MEMORY_LIMIT_BYTES = 2 * 1024**3


class DataSource(Protocol):
    """The trainer's view of a dataset."""

    def train_dataset(
        self, input_context: tf.distribute.InputContext, global_batch_size: int, start_step: int
    ) -> tf.data.Dataset:
        """Per-replica batches of example dicts (keys in ``sievenet_tf.keys``),
        repeated forever, starting at global step ``start_step``."""

    def eval_batches(self, batch_size: int, max_batches: int) -> list[dict]:
        """A fixed list of held-out batches (numpy dicts) for evaluation and images."""


def make_data_source(root, config, in_memory: str = "auto") -> VitonDataSource:
    """The :class:`VitonDataSource` for ``root`` (see its docstring)."""
    return VitonDataSource(root, config, in_memory=in_memory)


class VitonDataSource:
    """A :class:`DataSource` over a dataset root (VITON / VITON-HD layout or TFRecord).

    Args:
        root: dataset folder (VITON / VITON-HD layout) or TFRecord folder.
        config: the run's ``SieveNetConfig``.
        in_memory: "auto", "yes" or "no" (see module docstring).
        heldout_split: split used for held-out evaluation and images; falls
            back to "train" (with a notice) when the dataset has no such split.

    Raises:
        DataError: missing files, unreadable pose files, a bad file met while
            loading in memory — before any training.
    """

    def __init__(self, root, config, in_memory: str = "auto", heldout_split: str = "test"):
        self.root = os.fspath(root)
        self.config = config
        self.seed = config.train.seed
        if not os.path.isdir(self.root):
            raise DataError(self.root, "dataset root is not a directory")
        self.is_tfrecord = tfrecord.is_tfrecord_dir(self.root)
        self.heldout_split = heldout_split
        self.arrays = None
        self.layout = self.num_examples = None
        if self.is_tfrecord:
            return
        self.index = folder.index_folder(self.root, "train", "paired", config.data.layout)
        raise_or_skip(self.index.problems, self.root, config.data.skip_bad_examples)
        if not self.index.examples:
            raise DataError(self.root, "no usable paired examples in split 'train'")
        self.layout = self.index.layout
        self.num_examples = len(self.index.examples)
        if _fits_in_memory(in_memory, self.num_examples, config.data.image_size):
            self.arrays = self._load_in_memory()

    def train_dataset(self, input_context, global_batch_size, start_step):
        if self.is_tfrecord:
            dataset = pipeline.make_dataset(
                self.root,
                self.config,
                "train",
                "paired",
                batch_size=global_batch_size,
                shuffle=True,
                seed=self.seed,
                repeat=True,
                drop_remainder=True,
                input_context=input_context,
            )
            return dataset.skip(start_step)
        indices = index_stream(self.num_examples, self.seed, start_step * global_batch_size)
        indices = shard_for_replicas(indices, input_context)
        if self.arrays is not None:
            tensors = {name: tf.constant(self.arrays[name]) for name in self.arrays}
            raw = indices.map(lambda i: {name: tf.gather(v, i) for name, v in tensors.items()})
        else:
            raw = self._raw_from_files(indices)
        return pipeline.finish_pipeline(
            raw,
            self.config.data,
            self.layout,
            batch_size=global_batch_size,
            drop_remainder=True,
            deterministic=True,
            input_context=input_context,
            with_priors=True,
        )

    def eval_batches(self, batch_size, max_batches):
        split = self.heldout_split
        try:
            dataset = pipeline.make_dataset(
                self.root, self.config, split, "paired", batch_size=batch_size, shuffle=False
            )
        except DataError as e:
            _log(f"note: no usable {split!r} split ({e}); held-out numbers use training pairs")
            dataset = pipeline.make_dataset(
                self.root, self.config, "train", "paired", batch_size=batch_size, shuffle=False
            )
        with pipeline.data_errors():
            return list(dataset.take(max_batches).as_numpy_iterator())

    def _raw_from_files(self, indices: tf.data.Dataset) -> tf.data.Dataset:
        """Raw examples decoded in the order of ``indices``."""
        table = {k: tf.constant(v) for k, v in pipeline.file_table(self.index).items()}
        data = self.config.data
        dataset = indices.map(lambda i: {k: tf.gather(v, i) for k, v in table.items()})
        dataset = dataset.map(
            pipeline.decoder(data, self.layout, None),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        return pipeline.check_errors(dataset, data.skip_bad_examples)

    def _load_in_memory(self) -> dict:
        count = self.num_examples
        _log(f"loading {count} training examples into memory from {self.root} ...")
        dataset = self._raw_from_files(tf.data.Dataset.range(count)).batch(256)
        names = (*pipeline.RAW_ARRAY_KEYS, keys.PERSON_NAME, keys.CLOTH_NAME)
        arrays = {name: [] for name in names}
        with pipeline.data_errors():
            for batch in dataset.as_numpy_iterator():
                for name in arrays:
                    arrays[name].append(batch[name])
        arrays = {name: np.concatenate(values) for name, values in arrays.items()}
        if len(arrays[keys.PERSON]) != count:  # bad examples were skipped
            _log(f"skipped {count - len(arrays[keys.PERSON])} bad example(s)")
            self.num_examples = len(arrays[keys.PERSON])
        return arrays


class ArrayDataSource:
    """A :class:`DataSource` over examples held in memory as numpy arrays.

    Fast for small datasets (the tiny preset, tests); the folder and TFRecord
    readers stream larger ones.

    Args:
        train: dict key -> array (N, ...) of training examples.
        heldout: dict key -> array (M, ...) of held-out examples (default: ``train``).
        seed: shuffling seed.
    """

    def __init__(self, train: dict, heldout: dict | None = None, seed: int = 0):
        self.train = dict(train)
        self.heldout = heldout if heldout is not None else train
        self.seed = seed
        sizes = {k: len(v) for k, v in self.train.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"arrays have different lengths: {sizes}")
        self.num_examples = next(iter(sizes.values()))

    def train_dataset(self, input_context, global_batch_size, start_step):
        per_replica = (
            input_context.get_per_replica_batch_size(global_batch_size)
            if input_context is not None
            else global_batch_size
        )
        indices = index_stream(self.num_examples, self.seed, start_step * global_batch_size)
        indices = shard_for_replicas(indices, input_context)
        tensors = {k: tf.constant(v) for k, v in self.train.items() if v.dtype.kind not in "OSU"}
        dataset = indices.batch(per_replica, drop_remainder=True)
        dataset = dataset.map(lambda i: {k: tf.gather(v, i) for k, v in tensors.items()})
        return dataset.prefetch(2)

    def eval_batches(self, batch_size, max_batches):
        count = len(next(iter(self.heldout.values())))
        batches = []
        for start in range(0, min(count, batch_size * max_batches), batch_size):
            batches.append({k: v[start : start + batch_size] for k, v in self.heldout.items()})
        return batches


def _fits_in_memory(in_memory: str, num_examples: int, image_size) -> bool:
    height, width = image_size
    estimate = num_examples * height * width * 8  # bytes of the raw uint8 arrays
    return in_memory == "yes" or (in_memory == "auto" and estimate <= IN_MEMORY_LIMIT_BYTES)


def _log(message):
    print(message, file=sys.stderr, flush=True)
