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


PHOTO_TEST_THRESHOLDS = {
    # A random tiny analyzer's parse logits are near ties everywhere: quantisation
    # flips many pixels. The tests check that parity is measured and enforced.
    "fp16": {"min_parse_agreement": 0.9, "min_keypoint_agreement": 0.9, "max_keypoint_px": 64.0},
    "dynamic": {"min_parse_agreement": 0.0, "min_keypoint_agreement": 0.0},
    "int8": {"min_parse_agreement": 0.0, "min_keypoint_agreement": 0.0},
}


def add_analyzer(run_dir, confident: bool = True, seed: int = 0) -> str:
    """Give a tiny run a "trained" person analyzer (random weights).

    ``confident``: the heatmap head's bias is set to +1 (kernel 0), so every
    keypoint is found (at the heatmaps' first pixel); otherwise -1, so none is
    and the photo path reports "no person found".
    """
    import keras

    from sievenet_tf.models import build_person_analyzer
    from sievenet_tf.run import Run

    run = Run(run_dir)
    keras.utils.set_random_seed(seed)
    analyzer = build_person_analyzer(run.config)
    head = analyzer.get_layer("heatmap_head")
    head.kernel.assign(np.zeros(head.kernel.shape, np.float32))
    head.bias.assign(np.full(head.bias.shape, 1.0 if confident else -1.0, np.float32))
    os.makedirs(os.path.join(run_dir, "models"), exist_ok=True)
    run.save_network("analyzer", analyzer)
    return os.fspath(run_dir)
