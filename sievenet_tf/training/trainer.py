"""The training loop: one ``tf.function`` step per stage under a ``tf.distribute``
strategy, checkpoints that make resume exact, and what the user sees.

Layout of a run directory::

    RUN_DIR/config.json                 resolved config, written before step 0
    RUN_DIR/checkpoints/<stage>/        tf.train.CheckpointManager per stage
    RUN_DIR/models/<network>.keras      trained stage networks (after each stage)
    RUN_DIR/sievenet.keras              the composed try-on model (all stages done)
    RUN_DIR/logs/<stage>.jsonl          loss terms and learning rate per logged step
    RUN_DIR/logs/<stage>_heldout.json   held-out loss terms before and after the stage
    RUN_DIR/images/<stage>_<step>.png   image grids
    RUN_DIR/tensorboard/<stage>/        TensorBoard scalars and images
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from sievenet_tf import keys
from sievenet_tf.models import VggFeatures, build_sievenet
from sievenet_tf.training import distribute
from sievenet_tf.training.progress import Progress, format_duration
from sievenet_tf.training.schedules import ConstantThenLinearDecay
from sievenet_tf.training.stages import (
    STAGE_CLASSES,
    STAGE_MODEL_FILES,
    STAGES,
    load_stage_network,
    stage_requirements,
)
from sievenet_tf.visualization import save_png, tryon_grid

_NETWORK_OF_STAGE = {"warp": "warper", "segmentation": "segmenter", "texture": "texture_translator"}


class TrainingInterrupted(Exception):
    """Raised after a SIGINT/SIGTERM once the checkpoint is safely written."""


class NonFiniteLossError(RuntimeError):
    """A loss term became NaN or infinite; the last good checkpoint is kept."""


@dataclass
class StageReport:
    stage: str
    start_step: int
    end_step: int
    seconds: float
    final_terms: dict = field(default_factory=dict)
    heldout_before: dict = field(default_factory=dict)
    heldout_after: dict = field(default_factory=dict)
    image: str | None = None


def _to_numpy_dict(values):
    return {k: float(v) for k, v in values.items()}


class Trainer:
    """Trains the SieveNet stages of one run directory.

    Args:
        config: the run's :class:`~sievenet_tf.config.SieveNetConfig`.
        run_dir: where config, checkpoints, models, logs and images go.
        data: a :class:`~sievenet_tf.data.source.DataSource`.
        strategy: a ``tf.distribute.Strategy`` (default: the current one).
        resume: continue from the latest checkpoints instead of refusing to
            overwrite an existing run.
        log: function printing one line for the user.
        vgg: a :class:`VggFeatures` to share (built from the config when None).
    """

    def __init__(self, config, run_dir, data, strategy=None, resume=False, log=print, vgg=None):
        self.config = config
        self.run_dir = Path(run_dir)
        self.data = data
        self.strategy = strategy or tf.distribute.get_strategy()
        self.resume = resume
        self.log = log
        self.is_chief = distribute.is_chief(self.strategy)
        self._stop_signal = None
        self._vgg = vgg
        self._eval_batches = None
        self._inference_fns = {}
        # Trained networks of this process, by stage (also on non-chief workers).
        self.trained_networks = {}

    # ------------------------------------------------------------------ setup
    def prepare_run_dir(self):
        """Create the run directory and write ``config.json`` before step 0."""
        config_path = self.run_dir / "config.json"
        if not self.is_chief:
            return  # only the chief reads and writes the run directory
        if config_path.exists():
            from sievenet_tf.config import SieveNetConfig

            existing = SieveNetConfig.load(config_path)
            if not self.resume and (self.run_dir / "checkpoints").exists():
                raise FileExistsError(
                    f"{self.run_dir} already holds a run; pass --resume to continue it or "
                    "choose another --out"
                )
            if self.resume and existing.to_dict() != self.config.to_dict():
                self.log(f"note: config differs from {config_path}; using the new one and rewriting it")
        for sub in ("checkpoints", "models", "logs", "images", "tensorboard"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        self.config.save(config_path)

    def _vgg_features(self):
        if self._vgg is None:
            weights = self.config.loss.vgg_weights
            if weights is None:
                self.log(
                    "note: loss.vgg_weights is null: VGG19 has RANDOM weights, so the perceptual "
                    "and PGM-align terms are not the paper's (set it to 'imagenet' or a local file)"
                )
            self._vgg = VggFeatures(weights=weights, name="vgg_features")
        return self._vgg

    def _needs_vgg(self, stage):
        loss = self.config.loss
        if stage == "warp":
            return loss.warp_pgm > 0 and loss.pgm_align > 0
        if stage == "texture":
            return loss.texture_vgg > 0
        return False

    # --------------------------------------------------------------- training
    def train(self, stages=STAGES):
        """Train ``stages`` in order; return a list of :class:`StageReport`."""
        self.prepare_run_dir()
        reports = []
        previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, self._on_signal),
            signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_signal),
        }
        try:
            for stage in stages:
                reports.append(self.train_stage(stage))
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        needed = ["warp", "texture"] + (
            ["segmentation"] if self.config.texture.conditioning == "segmentation" else []
        )
        if self.is_chief and all((self.run_dir / "models" / STAGE_MODEL_FILES[s]).exists() for s in needed):
            self.save_sievenet()
        return reports

    def _on_signal(self, signum, frame):
        if self._stop_signal is not None:  # second signal: stop now
            raise KeyboardInterrupt
        self._stop_signal = signum
        self.log(f"\nreceived {signal.Signals(signum).name}: saving a checkpoint after this step ...")

    def train_stage(self, stage_name):
        if stage_name not in STAGE_CLASSES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage_name!r}")
        config = self.config
        strategy = self.strategy
        global_batch = config.train.batch_size
        if global_batch % strategy.num_replicas_in_sync:
            raise ValueError(
                f"train.batch_size={global_batch} must be divisible by the "
                f"{strategy.num_replicas_in_sync} replicas"
            )

        stage, optimizer, variables, schedule, step_var, checkpoint = self._setup_stage(stage_name)
        total_steps = stage.steps

        manager = self._checkpoint_manager(checkpoint, stage_name)
        latest = tf.train.latest_checkpoint(self.run_dir / "checkpoints" / stage_name)
        if latest and not self.resume and self.is_chief:
            raise FileExistsError(
                f"{self.run_dir}/checkpoints/{stage_name} already has checkpoints; pass --resume"
            )
        if latest:
            try:
                checkpoint.restore(latest).assert_existing_objects_matched()
            except AssertionError as e:
                # Checkpoints follow the networks' structure; after a code change
                # that reorders layers they no longer line up. Never train on top.
                raise ValueError(
                    f"{latest} does not match the {stage_name} networks built by this code "
                    f"(the model code or config changed since it was written): "
                    f"{str(e).splitlines()[0][:200]}. The trained networks in "
                    f"{self.run_dir / 'models'} still load; train later stages with "
                    f"--stage, or start a new --out"
                ) from None
            self.log(f"[{stage_name}] resumed from {latest} at step {int(step_var.numpy())}")
        start_step = int(step_var.numpy())
        log_path = self.run_dir / "logs" / f"{stage_name}.jsonl"
        if self.is_chief:
            _truncate_log(log_path, start_step)

        if start_step >= total_steps:
            self.log(f"[{stage_name}] already complete ({start_step}/{total_steps} steps)")
            self.trained_networks[stage_name] = stage.networks[_NETWORK_OF_STAGE[stage_name]]
            self._save_stage_network(stage, stage_name)
            return StageReport(stage_name, start_step, start_step, 0.0, image=None)

        heldout_path = self.run_dir / "logs" / f"{stage_name}_heldout.json"
        heldout = json.loads(heldout_path.read_text()) if heldout_path.exists() else {}
        if "before" not in heldout:
            heldout["before"] = self.evaluate_stage(stage)
            if self.is_chief:
                heldout_path.write_text(json.dumps(heldout, indent=2))

        dataset = strategy.distribute_datasets_from_function(
            lambda context: self.data.train_dataset(context, global_batch, start_step)
        )
        iterator = iter(dataset)
        step_fns = {}

        def step_function(use_triplet):
            if use_triplet not in step_fns:
                step_fns[use_triplet] = self._make_step(stage, optimizer, variables, use_triplet)
            return step_fns[use_triplet]

        writer = (
            tf.summary.create_file_writer(str(self.run_dir / "tensorboard" / stage_name))
            if self.is_chief
            else tf.summary.create_noop_writer()
        )
        progress = Progress(stage_name, total_steps, start=start_step) if self.is_chief else None
        triplet = config.triplet
        started = time.monotonic()
        terms = {}
        image_path = None
        step = start_step
        self._stop_signal = None
        try:
            while step < total_steps:
                use_triplet = stage_name == "texture" and step >= triplet.start_step
                if use_triplet and (step - triplet.start_step) % triplet.refresh_every == 0:
                    stage.refresh_snapshot()
                terms = _to_numpy_dict(step_function(use_triplet)(iterator))
                bad = [name for name, value in terms.items() if not math.isfinite(value)]
                if bad:
                    raise NonFiniteLossError(
                        f"[{stage_name}] step {step + 1}: loss term '{stage_name}/{bad[0]}' is "
                        f"{terms[bad[0]]}; stopped without saving. Last good checkpoint: "
                        f"{manager.latest_checkpoint or 'none'}"
                    )
                step += 1
                step_var.assign(step)
                learning_rate = float(schedule(step - 1))
                if step % config.train.log_every == 0 or step == total_steps or step == start_step + 1:
                    if self.is_chief:
                        self._log_step(log_path, writer, stage_name, step, terms, learning_rate)
                        progress.update(step, {k: terms[k] for k in list(terms)[:4]})
                if step % config.train.image_every == 0 or step == total_steps:
                    image_path = self.write_images(stage, stage_name, step, writer)
                if step % config.train.checkpoint_every == 0 or step == total_steps:
                    manager.save(checkpoint_number=step)
                if self._stop_signal is not None:
                    manager.save(checkpoint_number=step)
                    raise TrainingInterrupted(
                        f"[{stage_name}] interrupted at step {step}; checkpoint saved to "
                        f"{manager.latest_checkpoint}. Continue with --resume."
                    )
        finally:
            if progress is not None:
                progress.close()
            writer.flush()

        seconds = time.monotonic() - started
        self.trained_networks[stage_name] = stage.networks[_NETWORK_OF_STAGE[stage_name]]
        heldout["after"] = self.evaluate_stage(stage)
        if self.is_chief:
            heldout_path.write_text(json.dumps(heldout, indent=2))
        self._save_stage_network(stage, stage_name)
        self._cleanup_worker_dir(stage_name)
        self.log(
            f"[{stage_name}] {step - start_step} steps in {format_duration(seconds)}; "
            f"held-out total {heldout['before'].get('total', float('nan')):.4f} -> "
            f"{heldout['after'].get('total', float('nan')):.4f}"
        )
        return StageReport(
            stage_name, start_step, step, seconds, terms, heldout["before"], heldout["after"],
            str(image_path) if image_path else None,
        )  # fmt: skip

    def _setup_stage(self, stage_name):
        """Build the stage, its optimizer and checkpoint under the strategy's scope."""
        config, strategy = self.config, self.strategy
        with strategy.scope():
            frozen = {}
            for required in stage_requirements(config, stage_name):
                network = load_stage_network(self.run_dir, required)
                network.trainable = False
                frozen[_NETWORK_OF_STAGE[required]] = network
            vgg = self._vgg_features() if self._needs_vgg(stage_name) else None
            stage = STAGE_CLASSES[stage_name](config, vgg, frozen)
            total_steps = stage.steps
            schedule = ConstantThenLinearDecay(
                config.optimizer.learning_rate,
                total_steps,
                int(round(config.optimizer.constant_fraction * total_steps)),
            )
            optimizer = keras.optimizers.Adam(
                schedule,
                beta_1=config.optimizer.beta_1,
                beta_2=config.optimizer.beta_2,
                epsilon=config.optimizer.epsilon,
            )
            if config.train.mixed_precision:
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            variables = [v for net in stage.networks.values() for v in net.trainable_variables]
            optimizer.build(variables)
            step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name=f"{stage_name}_step")
            trackables = dict(stage.networks)
            if stage_name == "texture":
                trackables["snapshot"] = stage.snapshot
            checkpoint = tf.train.Checkpoint(optimizer=optimizer, step=step_var, **trackables)

        return stage, optimizer, variables, schedule, step_var, checkpoint

    def build_step_for_benchmark(self, stage_name):
        """(compiled train step, distributed iterator) of a stage, for timing."""
        stage, optimizer, variables, *_ = self._setup_stage(stage_name)
        global_batch = self.config.train.batch_size
        dataset = self.strategy.distribute_datasets_from_function(
            lambda context: self.data.train_dataset(context, global_batch, 0)
        )
        return self._make_step(stage, optimizer, variables, use_triplet=False), iter(dataset)

    def _make_step(self, stage, optimizer, variables, use_triplet):
        strategy = self.strategy
        global_batch = self.config.train.batch_size
        mixed = self.config.train.mixed_precision

        def gradients(batch):
            with tf.GradientTape() as tape:
                terms, _ = stage.terms(batch, training=True, use_triplet=use_triplet)
                loss = tf.nn.compute_average_loss(terms["total"], global_batch_size=global_batch)
                scaled = optimizer.scale_loss(loss) if mixed else loss
            grads = tape.gradient(scaled, variables)
            averaged = {
                name: tf.nn.compute_average_loss(value, global_batch_size=global_batch)
                for name, value in terms.items()
            }
            return averaged, grads

        if self.config.train.jit:
            gradients = tf.function(gradients, jit_compile=True)

        def replica_step(batch):
            averaged, grads = gradients(batch)
            optimizer.apply(grads, variables)
            return averaged

        @tf.function
        def train_step(iterator):
            batch = next(iterator)
            per_replica = strategy.run(replica_step, args=(batch,))
            return {
                name: strategy.reduce(tf.distribute.ReduceOp.SUM, value, axis=None)
                for name, value in per_replica.items()
            }

        return train_step

    # -------------------------------------------------------- checkpoints etc
    def _checkpoint_manager(self, checkpoint, stage_name):
        directory = self.run_dir / "checkpoints" / stage_name
        if not self.is_chief:
            # Every worker must take part in saving; only the chief's copy is kept.
            directory = self._worker_dir() / stage_name
        return tf.train.CheckpointManager(checkpoint, str(directory), max_to_keep=3)

    def _worker_dir(self):
        """Scratch directory of a non-chief worker's checkpoints."""
        task_id = self.strategy.cluster_resolver.task_id
        return Path(tempfile.gettempdir()) / f"sievenet_worker_{task_id}_{os.getpid()}"

    def _cleanup_worker_dir(self, stage_name):
        if not self.is_chief:
            shutil.rmtree(self._worker_dir(), ignore_errors=True)

    def _save_stage_network(self, stage, stage_name):
        if not self.is_chief:
            return
        network = stage.networks[_NETWORK_OF_STAGE[stage_name]]
        path = self.run_dir / "models" / STAGE_MODEL_FILES[stage_name]
        temporary = path.with_name(path.stem + ".tmp.keras")
        network.save(temporary)
        os.replace(temporary, path)

    def save_sievenet(self):
        """Compose the trained stage networks into ``RUN_DIR/sievenet.keras``."""
        guided = self.config.texture.conditioning == "segmentation"
        networks = {
            stage: load_stage_network(self.run_dir, stage)
            for stage in STAGES
            if guided or stage != "segmentation"
        }
        model = build_sievenet(
            self.config, networks["warp"], networks.get("segmentation"), networks["texture"]
        )
        path = self.run_dir / "sievenet.keras"
        temporary = path.with_name("sievenet.tmp.keras")
        model.save(temporary)
        os.replace(temporary, path)
        self.log(f"saved the composed try-on model to {path}")
        return path

    def _log_step(self, log_path, writer, stage_name, step, terms, learning_rate):
        with open(log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"step": step, "learning_rate": learning_rate, **terms}) + "\n")
        with writer.as_default(step=step):
            for name, value in terms.items():
                tf.summary.scalar(f"{stage_name}/{name}", value)
            tf.summary.scalar(f"{stage_name}/learning_rate", learning_rate)

    # ------------------------------------------------------ evaluation/images
    def eval_batches(self):
        if self._eval_batches is None:
            self._eval_batches = self.data.eval_batches(batch_size=8, max_batches=4)
        return self._eval_batches

    def _inference(self, stage):
        """``stage.terms`` in inference mode, compiled once per stage."""
        if stage.name not in self._inference_fns:
            self._inference_fns[stage.name] = tf.function(
                lambda batch: stage.terms(batch, training=False, use_triplet=False)
            )
        return self._inference_fns[stage.name]

    def evaluate_stage(self, stage):
        """Mean of each loss term over the held-out batches, inference mode."""
        sums, count = {}, 0
        for batch in self.eval_batches():
            terms, _ = self._inference(stage)(_tensors(batch))
            n = int(batch[keys.PERSON].shape[0])
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(np.sum(np.asarray(value)))
            count += n
        return {name: value / max(count, 1) for name, value in sums.items()}

    def write_images(self, stage, stage_name, step, writer):
        if not self.is_chief:
            return None
        batch = self.eval_batches()[0]
        _, outputs = self._inference(stage)(_tensors(batch))
        columns = {"person": batch[keys.PERSON], "cloth": batch[keys.CLOTH]}
        if "warped_cloth_coarse" in outputs:
            columns["coarse warp"] = outputs["warped_cloth_coarse"].numpy()
            columns["fine warp"] = outputs["warped_cloth_fine"].numpy()
        if stage_name == "segmentation":
            columns["expected segmentation"] = np.argmax(outputs["segmentation_logits"].numpy(), -1)
            columns["target"] = batch[keys.SEGMENTATION]
        elif stage_name == "texture":
            inputs, _ = stage.texture_inputs(_tensors(batch))
            if "expected_segmentation" in inputs:
                columns["expected segmentation"] = np.argmax(inputs["expected_segmentation"].numpy(), -1)
            columns["try-on"] = outputs["tryon"].numpy()
            columns["target"] = batch[keys.PERSON]
        else:
            columns["target"] = batch[keys.CLOTH_WORN]
        grid = tryon_grid(columns)
        path = self.run_dir / "images" / f"{stage_name}_{step:07d}.png"
        save_png(path, grid)
        with writer.as_default(step=step):
            tf.summary.image(f"{stage_name}/grid", grid[None], step=step)
        return path


def _tensors(batch):
    """Numeric entries of a numpy batch as tensors (names and other strings dropped)."""
    return {k: tf.convert_to_tensor(v) for k, v in batch.items() if np.asarray(v).dtype.kind not in "OSU"}


def _truncate_log(path, last_step):
    """Drop log lines written after the checkpoint we resume from."""
    if not path.exists():
        return
    kept = [line for line in path.read_text().splitlines() if line and json.loads(line)["step"] <= last_step]
    path.write_text("".join(line + "\n" for line in kept))
