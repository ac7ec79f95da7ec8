"""Metric correctness: SSIM against an independent loop implementation and skimage
golden values, PSNR of known noise, IoU and mIoU edge cases, the Fréchet distance."""

import numpy as np
import pytest

from sievenet_tf import metrics as M


def _reference_ssim(a, b, data_range=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    """Straightforward Wang et al. 2004: explicit 2-D Gaussian window, a loop over every
    valid window position and channel, weighted population statistics."""
    radius = size // 2
    ys, xs = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    window = np.exp(-(xs**2 + ys**2) / (2 * sigma**2))
    window /= window.sum()
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    height, width, channels = a.shape
    values = []
    for c in range(channels):
        for y in range(height - size + 1):
            for x in range(width - size + 1):
                pa, pb = a[y : y + size, x : x + size, c], b[y : y + size, x : x + size, c]
                mean_a, mean_b = np.sum(window * pa), np.sum(window * pb)
                var_a = np.sum(window * (pa - mean_a) ** 2)
                var_b = np.sum(window * (pb - mean_b) ** 2)
                cov = np.sum(window * (pa - mean_a) * (pb - mean_b))
                values.append(
                    (2 * mean_a * mean_b + c1) * (2 * cov + c2)
                    / ((mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2))
                )
    return float(np.mean(values))


def test_ssim_of_identical_images_is_one(rng):
    images = rng.uniform(0, 1, (2, 24, 20, 3))
    np.testing.assert_allclose(M.ssim(images, images), [1.0, 1.0], atol=1e-12)


def test_ssim_matches_independent_implementation(rng):
    a = rng.uniform(0, 1, (2, 19, 16, 3))
    b = np.clip(a + rng.normal(0, 0.2, a.shape), 0, 1)
    b[1] = rng.uniform(0, 1, b[1].shape)  # an unrelated image: SSIM near 0
    expected = [_reference_ssim(x, y) for x, y in zip(a, b)]
    np.testing.assert_allclose(M.ssim(a, b), expected, rtol=1e-10, atol=1e-12)
    # data range 255: the constants scale, the value does not
    np.testing.assert_allclose(M.ssim(a * 255, b * 255, data_range=255.0), expected, rtol=1e-9)
    # a single (H, W, C) image
    np.testing.assert_allclose(M.ssim(a[0], b[0]), expected[:1], rtol=1e-10)


def test_ssim_matches_skimage_golden_values():
    # Computed once with scikit-image 0.26.0 in a throwaway venv (skimage is not a
    # dependency): structural_similarity(x, y, channel_axis=-1, gaussian_weights=True,
    # sigma=1.5, use_sample_covariance=False, data_range=1.0), and peak_signal_noise_ratio.
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (3, 64, 48, 3))
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1)
    c = rng.uniform(0, 1, (3, 37, 29, 3))
    np.testing.assert_allclose(
        M.ssim(a, b), [0.9447983279749078, 0.9431387958897816, 0.9439281888338705], rtol=1e-12
    )
    np.testing.assert_allclose(
        M.ssim(a[:, :37, :29], c), [-0.01265013745001267, -3.4407235829634945e-05, -0.026411211107908446],
        rtol=1e-9, atol=1e-14,
    )
    np.testing.assert_allclose(
        M.psnr(a, b), [20.42487397985446, 20.36984451409853, 20.479766908825525], rtol=1e-12
    )


def test_ssim_rejects_bad_shapes(rng):
    with pytest.raises(ValueError, match="shapes differ"):
        M.ssim(rng.uniform(size=(1, 16, 16, 3)), rng.uniform(size=(1, 16, 12, 3)))
    with pytest.raises(ValueError, match="smaller than the 11x11"):
        M.ssim(np.zeros((1, 8, 16, 3)), np.zeros((1, 8, 16, 3)))


def test_psnr_of_known_noise():
    # A constant error of 0.1 everywhere: MSE = 0.01, PSNR = 10 log10(1 / 0.01) = 20 dB.
    a = np.full((2, 8, 6, 3), 0.5)
    np.testing.assert_allclose(M.psnr(a, a + 0.1), [20.0, 20.0])
    # +-0.05 (random signs): MSE = 0.0025 -> 26.0206 dB; identical images: inf.
    signs = np.random.default_rng(1).choice([-1.0, 1.0], a.shape)
    np.testing.assert_allclose(M.psnr(a, a + 0.05 * signs), 10 * np.log10(1 / 0.0025))
    assert np.all(np.isinf(M.psnr(a, a)))


def test_shift_metrics_split_a_global_offset_from_noise():
    rng = np.random.default_rng(2)
    target = rng.uniform(0.2, 0.8, (2, 8, 6, 3))
    noise = 0.05 * rng.choice([-1.0, 1.0], target.shape)
    offset = np.array([0.1, -0.02, 0.04])  # per channel
    shifted = target + noise + offset
    # the signed mean error is the channels' mean offset (+ the noise's small mean)
    np.testing.assert_allclose(
        M.mean_signed_error(shifted, target), offset.mean() + noise.mean(axis=(1, 2, 3)), atol=1e-12
    )
    # removing each channel's mean offset leaves exactly the noise's PSNR (noise minus its own
    # channel means), and more than the raw PSNR
    centred = noise - noise.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(M.psnr_shift_free(shifted, target), M.psnr(target + centred, target))
    assert np.all(M.psnr_shift_free(shifted, target) > M.psnr(shifted, target) + 3.0)
    # a pure offset is all the error there is: without it the images agree to rounding
    assert np.all(M.psnr(target + offset, target) < 25.0)
    assert np.all(M.psnr_shift_free(target + offset, target) > 200.0)
    assert np.all(M.mean_signed_error(target - 0.1, target) < 0)


