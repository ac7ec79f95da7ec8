"""The training loop: one ``tf.function`` step per stage under a ``tf.distribute``
strategy, checkpoints that make resume exact, and what the user sees.

The run directory's layout is :mod:`sievenet_tf.run`'s; the trainer writes into
it through :class:`~sievenet_tf.run.Run`.

Interruption: SIGINT / SIGTERM set a flag that is checked after every step and
between the phases of a stage (set-up, held-out evaluation, saving). The run
stops at the next check, saving the checkpoint of the steps done in this
process, and raises :class:`TrainingInterrupted`. A second signal stops at once.
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

from sievenet_tf import atomic, keys
from sievenet_tf.models import VggFeatures
from sievenet_tf.run import ALL_STAGES, STAGE_NETWORKS, STAGES, Run, RunError, RunExistsError
from sievenet_tf.training import distribute
from sievenet_tf.training.progress import Progress, format_duration
from sievenet_tf.training.schedules import ConstantThenLinearDecay
from sievenet_tf.training.stages import STAGE_CLASSES, stage_requirements
from sievenet_tf.visualization import save_png, tryon_grid


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


@dataclass
class _StageState:
    """What one stage's training needs, built by :meth:`Trainer._setup_stage`."""

    name: str
    stage: object
    optimizer: object
    variables: list
    schedule: object
    step: tf.Variable
    checkpoint: tf.train.Checkpoint
    manager: tf.train.CheckpointManager | None = None


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
        self.run = Run(run_dir)
        self.run_dir = self.run.directory
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
        """Check the run directory against the config, then create it and write
        ``config.json`` (chief only); see :meth:`sievenet_tf.run.Run.create`."""
        changed = self.run.create(self.config, resume=self.resume, write=self.is_chief)
        if changed:
            self.log(f"note: resuming with a changed schedule: {'; '.join(changed)}")

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
        unknown = [s for s in stages if s not in STAGE_CLASSES]
        if unknown:
            raise ValueError(f"stage must be one of {ALL_STAGES}, got {unknown[0]!r}")
        self._stop_signal = None
        previous = {
            signal.SIGINT: signal.signal(signal.SIGINT, self._on_signal),
            signal.SIGTERM: signal.signal(signal.SIGTERM, self._on_signal),
        }
        reports = []
        try:
            if any(self._needs_vgg(stage) for stage in stages):
                self._vgg_features()  # a failed weights download leaves the run directory as it was
            self.prepare_run_dir()
            for stage in stages:
                self._stop_if_signalled(None, f"before the {stage} stage")
                reports.append(self.train_stage(stage))
            trained_tryon = any(stage in STAGES for stage in stages)
            if self.is_chief and trained_tryon and not self.run.missing_stages():
                self._stop_if_signalled(None, "before composing the try-on model")
                self.save_sievenet()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return reports

    def _on_signal(self, signum, frame):
        if self._stop_signal is not None:  # second signal: stop now
            raise KeyboardInterrupt
        self._stop_signal = signum
        self.log(f"\nreceived {signal.Signals(signum).name}: stopping at the next step boundary "
                 "and saving a checkpoint ...")

    def _stop_if_signalled(self, state, where, trained_here=False):
        """Raise :class:`TrainingInterrupted` if a signal arrived; save first when
        steps were trained in this process since the last checkpoint."""
        if self._stop_signal is None:
            return
        saved = None
        if state is not None and state.manager is not None and trained_here:
            saved = state.manager.save(checkpoint_number=int(state.step.numpy()))
        elif state is not None and state.manager is not None:
            saved = state.manager.latest_checkpoint
        where = (f" {where}" if where else "") + (
            f" at step {int(state.step.numpy())}" if state is not None else ""
        )
        raise TrainingInterrupted(
            f"[{state.name if state else 'train'}] interrupted{where}; "
            + (f"checkpoint saved to {saved}. " if saved else "no new checkpoint needed. ")
            + "Continue with --resume."
        )

    def train_stage(self, stage_name):
        """Train one stage to its configured step count (resuming if checkpointed)."""
        config = self.config
        if config.train.batch_size % self.strategy.num_replicas_in_sync:
            raise ValueError(
                f"train.batch_size={config.train.batch_size} must be divisible by the "
                f"{self.strategy.num_replicas_in_sync} replicas"
            )
        state = self._setup_stage(stage_name)
        self._stop_if_signalled(state, "during set-up")
        start_step = self._restore(state)
        total_steps = state.stage.steps
        if start_step >= total_steps:
            self.log(f"[{stage_name}] already complete ({start_step}/{total_steps} steps)")
            self._finish_stage(state)
            return StageReport(stage_name, start_step, start_step, 0.0, image=None)

        heldout = self._read_heldout(stage_name)
        if "before" not in heldout:
            heldout["before"] = self.evaluate_stage(state.stage)
            self._write_heldout(stage_name, heldout)
        self._stop_if_signalled(state, "after the held-out evaluation")

        started = time.monotonic()
        terms, image_path = self._train_loop(state, start_step, total_steps)
        seconds = time.monotonic() - started

        heldout["after"] = self.evaluate_stage(state.stage)
        self._write_heldout(stage_name, heldout)
        self._finish_stage(state)
        self.log(
            f"[{stage_name}] {total_steps - start_step} steps in {format_duration(seconds)}; "
            f"held-out total {heldout['before'].get('total', float('nan')):.4f} -> "
            f"{heldout['after'].get('total', float('nan')):.4f}"
        )
        return StageReport(
            stage_name, start_step, total_steps, seconds, terms, heldout["before"],
            heldout["after"], str(image_path) if image_path else None,
        )

    def _restore(self, state) -> int:
        """Attach the checkpoint manager, restore the latest checkpoint; the start step."""
        stage_name = state.name
        state.manager = self._checkpoint_manager(state.checkpoint, stage_name)
        latest = tf.train.latest_checkpoint(self.run.checkpoint_dir(stage_name))
        if latest and not self.resume and self.is_chief:
            raise RunExistsError(
                f"{self.run.checkpoint_dir(stage_name)} already has checkpoints; pass --resume"
            )
        if latest:
            try:
                state.checkpoint.restore(latest).assert_existing_objects_matched()
            except AssertionError as e:
                # Checkpoints follow the networks' structure; after a code change
                # that reorders layers they no longer line up. Never train on top.
                raise RunError(
                    f"{latest} does not match the {stage_name} networks built by this code "
                    f"(the model code or config changed since it was written): "
                    f"{str(e).splitlines()[0][:200]}. The trained networks in "
                    f"{self.run_dir / 'models'} still load; train later stages with "
                    f"--stage, or start a new --out"
                ) from None
            self.log(f"[{stage_name}] resumed from {latest} at step {int(state.step.numpy())}")
        start_step = int(state.step.numpy())
        if self.is_chief:
            self._truncate_log(self.run.log_path(stage_name), start_step)
        return start_step

    def _train_loop(self, state, start_step, total_steps):
        """Steps ``start_step`` .. ``total_steps``; (last terms, last image path)."""
        config, stage_name, stage = self.config, state.name, state.stage
        dataset = self.strategy.distribute_datasets_from_function(
            lambda context: self.data.train_dataset(context, config.train.batch_size, start_step)
        )
        iterator = iter(dataset)
        step_fns = {}
        writer = (
            tf.summary.create_file_writer(str(self.run.tensorboard_dir(stage_name)))
            if self.is_chief
            else tf.summary.create_noop_writer()
        )
        progress = Progress(stage_name, total_steps, start=start_step) if self.is_chief else None
        triplet = config.triplet
        terms, image_path, step = {}, None, start_step
        try:
            while step < total_steps:
                use_triplet = stage_name == "texture" and step >= triplet.start_step
                if use_triplet and (step - triplet.start_step) % triplet.refresh_every == 0:
                    stage.refresh_snapshot()
                if use_triplet not in step_fns:
                    step_fns[use_triplet] = self._make_step(
                        stage, state.optimizer, state.variables, use_triplet
                    )
                terms = _to_numpy_dict(step_fns[use_triplet](iterator))
                self._check_finite(stage_name, step + 1, terms, state.manager)
                step += 1
                state.step.assign(step)
                learning_rate = float(state.schedule(step - 1))
                last = step == total_steps
                if step % config.train.log_every == 0 or last or step == start_step + 1:
                    if self.is_chief:
                        self._log_step(writer, stage_name, step, terms, learning_rate)
                        progress.update(step, {k: terms[k] for k in list(terms)[:4]})
                if step % config.train.image_every == 0 or last:
                    image_path = self.write_images(stage, stage_name, step, writer)
                saved = step % config.train.checkpoint_every == 0 or last
                if saved:
                    state.manager.save(checkpoint_number=step)
                self._stop_if_signalled(state, "", trained_here=not saved)
        finally:
            if progress is not None:
                progress.close()
            writer.flush()
        return terms, image_path

    @staticmethod
    def _check_finite(stage_name, step, terms, manager):
        bad = [name for name, value in terms.items() if not math.isfinite(value)]
        if bad:
            raise NonFiniteLossError(
                f"[{stage_name}] step {step}: loss term '{stage_name}/{bad[0]}' is "
                f"{terms[bad[0]]}; stopped without saving. Last good checkpoint: "
                f"{manager.latest_checkpoint or 'none'}"
            )

    def _finish_stage(self, state):
        """Keep the trained network, save it (chief) and clean a worker's scratch."""
        network = state.stage.networks[STAGE_NETWORKS[state.name]]
        self.trained_networks[state.name] = network
        if self.is_chief:
            self.run.save_network(state.name, network)
        self._cleanup_worker_dir(state.name)

    def _read_heldout(self, stage_name) -> dict:
        path = self.run.heldout_path(stage_name)
        if not path.exists():
            return {}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Written atomically, so only a foreign edit can break it: recompute.
            self.log(f"note: {path} is not valid JSON; the held-out numbers are recomputed")
            return {}

    def _write_heldout(self, stage_name, heldout):
        if self.is_chief:
            atomic.write_json(self.run.heldout_path(stage_name), heldout)

    def _setup_stage(self, stage_name) -> _StageState:
        """Build the stage, its optimizer and checkpoint under the strategy's scope."""
        config, strategy = self.config, self.strategy
        with strategy.scope():
            frozen = {}
            for required in stage_requirements(config, stage_name):
                network = self.run.load_network(required)
                network.trainable = False
                frozen[STAGE_NETWORKS[required]] = network
            vgg = self._vgg_features() if self._needs_vgg(stage_name) else None
            stage = STAGE_CLASSES[stage_name](config, vgg, frozen)
            total_steps = stage.steps
            # A stage may bring its own Adam settings (the analyzer does).
            settings = getattr(stage, "optimizer_config", config.optimizer)
            schedule = ConstantThenLinearDecay(
                settings.learning_rate,
                total_steps,
                int(round(settings.constant_fraction * total_steps)),
            )
            optimizer = keras.optimizers.Adam(
                schedule,
                beta_1=settings.beta_1,
                beta_2=settings.beta_2,
                epsilon=settings.epsilon,
            )
            if config.train.mixed_precision:
                optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
            variables = [v for net in stage.networks.values() for v in net.trainable_variables]
            optimizer.build(variables)
            step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name=f"{stage_name}_step")
            trackables = dict(stage.networks)
            if stage_name == "texture":
                trackables["snapshot"] = stage.snapshot
            trackables.update(getattr(stage, "trackables", {}))
            checkpoint = tf.train.Checkpoint(optimizer=optimizer, step=step_var, **trackables)
        return _StageState(stage_name, stage, optimizer, variables, schedule, step_var, checkpoint)

    def build_step_for_benchmark(self, stage_name):
        """(compiled train step, distributed iterator) of a stage, for timing."""
        state = self._setup_stage(stage_name)
        global_batch = self.config.train.batch_size
        dataset = self.strategy.distribute_datasets_from_function(
            lambda context: self.data.train_dataset(context, global_batch, 0)
        )
        step = self._make_step(state.stage, state.optimizer, state.variables, use_triplet=False)
        return step, iter(dataset)

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
        directory = self.run.checkpoint_dir(stage_name)
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

    def save_sievenet(self):
        """Compose the trained stage networks into ``RUN_DIR/sievenet.keras``."""
        path = self.run.save_sievenet()
        self.log(f"saved the composed try-on model to {path}")
        return path

    def _log_step(self, writer, stage_name, step, terms, learning_rate):
        record = json.dumps({"step": step, "learning_rate": learning_rate, **terms}) + "\n"
        # One write of one line to an O_APPEND file: a kill leaves at most a torn
        # last line, which _truncate_log drops on resume.
        descriptor = os.open(self.run.log_path(stage_name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, record.encode("utf-8"))
        finally:
            os.close(descriptor)
        with writer.as_default(step=step):
            for name, value in terms.items():
                tf.summary.scalar(f"{stage_name}/{name}", value)
            tf.summary.scalar(f"{stage_name}/learning_rate", learning_rate)

    def _truncate_log(self, path, last_step):
        """Drop log records written after the checkpoint we resume from.

        A torn final line (what a kill during a write leaves) is skipped with a
        notice; a malformed line elsewhere means the file was edited, and stops
        the run naming the file and line.
        """
        if not path.exists():
            return
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        kept = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                step = int(record["step"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                if number == len(lines):
                    self.log(f"note: {path}:{number}: skipped a torn last record (an interrupted write)")
                    continue
                raise RunError(
                    f"{path}:{number}: not a log record ({line[:80]!r}); remove the line or the file"
                ) from None
            if step <= last_step:
                kept.append(line)
        atomic.write_text(path, "".join(line + "\n" for line in kept))

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
        elif stage_name == "cloth_mask":
            columns["mask"] = (outputs["cloth_mask_logits"].numpy() > 0).astype(np.float32)
            columns["target"] = batch[keys.CLOTH_MASK]
        elif stage_name == "analyzer":
            columns.pop("cloth")
            height, width = batch[keys.PERSON].shape[1:3]
            columns["parse"] = np.argmax(outputs["parse_logits"].numpy(), -1)
            columns["target parse"] = batch[keys.SEGMENTATION]
            columns["heatmaps"] = _upsampled_max(outputs["keypoint_heatmaps"].numpy(), height, width)
            columns["target heatmaps"] = _upsampled_max(outputs["heatmap_targets"].numpy(), height, width)
        elif stage_name == "texture":
            inputs, _ = stage.texture_inputs(_tensors(batch))
            if "expected_segmentation" in inputs:
                columns["expected segmentation"] = np.argmax(inputs["expected_segmentation"].numpy(), -1)
            columns["try-on"] = outputs["tryon"].numpy()
            columns["target"] = batch[keys.PERSON]
        else:
            columns["target"] = batch[keys.CLOTH_WORN]
        grid = tryon_grid(columns)
        path = self.run.image_path(stage_name, step)
        save_png(path, grid)
        with writer.as_default(step=step):
            tf.summary.image(f"{stage_name}/grid", grid[None], step=step)
        return path


def _upsampled_max(heatmaps, height, width):
    """(B, h, w, K) heatmaps -> (B, H, W, 1) in [0, 1]: the max over keypoints, repeated."""
    peak = np.clip(heatmaps.max(axis=-1, keepdims=True), 0.0, 1.0)
    return np.repeat(np.repeat(peak, height // peak.shape[1], 1), width // peak.shape[2], 2)


def _tensors(batch):
    """Numeric entries of a numpy batch as tensors (names and other strings dropped)."""
    return {k: tf.convert_to_tensor(v) for k, v in batch.items() if np.asarray(v).dtype.kind not in "OSU"}
