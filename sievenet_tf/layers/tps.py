"""Thin-plate-spline grid generation with a precomputed constant basis.

Convention (CP-VTON ``TpsGridGen``, regular control grid):

* ``grid_size`` g, N = g * g control points on a regular grid over [-1, 1].
  Point k = i * g + j has x = lin[i], y = lin[j] (x is the slow index).
* ``theta`` has shape (B, 2N): the first N values are x-offsets and the last N
  are y-offsets of the control points. ``theta = 0`` is the identity.
* Radial kernel U(r^2) = r^2 log(r^2), with U(0) = 0; no regularisation.
* The output holds, for each output pixel, the (x, y) source coordinate in
  [-1, 1], where -1 and +1 are the centres of the first and last pixel
  (PyTorch ``grid_sample(align_corners=True)``).

For fixed control points the TPS is linear in ``theta``: every output
coordinate is ``base + M @ theta`` with a constant (H*W, N) matrix ``M``
(the same for x and y). ``M`` is computed once in NumPy (float64), so the graph
holds one matmul and no matrix inverse.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
from keras import ops


def control_points(grid_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the (N,) x and y coordinates of the regular control grid.

    Point k = i * grid_size + j has x = lin[i], y = lin[j].
    """
    lin = np.linspace(-1.0, 1.0, grid_size)
    # meshgrid(lin, lin) with indexing="ij": first axis i drives x, second j drives y.
    points_x, points_y = np.meshgrid(lin, lin, indexing="ij")
    return points_x.reshape(-1), points_y.reshape(-1)


def _radial_kernel(squared_distance: np.ndarray) -> np.ndarray:
    # U(r^2) = r^2 log r^2 with U(0) = 0 (CP-VTON sets r^2 = 0 to 1, so log 1 = 0).
    safe = np.where(squared_distance == 0.0, 1.0, squared_distance)
    return safe * np.log(safe)


@functools.lru_cache(maxsize=32)
def tps_basis(image_size: tuple[int, int], grid_size: int = 5) -> np.ndarray:
    """The constant matrix M of ``grid = base + M @ offsets``, float64 (H*W, N).

    Args:
        image_size: (height, width) of the output grid.
        grid_size: control points per side.

    Returns:
        M with ``x_src = x_out + M @ theta[:N]`` and ``y_src = y_out + M @ theta[N:]``
        for every output pixel (row-major over H, W).
    """
    height, width = _check_size(image_size)
    if grid_size < 2:
        raise ValueError(f"grid_size must be >= 2, got {grid_size}")
    points_x, points_y = control_points(grid_size)
    n = points_x.shape[0]
    # System matrix L = [[K, P], [P^T, 0]] of the TPS interpolation.
    kernel = _radial_kernel(
        (points_x[:, None] - points_x[None, :]) ** 2 + (points_y[:, None] - points_y[None, :]) ** 2
    )
    affine = np.stack([np.ones(n), points_x, points_y], axis=1)  # (N, 3)
    system = np.zeros((n + 3, n + 3))
    system[:n, :n] = kernel
    system[:n, n:] = affine
    system[n:, :n] = affine.T
    system_inverse = np.linalg.inv(system)  # (N + 3, N + 3), done once, here.

    # Output pixel coordinates, corner-aligned.
    out_y, out_x = np.meshgrid(
        np.linspace(-1.0, 1.0, height), np.linspace(-1.0, 1.0, width), indexing="ij"
    )
    out_x = out_x.reshape(-1, 1)  # (H*W, 1)
    out_y = out_y.reshape(-1, 1)
    pixel_kernel = _radial_kernel((out_x - points_x[None]) ** 2 + (out_y - points_y[None]) ** 2)
    pixel_affine = np.concatenate([np.ones_like(out_x), out_x, out_y], axis=1)  # (H*W, 3)
    # Target value of a coordinate at each control point q (N,) gives
    # weights w = Li[:N, :N] q, affine a = Li[N:, :N] q, and the value at a pixel
    # is pixel_kernel @ w + pixel_affine @ a.
    return pixel_kernel @ system_inverse[:n, :n] + pixel_affine @ system_inverse[n:, :n]


def _check_size(image_size) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError) as e:
        raise ValueError(f"image_size must be (height, width), got {image_size!r}") from e
    if height < 2 or width < 2:
        raise ValueError(f"image_size must be at least 2 x 2, got {image_size!r}")
    return height, width


def identity_grid(image_size: tuple[int, int]) -> np.ndarray:
    """Corner-aligned identity sampling grid, float32 (H, W, 2) of (x, y)."""
    height, width = _check_size(image_size)
    out_y, out_x = np.meshgrid(
        np.linspace(-1.0, 1.0, height), np.linspace(-1.0, 1.0, width), indexing="ij"
    )
    return np.stack([out_x, out_y], axis=-1).astype(np.float32)


def tps_grid(theta, image_size, grid_size: int = 5):
    """Thin-plate-spline sampling grid for control-point offsets ``theta``.

    Implements CP-VTON's ``TpsGridGen`` (see module docstring) as
    ``grid = identity + theta @ M^T`` with the precomputed basis of :func:`tps_basis`.

    Args:
        theta: (B, 2 * grid_size**2) float; x-offsets, then y-offsets.
        image_size: (height, width) of the output grid.
        grid_size: control points per side.

    Returns:
        float32 (B, H, W, 2): (x, y) source coordinates in [-1, 1] (corner-aligned).
    """
    height, width = _check_size(image_size)
    n = grid_size * grid_size
    theta = ops.convert_to_tensor(theta)
    if theta.shape[-1] is not None and theta.shape[-1] != 2 * n:
        raise ValueError(
            f"theta must have 2 * grid_size**2 = {2 * n} values per example for "
            f"grid_size={grid_size}, got shape {tuple(theta.shape)}"
        )
    theta = ops.cast(theta, "float32")
    basis = ops.convert_to_tensor(tps_basis((height, width), grid_size).T.astype(np.float32))
    offsets = ops.reshape(theta, (-1, 2, n))  # (batch, 2, num_points)
    displacement = ops.matmul(offsets, basis)  # (batch, 2, height * width)
    displacement = ops.transpose(displacement, (0, 2, 1))  # (batch, height * width, 2)
    displacement = ops.reshape(displacement, (-1, height, width, 2))
    return displacement + ops.convert_to_tensor(identity_grid((height, width)))


@keras.saving.register_keras_serializable(package="sievenet_tf")
class TpsGridGenerator(keras.layers.Layer):
    """Keras layer around :func:`tps_grid`: theta (B, 2N) -> grid (B, H, W, 2)."""

    def __init__(self, image_size, grid_size: int = 5, **kwargs):
        super().__init__(**kwargs)
        self.image_size = tuple(_check_size(image_size))
        self.grid_size = int(grid_size)

    def call(self, theta):
        return tps_grid(theta, self.image_size, self.grid_size)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.image_size, 2)

    def get_config(self):
        config = super().get_config()
        config.update({"image_size": list(self.image_size), "grid_size": self.grid_size})
        return config
