"""``python training/train.py``: train SieveNet's stages from a dataset on disk.

With no ``--data`` the synthetic dataset (generated once, cached) and the
``tiny`` preset are used: the embedded default that runs on a laptop CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

SYNTHETIC_TRAIN, SYNTHETIC_TEST = 600, 64


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train SieveNet (coarse-to-fine warp, segmentation, texture translation "
        "with the duelling triplet strategy).",
    )
    parser.add_argument("--data", type=Path, help="dataset root (VITON or VITON-HD layout); "
                        "default: the synthetic dataset, generated once and cached")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("runs/default"), help="run directory")
    parser.add_argument("--preset", help="config preset (default: tiny without --data, viton_256x192 with it)")
    parser.add_argument("--config", type=Path, help="a config JSON file (e.g. a run's config.json)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set loss.push_k=2 (repeatable)")  # fmt: skip
    parser.add_argument("--stage", choices=["warp", "segmentation", "texture", "all"], default="all")
    parser.add_argument("--steps", type=int, help="steps for each selected stage (overrides the config)")
    parser.add_argument("--batch-size", type=int, help="global batch size (split across replicas)")
    parser.add_argument("--strategy", choices=["auto", "default", "mirrored", "multiworker"], default="auto")
    parser.add_argument("--cpu-devices", type=int, default=0,
                        help="split the CPU into this many logical devices (to run 'mirrored' on a CPU)")  # fmt: skip
    parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoints")
    parser.add_argument("--layout", choices=["auto", "viton", "viton_hd"], help="dataset layout")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--jit", action="store_true", help="XLA-compile the train step")
    parser.add_argument("--mixed-precision", action="store_true", help="mixed_float16 (GPU)")
    parser.add_argument("--deterministic", action="store_true", help="enable TF op determinism")
    parser.add_argument("--in-memory", choices=["auto", "yes", "no"], default="auto",
                        help="hold the decoded training set in memory (auto: when it fits in ~2 GB)")  # fmt: skip
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="where the synthetic dataset is cached (default: ~/.cache/sievenet-tf)")  # fmt: skip
    return parser


def resolve_config(args):
    """The run's config from preset / --config / flags, in that order of precedence."""
    from sievenet_tf.config import SieveNetConfig, get_preset, override

    if args.config is not None and args.preset is not None:
        raise ValueError("give either --preset or --config, not both")
    if args.config is not None:
        if not args.config.exists():
            raise FileNotFoundError(f"--config {args.config}: no such file")
        config = SieveNetConfig.load(args.config)
    else:
        config = get_preset(args.preset or ("tiny" if args.data is None else "viton_256x192"))
    assignments = list(args.set)
    stages = ["warp", "segmentation", "texture"] if args.stage == "all" else [args.stage]
    if args.steps is not None:
        assignments += [f"train.{stage}_steps={args.steps}" for stage in stages]
    if args.batch_size is not None:
        assignments.append(f"train.batch_size={args.batch_size}")
    if args.seed is not None:
        assignments.append(f"train.seed={args.seed}")
    if args.layout is not None:
        assignments.append(f"data.layout={json.dumps(args.layout)}")
    for flag, key in ((args.jit, "jit"), (args.mixed_precision, "mixed_precision"),
                      (args.deterministic, "deterministic")):  # fmt: skip
        if flag:
            assignments.append(f"train.{key}=true")
    return override(config, assignments), stages


def synthetic_root(config, cache_dir=None) -> Path:
    """Generate (once) and return the cached synthetic dataset for ``config``."""
    from sievenet_tf.data import synthetic

    height, width = config.data.image_size
    cache = Path(cache_dir or os.environ.get("SIEVENET_CACHE", Path.home() / ".cache" / "sievenet-tf"))
    root = cache / f"synthetic_{height}x{width}_train{SYNTHETIC_TRAIN}_test{SYNTHETIC_TEST}_seed0"
    done = root / ".complete"
    if not done.exists():
        print(f"generating the synthetic dataset in {root} (once) ...", file=sys.stderr)
        synthetic.generate(root, SYNTHETIC_TRAIN, SYNTHETIC_TEST, (height, width), seed=0)
        done.write_text("ok\n")
    return root


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        config, stages = resolve_config(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2

    import keras
    import tensorflow as tf

    from sievenet_tf.data import pipeline
    from sievenet_tf.data.source import make_data_source
    from sievenet_tf.training import distribute
    from sievenet_tf.training.trainer import NonFiniteLossError, Trainer, TrainingInterrupted

    if args.cpu_devices > 1:
        distribute.split_cpu_devices(args.cpu_devices)
    if config.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.train.seed)
    if config.train.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")

    started = time.monotonic()
    try:
        strategy = distribute.make_strategy(args.strategy)
        data_root = args.data if args.data is not None else synthetic_root(config, args.cache_dir)
        # Bad datasets fail here, with the reader's message, before any training.
        data = make_data_source(data_root, config, in_memory=args.in_memory)
        print(
            f"training {', '.join(stages)} | preset {config.name} | {config.data.image_size[0]}x"
            f"{config.data.image_size[1]} | global batch {config.train.batch_size} on "
            f"{strategy.num_replicas_in_sync} replica(s) ({type(strategy).__name__}) | data {data_root}",
            file=sys.stderr,
        )
        trainer = Trainer(
            config, args.out, data, strategy, resume=args.resume,
            log=lambda line: print(line, file=sys.stderr),
        )  # fmt: skip
        with pipeline.data_errors():
            reports = trainer.train(stages)
    except TrainingInterrupted as e:
        print(str(e), file=sys.stderr)
        return 130
    except NonFiniteLossError as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 3
    except (ValueError, FileNotFoundError, FileExistsError) as e:
        print(f"train.py: error: {e}", file=sys.stderr)
        return 2

    print_summary(args.out, reports, time.monotonic() - started)
    return 0


def print_summary(run_dir, reports, seconds):
    from sievenet_tf.training.progress import format_duration

    lines = [f"\ndone in {format_duration(seconds)} — run directory {run_dir}"]
    for report in reports:
        final = ", ".join(f"{k}={v:.4f}" for k, v in report.final_terms.items())
        before = report.heldout_before.get("total")
        after = report.heldout_after.get("total")
        heldout = f"; held-out total {before:.4f} -> {after:.4f}" if before is not None and after is not None else ""
        lines.append(f"  {report.stage}: steps {report.start_step}->{report.end_step}{heldout}")
        if final:
            lines.append(f"    final: {final}")
    lines.append(f"  checkpoints: {run_dir}/checkpoints/  models: {run_dir}/models/  images: {run_dir}/images/")
    if (Path(run_dir) / "sievenet.keras").exists():
        lines.append(f"  try-on model: {run_dir}/sievenet.keras (export with export/export.py --run {run_dir})")
    lines.append(f"  TensorBoard: tensorboard --logdir {run_dir}/tensorboard")
    print("\n".join(lines))
