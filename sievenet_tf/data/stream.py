"""The deterministic example-index stream every training pipeline is built on.

Exact resume needs the input to be a pure function of (seed, step): the trainer
cannot checkpoint a distributed iterator (``tf.distribute`` iterators are not
trackable). So every training pipeline is built on :func:`index_stream`: a
shuffled-per-epoch stream of example indices whose epoch ``e`` permutation
depends only on ``(seed, e)``. Resuming at step ``s`` skips ``s * global_batch``
integers *before* any file is decoded, which costs milliseconds even deep into
a run, and sharding (:func:`shard_for_replicas`) happens after the skip, so
every worker agrees on it.
"""

from __future__ import annotations

import tensorflow as tf


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
