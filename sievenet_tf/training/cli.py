"""``python training/train.py``: train SieveNet's stages from a dataset on disk.

With no ``--data`` the synthetic dataset (generated once, cached) and the
``tiny`` preset are used: the embedded default that runs on a laptop CPU.
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import positive_int, run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import json
import time
from pathlib import Path

import keras
import tensorflow as tf

from sievenet_tf.config import SieveNetConfig, get_preset, override
from sievenet_tf.data import pipeline
from sievenet_tf.data.default_dataset import synthetic_root
from sievenet_tf.data.source import make_data_source
from sievenet_tf.run import Run
from sievenet_tf.training import distribute
from sievenet_tf.training.progress import format_summary
from sievenet_tf.training.trainer import NonFiniteLossError, Trainer, TrainingInterrupted

PROG = "train.py"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train.py",
        description="Train SieveNet (coarse-to-fine warp, segmentation, texture translation "
        "with the duelling triplet strategy).",
    )
    parser.add_argument("--data", type=Path, help="dataset root (VITON or VITON-HD layout); "
                        "default: the synthetic dataset, generated once and cached")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("runs/default"), help="run directory")
    parser.add_argument("--preset", help="config preset (default: with --resume the run's own config, else "
                        "tiny without --data and viton_256x192 with it)")
    parser.add_argument("--config", type=Path, help="a config JSON file (e.g. a run's config.json)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, e.g. --set loss.push_k=2 (repeatable)")  # fmt: skip
    parser.add_argument("--stage", choices=["warp", "segmentation", "texture", "all", "analyzer",
                        "cloth_mask"], default="all", help="all: the three try-on stages; "
                        "analyzer: the person analyzer (photo -> parse + keypoints) and "
                        "cloth_mask: the learned cloth-mask head, of the photo graph")  # fmt: skip
    parser.add_argument("--steps", type=positive_int, help="steps for each selected stage (overrides the config)")
    parser.add_argument("--batch-size", type=positive_int, help="global batch size (split across replicas)")
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
    """The run's config from preset / --config / flags, in that order of precedence.

    With ``--resume`` and neither ``--preset`` nor ``--config``, the run's own
    ``config.json`` is the base, so a plain ``--resume`` continues what was started.
    """
    if args.config is not None and args.preset is not None:
        raise ValueError("give either --preset or --config, not both")
    run = Run(args.out)
    if args.config is not None:
        if not args.config.exists():
            raise FileNotFoundError(f"--config {args.config}: no such file")
        config = SieveNetConfig.load(args.config)
    elif args.preset is None and args.resume and run.exists():
        config = run.config
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


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_main(PROG, lambda log: _train(args, log))


def _train(args, log) -> int:
    # Everything that can be checked without TensorFlow or the data is checked
    # first, so a bad flag never leaves a run directory behind.
    config, stages = resolve_config(args)
    run = Run(args.out)
    run.create(config, resume=args.resume, write=False)
    run.check_writable()

    if args.cpu_devices > 1:
        distribute.split_cpu_devices(args.cpu_devices)
    if config.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.train.seed)
    if config.train.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")

    started = time.monotonic()
    strategy = distribute.make_strategy(args.strategy)
    data_root = args.data if args.data is not None else synthetic_root(config, args.cache_dir)
    # Bad datasets fail here, with the reader's message, before any training.
    data = make_data_source(data_root, config, in_memory=args.in_memory)
    log(
        f"training {', '.join(stages)} | preset {config.name} | {config.data.image_size[0]}x"
        f"{config.data.image_size[1]} | global batch {config.train.batch_size} on "
        f"{strategy.num_replicas_in_sync} replica(s) ({type(strategy).__name__}) | data {data_root}"
    )
    trainer = Trainer(config, args.out, data, strategy, resume=args.resume, log=log)
    try:
        with pipeline.data_errors():
            reports = trainer.train(stages)
    except TrainingInterrupted as e:
        log(str(e))
        return 130
    except NonFiniteLossError as e:
        log(f"{PROG}: error: {e}")
        return 3
    print(format_summary(args.out, reports, time.monotonic() - started))
    return 0
