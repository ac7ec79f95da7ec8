"""tf.distribute paths on a CPU-only machine: logical CPU devices and two
workers on localhost. Each run is a subprocess (device setup must precede TF
initialisation)."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).with_name("run_trainer.py")
REPO = Path(__file__).resolve().parents[2]
# Adam with a large epsilon updates by ~lr * gradient (not ~lr * sign(gradient),
# which turns float noise in near-zero gradients into full-size steps), so a wrong
# loss scaling across replicas shows up as a difference of the size of the update.
# The segmentation stage with batch norm: smooth (the warp's bilinear sampler has
# kinks at pixel centres, where an untrained identity warp samples, so float-order
# differences legitimately pick different one-sided gradients there), and the
# synchronized batch norm's cross-replica statistics are exercised.
SGD_LIKE = [
    "--stages", "segmentation", "--set", "segmentation.normalization=\"batch\"",
    "--set", "optimizer.epsilon=1.0", "--set", "optimizer.learning_rate=0.3",
]


def _run(args, env=None, timeout=300):
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=environment, capture_output=True, text=True,
        timeout=timeout,
    )


def _assert_same_weights(path_a, path_b, atol=2e-6):
    a, b = np.load(path_a), np.load(path_b)
    assert sorted(a.files) == sorted(b.files) and a.files
    for key in a.files:
        np.testing.assert_allclose(a[key], b[key], atol=atol, err_msg=key)


def test_mirrored_on_two_cpu_devices_matches_default_strategy(tmp_path):
    single = _run(["--out", str(tmp_path / "default"), "--dump", str(tmp_path / "default.npz"), *SGD_LIKE])
    assert single.returncode == 0, single.stderr[-3000:]
    mirrored = _run([
        "--out", str(tmp_path / "mirrored"), "--dump", str(tmp_path / "mirrored.npz"),
        "--strategy", "mirrored", "--cpu-devices", "2", *SGD_LIKE,
    ])
    assert mirrored.returncode == 0, mirrored.stderr[-3000:]
    assert "MirroredStrategy" not in single.stderr
    init = _run(["--out", str(tmp_path / "zero"), "--dump", str(tmp_path / "zero.npz"), "--steps", "0", *SGD_LIKE])
    assert init.returncode == 0, init.stderr[-2000:]
    initial, single_weights = np.load(tmp_path / "zero.npz"), np.load(tmp_path / "default.npz")
    mirrored_weights = np.load(tmp_path / "mirrored.npz")
    assert sorted(single_weights.files) == sorted(mirrored_weights.files)
    moved = [k for k in single_weights.files if "kernel" in k]
    for key in moved:
        update = np.abs(single_weights[key] - initial[key]).max()
        assert update > 1e-6, f"{key} did not train ({update})"
        difference = np.abs(single_weights[key] - mirrored_weights[key]).max()
        assert difference < 1e-2 * update, f"{key}: strategies differ by {difference}, update {update}"


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_on_localhost_agree(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    processes = []
    for index in range(2):
        env = {**environment, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        processes.append(subprocess.Popen(
            [sys.executable, str(SCRIPT), "--out", str(tmp_path / "run"), "--strategy", "multiworker",
             "--dump", str(tmp_path / f"worker{index}.npz"), "--steps", "3"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=400))
    finally:
        for process in processes:
            process.kill()
    for process, (_, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-3000:]
    _assert_same_weights(tmp_path / "worker0.npz", tmp_path / "worker1.npz", atol=0)
    # only the chief wrote the run directory's checkpoints
    assert (tmp_path / "run" / "checkpoints" / "warp" / "checkpoint").exists()
    assert (tmp_path / "run" / "models" / "warper.keras").exists()
