"""Evaluation metrics: pure functions on NumPy (or TF) arrays.

Every function takes images as ``(B, H, W, C)`` (or a single ``(H, W, C)``)
arrays. The model works in [-1, 1]; the image metrics expect [0, 1]
(:func:`to_unit_range` converts) so that their numbers match the field's
conventions. Per-image functions return one value per image; the evaluation
averages them over the test set.

Protocols (also in ``docs/evaluation.md``):

* **SSIM** — Wang et al. 2004 with an 11 x 11 Gaussian window (sigma 1.5,
  normalised), K1 = 0.01, K2 = 0.03, data range 1, population (not sample)
  statistics, computed per channel on the "valid" region (window fully inside
  the image) and averaged over channels and pixels. Equal to
  ``skimage.metrics.structural_similarity(a, b, channel_axis=-1,
  gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)``.
* **PSNR** — ``10 log10(1 / MSE)`` per image (MSE over all pixels and
  channels, data range 1); ``inf`` for identical images.
* **Warp L1** — mean absolute difference per image over all pixels and
  channels, on the [0, 1] scale (half the [-1, 1] value the warp loss sees).
* **Mask IoU** — masks binarised at 0.5; ``|P and T| / |P or T|`` per image;
  1.0 when both masks are empty.
* **Segmentation IoU** — from a confusion matrix accumulated over the whole
  test set (not per image); mIoU averages the classes that occur in the
  targets or the predictions (union > 0).
* **FID** — Fréchet distance between Gaussians fitted to Inception-v3 pool
  features (:func:`frechet_distance`, computed from the features by
  :func:`frechet_distance_of_features`); features from pytorch-fid's network
  (:mod:`sievenet_tf.field_metrics`) or, not comparable with published FID,
  :class:`InceptionFeatures`.
"""

from __future__ import annotations

import os

import numpy as np

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _numpy(values, dtype=np.float64) -> np.ndarray:
    if hasattr(values, "numpy"):
        values = values.numpy()
    return np.asarray(values, dtype=dtype)


def _batched(images) -> np.ndarray:
    images = _numpy(images)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4:
        raise ValueError(f"expected (B, H, W, C) or (H, W, C) images, got shape {images.shape}")
    return images


def _check_pair(a, b):
    a, b = _batched(a), _batched(b)
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {a.shape} vs {b.shape}")
    return a, b


def to_unit_range(images) -> np.ndarray:
    """[-1, 1] model images -> [0, 1] float64 (values outside are kept, not clipped)."""
    return (_numpy(images) + 1.0) / 2.0


# --------------------------------------------------------------------- SSIM


def gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """1-D normalised Gaussian taps (the 2-D window is their outer product)."""
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum()


def _filter_valid(images: np.ndarray, taps: np.ndarray) -> np.ndarray:
    # Separable "valid" filtering along H then W: (B, H, W, C) -> (B, H-k+1, W-k+1, C).
    windows = np.lib.stride_tricks.sliding_window_view(images, len(taps), axis=1)
    images = windows @ taps  # (B, H - k + 1, W, C)
    windows = np.lib.stride_tricks.sliding_window_view(images, len(taps), axis=2)
    return windows @ taps


