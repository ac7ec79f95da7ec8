"""The paper's ablation (its Table 1 rows) with equal step budgets, on synthetic or real data.

Three variants of the same preset, trained on the same data and evaluated on
the same paired test pairs (the synthetic dataset by default, or ``--data``,
e.g. VITON):

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

Seeds: with several seeds (``--seeds 0,1``) every variant is trained once per
seed (``train.seed``: initial weights and data order) in ``seed_<S>/<variant>``;
the report gives each variant's mean ± standard error over seeds, and each step
of the table as a difference paired over the test persons (averaged over seeds)
with two standard errors: over seeds (training noise) and over persons
(test-set noise). One seed keeps the ``<variant>`` layout.

Resume: every stage checkpoints as it trains; ``--resume`` continues an
interrupted ablation (finished stages are kept, a stage stopped half-way goes on
from its last checkpoint, an evaluation newer than its model is reused).

Other test sets: ``--also-test ROOT`` evaluates every run on the paired test
split of another dataset root too (e.g. train on a hold-out root made by
``sievenet-data holdout`` and test on both its held-out persons and VITON's
test persons), into ``<run>/eval_test_paired_<ROOT name>/``, with its own table.

Outputs in ``out_dir``: one run directory per variant and seed (each evaluated
into ``<run>/eval_test_paired/``), ``ablation.json`` and ``ablation.md``.
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import csv
import json
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
from sievenet_tf.run import Run, copy_stage
from sievenet_tf.training.progress import format_duration
from sievenet_tf.training.trainer import Trainer, TrainingInterrupted


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
# A run's evaluation on the paired test split (evaluate_run's default folder for it).
TEST_EVAL_DIR = "eval_test_paired"
# The paper's numbers on VITON (SSIM, PSNR, FID), for the table's context.
PAPER_VITON = {
    "baseline": {"ssim": 0.698, "psnr": 14.54, "fid": 20.33},
    "c2f_satt": {"ssim": 0.751, "psnr": 16.05, "fid": 15.89},
    "sievenet": {"ssim": 0.766, "psnr": 16.98, "fid": 14.65},
}
TABLE_METRICS = (
    ("ssim", "SSIM ↑", 4), ("psnr", "PSNR ↑", 2), ("warp_l1_fine", "warp L1 ↓", 4),
    ("warp_iou_fine", "warp IoU ↑", 4), ("segmentation_miou", "mIoU ↑", 4), ("lpips", "LPIPS ↓", 4),
    ("fid", "FID ↓", 2),
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


def _copy_shared_stages(source: Path, target: Path, stages, resume: bool = False) -> list[str]:
    """Copy the trained networks, checkpoints and logs of ``stages`` between runs.

    With ``resume``, a stage already copied (its network is in ``target``) is kept.
    Returns the stages copied.
    """
    source_run, target_run = Run(source), Run(target)
    copied = []
    for stage in stages:
        if resume and target_run.has_network(stage):
            continue
        copied.append(stage)
        copy_stage(source_run, target_run, stage)
    return copied


def seed_directory(out_dir, seed: int, seeds) -> Path:
    """Where one seed's variant runs go: ``out_dir`` for one seed, else ``out_dir/seed_<S>``."""
    return Path(out_dir) if len(seeds) == 1 else Path(out_dir) / f"seed_{seed}"


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0,1"`` -> ``(0, 1)``; raises ValueError naming the bad value (or a repeat)."""
    seeds = []
    for part in text.split(","):
        try:
            seeds.append(int(part))
        except ValueError:
            raise ValueError(f"--seeds: {part.strip()!r} is not an integer (expected e.g. 0,1)") from None
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds: {text!r} repeats a seed")
    return tuple(seeds)


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
    seeds=None,
    resume: bool = False,
    overrides=(),
    lpips_weights=None,
    lpips_net: str = "alex",
    also_test=(),
) -> dict:
    """Train and evaluate the three ablation variants; write ``ablation.json`` and ``ablation.md``.

    Args:
        out_dir: holds the variant run directories and the two reports.
        steps_scale: multiplies every step count of the preset (1 = the preset's).
        preset: config preset of all variants.
        data_root: dataset root (default: the cached synthetic dataset of the preset).
        cache_dir: synthetic dataset cache (default ``~/.cache/sievenet-tf``).
        in_memory: passed to :func:`~sievenet_tf.data.source.make_data_source`.
        overwrite: delete existing variant run directories first (else refuse).
        log: prints one progress line for the user.
        trainer_log: the trainers' line printer (default: ``log``).
        seeds: training seeds (``train.seed``), each trains every variant
            (default: the preset's one seed).
        resume: continue the variant runs already in ``out_dir`` (see the module
            docstring) instead of refusing them.
        overrides: ``--set`` style ``section.key=value`` strings applied to the
            preset before the variants' own changes.
        lpips_weights, lpips_net: passed to :func:`~sievenet_tf.evaluation.evaluate_run`.
        also_test: further dataset roots whose paired test split every run is
            evaluated on as well (see the module docstring).

    Returns:
        The content of ``ablation.json``.
    """
    if overwrite and resume:
        raise ValueError("--overwrite and --resume exclude each other")
    out_dir = Path(out_dir)
    other_tests = _other_test_dirs(also_test)
    base = scaled_config(override(get_preset(preset), list(overrides)), steps_scale)
    seeds = tuple(seeds) if seeds else (base.train.seed,)
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds {seeds} repeat a seed")
    configs = {
        (seed, v.name): variant_config(override(base, [f"train.seed={seed}"]), v.name)
        for seed in seeds
        for v in VARIANTS
    }
    run_dirs = {(seed, v.name): seed_directory(out_dir, seed, seeds) / v.name for seed in seeds for v in VARIANTS}
    existing = [path for path in run_dirs.values() if path.exists()]
    if existing and not (overwrite or resume):
        raise FileExistsError(
            f"{', '.join(map(str, existing))} already exist; pass --resume to continue them, "
            "--overwrite to replace them, or choose another --out"
        )
    if overwrite:
        for path in existing:
            shutil.rmtree(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    synthetic = data_root is None
    if synthetic:
        data_root = synthetic_root(base, cache_dir, log=log)
    trainer_log = trainer_log or log
    started = time.monotonic()
    # All variants share data settings: one source (decoded once) serves them all;
    # its shuffling seed is set to each run's train.seed before training.
    data = make_data_source(data_root, base, in_memory=in_memory)
    log(f"ablation: preset {preset} x{steps_scale:g} steps (warp {base.train.warp_steps}, segmentation "
        f"{base.train.segmentation_steps}, texture {base.train.texture_steps}, triplet K "
        f"{base.triplet.start_step}) | seeds {', '.join(map(str, seeds))} | data {data_root} | out {out_dir}")

    runs = {}  # (seed, variant) -> the per-run record
    other_runs = {eval_dir: {} for eval_dir in other_tests}  # eval dir -> (seed, variant) -> record
    total = len(seeds) * len(VARIANTS)
    for seed_index, seed in enumerate(seeds):
        stage_seconds = {v.name: {} for v in VARIANTS}
        for variant_index, variant in enumerate(VARIANTS):
            number = seed_index * len(VARIANTS) + variant_index + 1
            prefix = f"[{number}/{total}] {variant.name}" + (f" seed {seed}" if len(seeds) > 1 else "")
            key = (seed, variant.name)
            shared_dir = run_dirs[(seed, variant.shared_from)] if variant.shared_from else None
            trained = _train_variant(variant, configs[key], run_dirs[key], shared_dir, data,
                                     stage_seconds, prefix, log, trainer_log, resume)
            results, eval_seconds = _evaluate_variant(
                run_dirs[key], data_root, resume and not trained, prefix, log, trainer_log,
                lpips_weights, lpips_net,
            )
            runs[key] = _run_record(seed, run_dirs[key], results, stage_seconds[variant.name], eval_seconds)
            for eval_dir, other_root in other_tests.items():
                other, other_seconds = _evaluate_variant(
                    run_dirs[key], other_root, resume and not trained, prefix, log, trainer_log,
                    lpips_weights, lpips_net, eval_dir=eval_dir,
                )
                other_runs[eval_dir][key] = _run_record(
                    seed, run_dirs[key], other, stage_seconds[variant.name], other_seconds
                )
            metrics = runs[key]["metrics"]
            log(f"{prefix}: SSIM {format_value(metrics['ssim'])}, PSNR {format_value(metrics['psnr'], 2)}, "
                f"warp L1 {format_value(metrics['warp_l1_fine'])}, warp IoU "
                f"{format_value(metrics['warp_iou_fine'])}, mIoU {format_value(metrics['segmentation_miou'])}")

    rows = _table_rows(configs, runs, seeds)
    others = [
        {"data": str(root), "eval_dir": eval_dir,
         "rows": _table_rows(configs, other_runs[eval_dir], seeds, eval_dir)}
        for eval_dir, root in other_tests.items()
    ]
    wall = time.monotonic() - started
    report = {
        "preset": preset,
        "steps_scale": steps_scale,
        "overrides": list(overrides),
        "data": str(data_root),
        "synthetic": synthetic,
        "seeds": list(seeds),
        "steps": {
            "warp": base.train.warp_steps,
            "segmentation": base.train.segmentation_steps,
            "texture": base.train.texture_steps,
            "triplet_start_step": base.triplet.start_step,
        },
        "rows": rows,
        "other_tests": others,
        "fid_note": None
        if rows[0]["metrics"]["fid"] is not None
        else "FID not computed (no Inception weights)",
        "wall_seconds": round(wall, 1),
        "resumed": bool(resume and existing),
        "command": _command_line(),
    }
    atomic.write_json(out_dir / "ablation.json", report)
    atomic.write_text(out_dir / "ablation.md", ablation_markdown(report))
    log(f"ablation done in {format_duration(wall)}; wrote {out_dir}/ablation.json and ablation.md")
    return report


def _other_test_dirs(roots) -> dict:
    """``--also-test`` roots -> {evaluation folder name: root}; refuses missing or same-named roots."""
    dirs = {}
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"--also-test {root}: no such dataset folder")
        name = f"{TEST_EVAL_DIR}_{root.resolve().name}"
        if name in dirs:
            raise ValueError(f"--also-test {root}: another test root has the same folder name "
                             f"({dirs[name]}); their evaluations would share {name}/")
        dirs[name] = root
    return dirs


