"""Tiny runs and synthetic data for the export and inference tests."""

from __future__ import annotations

import os

import numpy as np

# The tiny preset with random weights is far more sensitive to quantisation than
# a trained model (its segmentation logits are near ties, so a small error flips
# classes that the random texture network then renders very differently). The
# tests check that parity is measured and enforced, with thresholds that a
# random tiny model meets; the export's defaults are for trained models.
TEST_THRESHOLDS = {
    "fp16": {"min_psnr": 30.0, "min_ssim": 0.9},
    "dynamic": {"min_psnr": 18.0, "min_ssim": 0.5},
    "int8": {"min_psnr": 15.0, "min_ssim": 0.3},
}


def make_run(directory, preset: str = "tiny", seed: int = 0) -> str:
    """A "trained" run directory: config.json + sievenet.keras with random weights.

    The regressors' last dense layers are zero-initialised (identity warp); they
    are nudged so that the warps are not the identity.
    """
    import keras

    from sievenet_tf.config import get_preset
    from sievenet_tf.models import build_sievenet

    config = get_preset(preset)
    keras.utils.set_random_seed(seed)
    sievenet = build_sievenet(config)
    rng = np.random.default_rng(seed)
    for variable in sievenet.weights:
        if variable.path.endswith("regressor_dense/kernel"):
            variable.assign(rng.normal(scale=0.02, size=variable.shape).astype("float32"))
    os.makedirs(directory, exist_ok=True)
    sievenet.save(os.path.join(directory, "sievenet.keras"))
    config.save(os.path.join(directory, "config.json"))
    return os.fspath(directory)


def make_data(directory, num_train: int = 12, num_test: int = 4, image_size=(64, 48)) -> str:
    """A small synthetic dataset in the CP-VTON layout."""
    from sievenet_tf.data.synthetic import generate

    return os.fspath(
        generate(directory, num_train, num_test, image_size=image_size, seed=0, progress=False)
    )