def ssim_map(a, b, data_range: float = 1.0, window_size: int = SSIM_WINDOW,
             sigma: float = SSIM_SIGMA, k1: float = SSIM_K1, k2: float = SSIM_K2) -> np.ndarray:
    """Local SSIM (Wang et al. 2004, eq. 13) on the valid region, per channel.

    Args:
        a, b: images (B, H, W, C) or (H, W, C) in [0, data_range].
        data_range: L in C1 = (K1 L)^2, C2 = (K2 L)^2.
        window_size, sigma: the Gaussian window.
        k1, k2: the stabilising constants.

    Returns:
        float64 (B, H - window_size + 1, W - window_size + 1, C).
    """
    a, b = _check_pair(a, b)
    height, width = a.shape[1:3]
    if height < window_size or width < window_size:
        raise ValueError(
            f"images of {height}x{width} are smaller than the {window_size}x{window_size} SSIM window"
        )
    taps = gaussian_window(window_size, sigma)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    mean_a, mean_b = _filter_valid(a, taps), _filter_valid(b, taps)
    # Population (1/N-weighted) statistics: use_sample_covariance=False in skimage.
    var_a = _filter_valid(a * a, taps) - mean_a * mean_a
    var_b = _filter_valid(b * b, taps) - mean_b * mean_b
    covariance = _filter_valid(a * b, taps) - mean_a * mean_b
    numerator = (2 * mean_a * mean_b + c1) * (2 * covariance + c2)
    denominator = (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    return numerator / denominator


def ssim(a, b, data_range: float = 1.0, **window) -> np.ndarray:
    """Mean SSIM per image (see the module docstring for the protocol).

    Args:
        a, b: images (B, H, W, C) or (H, W, C) in [0, data_range].
        data_range: the images' value range (1 for [0, 1]).
        **window: ``window_size``, ``sigma``, ``k1``, ``k2`` of :func:`ssim_map`.

    Returns:
        float64 (B,): the SSIM map averaged over channels and valid pixels.
    """
    return ssim_map(a, b, data_range, **window).mean(axis=(1, 2, 3))


# --------------------------------------------------------------------- PSNR


def psnr(a, b, data_range: float = 1.0) -> np.ndarray:
    """PSNR per image: ``10 log10(data_range^2 / MSE)``, MSE over pixels and channels.

    Returns:
        float64 (B,); ``inf`` where the images are identical.
    """
    a, b = _check_pair(a, b)
    mse = np.mean((a - b) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(data_range**2 / mse)


def mean_signed_error(a, b) -> np.ndarray:
    """Mean of ``a - b`` per image, over pixels and channels: (B,).

    Positive where ``a`` is brighter than ``b`` on average. A global brightness or
    colour shift moves it; blur and noise leave it near zero.
    """
    a, b = _check_pair(a, b)
    return np.mean(a - b, axis=(1, 2, 3))


def psnr_shift_free(a, b, data_range: float = 1.0) -> np.ndarray:
    """PSNR per image after removing ``a``'s per-channel mean offset from ``b``.

    ``a - mean_c(a - b)`` against ``b``: what the PSNR would be without a global
    brightness or colour shift. :func:`psnr` minus this splits a PSNR gap into the
    shift and the rest (structure, blur, noise).
    """
    a, b = _check_pair(a, b)
    offset = np.mean(a - b, axis=(1, 2), keepdims=True)
    return psnr(a - offset, b, data_range)


# --------------------------------------------------------------------- warp


def l1_distance(a, b) -> np.ndarray:
    """Mean absolute difference per image, over pixels and channels: (B,)."""
    a, b = _check_pair(a, b)
    return np.mean(np.abs(a - b), axis=(1, 2, 3))


def mask_iou(prediction, target, threshold: float = 0.5) -> np.ndarray:
    """IoU per image of two masks binarised with ``value > threshold``.

    Args:
        prediction, target: (B, H, W, 1), (B, H, W) or (H, W, 1) masks in [0, 1].
        threshold: binarisation threshold.

    Returns:
        float64 (B,): ``|P and T| / |P or T|``; 1.0 where both masks are empty
        (they agree perfectly), 0.0 where exactly one is empty.
    """
    prediction, target = _numpy(prediction), _numpy(target)
    if prediction.shape != target.shape:
        raise ValueError(f"mask shapes differ: {prediction.shape} vs {target.shape}")
    if prediction.ndim == 2 or (prediction.ndim == 3 and prediction.shape[-1] == 1):
        prediction, target = prediction[None], target[None]
    axes = tuple(range(1, prediction.ndim))
    p, t = prediction > threshold, target > threshold
    intersection = np.sum(p & t, axis=axes).astype(np.float64)
    union = np.sum(p | t, axis=axes).astype(np.float64)
    return np.where(union > 0, intersection / np.maximum(union, 1), 1.0)


# -------------------------------------------------------------- segmentation


def confusion_matrix(prediction, target, num_classes: int) -> np.ndarray:
    """Confusion counts ``[target, prediction]`` of integer label maps.

    Args:
        prediction, target: class ids of any equal shape, in ``[0, num_classes)``.
        num_classes: C.

    Returns:
        int64 (C, C); add the matrices of several batches to accumulate.
    """
    prediction, target = _numpy(prediction, np.int64).ravel(), _numpy(target, np.int64).ravel()
    if prediction.shape != target.shape:
        raise ValueError(f"label map sizes differ: {prediction.shape} vs {target.shape}")
    for name, values in (("prediction", prediction), ("target", target)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} has class ids outside [0, {num_classes})")
    counts = np.bincount(target * num_classes + prediction, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def segmentation_iou(confusion) -> tuple[np.ndarray, float]:
    """Per-class IoU and mIoU from a (C, C) confusion matrix ``[target, prediction]``.

    Returns:
        (iou, miou): float64 (C,) with NaN for classes absent from both targets
        and predictions, and the mean over the other classes (NaN if none).
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    intersection = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - intersection
    iou = np.where(union > 0, intersection / np.maximum(union, 1), np.nan)
    present = union > 0
    miou = float(iou[present].mean()) if present.any() else float("nan")
    return iou, miou


def pixel_accuracy(confusion) -> float:
    """Fraction of pixels whose predicted class is the target class."""
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum()
    return float(np.trace(confusion) / total) if total else float("nan")


# ----------------------------------------------------------------------- FID


def frechet_distance(mean_a, covariance_a, mean_b, covariance_b) -> float:
    """Fréchet distance of two Gaussians (Heusel et al. 2017, the FID formula).

    ``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``. The trace of the
    matrix square root is computed as the sum of the square roots of the
    eigenvalues of ``S_a^(1/2) S_b S_a^(1/2)`` (symmetric PSD, so ``eigh``
    is stable; tiny negative eigenvalues from round-off are clipped to 0).
    """
    mean_a, mean_b = _numpy(mean_a), _numpy(mean_b)
    covariance_a, covariance_b = _numpy(covariance_a), _numpy(covariance_b)
    values, vectors = np.linalg.eigh(covariance_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    middle = root_a @ covariance_b @ root_a
    trace_root = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)))
    difference = mean_a - mean_b
    return float(
        difference @ difference + np.trace(covariance_a) + np.trace(covariance_b) - 2 * trace_root
    )


def frechet_distance_of_features(features_a, features_b) -> float:
    """:func:`frechet_distance` of the :func:`feature_statistics` of two feature sets,
    computed without a D x D decomposition.

    With ``X_a``, ``X_b`` the centred (N, D) features, ``S = X^T X / (N - 1)``, the
    non-zero eigenvalues of ``S_a S_b`` are those of ``K K^T / ((N_a - 1)(N_b - 1))``
    with ``K = X_a X_b^T`` (N_a x N_b), so ``Tr((S_a S_b)^(1/2))`` is the sum of the
    singular values of ``K`` over ``sqrt((N_a - 1)(N_b - 1))``. Exact, and for
    N < D (every evaluation under 2048 images) far cheaper than the 2048 x 2048
    eigendecompositions: O(N^2 D) instead of O(D^3).

    Args:
        features_a, features_b: (N_a, D) and (N_b, D), N >= 2.

    Returns:
        The Fréchet distance (float).
    """
    a, b = _numpy(features_a), _numpy(features_b)
    for features in (a, b):
        if features.ndim != 2 or len(features) < 2:
            raise ValueError(f"need (N >= 2, D) features, got shape {features.shape}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}")
    mean_a, mean_b = a.mean(axis=0), b.mean(axis=0)
    centred_a, centred_b = a - mean_a, b - mean_b
    scale_a, scale_b = len(a) - 1, len(b) - 1
    trace_root = np.linalg.svd(centred_a @ centred_b.T, compute_uv=False).sum() / np.sqrt(
        scale_a * scale_b
    )
    difference = mean_a - mean_b
    return float(
        difference @ difference
        + np.sum(centred_a**2) / scale_a
        + np.sum(centred_b**2) / scale_b
        - 2 * trace_root
    )


def feature_statistics(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (sample, N - 1) covariance of (N, D) features, as pytorch-fid does."""
    features = _numpy(features)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need (N >= 2, D) features, got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


class FeaturesUnavailable(RuntimeError):
    """Feature-network weights cannot be had; the message says why."""


class InceptionFeatures:
    """Inception-v3 2048-d average-pool features of [-1, 1] images, for FID.

    Uses ``keras.applications.InceptionV3(include_top=False, pooling="avg")``
    on images resized bilinearly to 299 x 299 (Inception's own input range is
    [-1, 1], our images' range). These are Keras' ImageNet weights, not the
    TF-slim FID graph pytorch-fid and the paper use, so absolute FID values
    are not comparable with published ones; comparisons between runs
    evaluated here are.

    Args:
        weights: a local weights file (``.h5`` / ``.weights.h5`` of the
            no-top model) or ``"imagenet"`` (Keras downloads it once into
            ``~/.keras/models``). Random weights are refused: they give
            meaningless distances.

    Raises:
        FeaturesUnavailable: no weights given, a missing file, or a failed download.
    """

    SIZE = 299

    def __init__(self, weights):
        import keras

        if weights is None:
            raise FeaturesUnavailable(
                "no Inception-v3 weights given (pass a local file or 'imagenet')"
            )
        if weights != "imagenet" and not os.path.exists(weights):
            raise FeaturesUnavailable(f"Inception-v3 weights file {weights} does not exist")
        try:
            self.model = keras.applications.InceptionV3(
                include_top=False, pooling="avg", weights=weights,
                input_shape=(self.SIZE, self.SIZE, 3),
            )
        except Exception as e:  # a download error, or a file for another architecture
            raise FeaturesUnavailable(
                f"could not load Inception-v3 weights {weights!r}: {e}"
            ) from e

    def __call__(self, images) -> np.ndarray:
        """(B, H, W, 3) images in [-1, 1] -> float64 (B, 2048)."""
        import tensorflow as tf

        resized = tf.image.resize(tf.convert_to_tensor(_numpy(images, np.float32)),
                                  (self.SIZE, self.SIZE), method="bilinear", antialias=False)
        return _numpy(self.model(tf.clip_by_value(resized, -1.0, 1.0), training=False))
