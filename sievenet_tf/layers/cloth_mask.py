"""The mask of a product photo's garment, computed in-graph (no learned weights).

Product photos (VITON's ``cloth`` folder, shop pages) show the garment flat on a
plain, light background. The mask is:

1. **threshold** — a pixel is cloth when its colour differs from the background
   colour (the mean of the photo's one-pixel border) by more than ``threshold``
   in some channel ([0, 1] units);
2. **closing** — dilation then erosion with a ``closing`` x ``closing`` square
   (max pools), which closes JPEG speckle and hairline gaps;
3. **hole filling** — background is what the border reaches: a flood fill from
   the border through non-cloth pixels, ``fill_steps`` 3x3 propagation steps at
   1 / ``fill_downsample`` resolution (each step reaches one coarse cell
   further). Non-cloth pixels that it does not reach (a white print on a
   shirt, a light lining) are holes and become cloth.

Every step is ``MAX_POOL_2D``, ``RESIZE_NEAREST_NEIGHBOR``, comparisons and
element-wise arithmetic: TFLite builtins, kept float in the int8 model. It
fails where its assumption fails: a garment of the background's colour (a white
shirt on white), a textured or dark background, or a garment cut by the border.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def _max_pool(x, size):
    return tf.nn.max_pool2d(x, size, 1, "SAME")


def _closing(mask, size):
    """Dilation then erosion with a ``size`` x ``size`` square (max pools); 1: unchanged."""
    return -_max_pool(-_max_pool(mask, size), size) if size > 1 else mask


def border_color(images):
    """Mean colour of the one-pixel border: (B, H, W, C) -> (B, 1, 1, C)."""
    frame = tf.concat(
        [images[:, 0, :, :], images[:, -1, :, :], images[:, :, 0, :], images[:, :, -1, :]], axis=1
    )  # (batch, 2 W + 2 H, C)
    return tf.reduce_mean(frame, axis=1)[:, None, None, :]


def cloth_mask_from_photo(
    cloth, threshold: float = 0.04, closing: int = 3, fill_steps: int = 48, fill_downsample: int = 4
):
    """Mask of the garment of product photos (see the module docstring).

    Args:
        cloth: (B, H, W, 3) float in [-1, 1] (static H, W).
        threshold: minimum colour difference to the background, [0, 1] units.
        closing: side of the closing square in pixels (1: no closing).
        fill_steps: flood-fill propagation steps (0: no hole filling).
        fill_downsample: the flood fill runs on f x f cells.

    Returns:
        float32 (B, H, W, 1) in {0, 1}.
    """
    image = (tf.cast(cloth, tf.float32) + 1.0) * 0.5
    difference = tf.reduce_max(tf.abs(image - border_color(image)), axis=-1, keepdims=True)
    mask = tf.cast(difference > threshold, tf.float32)  # (batch, H, W, 1)
    return fill_holes(_closing(mask, closing), fill_steps, fill_downsample)


def fill_holes(mask, fill_steps: int = 48, fill_downsample: int = 4):
    """Background is what the border reaches; every other pixel becomes mask.

    A flood fill from the image border through non-mask pixels: ``fill_steps``
    3x3 propagation steps on ``fill_downsample`` x ``fill_downsample`` cells (a
    cell is mask when any of its pixels is, so the fill does not leak through a
    seam thinner than a cell). Mask pixels stay mask; non-mask pixels the fill
    does not reach (a white print inside a white garment's outline) become mask.

    Args:
        mask: float (B, H, W, 1) in {0, 1} (static H, W).
        fill_steps: propagation steps (0: the mask unchanged).
        fill_downsample: the fill runs on cells of this side.

    Returns:
        float32 (B, H, W, 1) in {0, 1}, a superset of ``mask``.
    """
    mask = tf.cast(mask, tf.float32)
    height, width = int(mask.shape[1]), int(mask.shape[2])
    if fill_steps < 1:
        return mask
    factor = max(1, int(fill_downsample))
    # A coarse cell is cloth when any of its pixels is: the fill never leaks through
    # a thin seam of cloth.
    cells = tf.nn.max_pool2d(mask, factor, factor, "SAME") if factor > 1 else mask
    free = 1.0 - cells
    rows, columns = int(cells.shape[1]), int(cells.shape[2])
    ys = tf.range(rows)[:, None]
    xs = tf.range(columns)[None, :]
    frame = tf.cast((ys == 0) | (ys == rows - 1) | (xs == 0) | (xs == columns - 1), tf.float32)[
        None, :, :, None
    ]
    reached = free * frame
    for _ in range(int(fill_steps)):
        reached = _max_pool(reached, 3) * free
    # A fine pixel is background when it is not cloth and a reached cell is next to
    # its own: the cloth edge's mixed cells are never reached themselves.
    near = tf.image.resize(_max_pool(reached, 3), (height, width), method="nearest")
    return tf.maximum(mask, 1.0 - near)


def hole_fill_closing(width: int) -> int:
    """The closing of ``warp.fill_mask_holes``: 17 pixels at 192 wide, scaled, odd."""
    return max(1, round(17 * width / 192)) | 1


@keras.saving.register_keras_serializable(package="sievenet_tf")
class MaskHoleFill(keras.layers.Layer):
    """A garment mask made solid: closing, then :func:`fill_holes`. (B, H, W, 1) -> same.

    The closing (dilation then erosion with a ``closing`` x ``closing`` square)
    first seals the gaps through which a hole reaches the border (a thresholded
    mask of a white garment is lace with open seams); it also fills concavities
    narrower than the square (e.g. a sleeve close to the torso).

    Args:
        closing: side of the closing square in pixels (1: no closing).
        fill_steps, fill_downsample: see :func:`fill_holes`.
    """

    def __init__(self, closing: int = 1, fill_steps: int = 48, fill_downsample: int = 4, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.closing = int(closing)
        self.fill_steps = int(fill_steps)
        self.fill_downsample = int(fill_downsample)

    def call(self, inputs):  # not ``mask``: Keras reserves that name for its masking
        mask = _closing(tf.cast(inputs, tf.float32), self.closing)
        return fill_holes(mask, self.fill_steps, self.fill_downsample)

    def compute_output_shape(self, shape):
        return shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "closing": self.closing, "fill_steps": self.fill_steps,
            "fill_downsample": self.fill_downsample,
        })  # fmt: skip
        return config


@keras.saving.register_keras_serializable(package="sievenet_tf")
class ClothMaskLayer(keras.layers.Layer):
    """:func:`cloth_mask_from_photo` as a layer: (B, H, W, 3) -> (B, H, W, 1).

    Args:
        threshold, closing, fill_steps, fill_downsample: see :func:`cloth_mask_from_photo`.
    """

    def __init__(
        self, threshold: float = 0.04, closing: int = 3, fill_steps: int = 48,
        fill_downsample: int = 4, **kwargs,
    ):  # fmt: skip
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.threshold = float(threshold)
        self.closing = int(closing)
        self.fill_steps = int(fill_steps)
        self.fill_downsample = int(fill_downsample)

    def call(self, cloth):
        return cloth_mask_from_photo(
            cloth, self.threshold, self.closing, self.fill_steps, self.fill_downsample
        )

    def compute_output_shape(self, shape):
        return (*shape[:-1], 1)

    def get_config(self):
        config = super().get_config()
        config.update({
            "threshold": self.threshold, "closing": self.closing,
            "fill_steps": self.fill_steps, "fill_downsample": self.fill_downsample,
        })  # fmt: skip
        return config


def cloth_mask_options(config) -> dict:
    """:class:`ClothMaskLayer` arguments of a config: the closing scales with the width
    (``analyzer.cloth_mask_closing`` is in pixels at 192 wide)."""
    analyzer = config.analyzer
    width = int(config.data.image_size[1])
    closing = max(1, round(analyzer.cloth_mask_closing * width / 192))
    return {
        "threshold": analyzer.cloth_mask_threshold,
        "closing": closing | 1 if closing > 1 else 1,
        "fill_steps": analyzer.cloth_mask_fill_steps,
        "fill_downsample": analyzer.cloth_mask_fill_downsample,
    }
