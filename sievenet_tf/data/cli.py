"""``sievenet-data``: make, check and convert try-on datasets.

Subcommands::

    sievenet-data synth OUT --train 300 --test 50 [--size 256x192] [--seed 0]
    sievenet-data validate ROOT [--layout auto] [--split train test] [--paired]
    sievenet-data to-tfrecord ROOT OUT --shards 8 [--split train test] [--pairs paired]
                              [--preset viton_256x192] [--size HxW] [--encoding png]
    sievenet-data benchmark ROOT [--preset viton_256x192] [--batch-size 8]

(``--num-train`` / ``--num-test`` are the same as ``--train`` / ``--test``.)
``validate`` prints one line per problem (``<file>: <problem>``) and a summary,
and exits with status 1 if anything is wrong. Every subcommand reports bad
input as a one-line message, not a stack trace: status 1 for bad data, 2 for
bad arguments or an output path that cannot be written (checked before the
long work).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from sievenet_tf.cli_util import run_main
from sievenet_tf.config import get_preset
from sievenet_tf.data import synthetic
from sievenet_tf.data.errors import BadExamples, DataError
from sievenet_tf.data.output import check_writable_folder
from sievenet_tf.data.validate import validate_dataset

PROG = "sievenet-data"


def main(argv=None) -> int:
    """Entry point of ``sievenet-data``; returns the exit status.

    The shared opening (:func:`sievenet_tf.cli_util.run_main`) turns bad
    arguments and unwritable outputs into one line and status 2; bad data is
    status 1 (as ``validate`` reports problems).
    """
    args = build_parser().parse_args(argv)
    prog = f"{PROG} {args.command}"
    return run_main(prog, lambda log: _run(args, prog, log))


def _run(args, prog: str, log) -> int:
    try:
        return args.run(args)
    except DataError as e:
        log(f"{prog}: error: {e}")
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Make, check and convert SieveNet try-on datasets."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_synth(commands)
    _add_validate(commands)
    _add_to_tfrecord(commands)
    _add_benchmark(commands)
    _add_holdout(commands)
    return parser


# ---------------------------------------------------------------------- commands


def _synth(args) -> int:
    root = synthetic.generate(
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
    report = validate_dataset(
        args.root, args.layout, tuple(args.split), paired=args.paired, workers=args.workers
    )
    for line in report.lines():
        print(line)
    print(report.summary(), file=sys.stderr if report.problems else sys.stdout)
    return 0 if report.ok else 1


def _to_tfrecord(args) -> int:
    data = _data_config(args)
    check_writable_folder(args.out)  # before TensorFlow loads and the data is read
    # Deliberately lazy: TensorFlow takes seconds to import, and `synth` and
    # `validate` do not need it.
    from sievenet_tf.data import tfrecord_writer

    bad = BadExamples() if data.skip_bad_examples else None

    def progress(subset, written):
        if not args.quiet:
            print(f"  {subset}: {written} examples", file=sys.stderr)

    start = time.perf_counter()
    metadata = tfrecord_writer.convert(
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
    print(
        f"wrote {args.out} ({metadata['layout']}, {h}x{w}, {metadata['encoding']}) in {seconds:.1f} s"
    )
    if bad is not None and bad.count:
        print(bad.summary(), file=sys.stderr)
    return 0


def _benchmark(args) -> int:
    from sievenet_tf.data import benchmark, pipeline  # lazy: TensorFlow (see _to_tfrecord)

    with pipeline.data_errors():
        benchmark.benchmark_readers(
            args.root,
            preset=args.preset,
            batch_size=args.batch_size,
            num_batches=args.batches,
            tfrecord_dir=args.tfrecord,
        )
    return 0


def _holdout(args) -> int:
    from sievenet_tf.data.holdout import make_holdout

    result = make_holdout(args.root, args.out, args.count)
    print(
        f"wrote {result['out']}: {result['train']} training pairs, the last {result['test']} of "
        f"{result['root']}/train_pairs.txt as its test split (linked, not copied)"
    )
    return 0


def _data_config(args):
    """The preset's data config, with ``--size``, ``--layout`` and ``--skip-bad``.

    Only the data section changes, so the networks' divisibility checks do not
    apply: the data config is built on its own.
    """
    data = get_preset(args.preset).data
    if args.size:
        data = dataclasses.replace(data, image_size=tuple(args.size))
    if args.layout:
        data = dataclasses.replace(data, layout=args.layout)
    if args.skip_bad:
        data = dataclasses.replace(data, skip_bad_examples=True)
    return data


# ------------------------------------------------------------------------ parser


def _add_synth(commands) -> None:
    synth = commands.add_parser("synth", help="write a synthetic dataset (CP-VTON layout)")
    synth.add_argument("out", help="output folder (absent or empty)")
    synth.add_argument(
        "--train",
        "--num-train",
        dest="num_train",
        type=int,
        default=300,
        metavar="N",
        help="training examples (default 300)",
    )
    synth.add_argument(
        "--test",
        "--num-test",
        dest="num_test",
        type=int,
        default=50,
        metavar="N",
        help="test examples (default 50)",
    )
    synth.add_argument("--size", type=_size, default=(256, 192), help="HEIGHTxWIDTH")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--quiet", action="store_true", help="no progress line")
    synth.set_defaults(run=_synth)


def _add_validate(commands) -> None:
    validate = commands.add_parser("validate", help="check every file the pairs lists refer to")
    validate.add_argument("root", help="dataset folder")
    validate.add_argument("--layout", default="auto", choices=("auto", "viton", "viton_hd"))
    validate.add_argument(
        "--split", nargs="+", default=["train", "test"], choices=("train", "test")
    )
    validate.add_argument(
        "--paired",
        action="store_true",
        help="also check each person's own garment (paired evaluation)",
    )
    validate.add_argument("--workers", type=int, default=None, help="decoding threads")
    validate.set_defaults(run=_validate)


def _add_to_tfrecord(commands) -> None:
    convert = commands.add_parser("to-tfrecord", help="convert to sharded TFRecord files")
    convert.add_argument("root", help="dataset folder")
    convert.add_argument("out", help="output folder")
    convert.add_argument("--shards", type=int, default=8, help="files per split")
    convert.add_argument("--split", nargs="+", default=["train", "test"], choices=("train", "test"))
    convert.add_argument("--pairs", default="paired", choices=("paired", "unpaired"))
    convert.add_argument("--preset", default="viton_256x192", help="config preset (image size)")
    convert.add_argument(
        "--size", type=_size, default=None, help="HEIGHTxWIDTH, overrides the preset"
    )
    convert.add_argument("--layout", default=None, choices=("auto", "viton", "viton_hd"))
    convert.add_argument("--encoding", default="png", choices=("png", "raw"))
    convert.add_argument("--skip-bad", action="store_true", help="skip bad examples, count them")
    convert.add_argument("--quiet", action="store_true")
    convert.set_defaults(run=_to_tfrecord)


def _add_benchmark(commands) -> None:
    bench = commands.add_parser(
        "benchmark",
        help="examples/second of the readers (against a training step: "
        "python training/benchmark_data.py ROOT --model)",
    )
    bench.add_argument("root", help="dataset folder")
    bench.add_argument("--preset", default="viton_256x192")
    bench.add_argument("--batch-size", type=int, default=8)
    bench.add_argument("--batches", type=int, default=40, help="timed batches per reader")
    bench.add_argument("--tfrecord", default=None, help="existing TFRecord conversion of ROOT")
    bench.set_defaults(run=_benchmark)


def _add_holdout(commands) -> None:
    holdout = commands.add_parser(
        "holdout",
        help="a root whose test split is the last N training pairs (persons a model trained on it "
        "never saw), linked, not copied",
    )
    holdout.add_argument("root", help="dataset folder (VITON / VITON-HD layout)")
    holdout.add_argument("out", help="output folder (absent or empty)")
    holdout.add_argument(
        "--count", type=int, required=True, metavar="N", help="training pairs to hold out"
    )
    holdout.set_defaults(run=_holdout)


def _size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HEIGHTxWIDTH, e.g. 256x192, got {text!r}"
        ) from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"sizes must be positive, got {text!r}")
    return height, width


if __name__ == "__main__":
    sys.exit(main())
