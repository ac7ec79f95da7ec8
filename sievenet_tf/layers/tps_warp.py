"""The STN warp: TPS grid from theta, then bilinear sampling."""

from __future__ import annotations

import keras

from sievenet_tf.layers.sampling import PADDING_MODES, grid_sample, grid_sample_many
from sievenet_tf.layers.tps import _check_size, tps_grid


@keras.saving.register_keras_serializable(package="sievenet_tf")
class TpsWarp(keras.layers.Layer):
    """Warp images with a thin-plate spline: ``warp(images, theta)``.

    ``theta`` (B, 2 * grid_size**2) follows CP-VTON's ``TpsGridGen`` convention
    (see :mod:`sievenet_tf.layers.tps`); sampling is bilinear and equal to
    PyTorch ``grid_sample(align_corners=True)``. Computation is float32 even under
    a mixed-precision policy: coordinates need the precision.

    Args:
        image_size: (height, width) of the output.
        grid_size: control points per side.
        padding_mode: "border" (the cloth) or "zeros" (its mask).
    """

    def __init__(self, image_size, grid_size: int = 5, padding_mode: str = "border", **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.image_size = _check_size(image_size)
        self.grid_size = int(grid_size)
        self.padding_mode = padding_mode

    def call(self, images, theta):
        grid = tps_grid(theta, self.image_size, self.grid_size)
        return grid_sample(images, grid, self.padding_mode)

    def compute_output_shape(self, images_shape, theta_shape):
        return (images_shape[0], *self.image_size, images_shape[3])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_size": list(self.image_size),
                "grid_size": self.grid_size,
                "padding_mode": self.padding_mode,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="sievenet_tf")
class ClothWarp(keras.layers.Layer):
    """Warp the cloth (border padding) and its mask (zero padding) with one TPS.

    ``call(cloth, cloth_mask, theta) -> (warped_cloth, warped_mask)``: the grid
    is computed once and both images are sampled in one gather (see
    :func:`~sievenet_tf.layers.sampling.grid_sample_many`); the result equals two
    :class:`TpsWarp` calls. Float32 under any dtype policy.

    Args:
        image_size: (height, width) of the output.
        grid_size: control points per side.
    """

    def __init__(self, image_size, grid_size: int = 5, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.image_size = _check_size(image_size)
        self.grid_size = int(grid_size)

    def call(self, cloth, cloth_mask, theta):
        # The [-1, 1] -> pixel map stays next to the grid slices on purpose: the int8
        # quantiser keeps a slice float only when float arithmetic consumes it;
        # TPS straight to pixels (scale folded into theta) had it quantise x.
        grid = tps_grid(theta, self.image_size, self.grid_size)
        warped_cloth, warped_mask = grid_sample_many([cloth, cloth_mask], grid, ("border", "zeros"))
        return warped_cloth, warped_mask

    def compute_output_shape(self, cloth_shape, cloth_mask_shape, theta_shape):
        return (
            (cloth_shape[0], *self.image_size, cloth_shape[3]),
            (cloth_mask_shape[0], *self.image_size, cloth_mask_shape[3]),
        )

    def get_config(self):
        config = super().get_config()
        config.update({"image_size": list(self.image_size), "grid_size": self.grid_size})
        return config