def _table_rows(configs, runs, seeds, eval_dir: str = TEST_EVAL_DIR) -> list:
    """The table rows (mean ± SE over seeds, paired steps) of the runs evaluated into ``eval_dir``."""
    rows = [
        _variant_row(variant, configs[(seeds[0], variant.name)], [runs[(s, variant.name)] for s in seeds])
        for variant in VARIANTS
    ]
    def differences(before, after):
        return seeded_paired_differences(
            [Path(r["run_dir"]) for r in before["runs"]], [Path(r["run_dir"]) for r in after["runs"]],
            eval_dir=eval_dir,
        )

    for previous, row in zip(rows, rows[1:]):
        row["vs_previous"] = differences(previous, row)
    if len(rows) > 2:  # the whole method against the baseline: what the paper's claim is about
        rows[-1]["vs_first"] = differences(rows[0], rows[-1])
    return rows


def _train_variant(variant, config, run_dir, shared_dir, data, stage_seconds, prefix, log, trainer_log,
                   resume=False) -> bool:
    """Train the stages of one variant (copying the stages it shares with another).

    Returns whether anything changed: a stage trained steps or was copied.
    """
    changed = False
    if variant.shared_from:
        changed = bool(_copy_shared_stages(shared_dir, run_dir, variant.shared_stages, resume=resume))
        for stage in variant.shared_stages:
            stage_seconds[variant.name][stage] = stage_seconds[variant.shared_from].get(stage, 0.0)
        log(f"{prefix}: {', '.join(variant.shared_stages)} copied from {variant.shared_from} "
            "(identical config and seed)")
    data.seed = config.train.seed  # this run's data order
    for stage in variant.stages:
        if stage in variant.shared_stages:
            continue
        log(f"{prefix}: training {stage} ({getattr(config.train, stage + '_steps')} steps) ...")
        # Re-seed per stage: a stage's initial weights and batches then do not
        # depend on what ran before it in this process.
        keras.utils.set_random_seed(config.train.seed)
        stage_started = time.monotonic()
        trainer = Trainer(config, run_dir, data, resume=resume or stage != variant.stages[0],
                          log=trainer_log)
        with pipeline.data_errors():
            (report,) = trainer.train([stage])
        changed = changed or report.end_step > report.start_step
        stage_seconds[variant.name][stage] = _add_train_seconds(
            run_dir, stage, time.monotonic() - stage_started
        )
    return changed


