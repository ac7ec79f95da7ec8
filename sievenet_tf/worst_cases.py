"""Grids of a run's worst (and best) paired try-ons, by a per-example metric of an evaluation.

``python training/evaluate.py --run R --data D --worst 8`` writes, next to
``metrics.json``, ``worst_ssim.png`` and ``worst_warp_iou_fine.png``: the 8 test
pairs with the lowest SSIM and the lowest fine-warp IoU, with the columns person |
cloth | garment as worn | fine warp | expected segmentation | try-on. That is where
to look for failure modes (README, "Failure modes on real photos"). ``--best 8``
writes ``best_ssim.png`` and ``best_warp_iou_fine.png``, the other end.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sievenet_tf import keys
from sievenet_tf.data import pipeline
from sievenet_tf.evaluation import MODEL_INPUTS
from sievenet_tf.visualization import save_png, tryon_grid

# metric -> True when lower is worse
WORST_METRICS = {"ssim": True, "warp_iou_fine": True, "psnr": True, "warp_l1_fine": False}


def worst_pairs(per_example_csv, metric: str, count: int, best: bool = False) -> list[tuple[str, str, float]]:
    """The ``count`` worst (or with ``best``, best) (person, cloth, value) rows of ``per_example.csv``."""
    if metric not in WORST_METRICS:
        raise ValueError(f"metric must be one of {sorted(WORST_METRICS)}, got {metric!r}")
    with open(per_example_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if rows and metric not in rows[0]:
        raise ValueError(f"{per_example_csv}: no column {metric!r}")
    values = [(row["person"], row["cloth"], float(row[metric])) for row in rows]
    values.sort(key=lambda item: item[2], reverse=WORST_METRICS[metric] == best)
    return values[:count]


def write_worst_grids(model, config, data_root, split, out_dir, count=8,
                      metrics=("ssim", "warp_iou_fine"), batch_size=8, log=print, best=0) -> list[Path]:
    """Write ``OUT_DIR/worst_<metric>.png`` for each metric from ``OUT_DIR/per_example.csv``.

    With ``best`` > 0, also ``OUT_DIR/best_<metric>.png`` of the ``best`` best
    pairs (``count`` may be 0 for those alone). One more pass over the paired
    split, keeping only the chosen pairs.

    Returns:
        The written paths.
    """
    out_dir = Path(out_dir)
    chosen = {}
    for metric in metrics:
        if count:
            chosen["worst", metric] = worst_pairs(out_dir / "per_example.csv", metric, count)
        if best:
            chosen["best", metric] = worst_pairs(out_dir / "per_example.csv", metric, best, best=True)
    wanted = {(p, c) for rows in chosen.values() for p, c, _ in rows}
    kept = {}
    dataset = pipeline.make_dataset(data_root, config, split, "paired", batch_size=batch_size, shuffle=False)
    with pipeline.data_errors():
        for batch in dataset.as_numpy_iterator():
            names = [(p.decode(), c.decode()) for p, c in zip(batch[keys.PERSON_NAME], batch[keys.CLOTH_NAME])]
            rows = [i for i, name in enumerate(names) if name in wanted]
            if not rows:
                continue
            outputs = model({k: batch[k][rows] for k in MODEL_INPUTS}, training=False)
            for j, i in enumerate(rows):
                columns = {"person": batch[keys.PERSON][i], "cloth": batch[keys.CLOTH][i],
                           "garment as worn": batch[keys.CLOTH_WORN][i],
                           "fine warp": outputs["warped_cloth_fine"].numpy()[j]}  # fmt: skip
                if "expected_segmentation" in outputs:
                    columns["expected segmentation"] = outputs["expected_segmentation"].numpy()[j]
                columns["try-on"] = outputs["tryon"].numpy()[j]
                kept[names[i]] = columns
            if len(kept) == len(wanted):
                break
    written = []
    for (end, metric), rows in chosen.items():
        tiles = [kept[(p, c)] for p, c, _ in rows if (p, c) in kept]
        if not tiles:
            continue
        grid = tryon_grid({name: np.stack([t[name] for t in tiles]) for name in tiles[0]}, max_rows=len(rows))
        path = out_dir / f"{end}_{metric}.png"
        save_png(path, grid)
        written.append(path)
        log(f"wrote {path}: " + ", ".join(f"{p} {v:.3f}" for p, _, v in rows))
    return written
