"""Median train-step time per stage, with and without XLA / mixed precision.

``python training/benchmark_train.py --preset tiny`` builds each stage's real
train step (the trainer's own ``tf.function``), feeds it a fixed in-memory batch
and reports the median step time. Each configuration runs in a fresh process
(the Keras dtype policy is global). Numbers go to JSON and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

VARIANTS = {"baseline": [], "jit": ["train.jit=true"], "mixed_precision": ["train.mixed_precision=true"]}


def time_stages(preset: str, assignments, steps: int, warmup: int) -> dict:
    """Median seconds per step of each stage for ``preset`` with ``assignments``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    from sievenet_tf.config import get_preset, override
    from sievenet_tf.data.source import ArrayDataSource
    from sievenet_tf.models import build_segmenter, build_warper
    from sievenet_tf.run import Run
    from sievenet_tf.training.trainer import Trainer

    config = override(get_preset(preset), list(assignments) + ["train.texture_on_gt_segmentation=false"])
    if config.train.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    rng = np.random.default_rng(0)
    height, width = config.data.image_size
    count = config.train.batch_size
    examples = {
        "person": rng.uniform(-1, 1, (count, height, width, 3)),
        "cloth": rng.uniform(-1, 1, (count, height, width, 3)),
        "cloth_mask": rng.uniform(0, 1, (count, height, width, 1)).round(),
        "priors": rng.uniform(0, 1, (count, height, width, config.data.prior_channels)),
        "texture_priors": rng.uniform(-1, 1, (count, height, width, 3)),
        "cloth_worn": rng.uniform(-1, 1, (count, height, width, 3)),
        "cloth_worn_mask": rng.uniform(0, 1, (count, height, width, 1)).round(),
        "segmentation": rng.integers(0, config.segmentation.num_classes, (count, height, width)),
    }
    examples = {k: v.astype("int32" if k == "segmentation" else "float32") for k, v in examples.items()}
    results = {}
    with tempfile.TemporaryDirectory() as run_dir:
        trainer = Trainer(config, run_dir, ArrayDataSource(examples), log=lambda s: None)
        trainer.prepare_run_dir()
        # the texture stage loads the earlier stages' networks from the run directory
        Run(run_dir).save_network("warp", build_warper(config))
        Run(run_dir).save_network("segmentation", build_segmenter(config))
        for stage_name in ("warp", "segmentation", "texture"):
            step, iterator = trainer.build_step_for_benchmark(stage_name)
            for _ in range(warmup):
                step(iterator)
            times = []
            for _ in range(steps):
                started = time.perf_counter()
                float(step(iterator)["total"])
                times.append(time.perf_counter() - started)
            results[stage_name] = statistics.median(times)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override applied to every variant (repeatable)")
    parser.add_argument("--out", default=None, help="JSON file (default: runs/benchmark_train_<preset>.json)")
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        assignments = [*args.set, *VARIANTS[args._child]]
        print(json.dumps(time_stages(args.preset, assignments, args.steps, args.warmup)))
        return 0
    results = {}
    for variant in args.variants.split(","):
        print(f"timing {variant} ...", file=sys.stderr, flush=True)
        child = subprocess.run(
            [sys.executable, "-m", "sievenet_tf.training.benchmark", "--preset", args.preset,
             "--steps", str(args.steps), "--warmup", str(args.warmup), "--_child", variant,
             *(f"--set={assignment}" for assignment in args.set)],
            capture_output=True, text=True,
        )
        if child.returncode != 0:
            print(child.stderr[-2000:], file=sys.stderr)
            return child.returncode
        results[variant] = json.loads(child.stdout.strip().splitlines()[-1])
    out = args.out or f"runs/benchmark_train_{args.preset}.json"
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        json.dump({"preset": args.preset, "steps": args.steps, "cpus": os.cpu_count(), "seconds_per_step": results}, f, indent=2)
    base = results.get("baseline")
    overrides = f" with {', '.join(args.set)}" if args.set else ""
    lines = [f"Median seconds per train step, preset `{args.preset}`{overrides}, {args.steps} steps after {args.warmup} warm-up, {os.cpu_count()} CPU cores:", "",
             "| variant | warp | segmentation | texture |", "|---|---|---|---|"]
    for variant, times in results.items():
        cells = []
        for stage in ("warp", "segmentation", "texture"):
            ratio = f" ({times[stage] / base[stage]:.2f}x)" if base and variant != "baseline" else ""
            cells.append(f"{times[stage]:.3f}{ratio}")
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