def test_to_unit_range_and_l1_scale():
    model_images = np.array([-1.0, 0.0, 1.0]).reshape(1, 1, 3, 1)
    np.testing.assert_allclose(M.to_unit_range(model_images).ravel(), [0.0, 0.5, 1.0])
    # an L1 of 1 on [-1, 1] is 0.5 on [0, 1]
    a, b = np.zeros((1, 4, 4, 3)), np.ones((1, 4, 4, 3))
    np.testing.assert_allclose(M.l1_distance(M.to_unit_range(a), M.to_unit_range(b)), [0.5])


def test_mask_iou_edge_cases():
    empty = np.zeros((4, 4, 1))
    full = np.ones((4, 4, 1))
    half = np.zeros((4, 4, 1))
    half[:2] = 1
    soft = half * 0.6 + (1 - half) * 0.4  # binarised at 0.5 -> half
    predictions = np.stack([empty, empty, full, half, soft])
    targets = np.stack([empty, full, half, half, full])
    np.testing.assert_allclose(M.mask_iou(predictions, targets), [1.0, 0.0, 0.5, 1.0, 0.5])
    # (H, W) masks are one image
    np.testing.assert_allclose(M.mask_iou(half[..., 0], full[..., 0]), [0.5])


def test_segmentation_iou_counts_only_classes_present():
    target = np.array([[0, 0, 1, 1], [2, 2, 2, 2]])
    prediction = np.array([[0, 1, 1, 1], [2, 2, 3, 3]])
    confusion = M.confusion_matrix(prediction, target, num_classes=5)
    assert confusion.sum() == target.size and confusion[0, 1] == 1 and confusion[2, 3] == 2
    iou, miou = M.segmentation_iou(confusion)
    # class 0: 1/2, class 1: 2/3, class 2: 2/4, class 3 (predicted only): 0, class 4: absent
    np.testing.assert_allclose(iou[:4], [0.5, 2 / 3, 0.5, 0.0])
    assert np.isnan(iou[4])
    assert miou == pytest.approx((0.5 + 2 / 3 + 0.5 + 0.0) / 4)
    assert M.pixel_accuracy(confusion) == pytest.approx(5 / 8)
    # accumulating batches = one big batch
    double = M.confusion_matrix(prediction, target, 5) + M.confusion_matrix(target, target, 5)
    np.testing.assert_array_equal(
        double, M.confusion_matrix(np.stack([prediction, target]), np.stack([target, target]), 5)
    )
    with pytest.raises(ValueError, match="outside"):
        M.confusion_matrix(np.array([5]), np.array([0]), 5)
    _, empty_miou = M.segmentation_iou(np.zeros((3, 3)))
    assert np.isnan(empty_miou)


def test_frechet_distance_matches_closed_forms(rng):
    dim = 6
    mean = rng.normal(size=dim)
    root = rng.normal(size=(dim, dim))
    covariance = root @ root.T
    assert M.frechet_distance(mean, covariance, mean, covariance) == pytest.approx(0.0, abs=1e-8)
    # diagonal covariances: sum (sqrt(a) - sqrt(b))^2 plus the squared mean shift
    a, b = rng.uniform(0.5, 2, dim), rng.uniform(0.5, 2, dim)
    shift = rng.normal(size=dim)
    expected = shift @ shift + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert M.frechet_distance(mean, np.diag(a), mean + shift, np.diag(b)) == pytest.approx(expected)
    features = rng.normal(size=(50, 3))
    mu, sigma = M.feature_statistics(features)
    np.testing.assert_allclose(sigma, np.cov(features.T))


@pytest.mark.parametrize("counts", [(5, 7), (40, 60), (300, 200)])  # N < D, N ~ D, N > D
def test_frechet_distance_of_features_equals_the_covariance_formula(rng, counts):
    dim = 48
    mixing = rng.normal(size=(dim, dim))
    a = rng.normal(size=(counts[0], dim)) @ mixing
    b = rng.normal(size=(counts[1], dim)) @ (mixing * 0.7) + 0.4
    expected = M.frechet_distance(*M.feature_statistics(a), *M.feature_statistics(b))
    assert expected > 1
    assert M.frechet_distance_of_features(a, b) == pytest.approx(expected, rel=1e-7)
    # Identical sets: 0 up to round-off, relative to the covariance's trace.
    assert abs(M.frechet_distance_of_features(a, a)) < 1e-9 * np.trace(np.cov(a.T))
    with pytest.raises(ValueError, match="feature sizes differ"):
        M.frechet_distance_of_features(a, b[:, :3])
    with pytest.raises(ValueError, match="need"):
        M.frechet_distance_of_features(a[:1], b)


def test_inception_features_refuse_missing_weights(tmp_path):
    with pytest.raises(M.FeaturesUnavailable, match="no Inception-v3 weights"):
        M.InceptionFeatures(None)
    with pytest.raises(M.FeaturesUnavailable, match="does not exist"):
        M.InceptionFeatures(str(tmp_path / "missing.h5"))
