"""The embedded default dataset: the synthetic dataset, generated once per size and cached.

Commands given no ``--data`` (training, evaluation, the ablation, the demo)
train and evaluate on it, so that the whole pipeline runs on a fresh machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from sievenet_tf import atomic
from sievenet_tf.data import synthetic

SYNTHETIC_TRAIN, SYNTHETIC_TEST = 600, 64


def cache_directory(cache_dir=None) -> Path:
    """``cache_dir``, else ``$SIEVENET_CACHE``, else ``~/.cache/sievenet-tf``."""
    return Path(cache_dir or os.environ.get("SIEVENET_CACHE", Path.home() / ".cache" / "sievenet-tf"))


def synthetic_root(config, cache_dir=None, log=None) -> Path:
    """Generate (once) and return the cached synthetic dataset at ``config``'s size."""
    height, width = config.data.image_size
    root = cache_directory(cache_dir) / (
        f"synthetic_{height}x{width}_train{SYNTHETIC_TRAIN}_test{SYNTHETIC_TEST}_seed0"
    )
    done = root / ".complete"
    if not done.exists():
        if log is not None:
            log(f"generating the synthetic dataset in {root} (once) ...")
        synthetic.generate(root, SYNTHETIC_TRAIN, SYNTHETIC_TEST, (height, width), seed=0)
        atomic.write_text(done, "ok\n")
    return root
