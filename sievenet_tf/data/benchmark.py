"""Examples per second of the folder and TFRecord readers (``sievenet-data benchmark``).

The readers run as in training: train split, paired, shuffled with a seed,
repeated, batched, with priors. How the rate compares with a training step is
measured by ``python training/benchmark_data.py ROOT --model``
(:mod:`sievenet_tf.training.benchmark_data`).
"""

from __future__ import annotations

import os
import tempfile
import time

import tensorflow as tf

from sievenet_tf import keys
from sievenet_tf.config import get_preset
from sievenet_tf.data import pipeline, tfrecord_writer


def benchmark_readers(
    root,
    preset: str = "viton_256x192",
    batch_size: int = 8,
    num_batches: int = 40,
    tfrecord_dir=None,
    log=print,
) -> dict:
    """Examples/second of the folder and TFRecord readers on ``root``.

    Args:
        root: dataset folder.
        preset: config preset (image size, priors).
        batch_size: global batch size.
        num_batches: timed batches per reader (after 5 warm-up batches).
        tfrecord_dir: an existing conversion of ``root`` at the preset's size;
            by default one is written to a temporary folder.
        log: where progress lines go.

    Returns:
        dict with ``preset``, ``batch_size``, ``cpus`` and the ``folder`` and
        ``tfrecord`` throughput dicts of :func:`measure_throughput`.
    """
    config = get_preset(preset)
    options = dict(batch_size=batch_size, shuffle=True, seed=0, repeat=True)
    results = {"preset": preset, "batch_size": batch_size, "cpus": os.cpu_count()}

    folder = pipeline.make_dataset(root, config, "train", "paired", **options)
    results["folder"] = measure_throughput(folder, num_batches)
    log(f"folder reader:   {results['folder']['examples_per_second']:.1f} examples/s")

    with tempfile.TemporaryDirectory() as temporary:
        if tfrecord_dir is None:
            tfrecord_dir = os.path.join(temporary, "tfrecord")
            tfrecord_writer.convert(root, tfrecord_dir, config, splits=("train",), num_shards=8)
        records = pipeline.make_dataset(tfrecord_dir, config, "train", "paired", **options)
        results["tfrecord"] = measure_throughput(records, num_batches)
    log(f"tfrecord reader: {results['tfrecord']['examples_per_second']:.1f} examples/s")
    return results


def measure_throughput(
    dataset: tf.data.Dataset, num_batches: int = 50, warmup_batches: int = 5
) -> dict:
    """Iterate ``dataset`` and report examples per second after a warm-up.

    Returns:
        dict with ``examples``, ``seconds`` and ``examples_per_second``.
    """
    iterator = iter(dataset)
    for _ in range(warmup_batches):
        next(iterator)
    examples = 0
    start = time.perf_counter()
    for _ in range(num_batches):
        batch = next(iterator)
        examples += int(batch[keys.PERSON].shape[0]) if batch[keys.PERSON].shape.rank == 4 else 1
    seconds = time.perf_counter() - start
    return {"examples": examples, "seconds": seconds, "examples_per_second": examples / seconds}