def _add_train_seconds(run_dir, stage, seconds) -> float:
    """Add ``seconds`` to the stage's training time kept in the run; the total.

    Kept in ``RUN_DIR/logs/ablation_seconds.json`` so that a resumed ablation
    reports the time of every invocation, not only of the last.
    """
    path = Path(run_dir) / "logs" / "ablation_seconds.json"
    times = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    times[stage] = round(times.get(stage, 0.0) + seconds, 1)
    atomic.write_json(path, times)
    return times[stage]


def _evaluate_variant(run_dir, data_root, reuse, prefix, log, trainer_log, lpips_weights, lpips_net,
                      eval_dir: str = TEST_EVAL_DIR):
    """Evaluate one variant run on the paired test split of ``data_root`` into ``RUN/eval_dir``.

    Returns (results, seconds). With ``reuse`` (a resumed run that trained
    nothing new), an existing evaluation is read instead of recomputed.
    """
    metrics_path = Path(run_dir) / eval_dir / "metrics.json"
    if reuse and metrics_path.is_file():
        log(f"{prefix}: reusing the evaluation in {metrics_path.parent}")
        return json.loads(metrics_path.read_text(encoding="utf-8")), 0.0
    log(f"{prefix}: evaluating on the test split (paired) of {data_root} ...")
    eval_started = time.monotonic()
    results = evaluate_run(run_dir, data_root, split="test", pairs="paired", log=trainer_log,
                           lpips_weights=lpips_weights, lpips_net=lpips_net,
                           out_dir=Path(run_dir) / eval_dir)
    return results, time.monotonic() - eval_started


