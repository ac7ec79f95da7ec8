"""What the trainer needs from data, and the deterministic example-index stream.

Exact resume needs the input to be a pure function of (seed, step): the trainer
cannot checkpoint a distributed iterator (``tf.distribute`` iterators are not
trackable). So every training pipeline is built on :func:`index_stream`: a
shuffled-per-epoch stream of example indices whose epoch ``e`` permutation
depends only on ``(seed, e)``. Resuming at step ``s`` skips ``s * global_batch``
integers *before* any file is decoded, which costs milliseconds even deep into
a run, and sharding happens after the skip, so every worker agrees on it.
"""

from __future__ import annotations

from typing import Protocol

import tensorflow as tf


class DataSource(Protocol):
    """The trainer's view of a dataset (see :mod:`sievenet_tf.data.viton`)."""

    def train_dataset(
        self, input_context: tf.distribute.InputContext, global_batch_size: int, start_step: int
    ) -> tf.data.Dataset:
        """Per-replica batches of example dicts (keys in ``sievenet_tf.data.keys``),
        repeated forever, starting at global step ``start_step``."""

    def eval_batches(self, batch_size: int, max_batches: int) -> list[dict]:
        """A fixed list of held-out batches (numpy dicts) for evaluation and images."""


def index_stream(num_examples: int, seed: int, start_position: int = 0) -> tf.data.Dataset:
    """Endless int64 example indices, reshuffled each epoch, deterministic for ``seed``.

    Args:
        num_examples: size of the dataset.
        seed: the run's seed.
        start_position: number of indices to skip (``step * global_batch_size``).
    """
    if num_examples < 1:
        raise ValueError(f"need at least one example, got {num_examples}")
    start_epoch, offset = divmod(int(start_position), num_examples)

    def epoch_permutation(epoch):
        keys = tf.random.stateless_uniform(
            [num_examples], seed=tf.stack([tf.cast(seed, tf.int64), epoch]), dtype=tf.float32
        )
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys, stable=True))

    epochs = tf.data.Dataset.counter(start=start_epoch, dtype=tf.int64)
    return epochs.flat_map(epoch_permutation).skip(offset)


def shard_for_replicas(indices: tf.data.Dataset, input_context) -> tf.data.Dataset:
    """Give each input pipeline (worker) its share of the global index stream."""
    if input_context is not None and input_context.num_input_pipelines > 1:
        return indices.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    return indices


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
        self.train = {k: v for k, v in train.items()}
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
        tensors = {
            k: tf.constant(v) for k, v in self.train.items() if v.dtype.kind not in "OSU"
        }
        dataset = indices.batch(per_replica, drop_remainder=True)
        dataset = dataset.map(lambda i: {k: tf.gather(v, i) for k, v in tensors.items()})
        return dataset.prefetch(2)

    def eval_batches(self, batch_size, max_batches):
        count = len(next(iter(self.heldout.values())))
        batches = []
        for start in range(0, min(count, batch_size * max_batches), batch_size):
            batches.append({k: v[start : start + batch_size] for k, v in self.heldout.items()})
        return batches
