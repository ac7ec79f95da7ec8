"""Choosing a ``tf.distribute`` strategy from what the machine has."""

from __future__ import annotations

import json
import os

import tensorflow as tf

STRATEGIES = ("auto", "default", "mirrored", "multiworker")


def make_strategy(name: str = "auto") -> tf.distribute.Strategy:
    """Return the strategy for ``name``.

    * ``default``: one device (the first GPU, else the CPU).
    * ``mirrored``: ``MirroredStrategy`` over all local GPUs, or over all logical
      CPU devices when there is no GPU (how the distributed path is tested on CPU).
    * ``multiworker``: ``MultiWorkerMirroredStrategy`` configured from ``TF_CONFIG``.
    * ``auto``: ``multiworker`` when ``TF_CONFIG`` names more than one worker,
      ``mirrored`` with several GPUs, else ``default``.
    """
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}")
    if name == "auto":
        if _tf_config_workers() > 1:
            name = "multiworker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "multiworker":
        if _tf_config_workers() < 1:
            raise ValueError(
                "--strategy multiworker needs TF_CONFIG with a 'cluster' of workers and this "
                "process's 'task' (see README, 'Several machines')"
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())
    return tf.distribute.get_strategy()


def _tf_config_workers() -> int:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return 0
    try:
        config = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"TF_CONFIG is not valid JSON: {e}") from e
    return len(config.get("cluster", {}).get("worker", []))


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True on the process that writes checkpoints, logs and images."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type is None or task_type == "chief" or (task_type == "worker" and task_id == 0)


def split_cpu_devices(count: int) -> None:
    """Expose ``count`` logical CPU devices (call before TensorFlow initialises)."""
    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    )
