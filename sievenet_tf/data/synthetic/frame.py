"""The drawing frame: geometry is designed at 256 x 192 and drawn at any size."""

from __future__ import annotations

import dataclasses

import numpy as np

# Geometry is designed in a 256 x 192 reference frame (VITON's size) and mapped to
# the requested size by one uniform scale, centred (see Frame).
REF_HEIGHT = 256.0
REF_WIDTH = 192.0

# Pixel-centre grids per (H, W), shared by every drawing at that size.
_GRID_CACHE: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


@dataclasses.dataclass(frozen=True)
class Frame:
    """Maps the 256 x 192 reference frame onto the H x W canvas (one uniform
    scale, centred), so every size and distance is proportional to the image."""

    height: int
    width: int

    @property
    def scale(self) -> float:
        return min(self.height / REF_HEIGHT, self.width / REF_WIDTH)

    @property
    def size(self) -> tuple[int, int]:
        return (self.height, self.width)

    def px(self, points) -> np.ndarray:
        """Reference-frame points (..., 2) as (x, y) pixel coordinates, pixel
        centres at integers."""
        offset = np.array(
            [
                (self.width - REF_WIDTH * self.scale) / 2,
                (self.height - REF_HEIGHT * self.scale) / 2,
            ]
        )
        return np.asarray(points, dtype=np.float64) * self.scale + offset - 0.5

    def grid(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre coordinates (x, y), each (H, W) float32, read-only."""
        key = (self.height, self.width)
        if key not in _GRID_CACHE:
            ys, xs = np.mgrid[0 : self.height, 0 : self.width].astype(np.float32)
            xs.setflags(write=False)
            ys.setflags(write=False)
            _GRID_CACHE[key] = (xs, ys)
        return _GRID_CACHE[key]
