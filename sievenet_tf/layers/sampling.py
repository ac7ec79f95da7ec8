"""Bilinear grid sampling equal to PyTorch ``grid_sample(align_corners=True)``.

Layout chosen for speed on CPU and for TFLite builtin ops:

1. The image is padded by one pixel on each side: with a copy of its edge for
   ``padding_mode="border"``, with zeros for ``"zeros"``. Source coordinates are
   then clamped to the padded range, so every corner index is in range by
   construction (TFLite ``GATHER`` errors on out-of-range indices) and no
   per-corner validity mask is needed. This reproduces PyTorch exactly: in
   ``border`` mode a coordinate beyond the edge interpolates between the edge
   pixel and its copy, i.e. returns the edge pixel; in ``zeros`` mode it fades
   to zero over the one-pixel band and is zero beyond it.
2. The four bilinear neighbours of every pixel are packed side by side in the
   channel axis (a "quad" image of 4C channels), so the sampler does ONE gather
   of H' * W' rows instead of four gathers.
3. The interpolation is one weighted sum of the four gathered corners
   (weights ``(1 - wx)(1 - wy), wx (1 - wy), (1 - wx) wy, wx wy``): a multiply
   and a sum over a (4, C) axis pair that XNNPACK runs, instead of splitting the
   gathered row into corners and three lerps (a ``SPLIT``, four ``DEQUANTIZE``
   and nine element-wise ops per warp in the int8 model).

Coordinates and weights are always float32, whatever the image dtype.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

PADDING_MODES = ("border", "zeros")


def _pad_one(images, padding_mode):
    """Pad H and W by one pixel: edge copy ("border") or zeros ("zeros")."""
    if padding_mode == "zeros":
        return ops.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
    # Edge copy by concatenation: lowers to CONCATENATION + STRIDED_SLICE in TFLite.
    images = ops.concatenate([images[:, :1], images, images[:, -1:]], axis=1)
    return ops.concatenate([images[:, :, :1], images, images[:, :, -1:]], axis=2)


def grid_sample(images, grid, padding_mode: str = "border"):
    """Sample ``images`` at ``grid`` with bilinear interpolation.

    Equal to ``torch.nn.functional.grid_sample(images, grid, mode="bilinear",
    padding_mode=padding_mode, align_corners=True)`` up to the NCHW/NHWC layout,
    with gradients w.r.t. both ``images`` and ``grid``.

    Args:
        images: (B, H, W, C) float. H, W and C must be static.
        grid: (B, H', W', 2) float; (x, y) in [-1, 1], -1 and +1 are the
            centres of the first and last pixel. Values outside are handled by
            ``padding_mode``.
        padding_mode: "border" (repeat the edge) or "zeros".

    Returns:
        float32 (B, H', W', C).
    """
    return grid_sample_many([images], grid, [padding_mode])[0]


def grid_sample_many(images, grid, padding_modes):
    """:func:`grid_sample` of several same-size images at one grid, in one pass.

    The padded images are stacked along channels, so the coordinate math and
    the gather run once (the warper samples the cloth with "border" and its
    mask with "zeros" at the same coordinates this way).

    Args:
        images: sequence of (B, H, W, C_i) float tensors with the same B, H, W.
        grid: (B, H', W', 2) float, as in :func:`grid_sample`.
        padding_modes: one of "border" / "zeros" per image.

    Returns:
        list of float32 (B, H', W', C_i).
    """
    if len(images) != len(padding_modes) or not images:
        raise ValueError(
            f"need one padding mode per image, got {len(images)} image(s) and {len(padding_modes)} mode(s)"
        )
    for mode in padding_modes:
        if mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    grid = ops.cast(grid, "float32")
    if len(grid.shape) != 4 or grid.shape[-1] != 2:
        raise ValueError(f"grid_sample expects a grid (B, H', W', 2), got {tuple(grid.shape)}")
    height, width = _check_images(images)
    # Corner-aligned [-1, 1] -> pixel index, shifted by the one-pixel pad.
    x = (grid[..., 0] + 1.0) * (0.5 * (width - 1)) + 1.0  # (batch, out_height, out_width)
    y = (grid[..., 1] + 1.0) * (0.5 * (height - 1)) + 1.0
    return sample_pixels(images, x, y, padding_modes)


def _check_images(images):
    """(H, W) of same-size (B, H, W, C_i) images with static H, W, C_i."""
    if any(len(image.shape) != 4 for image in images):
        raise ValueError(
            f"grid_sample expects images (B, H, W, C), got {[tuple(i.shape) for i in images]}"
        )
    height, width = images[0].shape[1], images[0].shape[2]
    if height is None or width is None or None in [image.shape[3] for image in images]:
        raise ValueError(f"grid_sample needs static H, W, C; got {[tuple(i.shape) for i in images]}")
    if any(tuple(image.shape[1:3]) != (height, width) for image in images):
        raise ValueError(f"images must share H and W, got {[tuple(i.shape) for i in images]}")
    return height, width


def sample_pixels(images, x, y, padding_modes):
    """Bilinear sampling of same-size images at pixel coordinates of the padded frame.

    ``x = 1`` is the centre of the first column and ``x = W`` of the last (the
    images are padded by one pixel, see the module docstring); same for ``y``.
    :func:`grid_sample_many` is this after mapping its [-1, 1] grid to pixels.

    Args:
        images: sequence of (B, H, W, C_i) float tensors with the same B, H, W.
        x, y: (B, H', W') float pixel coordinates of the padded frame.
        padding_modes: one of "border" / "zeros" per image.

    Returns:
        list of float32 (B, H', W', C_i).
    """
    if len(images) != len(padding_modes) or not images:
        raise ValueError(
            f"need one padding mode per image, got {len(images)} image(s) and {len(padding_modes)} mode(s)"
        )
    for mode in padding_modes:
        if mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    images = [ops.cast(image, "float32") for image in images]
    height, width = _check_images(images)
    widths = [image.shape[3] for image in images]
    channels = sum(widths)
    x, y = ops.cast(x, "float32"), ops.cast(y, "float32")
    out_height, out_width = x.shape[1], x.shape[2]

    # Both modes clamp coordinates to the same padded range; only the pad differs.
    padded = ops.concatenate(
        [_pad_one(image, mode) for image, mode in zip(images, padding_modes)], axis=-1
    )  # (batch, height + 2, width + 2, channels)
    # quad[b, y, x] = [p[y, x], p[y, x + 1], p[y + 1, x], p[y + 1, x + 1]]
    quad = ops.concatenate(
        [padded[:, :-1, :-1], padded[:, :-1, 1:], padded[:, 1:, :-1], padded[:, 1:, 1:]], axis=-1
    )  # (batch, height + 1, width + 1, 4 * channels)
    rows, cols = height + 1, width + 1
    table = ops.reshape(quad, (-1, 4 * channels))  # (batch * rows * cols, 4 * channels)

    x = ops.clip(x, 0.0, float(width + 1))
    y = ops.clip(y, 0.0, float(height + 1))
    # Top-left neighbour; at the far edge it stays at the last quad cell with weight 1.
    x0 = ops.minimum(ops.floor(ops.stop_gradient(x)), float(width))
    y0 = ops.minimum(ops.floor(ops.stop_gradient(y)), float(height))
    wx = x - x0  # (batch, out_height, out_width)
    wy = y - y0

    batch = ops.shape(images[0])[0]
    batch_offset = ops.reshape(ops.arange(batch, dtype="int32") * (rows * cols), (-1, 1, 1))
    index = batch_offset + ops.cast(y0, "int32") * cols + ops.cast(x0, "int32")
    # Indices are in range by construction: tf.gather, not ops.take (whose wrap of
    # negative indices adds LESS + ADD + SELECT over every output pixel).
    corners = tf.gather(table, index, axis=0)  # (batch, out_height, out_width, 4 * channels)
    corners = ops.reshape(corners, (-1, out_height, out_width, 4, channels))
    ux, uy = 1.0 - wx, 1.0 - wy
    weights = ops.stack([ux * uy, wx * uy, ux * wy, wx * wy], axis=-1)  # (batch, H', W', 4)
    out = ops.sum(corners * ops.expand_dims(weights, -1), axis=3)  # (batch, H', W', channels)
    if len(images) == 1:
        return [out]
    outputs, start = [], 0
    for channels_i in widths:  # slices, not SPLIT_V (which XNNPACK does not take)
        outputs.append(out[..., start : start + channels_i])
        start += channels_i
    return outputs


@keras.saving.register_keras_serializable(package="sievenet_tf")
class GridSampler(keras.layers.Layer):
    """Keras layer around :func:`grid_sample`: ([images, grid]) -> sampled images."""

    def __init__(self, padding_mode: str = "border", **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode

    def call(self, images, grid):
        return grid_sample(images, grid, self.padding_mode)

    def compute_output_shape(self, images_shape, grid_shape):
        return (images_shape[0], grid_shape[1], grid_shape[2], images_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update({"padding_mode": self.padding_mode})
        return config
