"""``python export/export.py``: export a trained run for serving and for phones."""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import positive_int, run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse

from sievenet_tf.export import exporter
from sievenet_tf.export.exporter import FORMATS
from sievenet_tf.export.parity import DEFAULT_THRESHOLDS

PROG = "export.py"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="export.py",
        description="Export a SieveNet run as a SavedModel and LiteRT models (fp32, fp16, "
        "dynamic-range, int8) with model_contract.json and a parity report.",
    )
    parser.add_argument("--run", required=True, help="run directory (config.json + sievenet.keras)")
    parser.add_argument("--out", required=True, help="export directory")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated subset of {','.join(FORMATS)} (default: all)")
    parser.add_argument("--calibration-data", metavar="ROOT",
                        help="dataset root (VITON / VITON-HD layout) for int8 calibration and "
                        "parity; default: synthetic examples drawn in a temporary folder")
    parser.add_argument("--num-calibration", type=positive_int, default=200, metavar="N",
                        help="calibration examples from the train split (default 200)")
    parser.add_argument("--num-parity", type=positive_int, default=16, metavar="N",
                        help="parity examples from the test split (default 16)")
    parser.add_argument("--layout", choices=["auto", "viton", "viton_hd"], default="auto",
                        help="layout of the calibration dataset")
    parser.add_argument("--parse-layout", choices=["viton", "viton_hd"],
                        help="label set of the exported parse input (default: the run's "
                        "data.layout, else viton = LIP ids)")
    parser.add_argument("--min-psnr", action="append", default=[], metavar="FORMAT=DB",
                        help="override a PSNR threshold, e.g. --min-psnr int8=28 (repeatable)")
    parser.add_argument("--min-ssim", action="append", default=[], metavar="FORMAT=VALUE",
                        help="override an SSIM threshold (repeatable)")
    parser.add_argument("--threads", type=positive_int, default=2, help="LiteRT threads for parity runs")
    parser.add_argument("--photo", choices=["auto", "yes", "no"], default="auto",
                        help="also export the photo graph (person + cloth photos in): auto = when "
                        "the run has a trained person analyzer")  # fmt: skip
    return parser


def _thresholds(args) -> dict:
    thresholds = {fmt: dict(values) for fmt, values in DEFAULT_THRESHOLDS.items()}
    for flag, key, items in (("--min-psnr", "min_psnr", args.min_psnr),
                             ("--min-ssim", "min_ssim", args.min_ssim)):
        for item in items:
            fmt, _, value = item.partition("=")
            if fmt not in thresholds or fmt == "fp32":
                raise ValueError(f"{flag} {item}: expected fp16|dynamic|int8=VALUE")
            try:
                thresholds[fmt][key] = float(value)
            except ValueError:
                raise ValueError(f"{flag} {item}: {value!r} is not a number") from None
    return thresholds


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_main(PROG, lambda log: _export(args, log))


def _export(args, log) -> int:
    formats = exporter.parse_formats(args.formats)
    thresholds = _thresholds(args)
    report = exporter.export_run(
        args.run, args.out, formats,
        calibration_data=args.calibration_data, num_calibration=args.num_calibration,
        num_parity=args.num_parity, layout=args.layout, parse_layout=args.parse_layout,
        thresholds=thresholds, num_threads=args.threads, log=log,
        photo={"auto": None, "yes": True, "no": False}[args.photo],
    )
    print(f"exported {args.run} -> {report['export_dir']} in {report['seconds']:.0f} s")
    exporter.print_summary(report)
    if not report["passed"]:
        log(f"{PROG}: error: parity below threshold (see {report['export_dir']}/parity_report.md); "
            f"{args.out} was left unchanged")
        return 1
    return 0
