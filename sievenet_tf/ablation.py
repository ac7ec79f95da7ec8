"""The paper's ablation (its Table 1 rows) on the synthetic dataset, with equal step budgets.

Three variants of the same preset, trained on the same data and evaluated on
the same paired test pairs:

========== ====================================== ==================================
variant    paper row                              config overrides
========== ====================================== ==================================
baseline   single-stage warp + texture            ``warp.fine_stage=false``,
           translation without segmentation       ``texture.conditioning="priors"``,
           guidance (CP-VTON GMM + TOM-like)      ``loss.warp_pgm=0``,
                                                  ``loss.warp_l1_fine=0``, no triplet
c2f_satt   C2F warp + SATT                        no triplet
sievenet   C2F + SATT + duelling triplet          (the preset as is)
========== ====================================== ==================================

"No triplet" sets ``triplet.start_step`` past the last texture step. Every
variant trains the same number of warp and texture steps; ``c2f_satt`` and
``sievenet`` also train the segmentation stage. Their warp and segmentation
stages are identical by construction (same config sections, seed and data), so
they are trained once, in ``c2f_satt``'s run directory, and copied into
``sievenet``'s before its texture stage; the budget per variant is unchanged
and both texture stages start from the same seed, so they differ only by the
triplet term after step K.

Outputs in ``out_dir``: one run directory per variant (each evaluated into
``<variant>/eval_test_paired/``), ``ablation.json`` and ``ablation.md``.
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import csv
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from sievenet_tf import atomic
from sievenet_tf.config import get_preset, override
from sievenet_tf.data import pipeline
from sievenet_tf.data.default_dataset import synthetic_root
from sievenet_tf.data.source import make_data_source
from sievenet_tf.evaluation import evaluate_run, format_value
from sievenet_tf.run import Run
from sievenet_tf.training.progress import format_duration
from sievenet_tf.training.trainer import Trainer


@dataclass(frozen=True)
class Variant:
    name: str
    paper_row: str
    description: str
    stages: tuple[str, ...]
    # Stages whose trained networks and checkpoints come from another variant's run.
    shared_from: str | None = None
    shared_stages: tuple[str, ...] = ()


VARIANTS = (
    Variant("baseline", "CP-VTON (GMM + TOM)",
            "single-stage warp, texture translation conditioned on pose/shape priors (no segmentation)",
            ("warp", "texture")),
    Variant("c2f_satt", "GMM + SATT (C2F warp here)",
            "coarse-to-fine warp + segmentation-assisted texture translation, no triplet",
            ("warp", "segmentation", "texture")),
    Variant("sievenet", "SieveNet (C2F + SATT + duelling triplet)",
            "coarse-to-fine warp + SATT + duelling triplet fine-tuning",
            ("warp", "segmentation", "texture"), shared_from="c2f_satt",
            shared_stages=("warp", "segmentation")),
)
# The paper's numbers on VITON (SSIM, PSNR, FID), for the table's context.
PAPER_VITON = {
    "baseline": {"ssim": 0.698, "psnr": 14.54, "fid": 20.33},
    "c2f_satt": {"ssim": 0.751, "psnr": 16.05, "fid": 15.89},
    "sievenet": {"ssim": 0.766, "psnr": 16.98, "fid": 14.65},
}
TABLE_METRICS = (
    ("ssim", "SSIM ↑", 4), ("psnr", "PSNR ↑", 2), ("warp_l1_fine", "warp L1 ↓", 4),
    ("warp_iou_fine", "warp IoU ↑", 4), ("segmentation_miou", "mIoU ↑", 4), ("fid", "FID ↓", 2),
)


def variant_config(base, variant: str):
    """The config of one ablation variant derived from ``base`` (see the module docstring)."""
    no_triplet = f"triplet.start_step={base.train.texture_steps + 1}"
    if variant == "baseline":
        return override(base, [
            "warp.fine_stage=false", 'texture.conditioning="priors"', "loss.warp_pgm=0",
            "loss.warp_l1_fine=0", no_triplet, f'name="{base.name}_ablation_baseline"',
        ])
    if variant == "c2f_satt":
        return override(base, [no_triplet, f'name="{base.name}_ablation_c2f_satt"'])
    if variant == "sievenet":
        return override(base, [f'name="{base.name}_ablation_sievenet"'])
    raise ValueError(f"unknown variant {variant!r}; expected one of {[v.name for v in VARIANTS]}")


def scaled_config(base, steps_scale: float):
    """``base`` with every step count (stages, K, refresh, logging cadence) times ``steps_scale``."""
    if steps_scale <= 0:
        raise ValueError(f"steps_scale must be > 0, got {steps_scale}")
    if steps_scale == 1:
        return base

    def scale(value):
        return max(1, int(round(value * steps_scale)))

    train, triplet = base.train, base.triplet
    return override(base, [
        f"train.warp_steps={scale(train.warp_steps)}",
        f"train.segmentation_steps={scale(train.segmentation_steps)}",
        f"train.texture_steps={scale(train.texture_steps)}",
        f"train.checkpoint_every={scale(train.checkpoint_every)}",
        f"train.log_every={scale(train.log_every)}",
        f"train.image_every={scale(train.image_every)}",
        f"triplet.start_step={scale(triplet.start_step)}",
        f"triplet.refresh_every={scale(triplet.refresh_every)}",
    ])


def _copy_shared_stages(source: Path, target: Path, stages) -> None:
    """Copy the trained networks, checkpoints and logs of ``stages`` between runs."""
    source_run, target_run = Run(source), Run(target)
    for stage in stages:
        target_run.network_path(stage).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source_run.network_path(stage), target_run.network_path(stage))
        shutil.copytree(source_run.checkpoint_dir(stage), target_run.checkpoint_dir(stage))
        for log_file in (source_run.log_path(stage), source_run.heldout_path(stage)):
            if log_file.exists():
                (target / "logs").mkdir(parents=True, exist_ok=True)
                shutil.copy2(log_file, target / "logs" / log_file.name)


def run_ablation(
    out_dir,
    steps_scale: float = 1.0,
    preset: str = "tiny",
    data_root=None,
    cache_dir=None,
    in_memory: str = "auto",
    overwrite: bool = False,
    log=print,
    trainer_log=None,
) -> dict:
    """Train and evaluate the three ablation variants; write ``ablation.json`` and ``ablation.md``.

    Args:
        out_dir: holds one run directory per variant and the two reports.
        steps_scale: multiplies every step count of the preset (1 = the preset's).
        preset: config preset of all variants.
        data_root: dataset root (default: the cached synthetic dataset of the preset).
        cache_dir: synthetic dataset cache (default ``~/.cache/sievenet-tf``).
        in_memory: passed to :func:`~sievenet_tf.data.source.make_data_source`.
        overwrite: delete existing variant run directories first (else refuse).
        log: prints one progress line for the user.
        trainer_log: the trainers' line printer (default: ``log``).

    Returns:
        The content of ``ablation.json``.
    """
    out_dir = Path(out_dir)
    base = scaled_config(get_preset(preset), steps_scale)
    configs = {v.name: variant_config(base, v.name) for v in VARIANTS}
    existing = [out_dir / v.name for v in VARIANTS if (out_dir / v.name).exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{', '.join(map(str, existing))} already exist; pass --overwrite or choose another --out"
        )
    for path in existing:
        shutil.rmtree(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    if data_root is None:
        data_root = synthetic_root(base, cache_dir, log=log)
    trainer_log = trainer_log or log
    started = time.monotonic()
    # All variants share data settings and seed: one source serves them all.
    data = make_data_source(data_root, base, in_memory=in_memory)
    log(f"ablation: preset {preset} x{steps_scale:g} steps (warp {base.train.warp_steps}, segmentation "
        f"{base.train.segmentation_steps}, texture {base.train.texture_steps}, triplet K "
        f"{base.triplet.start_step}) | data {data_root} | out {out_dir}")

    stage_seconds = {v.name: {} for v in VARIANTS}
    rows = []
    for index, variant in enumerate(VARIANTS, 1):
        prefix = f"[{index}/{len(VARIANTS)}] {variant.name}"
        config, run_dir = configs[variant.name], out_dir / variant.name
        _train_variant(variant, config, run_dir, out_dir, data, stage_seconds, prefix, log, trainer_log)
        log(f"{prefix}: evaluating on the test split (paired) ...")
        eval_started = time.monotonic()
        results = evaluate_run(run_dir, data_root, split="test", pairs="paired", log=trainer_log)
        row = _result_row(variant, config, run_dir, results, stage_seconds[variant.name],
                          time.monotonic() - eval_started)
        rows.append(row)
        metrics = row["metrics"]
        log(f"{prefix}: SSIM {format_value(metrics['ssim'])}, PSNR {format_value(metrics['psnr'], 2)}, "
            f"warp L1 {format_value(metrics['warp_l1_fine'])}, warp IoU "
            f"{format_value(metrics['warp_iou_fine'])}, mIoU {format_value(metrics['segmentation_miou'])}")

    for previous, row in zip(rows, rows[1:]):
        row["vs_previous"] = paired_differences(Path(previous["run_dir"]), Path(row["run_dir"]))
    wall = time.monotonic() - started
    report = {
        "preset": preset,
        "steps_scale": steps_scale,
        "data": str(data_root),
        "steps": {
            "warp": base.train.warp_steps,
            "segmentation": base.train.segmentation_steps,
            "texture": base.train.texture_steps,
            "triplet_start_step": base.triplet.start_step,
        },
        "rows": rows,
        "fid_note": None
        if rows[0]["metrics"]["fid"] is not None
        else "FID not computed (no Inception weights)",
        "wall_seconds": round(wall, 1),
        "command": _command_line(),
    }
    atomic.write_json(out_dir / "ablation.json", report)
    atomic.write_text(out_dir / "ablation.md", ablation_markdown(report))
    log(f"ablation done in {format_duration(wall)}; wrote {out_dir}/ablation.json and ablation.md")
    return report


def _train_variant(variant, config, run_dir, out_dir, data, stage_seconds, prefix, log, trainer_log):
    """Train the stages of one variant (copying the stages it shares with another)."""
    if variant.shared_from:
        _copy_shared_stages(out_dir / variant.shared_from, run_dir, variant.shared_stages)
        for stage in variant.shared_stages:
            stage_seconds[variant.name][stage] = stage_seconds[variant.shared_from][stage]
        log(f"{prefix}: {', '.join(variant.shared_stages)} copied from {variant.shared_from} "
            "(identical config and seed)")
    for stage in variant.stages:
        if stage in variant.shared_stages:
            continue
        log(f"{prefix}: training {stage} ({getattr(config.train, stage + '_steps')} steps) ...")
        # Re-seed per stage: a stage's initial weights and batches then do not
        # depend on what ran before it in this process.
        keras.utils.set_random_seed(config.train.seed)
        stage_started = time.monotonic()
        trainer = Trainer(config, run_dir, data, resume=stage != variant.stages[0], log=trainer_log)
        with pipeline.data_errors():
            trainer.train([stage])
        stage_seconds[variant.name][stage] = time.monotonic() - stage_started


def _result_row(variant, config, run_dir, results, seconds, eval_seconds) -> dict:
    """One row of ``ablation.json``: the variant, its budget and its test metrics."""
    metrics = results["metrics"]
    return {
        "variant": variant.name,
        "paper_row": variant.paper_row,
        "description": variant.description,
        "stages": list(variant.stages),
        "shared_stages": {s: variant.shared_from for s in variant.shared_stages},
        "steps": {s: getattr(config.train, f"{s}_steps") for s in variant.stages},
        "triplet_start_step": (
            config.triplet.start_step
            if config.triplet.start_step < config.train.texture_steps
            else None
        ),
        "metrics": {key: metrics.get(key) for key, _, _ in TABLE_METRICS},
        "identity_warp": {"l1": metrics.get("identity_warp_l1"), "iou": metrics.get("identity_warp_iou")},
        "train_seconds": {s: round(t, 1) for s, t in seconds.items()},
        "train_seconds_total": round(sum(seconds.values()), 1),
        "eval_seconds": round(eval_seconds, 1),
        "num_test_examples": results["num_examples"],
        "run_dir": str(run_dir),
        "paper_viton": PAPER_VITON[variant.name],
    }


def _per_example(run_dir: Path):
    with open(run_dir / "eval_test_paired" / "per_example.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def paired_differences(before_run: Path, after_run: Path, keys=("ssim", "psnr")) -> dict:
    """Per-pair differences of two variants' test metrics (after - before).

    Both runs were evaluated on the same pairs in the same order, so the
    differences are paired: the standard error of their mean says how much of
    a gap is test-set noise (it says nothing about seed-to-seed training noise).

    Returns:
        dict key -> ``{"mean_difference", "standard_error", "improved_fraction"}``.
    """
    before, after = _per_example(before_run), _per_example(after_run)
    names = [(r["person"], r["cloth"]) for r in before]
    if names != [(r["person"], r["cloth"]) for r in after]:
        raise ValueError(f"{before_run} and {after_run} were evaluated on different pairs")
    result = {}
    for key in keys:
        difference = np.array([float(a[key]) - float(b[key]) for a, b in zip(after, before)])
        spread = (
            difference.std(ddof=1) / np.sqrt(len(difference))
            if len(difference) > 1
            else float("nan")
        )
        result[key] = {
            "mean_difference": round(float(difference.mean()), 6),
            "standard_error": None if np.isnan(spread) else round(float(spread), 6),
            "improved_fraction": round(float(np.mean(difference > 0)), 4),
        }
    return result


def _command_line() -> str:
    return " ".join([os.path.basename(sys.argv[0]) or "python", *sys.argv[1:]])


def ablation_markdown(report: dict) -> str:
    """The ``ablation.md`` text of a :func:`run_ablation` report."""
    steps = report["steps"]
    header = [
        "variant",
        "paper row",
        *(label for _, label, _ in TABLE_METRICS),
        "train time",
        "paper SSIM / PSNR",
    ]
    lines = [
        "# Ablation (synthetic data, equal step budgets)",
        "",
        f"Preset `{report['preset']}` x{report['steps_scale']:g}: warp {steps['warp']}, segmentation "
        f"{steps['segmentation']}, texture {steps['texture']} steps per variant (triplet from texture "
        f"step {steps['triplet_start_step']} in `sievenet`). Test split of `{report['data']}`, paired; "
        "SSIM / PSNR on [0, 1], warp L1 (fine warp vs the garment as worn, [0, 1]) and IoU (warped "
        "mask vs worn-garment mask) — see docs/evaluation.md.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in report["rows"]:
        values = [format_value(row["metrics"][key], digits) for key, _, digits in TABLE_METRICS]
        paper = row["paper_viton"]
        shared = (
            f" (incl. shared {', '.join(row['shared_stages'])})" if row["shared_stages"] else ""
        )
        lines.append(
            f"| {row['variant']} | {row['paper_row']} | {' | '.join(values)} | "
            f"{format_duration(row['train_seconds_total'])}{shared} | {paper['ssim']:.3f} / {paper['psnr']:.2f} |"
        )
    identity = report["rows"][0]["identity_warp"]
    lines += [
        "",
        f"Identity warp (unwarped cloth vs the garment as worn): L1 {format_value(identity['l1'])}, IoU "
        f"{format_value(identity['iou'])}. mIoU — : the baseline has no segmentation network. "
        + ("FID — : no Inception weights on this machine. " if report.get("fid_note") else "")
        + f"Wall time {format_duration(report['wall_seconds'])} (training, evaluation and data loading).",
        "",
    ]
    compared = [row for row in report["rows"] if row.get("vs_previous")]
    if compared:
        n = report["rows"][0]["num_test_examples"]
        lines += [
            f"Each row against the previous one, paired over the {n} test pairs (mean difference "
            "± its standard error; share of pairs that improved). This is test-set noise only: "
            "every variant was trained once, with one seed.",
            "",
            "| change | Δ SSIM | pairs improved | Δ PSNR | pairs improved |",
            "|---|---|---|---|---|",
        ]
        names = [row["variant"] for row in report["rows"]]
        for row in compared:
            previous = names[names.index(row["variant"]) - 1]
            cells = []
            for key, digits in (("ssim", 4), ("psnr", 2)):
                diff = row["vs_previous"][key]
                cells += [
                    f"{diff['mean_difference']:+.{digits}f} ± {format_value(diff['standard_error'], digits)}",
                    f"{100 * diff['improved_fraction']:.0f} %",
                ]
            lines.append(f"| {previous} → {row['variant']} | {' | '.join(cells)} |")
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ablation.py",
        description="The paper's ablation on the synthetic dataset: baseline (single-stage warp, no "
        "segmentation guidance), C2F + SATT, C2F + SATT + duelling triplet, with equal step budgets.",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"), help="output folder")
    parser.add_argument("--steps-scale", type=float, default=1.0,
                        help="multiply every step count of the preset (e.g. 0.1 for a quick look)")
    parser.add_argument("--preset", default="tiny", help="config preset of all variants")
    parser.add_argument("--data", type=Path, help="dataset root (default: the synthetic dataset)")
    parser.add_argument(
        "--cache-dir", type=Path, help="synthetic dataset cache (default ~/.cache/sievenet-tf)"
    )
    parser.add_argument("--in-memory", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument(
        "--overwrite", action="store_true", help="replace existing variant run directories"
    )
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_main("ablation.py", lambda log: _ablation(args, log))


def _ablation(args, log) -> int:
    # Seven trainers in one process trace many tf.functions; TF's retracing
    # warning about that is expected here and only hides the progress lines.
    tf.get_logger().setLevel("ERROR")
    report = run_ablation(
        args.out, steps_scale=args.steps_scale, preset=args.preset, data_root=args.data,
        cache_dir=args.cache_dir, in_memory=args.in_memory, overwrite=args.overwrite, log=log,
    )
    print(ablation_markdown(report))
    return 0
