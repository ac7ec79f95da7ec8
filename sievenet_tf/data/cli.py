"""``sievenet-data``: make, check and convert try-on datasets.

Subcommands::

    sievenet-data synth OUT --num-train 300 --num-test 50 [--size 256x192] [--seed 0]
    sievenet-data validate ROOT [--layout auto] [--split train test] [--paired]
    sievenet-data to-tfrecord ROOT OUT --shards 8 [--split train test] [--pairs paired]
                              [--preset viton_256x192] [--size HxW] [--encoding png]
    sievenet-data benchmark ROOT [--preset viton_256x192] [--batch-size 8] [--model]

``validate`` prints one line per problem (``<file>: <problem>``) and a summary,
and exits with status 1 if anything is wrong. Every subcommand reports bad
input as a one-line message, not a stack trace.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from sievenet_tf.data.io import DataError


def _size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH, e.g. 256x192, got {text!r}") from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return height, width


def _config(args):
    """The preset, with ``--size`` and ``--layout`` applied."""
    import dataclasses

    from sievenet_tf.config import get_preset

    config = get_preset(args.preset)
    data = config.data
    if getattr(args, "size", None):
        data = dataclasses.replace(data, image_size=tuple(args.size))
    if getattr(args, "layout", None):
        data = dataclasses.replace(data, layout=args.layout)
    if getattr(args, "skip_bad", False):
        data = dataclasses.replace(data, skip_bad_examples=True)
    # Only the data section changes, so divisibility checks of the networks do
    # not apply here: build the data config on its own.
    return data


# ---------------------------------------------------------------------- commands


def _synth(args) -> int:
    try:
        from sievenet_tf.data.synthetic import generate
    except ImportError as e:
        print(f"sievenet-data synth: the synthetic generator is not available ({e})", file=sys.stderr)
        return 2
    root = generate(
        args.out,
        num_train=args.num_train,
        num_test=args.num_test,
        image_size=tuple(args.size),
        seed=args.seed,
        progress=not args.quiet,
    )
    print(f"wrote a synthetic dataset to {root}")
    return 0


def _validate(args) -> int:
    from sievenet_tf.data.validate import validate_dataset

    report = validate_dataset(
        args.root, args.layout, tuple(args.split), paired=args.paired, workers=args.workers
    )
    for line in report.lines():
        print(line)
    print(report.summary(), file=sys.stderr if report.problems else sys.stdout)
    return 0 if report.ok else 1


def _to_tfrecord(args) -> int:
    from sievenet_tf.data import tfrecord, viton

    data = _config(args)
    bad = viton.BadExamples() if data.skip_bad_examples else None

    def progress(subset, written):
        if not args.quiet:
            print(f"  {subset}: {written} examples", file=sys.stderr)

    start = time.perf_counter()
    metadata = tfrecord.convert(
        args.root,
        args.out,
        data,
        splits=tuple(args.split),
        pairs=args.pairs,
        num_shards=args.shards,
        encoding=args.encoding,
        bad_examples=bad,
        progress=progress,
    )
    seconds = time.perf_counter() - start
    h, w = metadata["image_size"]
    for subset, entry in sorted(metadata["datasets"].items()):
        print(f"{subset}: {entry['num_examples']} examples in {len(entry['files'])} shard(s)")
    print(f"wrote {args.out} ({metadata['layout']}, {h}x{w}, {metadata['encoding']}) in {seconds:.1f} s")
    if bad is not None and bad.count:
        print(bad.summary(), file=sys.stderr)
    return 0


def benchmark(
    root,
    preset: str = "viton_256x192",
    batch_size: int = 8,
    num_batches: int = 40,
    tfrecord_dir=None,
    model: bool = False,
    model_steps: int = 2,
    log=print,
) -> dict:
    """Examples/second of the folder and TFRecord readers, optionally vs the model.

    The readers run as in training: train split, paired, shuffled with a seed,
    repeated, batched, with priors. The TFRecord copy is written to a temporary
    folder unless ``tfrecord_dir`` is given.

    Args:
        root: dataset folder.
        preset: config preset (image size, priors).
        batch_size: global batch size.
        num_batches: timed batches per reader (after 5 warm-up batches).
        tfrecord_dir: an existing conversion of ``root`` at the preset's size.
        model: also time one forward + backward pass of the full SieveNet
            (``sievenet_tf.models.build_sievenet``) on one batch.
        model_steps: timed model steps (after one warm-up step).
        log: where progress lines go.

    Returns:
        dict with ``folder`` and ``tfrecord`` throughput dicts and, with
        ``model``, ``model_step_seconds`` and ``model_examples_per_second``.
    """
    from sievenet_tf.config import get_preset
    from sievenet_tf.data import tfrecord, viton

    config = get_preset(preset)
    options = dict(batch_size=batch_size, shuffle=True, seed=0, repeat=True)
    results = {"preset": preset, "batch_size": batch_size, "cpus": os.cpu_count()}

    folder = viton.make_dataset(root, config, "train", "paired", **options)
    results["folder"] = viton.measure_throughput(folder, num_batches)
    log(f"folder reader:   {results['folder']['examples_per_second']:.1f} examples/s")

    with tempfile.TemporaryDirectory() as temporary:
        if tfrecord_dir is None:
            tfrecord_dir = os.path.join(temporary, "tfrecord")
            tfrecord.convert(root, tfrecord_dir, config, splits=("train",), num_shards=8)
        records = viton.make_dataset(tfrecord_dir, config, "train", "paired", **options)
        results["tfrecord"] = viton.measure_throughput(records, num_batches)
    log(f"tfrecord reader: {results['tfrecord']['examples_per_second']:.1f} examples/s")

    if model:
        results.update(_time_model(config, next(iter(folder)), model_steps))
        log(
            f"SieveNet forward+backward ({preset}, batch {batch_size}): "
            f"{results['model_step_seconds']:.2f} s/step = "
            f"{results['model_examples_per_second']:.1f} examples/s"
        )
    return results


def _time_model(config, batch, steps: int) -> dict:
    """Seconds per forward + backward pass of the composed SieveNet on ``batch``."""
    import tensorflow as tf

    from sievenet_tf.models import build_sievenet

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


def _benchmark(args) -> int:
    results = benchmark(
        args.root,
        preset=args.preset,
        batch_size=args.batch_size,
        num_batches=args.batches,
        tfrecord_dir=args.tfrecord,
        model=args.model,
    )
    if args.model and "model_examples_per_second" in results:
        slowest_reader = min(
            results["folder"]["examples_per_second"], results["tfrecord"]["examples_per_second"]
        )
        ratio = slowest_reader / results["model_examples_per_second"]
        print(f"the slower reader delivers {ratio:.1f}x the model's training rate")
    return 0


# ------------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sievenet-data", description="Make, check and convert SieveNet try-on datasets."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser("synth", help="write a synthetic dataset (CP-VTON layout)")
    synth.add_argument("out", help="output folder (absent or empty)")
    synth.add_argument("--num-train", type=int, default=300)
    synth.add_argument("--num-test", type=int, default=50)
    synth.add_argument("--size", type=_size, default=(256, 192), help="HEIGHTxWIDTH")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--quiet", action="store_true", help="no progress line")
    synth.set_defaults(run=_synth)

    validate = commands.add_parser("validate", help="check every file the pairs lists refer to")
    validate.add_argument("root", help="dataset folder")
    validate.add_argument("--layout", default="auto", choices=("auto", "viton", "viton_hd"))
    validate.add_argument("--split", nargs="+", default=["train", "test"], choices=("train", "test"))
    validate.add_argument("--paired", action="store_true",
                          help="also check each person's own garment (paired evaluation)")  # fmt: skip
    validate.add_argument("--workers", type=int, default=None, help="decoding threads")
    validate.set_defaults(run=_validate)

    convert = commands.add_parser("to-tfrecord", help="convert to sharded TFRecord files")
    convert.add_argument("root", help="dataset folder")
    convert.add_argument("out", help="output folder")
    convert.add_argument("--shards", type=int, default=8, help="files per split")
    convert.add_argument("--split", nargs="+", default=["train", "test"], choices=("train", "test"))
    convert.add_argument("--pairs", default="paired", choices=("paired", "unpaired"))
    convert.add_argument("--preset", default="viton_256x192", help="config preset (image size)")
    convert.add_argument("--size", type=_size, default=None, help="HEIGHTxWIDTH, overrides the preset")
    convert.add_argument("--layout", default=None, choices=("auto", "viton", "viton_hd"))
    convert.add_argument("--encoding", default="png", choices=("png", "raw"))
    convert.add_argument("--skip-bad", action="store_true", help="skip bad examples, count them")
    convert.add_argument("--quiet", action="store_true")
    convert.set_defaults(run=_to_tfrecord)

    bench = commands.add_parser("benchmark", help="examples/second of the readers")
    bench.add_argument("root", help="dataset folder")
    bench.add_argument("--preset", default="viton_256x192")
    bench.add_argument("--batch-size", type=int, default=8)
    bench.add_argument("--batches", type=int, default=40, help="timed batches per reader")
    bench.add_argument("--tfrecord", default=None, help="existing TFRecord conversion of ROOT")
    bench.add_argument("--model", action="store_true",
                       help="also time one SieveNet forward+backward pass")  # fmt: skip
    bench.set_defaults(run=_benchmark)
    return parser


def main(argv=None) -> int:
    """Entry point of ``sievenet-data``; returns the exit status."""
    from sievenet_tf.data.viton import data_errors

    args = build_parser().parse_args(argv)
    try:
        with data_errors():
            return args.run(args)
    except DataError as e:
        print(f"sievenet-data {args.command}: {e}", file=sys.stderr)
        return 1
    except (ValueError, FileExistsError) as e:
        print(f"sievenet-data {args.command}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
