"""What survives a signal during set-up or evaluation, a torn log record, and SIGKILL
in the middle of a checkpoint write, a log write or an export."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sievenet_tf.config import get_preset, override
from sievenet_tf.data.source import ArrayDataSource
from sievenet_tf.training.trainer import Trainer, TrainingInterrupted
from tests.training.run_trainer import random_examples

REPO = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("kill_harness.py")


def _config(*assignments):
    return override(get_preset("tiny"), [
        "train.batch_size=4", "train.log_every=1", "train.image_every=1000",
        "train.checkpoint_every=2", "train.warp_steps=4", *assignments,
    ])


def _source(config):
    return ArrayDataSource(random_examples(config, 8, 1), random_examples(config, 4, 2))


def test_a_signal_during_the_heldout_evaluation_stops_before_the_first_step(tmp_path, monkeypatch):
    config = _config()
    trainer = Trainer(config, tmp_path, _source(config), log=lambda s: None)
    evaluate = trainer.evaluate_stage

    def evaluate_then_signal(stage):
        result = evaluate(stage)
        trainer._on_signal(signal.SIGINT, None)  # Ctrl-C arrives while evaluating
        return result

    monkeypatch.setattr(trainer, "evaluate_stage", evaluate_then_signal)
    with pytest.raises(TrainingInterrupted, match="after the held-out evaluation at step 0"):
        trainer.train(["warp"])
    assert not (tmp_path / "logs" / "warp.jsonl").exists()  # no step was trained


def test_a_signal_before_a_stage_stops_at_once(tmp_path):
    config = _config()
    trainer = Trainer(config, tmp_path, _source(config), log=lambda s: None)
    original = trainer.prepare_run_dir

    def prepare_then_signal():
        original()
        trainer._on_signal(signal.SIGTERM, None)

    trainer.prepare_run_dir = prepare_then_signal
    with pytest.raises(TrainingInterrupted, match="before the warp stage"):
        trainer.train(["warp"])
    assert not (tmp_path / "checkpoints" / "warp").exists()


def test_a_torn_last_log_record_is_skipped_on_resume(tmp_path):
    config = _config()
    Trainer(config, tmp_path, _source(config), log=lambda s: None).train(["warp"])
    log_path = tmp_path / "logs" / "warp.jsonl"
    lines = log_path.read_text().splitlines()
    # Keep the checkpoint of step 2, as a kill after step 3's log write would.
    (tmp_path / "checkpoints" / "warp" / "checkpoint").write_text(
        'model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-2"\n'
    )
    log_path.write_text("\n".join(lines[:3]) + "\n" + lines[3][:17])
    notes = []
    resumed = override(config, ["train.warp_steps=5"])
    Trainer(resumed, tmp_path, _source(resumed), resume=True, log=notes.append).train(["warp"])
    assert any("skipped a torn last record" in note for note in notes)
    steps = [json.loads(line)["step"] for line in log_path.read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5]


def _harness(*args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(HARNESS), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("moment", ["checkpoint", "log"])
def test_sigkill_while_writing_then_resume(moment, tmp_path):
    killed = _harness("train", tmp_path / "run", moment)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    resumed = _harness("train", tmp_path / "run", "none")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr
    steps = [json.loads(line)["step"] for line in (tmp_path / "run" / "logs" / "warp.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert (tmp_path / "run" / "models" / "warper.keras").is_file()


def test_sigkill_during_an_export_keeps_the_previous_export(tmp_path):
    first = _harness("export", tmp_path, "none")
    assert first.returncode == 0, first.stderr[-3000:]
    contract = (tmp_path / "export" / "model_contract.json").read_bytes()
    killed = _harness("export", tmp_path, "export")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert (tmp_path / "export" / "model_contract.json").read_bytes() == contract
    check = _harness("tryon", tmp_path, "none")
    assert check.returncode == 0, check.stderr[-3000:]
