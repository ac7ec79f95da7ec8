"""Nothing is lost on interruption, and --resume continues the exact loss
trajectory of an uninterrupted run (fixed seed, CPU, op determinism)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("run_trainer.py")
REPO = Path(__file__).resolve().parents[2]
ARGS = ["--stages", "warp,texture", "--steps", "6", "--checkpoint-every", "2"]


def _command(out, *extra):
    return [sys.executable, str(SCRIPT), "--out", str(out), *ARGS, *extra]


def _env():
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _log(run, stage):
    path = run / "logs" / f"{stage}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wait_for(process, run, stage, steps, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(_log(run, stage)) >= steps:
            return
        if process.poll() is not None:
            pytest.fail(f"training ended (code {process.returncode}) before {stage} step {steps}")
        time.sleep(0.02)
    pytest.fail("timed out waiting for training progress")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    run = tmp_path_factory.mktemp("uninterrupted")
    result = subprocess.run(_command(run), env=_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return {stage: _log(run, stage) for stage in ("warp", "texture")}


def _assert_same_trajectory(run, reference):
    for stage in ("warp", "texture"):
        logged = _log(run, stage)
        assert [e["step"] for e in logged] == [e["step"] for e in reference[stage]], stage
        for ours, theirs in zip(logged, reference[stage]):
            assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-7), (stage, ours["step"])


def test_resume_after_sigkill_reproduces_the_uninterrupted_run(tmp_path, reference):
    process = subprocess.Popen(_command(tmp_path), env=_env(), stderr=subprocess.PIPE, text=True)
    _wait_for(process, tmp_path, "texture", 3)  # killed mid-way through the second stage
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert (tmp_path / "models" / "warper.keras").exists()
    resumed = subprocess.run(_command(tmp_path, "--resume"), env=_env(), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr
    _assert_same_trajectory(tmp_path, reference)


def test_sigint_saves_a_checkpoint_and_resume_continues(tmp_path, reference):
    process = subprocess.Popen(_command(tmp_path), env=_env(), stderr=subprocess.PIPE, text=True)
    _wait_for(process, tmp_path, "warp", 3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err[-3000:]
    assert "checkpoint saved" in err and "--resume" in err
    interrupted_at = len(_log(tmp_path, "warp"))
    checkpoints = sorted(p.name for p in (tmp_path / "checkpoints" / "warp").glob("ckpt-*.index"))
    assert f"ckpt-{interrupted_at}.index" in checkpoints  # saved at the step it stopped
    resumed = subprocess.run(_command(tmp_path, "--resume"), env=_env(), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _assert_same_trajectory(tmp_path, reference)
