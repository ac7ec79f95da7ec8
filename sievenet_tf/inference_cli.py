"""``sievenet-tryon``: one try-on from files, written as a PNG.

    sievenet-tryon --model PATH --person IMG [--parse PNG] [--pose JSON] \\
        --cloth IMG [--cloth-mask IMG] --out OUT.png [--grid]

Without ``--parse``, ``--pose`` or ``--cloth-mask`` they are predicted from the
photos by the model's photo graph (a run or export with a trained person
analyzer); given ones take precedence. A person photo in which too few
keypoints are found is refused with one line ("no person found").

``--model`` is a ``.tflite``, a SavedModel or export directory, or a run
directory / ``.keras`` file. ``OUT.png`` is the try-on at the model's
resolution; with ``--grid`` the intermediates are written side by side to
``OUT_grid.png`` (person | cloth | coarse warp | fine warp | expected
segmentation | composition mask | try-on). Every problem is reported as one
line on stderr with a non-zero exit code, and no output file is left behind
(files are written to a temporary name and renamed once all are ready).
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import positive_int, run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import os
import sys
import warnings

import numpy as np
from PIL import Image

from sievenet_tf.inference import ResizeNotice, TryOn
from sievenet_tf.visualization import to_uint8

PROG = "sievenet-tryon"
EXIT_USAGE = 2  # bad arguments, missing or unreadable inputs, not a model
EXIT_FAILURE = 1  # the model failed to run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="SieveNet virtual try-on of one person and one cloth."
    )
    parser.add_argument(
        "--model",
        required=True,
        help=".tflite, SavedModel / export directory, run directory or .keras",
    )
    parser.add_argument("--person", required=True, help="RGB photo of the person")
    parser.add_argument("--parse", help="the person's parse (label PNG); default: predicted")
    parser.add_argument("--pose", help="the person's OpenPose keypoints JSON; default: predicted")
    parser.add_argument("--cloth", required=True, help="RGB photo of the flat cloth")
    parser.add_argument("--cloth-mask", help="the cloth's mask image; default: computed from "
                        "the cloth photo (plain light background)")  # fmt: skip
    parser.add_argument("--out", required=True, help="output PNG (the try-on)")
    parser.add_argument(
        "--grid", action="store_true", help="also write OUT_grid.png with the intermediates"
    )
    parser.add_argument("--threads", type=positive_int, default=2, help="LiteRT threads (default 2)")
    return parser


def grid_path(out: str) -> str:
    stem, _ = os.path.splitext(out)
    return f"{stem}_grid.png"


def _check_paths(args) -> None:
    for flag, path in (("--person", args.person), ("--parse", args.parse), ("--pose", args.pose),
                       ("--cloth", args.cloth), ("--cloth-mask", args.cloth_mask)):  # fmt: skip
        if path is None:
            continue
        if not os.path.exists(path):
            raise FileNotFoundError(f"{flag} {path}: no such file")
        if os.path.isdir(path):
            raise FileNotFoundError(f"{flag} {path}: is a directory, expected a file")
    if not os.path.exists(args.model):
        raise FileNotFoundError(f"--model {args.model}: no such file or directory")
    if not args.out.lower().endswith(".png"):
        raise ValueError(f"--out {args.out}: must be a .png file")
    directory = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"--out {args.out}: directory {directory} does not exist")
    inputs = {os.path.realpath(p): flag for flag, p in (
        ("--person", args.person), ("--parse", args.parse), ("--pose", args.pose),
        ("--cloth", args.cloth), ("--cloth-mask", args.cloth_mask), ("--model", args.model))
        if p is not None}
    outputs = [args.out] + ([grid_path(args.out)] if args.grid else [])
    for output in outputs:
        if os.path.realpath(output) in inputs:
            raise ValueError(
                f"output {output} is the {inputs[os.path.realpath(output)]} input; "
                "choose another --out (inputs are never overwritten)"
            )


def _write_all(images: dict) -> None:
    """Write every path -> uint8 image to a temporary name, then rename them all."""
    written = []
    try:
        for path, image in images.items():
            temporary = f"{path}.partial.png"
            Image.fromarray(image).save(temporary)
            written.append((temporary, path))
        for temporary, path in written:
            os.replace(temporary, path)
    finally:
        for temporary, _ in written:
            if os.path.exists(temporary):
                os.remove(temporary)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_main(PROG, lambda log: _tryon(args, log))


def _tryon(args, log) -> int:
    _check_paths(args)
    with warnings.catch_warnings(record=True) as notices:
        warnings.simplefilter("always", ResizeNotice)
        tryon = TryOn(args.model, num_threads=args.threads)
        inputs = tryon.prepare(args.person, args.parse, args.pose, args.cloth, args.cloth_mask)
    for notice in notices:
        if issubclass(notice.category, ResizeNotice):
            log(f"{PROG}: notice: {notice.message}")
    try:
        result = tryon.run(inputs)
    except Exception as e:  # a model that loads but cannot run: report, do not trace back
        first = str(e).splitlines()[0] if str(e) else ""
        log(f"{PROG}: error: the model failed to run ({type(e).__name__}: {first})")
        return EXIT_FAILURE
    images = {args.out: result.tryon_image()}
    if args.grid:
        images[grid_path(args.out)] = result.grid(
            to_uint8(inputs["person"][0]), to_uint8(inputs["cloth"][0])
        )
    if "predicted" in inputs:
        log(f"{PROG}: predicted {', '.join(inputs['predicted'])} from the photos "
            f"({int(np.sum(inputs['keypoints'][0, :, 2] > 0))} of 18 keypoints found)")  # fmt: skip
    try:
        _write_all(images)
    except OSError as e:
        log(f"{PROG}: error: cannot write the output ({e})")
        return EXIT_FAILURE
    print(" ".join(images))
    return 0


if __name__ == "__main__":
    sys.exit(main())
