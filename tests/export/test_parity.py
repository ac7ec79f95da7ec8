"""Parity metrics and thresholds."""

import numpy as np
import pytest

from sievenet_tf.export.parity import ParityError, compare, psnr, raise_on_failure, ssim


def _outputs(rng, noise=0.0):
    tryon = rng.uniform(-1, 1, (1, 16, 12, 3)).astype(np.float32)
    return {
        "tryon": tryon + noise,
        "warped_cloth_coarse": tryon,
        "warped_cloth_fine": tryon,
        "composition_mask": np.zeros((1, 16, 12, 1), np.float32),
        "expected_segmentation": np.zeros((1, 16, 12), np.int32),
    }


def test_psnr_and_ssim():
    rng = np.random.default_rng(0)
    image = rng.uniform(-1, 1, (32, 24, 3))
    assert psnr(image, image) == float("inf")
    assert ssim(image, image) == pytest.approx(1.0)
    # An error of 0.02 everywhere on a [-1, 1] range (2): 20 log10(2 / 0.02) = 40 dB.
    assert psnr(image + 0.02, image) == pytest.approx(40.0)
    assert ssim(rng.uniform(-1, 1, (32, 24, 3)), image) < 0.2


def test_thresholds_fail_the_check(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "model.tflite"
    path.write_bytes(b"x")
    reference = [_outputs(np.random.default_rng(1))]
    noisy = [_outputs(np.random.default_rng(1), noise=0.1)]
    ok = compare("fp32", path, reference, reference, {"max_abs": 1e-4})
    assert ok.passed and ok.psnr == 999.0
    bad = compare("fp32", path, reference, noisy, {"max_abs": 1e-4})
    assert not bad.passed and "max abs difference" in bad.failures[0]
    low = compare("int8", path, reference, noisy, {"min_psnr": 30.0, "min_ssim": 0.5})
    assert low.psnr == pytest.approx(20 * np.log10(2 / 0.1), rel=1e-4)
    assert not low.passed and "PSNR" in low.failures[0]
    report = {"variants": {"int8": low.__dict__}}
    with pytest.raises(ParityError, match="int8: try-on PSNR"):
        raise_on_failure(report)
    del rng


def test_a_flipped_pixel_on_every_example_falls_back_to_the_warps(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"x")
    reference = [_outputs(np.random.default_rng(i)) for i in range(2)]
    flipped = []
    for ref in reference:
        out = {name: value.copy() for name, value in ref.items()}
        out["expected_segmentation"][0, 3, 4] = 5  # one pixel of 192 in another class
        out["tryon"][0, 3, 4] += 0.5  # the texture network renders it differently
        flipped.append(out)
    thresholds = {"max_abs": 1e-4, "min_segmentation_agreement": 0.99}
    result = compare("fp32", path, reference, flipped, thresholds)
    assert result.examples_segmentation_equal == 0
    assert result.segmentation_agreement == pytest.approx(191 / 192)
    assert result.passed, result.failures
    # ... but the warps are still held to max_abs on every example
    for out in flipped:
        out["warped_cloth_fine"] = out["warped_cloth_fine"] + 1e-3
    broken = compare("fp32", path, reference, flipped, thresholds)
    assert not broken.passed and "'warped_cloth_fine' > 0.0001" in broken.failures[0]
    # ... and more flips than the agreement threshold allows still fail
    many = [{**out, "expected_segmentation": np.full((1, 16, 12), 3, np.int32)} for out in reference]
    failed = compare("fp32", path, reference, many, thresholds)
    assert not failed.passed and "agrees on 0.0000% of pixels" in failed.failures[-1]
