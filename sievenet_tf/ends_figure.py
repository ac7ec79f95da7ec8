"""The README's best-and-worst figure from an evaluation's grids.

``python training/ends_figure.py EVAL_DIR --best 2 --worst 3 --scale 0.75 --out FIG.png``
stacks the first ``--best`` rows of ``EVAL_DIR/best_ssim.png`` over the first
``--worst`` rows of ``EVAL_DIR/worst_ssim.png`` (both written by ``evaluate.py
--best K --worst K``), with a white band between the two ends, and scales the
result. The row height comes from the image size in ``EVAL_DIR/metrics.json``
(each grid row is one image plus a 2-pixel separator, as
:func:`sievenet_tf.visualization.tryon_grid` draws it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs
from sievenet_tf.visualization import save_png

SEPARATOR = 2  # tryon_grid's default, between rows
BAND = 8  # white pixels between the best and the worst rows


class FigureError(ValueError):
    """A missing or inconsistent grid; the message names the file."""


def grid_rows(path: Path, image_height: int, count: int) -> np.ndarray:
    """The first ``count`` rows (image + separator each) of the grid at ``path``."""
    from PIL import Image

    if not path.is_file():
        raise FigureError(f"{path}: no such grid (evaluate.py --best/--worst K writes it)")
    grid = np.asarray(Image.open(path).convert("RGB"))
    pitch = image_height + SEPARATOR
    if grid.shape[0] % pitch:
        raise FigureError(f"{path}: height {grid.shape[0]} is not a multiple of {pitch} "
                          f"(rows of {image_height} px + {SEPARATOR}); was it drawn at another size?")
    available = grid.shape[0] // pitch
    if count > available:
        raise FigureError(f"{path}: {available} rows, {count} asked")
    return grid[: count * pitch]


def ends_figure(eval_dir, best: int = 2, worst: int = 3, metric: str = "ssim", scale: float = 1.0) -> np.ndarray:
    """``best`` best rows over ``worst`` worst rows of ``eval_dir``'s grids, scaled by ``scale``."""
    from PIL import Image

    eval_dir = Path(eval_dir)
    if best < 0 or worst < 0 or best + worst == 0:
        raise FigureError(f"best and worst must be >= 0 and not both 0, got {best} and {worst}")
    if not 0 < scale <= 4:
        raise FigureError(f"scale must be in (0, 4], got {scale}")
    metrics_path = eval_dir / "metrics.json"
    try:
        height = int(json.loads(metrics_path.read_text(encoding="utf-8"))["model"]["image_size"][0])
    except FileNotFoundError:
        raise FigureError(f"{metrics_path}: no such file (not an evaluation folder?)") from None
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise FigureError(f"{metrics_path}: no model.image_size ({e})") from None
    parts = []
    if best:
        parts.append(grid_rows(eval_dir / f"best_{metric}.png", height, best))
    if worst:
        parts.append(grid_rows(eval_dir / f"worst_{metric}.png", height, worst))
    if len(parts) == 2:
        if parts[0].shape[1] != parts[1].shape[1]:
            raise FigureError(f"{eval_dir}: best and worst grids differ in width "
                              f"({parts[0].shape[1]} and {parts[1].shape[1]})")
        parts.insert(1, np.full((BAND, parts[0].shape[1], 3), 255, np.uint8))
    figure = np.concatenate(parts, axis=0)[:-SEPARATOR]  # no trailing separator
    if scale != 1.0:
        size = (max(1, round(figure.shape[1] * scale)), max(1, round(figure.shape[0] * scale)))
        figure = np.asarray(Image.fromarray(figure).resize(size, Image.LANCZOS))
    return figure


def build_parser() -> argparse.ArgumentParser:
    """The command line of :func:`main`."""
    parser = argparse.ArgumentParser(prog="ends_figure", description=__doc__.split("\n\n")[0])
    parser.add_argument("eval_dir", help="an evaluation's output folder (best_*.png, worst_*.png, metrics.json)")
    parser.add_argument("--best", type=int, default=2, help="rows from best_<metric>.png")
    parser.add_argument("--worst", type=int, default=3, help="rows from worst_<metric>.png")
    parser.add_argument("--metric", default="ssim", help="the grids' metric (ssim, warp_iou_fine, ...)")
    parser.add_argument("--scale", type=float, default=1.0, help="resize factor of the figure")
    parser.add_argument("--out", required=True, help="PNG to write")
    return parser


def main(argv=None) -> int:
    """Write the figure to ``--out``."""
    args = build_parser().parse_args(argv)

    def run(log) -> int:
        figure = ends_figure(args.eval_dir, args.best, args.worst, args.metric, args.scale)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        save_png(args.out, figure)
        log(f"wrote {args.out} ({figure.shape[1]}x{figure.shape[0]}): {args.best} best and "
            f"{args.worst} worst by {args.metric} from {args.eval_dir}")
        return 0

    return run_main("ends_figure", run)


if __name__ == "__main__":
    sys.exit(main())
