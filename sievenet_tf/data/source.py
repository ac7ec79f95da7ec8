"""The trainer's data: a dataset root turned into a resumable :class:`DataSource`.

Training order is driven by :func:`~sievenet_tf.training.data_source.index_stream`,
a pure function of (seed, step), so ``--resume`` continues with exactly the
batches an uninterrupted run would have seen. Examples are read with the same
decoder as :func:`sievenet_tf.data.viton.make_dataset`, either

* **in memory**: every training example decoded once, up front, to uint8 arrays
  (a bad file therefore fails before step 0); priors are computed per batch; or
* **streaming**: files decoded in parallel as the index stream asks for them,
  for datasets too large to hold (a bad file stops training with its name).

A TFRecord folder (``sievenet-data to-tfrecord``) is read sequentially with its
own seeded shuffle; resuming skips the consumed examples (exact, but the
skipped records are read again).
"""

from __future__ import annotations

import os
import sys

import numpy as np
import tensorflow as tf

from sievenet_tf.data import keys, viton
from sievenet_tf.data.io import DataError
from sievenet_tf.training.data_source import index_stream, shard_for_replicas

# In "auto" mode, hold the decoded training set in memory below this size.
IN_MEMORY_LIMIT_BYTES = 2 * 1024**3
_RAW_KEYS = (keys.PERSON, keys.CLOTH, keys.CLOTH_MASK, keys.PARSE, keys.KEYPOINTS)


def _log(message):
    print(message, file=sys.stderr, flush=True)


class VitonDataSource:
    """A :class:`~sievenet_tf.training.data_source.DataSource` over a dataset root.

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
        from sievenet_tf.data import tfrecord

        self.root = os.fspath(root)
        self.config = config
        self.seed = config.train.seed
        if not os.path.isdir(self.root):
            raise DataError(self.root, "dataset root is not a directory")
        self.is_tfrecord = tfrecord.is_tfrecord_dir(self.root)
        self.heldout_split = heldout_split
        self.arrays = None
        if self.is_tfrecord:
            self.layout = None
            self.num_examples = None
            return
        self.index = viton.index_folder(self.root, "train", "paired", config.data.layout)
        viton._raise_or_skip(
            self.index.problems, self.root, config.data.skip_bad_examples, None
        )
        if not self.index.examples:
            raise DataError(self.root, "no usable paired examples in split 'train'")
        self.layout = self.index.layout
        self.num_examples = len(self.index.examples)
        height, width = config.data.image_size
        estimate = self.num_examples * height * width * 8
        if in_memory == "yes" or (in_memory == "auto" and estimate <= IN_MEMORY_LIMIT_BYTES):
            self.arrays = self._load_in_memory()

    # ----------------------------------------------------------------- raw data
    def _file_table(self):
        return {
            "person": [f.person for f in self.index.examples],
            "parse": [f.parse for f in self.index.examples],
            "pose": [f.pose for f in self.index.examples],
            "cloth": [f.cloth for f in self.index.examples],
            "cloth_mask": [f.cloth_mask for f in self.index.examples],
            keys.PERSON_NAME: [f.person_name for f in self.index.examples],
            keys.CLOTH_NAME: [f.cloth_name for f in self.index.examples],
            "raw_keypoints": self.index.keypoints,
        }

    def _raw_from_files(self, indices: tf.data.Dataset, deterministic=True) -> tf.data.Dataset:
        table = {k: tf.constant(v) for k, v in self._file_table().items()}
        data = self.config.data
        decoder = viton._decoder(data, self.layout, None)
        dataset = indices.map(lambda i: {k: tf.gather(v, i) for k, v in table.items()})
        dataset = dataset.map(decoder, num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)
        return viton._check_errors(dataset, data.skip_bad_examples)

    def _load_in_memory(self):
        count = self.num_examples
        _log(f"loading {count} training examples into memory from {self.root} ...")
        dataset = self._raw_from_files(tf.data.Dataset.range(count)).batch(256)
        arrays = {name: [] for name in (*_RAW_KEYS, keys.PERSON_NAME, keys.CLOTH_NAME)}
        with viton.data_errors():
            for batch in dataset.as_numpy_iterator():
                for name in arrays:
                    arrays[name].append(batch[name])
        arrays = {name: np.concatenate(values) for name, values in arrays.items()}
        if len(arrays[keys.PERSON]) != count:  # bad examples were skipped
            _log(f"skipped {count - len(arrays[keys.PERSON])} bad example(s)")
            self.num_examples = len(arrays[keys.PERSON])
        return arrays

    # ----------------------------------------------------------- DataSource API
    def train_dataset(self, input_context, global_batch_size, start_step):
        data = self.config.data
        if self.is_tfrecord:
            dataset = viton.make_dataset(
                self.root, self.config, "train", "paired", batch_size=global_batch_size,
                shuffle=True, seed=self.seed, repeat=True, drop_remainder=True,
                input_context=input_context,
            )  # fmt: skip
            return dataset.skip(start_step)
        indices = index_stream(self.num_examples, self.seed, start_step * global_batch_size)
        indices = shard_for_replicas(indices, input_context)
        if self.arrays is not None:
            tensors = {name: tf.constant(self.arrays[name]) for name in self.arrays}
            raw = indices.map(lambda i: {name: tf.gather(v, i) for name, v in tensors.items()})
        else:
            raw = self._raw_from_files(indices)
        return viton.finish_pipeline(
            raw, data, self.layout, batch_size=global_batch_size, drop_remainder=True,
            deterministic=True, input_context=input_context, with_priors=True,
        )  # fmt: skip

    def eval_batches(self, batch_size, max_batches):
        split = self.heldout_split
        try:
            dataset = viton.make_dataset(
                self.root, self.config, split, "paired", batch_size=batch_size, shuffle=False
            )
        except DataError as e:
            _log(f"note: no usable {split!r} split ({e}); held-out numbers use training pairs")
            dataset = viton.make_dataset(
                self.root, self.config, "train", "paired", batch_size=batch_size, shuffle=False
            )
        with viton.data_errors():
            return list(dataset.take(max_batches).as_numpy_iterator())


def make_data_source(root, config, in_memory: str = "auto") -> VitonDataSource:
    """The :class:`VitonDataSource` for ``root`` (see its docstring)."""
    return VitonDataSource(root, config, in_memory=in_memory)
