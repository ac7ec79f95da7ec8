"""Subprocess entry point for distribution / resume tests.

Trains the tiny preset on seeded random in-memory data so that runs are
comparable across processes, strategies and interruptions, then writes the
trained variables to ``--dump``.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def random_examples(config, count, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    height, width = config.data.image_size

    def images(channels=3):
        return rng.uniform(-1, 1, (count, height, width, channels)).astype("float32")

    def masks():
        return (rng.uniform(size=(count, height, width, 1)) > 0.5).astype("float32")

    return {
        "person": images(), "cloth": images(), "cloth_mask": masks(),
        "priors": rng.uniform(size=(count, height, width, config.data.prior_channels)).astype("float32"),
        "texture_priors": images(), "cloth_worn": images(), "cloth_worn_mask": masks(),
        "segmentation": rng.integers(0, config.segmentation.num_classes, (count, height, width)).astype("int32"),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--strategy", default="default")
    parser.add_argument("--cpu-devices", type=int, default=0)
    parser.add_argument("--stages", default="warp")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--checkpoint-every", type=int, default=2)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--dump")
    parser.add_argument("--set", action="append", default=[])
    args = parser.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from sievenet_tf.config import get_preset, override
    from sievenet_tf.data.source import ArrayDataSource
    from sievenet_tf.run import STAGE_NETWORKS
    from sievenet_tf.training import distribute
    from sievenet_tf.training.trainer import Trainer, TrainingInterrupted

    if args.cpu_devices > 1:
        distribute.split_cpu_devices(args.cpu_devices)
    tf.config.experimental.enable_op_determinism()
    # --steps 0 dumps the initial weights (a run of 0 steps is refused by the config).
    steps = max(args.steps, 1)
    config = override(get_preset("tiny"), [
        f"train.warp_steps={steps}", f"train.texture_steps={steps}",
        f"train.segmentation_steps={steps}",
        f"train.checkpoint_every={args.checkpoint_every}", "train.log_every=1",
        "train.image_every=1000", "train.batch_size=4", "train.texture_on_gt_segmentation=true",
        "triplet.start_step=2", "triplet.refresh_every=2", *args.set,
    ])
    keras.utils.set_random_seed(0)
    strategy = distribute.make_strategy(args.strategy)
    data = ArrayDataSource(random_examples(config, 16, seed=1), random_examples(config, 4, seed=2))
    trainer = Trainer(config, args.out, data, strategy, resume=args.resume,
                      log=lambda s: print(s, file=sys.stderr, flush=True))
    if args.steps == 0:
        networks = {}
        for stage in args.stages.split(","):
            state = trainer._setup_stage(stage)
            networks[stage] = state.stage.networks[STAGE_NETWORKS[stage]]
    else:
        try:
            trainer.train(args.stages.split(","))
        except TrainingInterrupted as e:
            print(e, file=sys.stderr)
            return 130
        networks = trainer.trained_networks
    if args.dump:
        weights = {}
        for stage, model in networks.items():
            for variable in model.weights:
                weights[f"{stage}/{variable.path}"] = np.asarray(variable.numpy())
        np.savez(args.dump, **weights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
