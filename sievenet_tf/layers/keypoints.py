"""Keypoint heatmaps: training targets, decoding with sub-pixel refinement, and the
left/right swaps of a horizontal flip.

Conventions (those of :mod:`sievenet_tf.layers.priors` and OpenPose):

* Keypoints are (x, y, confidence) in pixel-index units at the image size:
  pixel (row i, column j) has centre (x, y) = (j, i). Confidence 0 = missing,
  and a missing point is (0, 0, 0).
* A heatmap of stride ``s`` has pixel ``j`` standing for image coordinate
  ``s * j + (s - 1) / 2``, the centre of the s x s image pixels it covers.
* Decoding: the arg-max pixel of each heatmap, refined to sub-pixel precision
  by a parabola through the log of the peak and its two neighbours along each
  axis (exact for a Gaussian peak, whose log is a parabola; DARK, Zhang et al.
  2020, without the cross term). Confidence is the peak value clipped to
  [0, 1]; below ``threshold`` the point is missing exactly as a missing
  OpenPose point is, so the priors code needs no special case.

Everything in the decoder lowers to TFLite builtins (``ARG_MAX``, ``FLOOR_DIV``,
comparisons, ``SUM``, ``LOG``, ``MAXIMUM``, ``SELECT``): it runs inside the
exported ``photo`` graph, kept float in the int8 model.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from sievenet_tf import labels
from sievenet_tf.layers.priors import keypoint_maps

# Below this a heatmap value counts as 0 for the log-parabola refinement.
_REFINE_FLOOR = 1e-3


def _swap_permutation(names, pairs) -> np.ndarray:
    """Index permutation that exchanges names with prefix ``a`` and ``b`` for each (a, b)."""
    index = {name: i for i, name in enumerate(names)}
    permutation = np.arange(len(names), dtype=np.int32)
    for i, name in enumerate(names):
        for a, b in pairs:
            for x, y in ((a, b), (b, a)):
                if name.startswith(x) and y + name[len(x) :] in index:
                    permutation[i] = index[y + name[len(x) :]]
    return permutation


# FLIP_KEYPOINTS[i]: the COCO-18 index that keypoint i becomes in a mirrored image
# (r_shoulder <-> l_shoulder, ..., r_ear <-> l_ear).
FLIP_KEYPOINTS = _swap_permutation(labels.COCO18_KEYPOINT_NAMES, [("r_", "l_")])
# FLIP_CLASSES[c]: the model class that class c becomes in a mirrored image
# (left_arm <-> right_arm, left_leg <-> right_leg, left_shoe <-> right_shoe).
FLIP_CLASSES = _swap_permutation(labels.MODEL_CLASS_NAMES, [("left_", "right_")])


def to_heatmap_coordinates(keypoints, stride: int):
    """(B, K, 3) image-pixel keypoints -> heatmap-pixel keypoints (confidence kept)."""
    keypoints = tf.cast(keypoints, tf.float32)
    offset = (stride - 1) / 2.0
    xy = (keypoints[..., :2] - offset) / float(stride)
    return tf.concat([xy, keypoints[..., 2:3]], axis=-1)


def heatmap_targets(keypoints, heatmap_size, stride: int, sigma: float):
    """Gaussian regression targets of peak 1, all zero for missing keypoints.

    Args:
        keypoints: (B, K, 3) (x, y, confidence) in image pixels; confidence 0 = missing.
        heatmap_size: (h, w) of the heatmaps.
        stride: image pixels per heatmap pixel.
        sigma: Gaussian standard deviation in heatmap pixels.

    Returns:
        float32 (B, h, w, K) in [0, 1].
    """
    return keypoint_maps(to_heatmap_coordinates(keypoints, stride), heatmap_size, "gaussian", sigma)


def _parabola_offset(before, peak, after, valid):
    """Sub-pixel offset of the maximum of the parabola through log(before, peak, after)."""
    log_before = tf.math.log(tf.maximum(before, _REFINE_FLOOR))
    log_peak = tf.math.log(tf.maximum(peak, _REFINE_FLOOR))
    log_after = tf.math.log(tf.maximum(after, _REFINE_FLOOR))
    slope = 0.5 * (log_after - log_before)
    curvature = log_after - 2.0 * log_peak + log_before
    concave = tf.logical_and(valid, curvature < 0.0)
    offset = -slope / tf.where(concave, curvature, -tf.ones_like(curvature))
    return tf.where(concave, tf.clip_by_value(offset, -0.5, 0.5), tf.zeros_like(offset))


def decode_heatmaps(heatmaps, stride: int, threshold: float):
    """Keypoints from heatmaps: arg-max, log-parabola sub-pixel refinement, confidence.

    Args:
        heatmaps: (B, h, w, K) float (static h, w).
        stride: image pixels per heatmap pixel.
        threshold: a peak below it makes the keypoint missing (0, 0, 0).

    Returns:
        float32 (B, K, 3): (x, y, confidence) in image pixels (see the module docstring).
    """
    heatmaps = tf.cast(heatmaps, tf.float32)
    height, width, count = (int(v) for v in heatmaps.shape[1:])
    flat = tf.reshape(heatmaps, (-1, height * width, count))  # (batch, h * w, K)
    index = tf.argmax(flat, axis=1, output_type=tf.int32)  # (batch, K)
    peak = tf.reduce_max(flat, axis=1)
    row = tf.math.floordiv(index, width)
    column = index - row * width
    xs = tf.range(width, dtype=tf.int32)[None, :, None]  # (1, w, 1)
    ys = tf.range(height, dtype=tf.int32)[None, :, None]  # (1, h, 1)
    dx = xs - column[:, None, :]  # (batch, w, K)
    dy = ys - row[:, None, :]  # (batch, h, K)
    # The heatmap's row and column through each peak.
    peak_row = tf.reduce_sum(heatmaps * tf.cast(tf.equal(dy, 0), tf.float32)[:, :, None, :], 1)
    peak_col = tf.reduce_sum(heatmaps * tf.cast(tf.equal(dx, 0), tf.float32)[:, None, :, :], 2)

    def at(line, distance, delta):  # value at offset delta along the line, 0 outside
        return tf.reduce_sum(line * tf.cast(tf.equal(distance, delta), tf.float32), axis=1)

    offset_x = _parabola_offset(
        at(peak_row, dx, -1), peak, at(peak_row, dx, 1),
        tf.logical_and(column > 0, column < width - 1),
    )  # fmt: skip
    offset_y = _parabola_offset(
        at(peak_col, dy, -1), peak, at(peak_col, dy, 1),
        tf.logical_and(row > 0, row < height - 1),
    )  # fmt: skip
    centre = (stride - 1) / 2.0
    x = (tf.cast(column, tf.float32) + offset_x) * float(stride) + centre
    y = (tf.cast(row, tf.float32) + offset_y) * float(stride) + centre
    confidence = tf.clip_by_value(peak, 0.0, 1.0)
    present = tf.cast(confidence >= threshold, tf.float32)
    return tf.stack([x * present, y * present, confidence * present], axis=-1)


def flip_keypoints(keypoints, width: int):
    """Keypoints of the horizontally mirrored image: x -> W - 1 - x, left <-> right.

    Missing points stay (0, 0, 0). ``keypoints``: (B, K, 3) with K = 18 (COCO-18).
    """
    keypoints = tf.cast(keypoints, tf.float32)
    present = tf.cast(keypoints[..., 2:3] > 0.0, tf.float32)
    mirrored = tf.concat(
        [(float(width - 1) - keypoints[..., 0:1]) * present, keypoints[..., 1:3]], axis=-1
    )
    return tf.gather(mirrored, FLIP_KEYPOINTS, axis=1)


def flip_classes(segmentation):
    """Model class ids of the mirrored parse: left_* <-> right_* (no spatial flip)."""
    return tf.gather(tf.constant(FLIP_CLASSES), tf.cast(segmentation, tf.int32))


@keras.saving.register_keras_serializable(package="sievenet_tf")
class KeypointDecoder(keras.layers.Layer):
    """:func:`decode_heatmaps` as a layer: (B, h, w, K) heatmaps -> (B, K, 3) keypoints.

    Args:
        stride: image pixels per heatmap pixel.
        threshold: minimum peak of a present keypoint.
    """

    def __init__(self, stride: int = 2, threshold: float = 0.3, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if int(stride) < 1:
            raise ValueError(f"stride must be >= 1, got {stride}")
        if not 0.0 < float(threshold) <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        self.stride = int(stride)
        self.threshold = float(threshold)

    def call(self, heatmaps):
        return decode_heatmaps(heatmaps, self.stride, self.threshold)

    def compute_output_shape(self, shape):
        return (shape[0], shape[-1], 3)

    def get_config(self):
        config = super().get_config()
        config.update({"stride": self.stride, "threshold": self.threshold})
        return config