def _run_record(seed, run_dir, results, seconds, eval_seconds) -> dict:
    """One trained-and-evaluated variant run of one seed."""
    metrics = results["metrics"]
    return {
        "seed": seed,
        "run_dir": str(run_dir),
        "metrics": {key: metrics.get(key) for key, _, _ in TABLE_METRICS},
        "identity_warp": {"l1": metrics.get("identity_warp_l1"), "iou": metrics.get("identity_warp_iou")},
        "train_seconds": {s: round(t, 1) for s, t in seconds.items()},
        "train_seconds_total": round(sum(seconds.values()), 1),
        "eval_seconds": round(eval_seconds, 1),
        "num_test_examples": results["num_examples"],
    }


def _mean_and_error(values):
    """(mean, standard error of the mean) of the non-None values; None where undefined."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return float(np.mean(values)), _standard_error(values)


def _variant_row(variant, config, runs) -> dict:
    """One row of ``ablation.json``: the variant, its budget, its runs and their mean ± SE."""
    metrics, errors = {}, {}
    for key, _, _ in TABLE_METRICS:
        metrics[key], errors[key] = _mean_and_error([run["metrics"][key] for run in runs])
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
        "metrics": metrics,
        "metrics_standard_error": errors,
        "identity_warp": runs[0]["identity_warp"],
        "train_seconds_total": round(float(np.mean([r["train_seconds_total"] for r in runs])), 1),
        "num_test_examples": runs[0]["num_test_examples"],
        "runs": runs,
        "paper_viton": PAPER_VITON[variant.name],
    }


def _per_example(run_dir: Path, eval_dir: str = TEST_EVAL_DIR):
    with open(Path(run_dir) / eval_dir / "per_example.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def _paired_arrays(before_run: Path, after_run: Path, keys, eval_dir: str = TEST_EVAL_DIR):
    """key -> per-pair (after - before) differences of two runs evaluated on the same pairs."""
    before, after = _per_example(before_run, eval_dir), _per_example(after_run, eval_dir)
    names = [(r["person"], r["cloth"]) for r in before]
    if names != [(r["person"], r["cloth"]) for r in after]:
        raise ValueError(f"{before_run} and {after_run} were evaluated on different pairs")
    return {key: np.array([float(a[key]) - float(b[key]) for a, b in zip(after, before)]) for key in keys}


def _standard_error(values) -> float | None:
    return float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else None


def paired_differences(before_run: Path, after_run: Path, keys=("ssim", "psnr"),
                       eval_dir: str = TEST_EVAL_DIR) -> dict:
    """Per-pair differences of two variants' test metrics (after - before).

    Both runs were evaluated on the same pairs in the same order, so the
    differences are paired: the standard error of their mean says how much of
    a gap is test-set noise (it says nothing about seed-to-seed training noise).
    ``eval_dir`` names the evaluation folder of both runs.

    Returns:
        dict key -> ``{"mean_difference", "standard_error", "improved_fraction"}``.
    """
    result = {}
    for key, difference in _paired_arrays(before_run, after_run, keys, eval_dir).items():
        spread = _standard_error(difference)
        result[key] = {
            "mean_difference": round(float(difference.mean()), 6),
            "standard_error": None if spread is None else round(spread, 6),
            "improved_fraction": round(float(np.mean(difference > 0)), 4),
        }
    return result


def seeded_paired_differences(before_runs, after_runs, keys=("ssim", "psnr"),
                              eval_dir: str = TEST_EVAL_DIR) -> dict:
    """Paired differences of two variants trained with the same seeds (after - before).

    ``before_runs[i]`` and ``after_runs[i]`` share seed i. Each test pair's
    difference is averaged over the seeds; its mean over pairs is the reported
    difference, with two standard errors: ``standard_error`` over the pairs
    (test-set noise, as :func:`paired_differences`) and ``seed_standard_error``
    over the seeds' mean differences (training noise; None for one seed).

    Returns:
        dict key -> ``{"mean_difference", "standard_error", "seed_standard_error",
        "improved_fraction", "per_seed"}``.
    """
    if len(before_runs) != len(after_runs) or not before_runs:
        raise ValueError("seeded_paired_differences needs the same number (>= 1) of runs on both sides")
    per_seed = [_paired_arrays(Path(b), Path(a), keys, eval_dir) for b, a in zip(before_runs, after_runs)]
    result = {}
    for key in keys:
        stacked = np.stack([arrays[key] for arrays in per_seed])  # (seeds, pairs)
        averaged = stacked.mean(axis=0)
        pair_error, seed_error = _standard_error(averaged), _standard_error(stacked.mean(axis=1))
        result[key] = {
            "mean_difference": round(float(averaged.mean()), 6),
            "standard_error": None if pair_error is None else round(pair_error, 6),
            "seed_standard_error": None if seed_error is None else round(seed_error, 6),
            "improved_fraction": round(float(np.mean(averaged > 0)), 4),
            "per_seed": [round(float(d), 6) for d in stacked.mean(axis=1)],
        }
    return result


def _command_line() -> str:
    return " ".join([os.path.basename(sys.argv[0]) or "python", *sys.argv[1:]])


def _cell(row, key, digits) -> str:
    """``mean`` or ``mean ± SE`` (over seeds) of one metric of one row."""
    value, error = row["metrics"][key], row.get("metrics_standard_error", {}).get(key)
    text = format_value(value, digits)
    return text if error is None else f"{text} ± {format_value(error, digits)}"


def ablation_markdown(report: dict) -> str:
    """The ``ablation.md`` text of a :func:`run_ablation` report."""
    steps = report["steps"]
    seeds = report.get("seeds", [0])
    synthetic = report.get("synthetic", True)
    where = "synthetic data" if synthetic else f"`{report['data']}`"
    seeds_text = (
        f"seed {seeds[0]}" if len(seeds) == 1
        else f"seeds {', '.join(map(str, seeds))}: mean ± standard error over the {len(seeds)} seeds"
    )
    overrides = report.get("overrides") or []
    lines = [
        f"# Ablation ({where}, equal step budgets)",
        "",
        f"Preset `{report['preset']}` x{report['steps_scale']:g}"
        + (f" with {', '.join(f'`{o}`' for o in overrides)}" if overrides else "")
        + f": warp {steps['warp']}, segmentation "
        f"{steps['segmentation']}, texture {steps['texture']} steps per variant (triplet from texture "
        f"step {steps['triplet_start_step']} in `sievenet`); {seeds_text}. Trained on `{report['data']}`; "
        f"tested on its test split, paired; "
        "SSIM / PSNR on [0, 1], warp L1 (fine warp vs the garment as worn, [0, 1]) and IoU (warped "
        "mask vs worn-garment mask) — see docs/evaluation.md.",
        "",
        *_table_lines(report["rows"]),
    ]
    identity = report["rows"][0]["identity_warp"]
    lines += [
        "",
        f"Identity warp (unwarped cloth vs the garment as worn): L1 {format_value(identity['l1'])}, IoU "
        f"{format_value(identity['iou'])}. mIoU — : the baseline has no segmentation network. "
        + ("FID — : no Inception weights on this machine. " if report.get("fid_note") else "")
        + ("LPIPS — : no LPIPS weights given. " if report["rows"][0]["metrics"].get("lpips") is None else "")
        + f"Wall time {format_duration(report['wall_seconds'])} (training, evaluation and data loading)"
        + (" of the last, resumed invocation; train times add up every invocation's."
           if report.get("resumed") else "."),
        "",
        *_differences_lines(report["rows"], seeds),
    ]
    for other in report.get("other_tests") or []:
        identity = other["rows"][0]["identity_warp"]
        lines += [
            f"## The same runs on the test split of `{other['data']}` (paired)",
            "",
            *_table_lines(other["rows"]),
            "",
            f"Identity warp: L1 {format_value(identity['l1'])}, IoU {format_value(identity['iou'])}.",
            "",
            *_differences_lines(other["rows"], seeds),
        ]
    return "\n".join(lines)


def _table_lines(rows) -> list[str]:
    """The variant table (header, rule, one line per variant)."""
    header = [
        "variant",
        "paper row",
        *(label for _, label, _ in TABLE_METRICS),
        "train time",
        "paper SSIM / PSNR",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        values = [_cell(row, key, digits) for key, _, digits in TABLE_METRICS]
        paper = row["paper_viton"]
        shared = (
            f" (incl. shared {', '.join(row['shared_stages'])})" if row["shared_stages"] else ""
        )
        lines.append(
            f"| {row['variant']} | {row['paper_row']} | {' | '.join(values)} | "
            f"{format_duration(row['train_seconds_total'])}{shared} | {paper['ssim']:.3f} / {paper['psnr']:.2f} |"
        )
    return lines


def _differences_lines(rows, seeds) -> list[str]:
    """Each row against the previous one, and the last against the first, paired over the
    test pairs (empty without steps)."""
    compared = [row for row in rows if row.get("vs_previous")]
    if not compared:
        return []
    n = rows[0]["num_test_examples"]
    if len(seeds) == 1:
        lines = [
            f"Each row against the previous one (and the last against the first), paired over the "
            f"{n} test pairs (mean difference ± its standard error; share of pairs that improved). "
            "This is test-set noise only: every variant was trained once, with one seed.",
            "",
            "| change | Δ SSIM | pairs improved | Δ PSNR | pairs improved |",
            "|---|---|---|---|---|",
        ]
    else:
        lines = [
            f"Each row against the previous one (and the last against the first): each test pair's "
            f"difference averaged over the {len(seeds)} seeds, then its mean over the {n} pairs ± "
            "the standard error over the pairs (test-set noise) / over the seeds (training noise), "
            "with the share of pairs that improved.",
            "",
            "| change | Δ SSIM ± SE pairs / seeds | pairs improved | Δ PSNR ± SE pairs / seeds "
            "| pairs improved |",
            "|---|---|---|---|---|",
        ]
    names = [row["variant"] for row in rows]

    def line(before, after, step):
        cells = []
        for key, digits in (("ssim", 4), ("psnr", 2)):
            diff = step[key]
            error = format_value(diff["standard_error"], digits)
            if len(seeds) > 1:
                error += f" / {format_value(diff.get('seed_standard_error'), digits)}"
            cells += [
                f"{diff['mean_difference']:+.{digits}f} ± {error}",
                f"{100 * diff['improved_fraction']:.0f} %",
            ]
        return f"| {before} → {after} | {' | '.join(cells)} |"

    for row in compared:
        lines.append(line(names[names.index(row["variant"]) - 1], row["variant"], row["vs_previous"]))
    if rows[-1].get("vs_first"):
        lines.append(line(names[0], names[-1], rows[-1]["vs_first"]))
    lines.append("")
    return lines


# ---------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ablation.py",
        description="The paper's ablation: baseline (single-stage warp, no segmentation guidance), "
        "C2F + SATT, C2F + SATT + duelling triplet, with equal step budgets, on the synthetic "
        "dataset or --data (e.g. VITON), for one or several seeds.",
    )
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"), help="output folder")
    parser.add_argument("--steps-scale", type=float, default=1.0,
                        help="multiply every step count of the preset (e.g. 0.1 for a quick look)")
    parser.add_argument("--preset", default="tiny", help="config preset of all variants")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config override applied to every variant before its own (repeatable)")
    parser.add_argument("--seeds", type=_seeds_argument, default=None, metavar="S[,S...]",
                        help="training seeds, each trains every variant (default: the preset's seed); "
                        "with several, runs go to OUT/seed_<S>/ and the table is mean ± SE over seeds")
    parser.add_argument("--data", type=Path, help="dataset root (default: the synthetic dataset)")
    parser.add_argument(
        "--cache-dir", type=Path, help="synthetic dataset cache (default ~/.cache/sievenet-tf)"
    )
    parser.add_argument("--in-memory", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument("--lpips-weights", help="LPIPS weights (see evaluate.py --lpips-weights)")
    parser.add_argument("--lpips-net", choices=["alex", "vgg"], default="alex")
    parser.add_argument(
        "--also-test", type=Path, action="append", default=[], metavar="ROOT",
        help="also evaluate every run on the paired test split of this dataset root (repeatable); "
        "its own table follows the main one",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--overwrite", action="store_true", help="replace existing variant run directories"
    )
    group.add_argument(
        "--resume", action="store_true",
        help="continue an interrupted ablation in --out (finished stages and evaluations are kept)",
    )
    return parser


def _seeds_argument(text: str) -> tuple[int, ...]:
    try:
        return parse_seeds(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--seeds: ")) from None


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_main("ablation.py", lambda log: _ablation(args, log))


def _ablation(args, log) -> int:
    # Seven trainers in one process trace many tf.functions; TF's retracing
    # warning about that is expected here and only hides the progress lines.
    tf.get_logger().setLevel("ERROR")
    try:
        report = run_ablation(
            args.out, steps_scale=args.steps_scale, preset=args.preset, data_root=args.data,
            cache_dir=args.cache_dir, in_memory=args.in_memory, overwrite=args.overwrite, log=log,
            seeds=args.seeds, resume=args.resume, overrides=args.overrides,
            lpips_weights=args.lpips_weights, lpips_net=args.lpips_net, also_test=args.also_test,
        )
    except TrainingInterrupted as e:  # Ctrl-C / SIGTERM: the stage saved a checkpoint
        log(f"{e} Continue the ablation with the same command and --resume.")
        return 130
    print(ablation_markdown(report))
    return 0
