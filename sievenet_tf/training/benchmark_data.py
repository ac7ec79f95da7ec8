"""The input pipeline against a training step: are the readers fast enough?

``python training/benchmark_data.py ROOT [--model]`` times the folder and
TFRecord readers (:func:`sievenet_tf.data.benchmark.benchmark_readers`) and,
with ``--model``, one forward + backward pass of the full SieveNet on a batch
they deliver, and prints how many times the model's training rate the slower
reader delivers.
"""

from __future__ import annotations

import argparse
import sys
import time

import tensorflow as tf

from sievenet_tf.cli_util import run_main
from sievenet_tf.config import get_preset
from sievenet_tf.data import pipeline
from sievenet_tf.data.benchmark import benchmark_readers
from sievenet_tf.models import build_sievenet


def time_model(config, batch, steps: int = 2) -> dict:
    """Seconds per forward + backward pass of the composed SieveNet on ``batch``.

    Args:
        config: a ``SieveNetConfig``.
        batch: an example dict batch of the pipeline (with priors).
        steps: timed steps (after one warm-up step).

    Returns:
        dict with ``model_step_seconds``, ``model_examples_per_second`` and
        ``model_parameters``.
    """
    net = build_sievenet(config)
    inputs = {name: batch[name] for name in ("cloth", "cloth_mask", "priors", "texture_priors")}

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            outputs = net(inputs, training=True)
            loss = (
                tf.reduce_mean(tf.abs(outputs["tryon"] - batch["person"]))
                + tf.reduce_mean(tf.abs(outputs["warped_cloth_fine"] - batch["cloth_worn"]))
                + tf.reduce_mean(outputs["segmentation_logits"] ** 2)
            )
        return tape.gradient(loss, net.trainable_variables)

    step()  # trace + warm up
    start = time.perf_counter()
    for _ in range(steps):
        grads = step()
    _ = [g.numpy() for g in grads[:1] if g is not None]
    seconds = (time.perf_counter() - start) / steps
    batch_size = int(batch["person"].shape[0])
    return {
        "model_step_seconds": seconds,
        "model_examples_per_second": batch_size / seconds,
        "model_parameters": int(net.count_params()),
    }


def run(args) -> dict:
    """The readers' rates and, with ``args.model``, the model's (see module docstring)."""
    results = benchmark_readers(
        args.root,
        preset=args.preset,
        batch_size=args.batch_size,
        num_batches=args.batches,
        tfrecord_dir=args.tfrecord,
    )
    if not args.model:
        return results
    config = get_preset(args.preset)
    batch = next(
        iter(
            pipeline.make_dataset(
                args.root,
                config,
                "train",
                "paired",
                batch_size=args.batch_size,
                shuffle=True,
                seed=0,
            )
        )
    )
    results.update(time_model(config, batch, args.model_steps))
    print(
        f"SieveNet forward+backward ({args.preset}, batch {args.batch_size}): "
        f"{results['model_step_seconds']:.2f} s/step = "
        f"{results['model_examples_per_second']:.1f} examples/s"
    )
    slowest = min(results[name]["examples_per_second"] for name in ("folder", "tfrecord"))
    ratio = slowest / results["model_examples_per_second"]
    print(f"the slower reader delivers {ratio:.1f}x the model's training rate")
    return results


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="benchmark_data.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("root", help="dataset folder")
    parser.add_argument("--preset", default="viton_256x192")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--batches", type=int, default=40, help="timed batches per reader")
    parser.add_argument("--tfrecord", default=None, help="existing TFRecord conversion of ROOT")
    parser.add_argument(
        "--model", action="store_true", help="also time one SieveNet forward+backward pass"
    )
    parser.add_argument("--model-steps", type=int, default=2, help="timed model steps")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_main("benchmark_data.py", lambda log: _main(args))


def _main(args) -> None:
    with pipeline.data_errors():
        run(args)


if __name__ == "__main__":
    sys.exit(main())
