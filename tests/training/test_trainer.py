import json

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf.config import get_preset, override
from sievenet_tf.data.source import ArrayDataSource
from sievenet_tf.data.stream import index_stream
from sievenet_tf.training.schedules import ConstantThenLinearDecay
from sievenet_tf.training.trainer import NonFiniteLossError, Trainer
from tests.training.run_trainer import random_examples


def _config(*assignments):
    return override(get_preset("tiny"), [
        "train.batch_size=4", "train.log_every=1", "train.image_every=1000",
        "train.checkpoint_every=1", "train.texture_on_gt_segmentation=true", *assignments,
    ])


def test_schedule_is_constant_then_linear_to_zero():
    schedule = ConstantThenLinearDecay(1e-3, total_steps=100, constant_steps=40)
    values = [float(schedule(step)) for step in (0, 39, 40, 70, 100, 150)]
    np.testing.assert_allclose(values, [1e-3, 1e-3, 1e-3, 5e-4, 0.0, 0.0], atol=1e-9)
    assert ConstantThenLinearDecay(**schedule.get_config()).get_config() == schedule.get_config()


def test_index_stream_is_deterministic_resumable_and_covers_each_epoch():
    full = list(index_stream(5, seed=3).take(12).as_numpy_iterator())
    assert sorted(full[:5]) == list(range(5)) and sorted(full[5:10]) == list(range(5))
    assert full[:5] != full[5:10]  # reshuffled each epoch
    resumed = list(index_stream(5, seed=3, start_position=7).take(5).as_numpy_iterator())
    assert resumed == full[7:12]
    assert list(index_stream(5, seed=4).take(5).as_numpy_iterator()) != full[:5]


class _PoisonedSource(ArrayDataSource):
    """Good batches, then NaN targets from global step ``poison_at`` on."""

    def __init__(self, config, poison_at):
        super().__init__(random_examples(config, 8, 1), random_examples(config, 4, 2))
        self.poison_at = poison_at

    def train_dataset(self, input_context, global_batch_size, start_step):
        good = super().train_dataset(input_context, global_batch_size, start_step)

        def poison(step, batch):
            batch = dict(batch)
            batch["cloth_worn"] = tf.where(
                step + start_step >= self.poison_at, np.float32(np.nan), batch["cloth_worn"]
            )
            return batch

        return tf.data.Dataset.zip(tf.data.Dataset.counter(), good).map(poison)


def test_non_finite_loss_stops_naming_step_and_term_and_keeps_last_good_checkpoint(tmp_path):
    config = _config("train.warp_steps=6")
    trainer = Trainer(config, tmp_path, _PoisonedSource(config, poison_at=3), log=lambda s: None)
    with pytest.raises(NonFiniteLossError, match=r"step 4: loss term 'warp/l1_coarse' is nan"):
        trainer.train(["warp"])
    checkpoint = tf.train.latest_checkpoint(tmp_path / "checkpoints" / "warp")
    assert checkpoint.endswith("ckpt-3")
    assert not (tmp_path / "models" / "warper.keras").exists()


def test_triplet_term_starts_at_k_and_snapshot_is_checkpointed(tmp_path):
    config = _config("train.texture_steps=5", "triplet.start_step=3", "triplet.refresh_every=1")
    source = ArrayDataSource(random_examples(config, 8, 1), random_examples(config, 4, 2))
    # the texture stage needs a trained warper on disk
    warp_config = override(config, ["train.warp_steps=1"])
    Trainer(warp_config, tmp_path, source, log=lambda s: None).train(["warp"])
    Trainer(config, tmp_path, source, resume=True, log=lambda s: None).train(["texture"])
    logged = [json.loads(line) for line in (tmp_path / "logs" / "texture.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in logged] == [1, 2, 3, 4, 5]
    assert all(entry["triplet"] == 0.0 for entry in logged[:3])
    assert all(entry["triplet"] > 0.0 for entry in logged[3:])
    names = [name for name, _ in tf.train.list_variables(str(tmp_path / "checkpoints" / "texture"))]
    assert any(name.startswith("snapshot/") for name in names)
    assert (tmp_path / "sievenet.keras").exists() is False  # no segmentation stage yet


def test_refusing_to_overwrite_a_run_without_resume(tmp_path):
    config = _config("train.warp_steps=1")
    source = ArrayDataSource(random_examples(config, 8, 1))
    Trainer(config, tmp_path, source, log=lambda s: None).train(["warp"])
    with pytest.raises(FileExistsError, match="--resume"):
        Trainer(config, tmp_path, source, log=lambda s: None).train(["warp"])
    assert json.loads((tmp_path / "config.json").read_text())["name"] == "tiny"


def test_xla_step_trains_like_the_plain_step(tmp_path):
    losses = {}
    for jit in (False, True):
        import keras

        keras.utils.set_random_seed(0)
        config = _config("train.warp_steps=2", f"train.jit={'true' if jit else 'false'}")
        source = ArrayDataSource(random_examples(config, 8, 1), random_examples(config, 4, 2))
        Trainer(config, tmp_path / str(jit), source, log=lambda s: None).train(["warp"])
        logged = (tmp_path / str(jit) / "logs" / "warp.jsonl").read_text().splitlines()
        losses[jit] = [json.loads(line)["total"] for line in logged]
    np.testing.assert_allclose(losses[True], losses[False], rtol=1e-4)
