"""An evaluation's per-person results broken down by garment type, to name the causes of the worst try-ons.

``python -m sievenet_tf.failure_analysis EVAL_DIR --data ROOT`` reads
``EVAL_DIR/per_example.csv`` (written by ``training/evaluate.py``), measures each
row's product photo and mask, and puts the row in one group:

* "light garment": the photo's mean inside its mask is above ``--light-threshold``
  (a white garment on VITON's white background);
* "lacy mask": otherwise, when filling the mask's holes (the closing and hole
  fill of ``warp.fill_mask_holes``) adds more than ``--lacy-threshold`` of its area;
* "other": the rest.

"broken mask" (a mask covering more than 80 % of the image) is counted apart and
may overlap the groups. It prints a markdown table of each group's size, mean
SSIM, PSNR and fine-warp IoU, how many of its rows have an IoU below
``iou_threshold`` and how many of the worst tenth by SSIM fall in it, and writes
the same as ``EVAL_DIR/failure_breakdown.json``.
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np

from sievenet_tf import atomic
from sievenet_tf.data import io, layouts
from sievenet_tf.data.errors import DataError

DEFAULT_SIZE = (128, 96)
HOLE_FILL_BATCH = 64
BROKEN_MASK_SHARE = 0.8
GROUPS = ("light garment", "lacy mask", "other")
BROKEN = "broken mask"
REQUIRED_COLUMNS = ("person", "cloth", "ssim", "psnr", "warp_iou_fine")
LOWEST_IOU_ROWS = 10


def garment_descriptors(data_root, split: str, cloth_names, size=None) -> dict[str, np.ndarray]:
    """Brightness and mask measures of the product photos ``cloth_names`` of a split.

    Args:
        data_root: dataset root (either layout).
        split: "train" or "test".
        cloth_names: cloth file names (the ``cloth`` column of ``per_example.csv``).
        size: (H, W) to read the photos at; None: ``DEFAULT_SIZE``.

    Returns:
        float arrays in the order of ``cloth_names``: ``brightness`` (mean of the
        photo in [0, 1] inside its mask, 1.0 for an empty mask), ``mask_share``
        (fraction of the image the mask covers) and ``mask_holes`` (area the hole
        fill adds, relative to the mask's area).

    Raises:
        DataError: a missing or unreadable photo or mask, naming the file.
    """
    from sievenet_tf.layers.cloth_mask import (  # TensorFlow, when needed
        MaskHoleFill,
        hole_fill_closing,
    )

    size = tuple(size) if size is not None else DEFAULT_SIZE
    layout = layouts.resolve_layout(data_root, "auto")
    dirs = layouts.split_dirs(data_root, split, layout)
    names = list(cloth_names)
    brightness, share, masks = [], [], []
    for name in names:
        photo = io.read_image(io.check_inside(dirs["cloth"], name, "cloth", dirs["root"]), size)
        mask = io.read_mask(io.check_inside(dirs["cloth_mask"], name, "cloth mask", dirs["root"]), size)
        inside = mask > 0
        brightness.append(float(photo[inside].mean()) / 255.0 if inside.any() else 1.0)
        share.append(float(inside.mean()))
        masks.append(mask)
    fill = MaskHoleFill(closing=hole_fill_closing(size[1]))
    holes = []
    for start in range(0, len(masks), HOLE_FILL_BATCH):
        batch = np.stack(masks[start : start + HOLE_FILL_BATCH]).astype(np.float32)[..., None]
        filled = np.asarray(fill(batch)) > 0.5
        area = batch.reshape(len(batch), -1).sum(-1)
        added = filled.reshape(len(batch), -1).sum(-1) - area
        holes.extend((added / np.maximum(area, 1.0)).tolist())
    return {
        "brightness": np.asarray(brightness, np.float64),
        "mask_share": np.asarray(share, np.float64),
        "mask_holes": np.asarray(holes, np.float64),
    }


def read_per_example(path) -> list[dict]:
    """Rows of a ``per_example.csv`` with the columns :data:`REQUIRED_COLUMNS`, metrics as floats.

    Raises:
        DataError: missing or unreadable file, a missing column, no rows or a
            value that is not a number, naming the file.
    """
    path = io.check_file(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError(path, f"cannot read as CSV ({e})") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise DataError(path, f"no column(s) {', '.join(missing)} (expected {', '.join(REQUIRED_COLUMNS)})")
    if not rows:
        raise DataError(path, "no rows")
    out = []
    for number, row in enumerate(rows, start=2):
        try:
            metrics = {k: float(row[k]) for k in REQUIRED_COLUMNS[2:]}
        except (TypeError, ValueError):
            raise DataError(path, f"line {number}: a metric is not a number") from None
        out.append({"person": row["person"], "cloth": row["cloth"], **metrics})
    return out


def _mean(values) -> float | None:
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else None


def breakdown(per_example_csv, data_root, split: str = "test", light_threshold: float = 0.8,
              lacy_threshold: float = 0.2, iou_threshold: float = 0.5, size=None) -> dict:
    """Group an evaluation's rows by garment type and summarise each group.

    Args:
        per_example_csv: the evaluation's ``per_example.csv``.
        data_root: the dataset it was evaluated on.
        split: the split of the evaluation.
        light_threshold: brightness above which a garment is "light garment".
        lacy_threshold: ``mask_holes`` above which a mask is "lacy mask".
        iou_threshold: a fine-warp IoU below this counts as a failed warp.
        size: (H, W) to measure the photos at (see :func:`garment_descriptors`).

    Returns:
        A JSON-ready dict: ``groups`` (for "all" and each group, and "broken mask"
        when present: n, share, mean ssim / psnr / warp_iou_fine, low_iou count
        and rate, worst_tenth count), ``lowest_iou`` (the 10 lowest-IoU rows with
        their group and descriptors) and the thresholds used.
    """
    rows = read_per_example(per_example_csv)
    names = sorted({row["cloth"] for row in rows})
    described = garment_descriptors(data_root, split, names, size)
    by_name = {name: {k: float(v[i]) for k, v in described.items()} for i, name in enumerate(names)}
    for row in rows:
        row.update(by_name[row["cloth"]])
        if row["brightness"] > light_threshold:
            row["group"] = "light garment"
        elif row["mask_holes"] > lacy_threshold:
            row["group"] = "lacy mask"
        else:
            row["group"] = "other"
        row["broken_mask"] = row["mask_share"] > BROKEN_MASK_SHARE
    total = len(rows)
    worst_count = max(1, total // 10)
    ssim = np.asarray([row["ssim"] for row in rows])
    order = np.argsort(np.where(np.isfinite(ssim), ssim, np.inf), kind="stable")
    worst = set(order[:worst_count].tolist())

    def summary(indices) -> dict:
        members = [rows[i] for i in indices]
        iou = np.asarray([r["warp_iou_fine"] for r in members], np.float64)
        low = int(np.sum(iou < iou_threshold))
        return {
            "n": len(members),
            "share": len(members) / total,
            "ssim": _mean([r["ssim"] for r in members]),
            "psnr": _mean([r["psnr"] for r in members]),
            "warp_iou_fine": _mean(iou),
            "low_iou": low,
            "low_iou_rate": low / len(members) if members else None,
            "worst_tenth": sum(1 for i in indices if i in worst),
        }

    groups = {"all": summary(range(total))}
    for group in GROUPS:
        groups[group] = summary([i for i, r in enumerate(rows) if r["group"] == group])
    broken = [i for i, r in enumerate(rows) if r["broken_mask"]]
    if broken:
        groups[BROKEN] = summary(broken)
    iou = np.asarray([r["warp_iou_fine"] for r in rows])
    lowest = np.argsort(np.where(np.isfinite(iou), iou, np.inf), kind="stable")[:LOWEST_IOU_ROWS]
    keep = ("person", "cloth", "warp_iou_fine", "ssim", "group", "brightness", "mask_holes", "mask_share")
    return {
        "per_example_csv": str(per_example_csv),
        "data": str(data_root),
        "split": split,
        "size": list(size if size is not None else DEFAULT_SIZE),
        "thresholds": {"light": light_threshold, "lacy": lacy_threshold, "iou": iou_threshold,
                       "broken_mask_share": BROKEN_MASK_SHARE},  # fmt: skip
        "worst_tenth_count": worst_count,
        "groups": groups,
        "lowest_iou": [{k: rows[i][k] for k in keep} for i in lowest.tolist()],
    }


def _number(value, digits: int = 3) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def breakdown_markdown(result: dict) -> str:
    """The result of :func:`breakdown` as markdown: the group table, then the lowest-IoU rows."""
    t = result["thresholds"]
    lines = [
        f"Garment groups of {result['per_example_csv']} (light: brightness > {t['light']}; "
        f"lacy: mask holes > {t['lacy']}; broken mask: mask share > {t['broken_mask_share']}, "
        "counted apart)",
        "",
        f"| group | n | share | SSIM | PSNR | warp IoU | IoU < {t['iou']} | rate | "
        f"in worst {result['worst_tenth_count']} by SSIM |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, g in result["groups"].items():
        lines.append(
            f"| {name} | {g['n']} | {g['share']:.1%} | {_number(g['ssim'])} | {_number(g['psnr'], 2)} | "
            f"{_number(g['warp_iou_fine'])} | {g['low_iou']} | "
            f"{'-' if g['low_iou_rate'] is None else format(g['low_iou_rate'], '.1%')} | {g['worst_tenth']} |"
        )
    lines += ["", f"Lowest {len(result['lowest_iou'])} by fine-warp IoU:", "",
              "| person | cloth | warp IoU | SSIM | group | brightness | mask holes |",
              "|---|---|---:|---:|---|---:|---:|"]  # fmt: skip
    for r in result["lowest_iou"]:
        lines.append(
            f"| {r['person']} | {r['cloth']} | {_number(r['warp_iou_fine'])} | {_number(r['ssim'])} | "
            f"{r['group']} | {_number(r['brightness'])} | {_number(r['mask_holes'])} |"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line of :func:`main`."""
    parser = argparse.ArgumentParser(prog="failure_analysis", description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dir", help="an evaluation's output folder (holds per_example.csv)")
    parser.add_argument("--data", required=True, help="the dataset root it was evaluated on")
    parser.add_argument("--split", default="test", choices=layouts.SPLITS)
    parser.add_argument("--light-threshold", type=float, default=0.8)
    parser.add_argument("--lacy-threshold", type=float, default=0.2)
    return parser


def main(argv=None) -> int:
    """Print the breakdown of ``EVAL_DIR/per_example.csv`` and write ``EVAL_DIR/failure_breakdown.json``."""
    args = build_parser().parse_args(argv)

    def run(log) -> int:
        eval_dir = Path(args.eval_dir)
        result = breakdown(eval_dir / "per_example.csv", args.data, args.split,
                           args.light_threshold, args.lacy_threshold)  # fmt: skip
        atomic.write_json(eval_dir / "failure_breakdown.json", result)
        print(breakdown_markdown(result))
        log(f"wrote {eval_dir / 'failure_breakdown.json'}")
        return 0

    return run_main("failure_analysis", run)


if __name__ == "__main__":
    sys.exit(main())
