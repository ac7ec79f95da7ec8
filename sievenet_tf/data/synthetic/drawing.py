"""Drawing primitives: anti-aliased polygons, curves, blur, shading, noise, and
the :class:`Canvas` that paints colour and parse labels together."""

from __future__ import annotations

import colorsys
import math

import cv2
import numpy as np


def fill(size, polygons) -> np.ndarray:
    """Anti-aliased coverage (H, W) float32 in [0, 1] of filled pixel polygons."""
    mask = np.zeros(size, np.uint8)
    for polygon in polygons:
        # One call per polygon: one fillPoly call with several polygons leaves
        # their overlaps empty (even-odd filling). 4 fractional bits keep small
        # drawings (64 x 48) smooth.
        points = np.round(np.asarray(polygon, dtype=np.float64) * 16).astype(np.int32)
        cv2.fillPoly(mask, [points], 255, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) * (1.0 / 255.0)


def capsule(p0, p1, r0, r1, segments=24) -> np.ndarray:
    """Polygon of a tapered capsule: the convex hull of two circles."""
    angles = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], -1)
    points = np.concatenate([np.asarray(p0) + r0 * circle, np.asarray(p1) + r1 * circle])
    return cv2.convexHull(points.astype(np.float32))[:, 0].astype(np.float64)


def ellipse(centre, axes, angle_deg=0.0, segments=48) -> np.ndarray:
    """Polygon of an ellipse with semi-axes ``axes``, rotated by ``angle_deg``."""
    t = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    local = np.stack([axes[0] * np.cos(t), axes[1] * np.sin(t)], -1)
    a = math.radians(angle_deg)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return local @ rotation.T + np.asarray(centre)


def bezier(p0, control, p1, n=12) -> np.ndarray:
    """Quadratic Bezier from p0 to p1 (n points, both ends included)."""
    t = np.linspace(0, 1, n)[:, None]
    p0, control, p1 = (np.asarray(p, dtype=np.float64) for p in (p0, control, p1))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * control + t**2 * p1


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; wide ones run on a downscaled copy (at 1024 x 768 a body-wide
    blur is otherwise the slowest step of the generator)."""
    sigma = max(sigma, 0.5)
    factor = int(sigma // 3)
    if factor < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    height, width = image.shape[:2]
    small = cv2.resize(
        image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def edge_shading(alpha: np.ndarray, sigma: float, strength: float) -> np.ndarray:
    """(H, W) multiplicative shading, darker towards a shape's edges, so flat fills
    read as rounded limbs and cloth."""
    return 1.0 - strength * (1.0 - np.clip(_blur(alpha, sigma) * 1.6, 0.0, 1.0))


def smooth_noise(noise, size, cells: float, octaves: int = 2) -> np.ndarray:
    """Smooth random field (H, W) float32 in about [-1, 1]: random grids of about
    ``cells`` rows (doubling per octave) upsampled bicubically. Same field at
    every size of one aspect ratio."""
    height, width = size
    field = np.zeros(size, np.float32)
    amplitude = 1.0
    for octave in range(octaves):
        rows = max(2, int(round(cells * 2**octave)))
        cols = max(2, int(round(rows * width / height)))
        coarse = noise.uniform(-1, 1, size=(rows, cols)).astype(np.float32)
        field += amplitude * cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
        amplitude *= 0.5
    return field / 1.5


def random_colour(rng, saturation=(0.2, 0.9), value=(0.2, 0.9)) -> np.ndarray:
    """An RGB float32 colour of random hue, saturation and value in the given ranges."""
    hue, sat, val = rng.uniform(), rng.uniform(*saturation), rng.uniform(*value)
    return np.array(colorsys.hsv_to_rgb(hue, sat, val), dtype=np.float32)


class Canvas:
    """An RGB image (float32 in [0, 1]) and its label map, painted back to front.
    Each layer is an anti-aliased coverage, a colour and a label; a pixel takes
    a layer's label where the layer covers at least half of it."""

    def __init__(self, image: np.ndarray):
        self.image = image
        self.labels = np.zeros(image.shape[:2], np.uint8)

    def paint(self, alpha: np.ndarray, colour, label, shading=None) -> None:
        """Composites one layer.

        Args:
            alpha: (H, W) float32 coverage in [0, 1].
            colour: (3,) RGB or (H, W, 3) per-pixel RGB, floats in [0, 1].
            label: LIP id, (H, W) ids, or None to leave the parse unchanged.
            shading: optional (sigma_px, strength) of :func:`edge_shading`.
        """
        rows = np.flatnonzero(alpha.any(axis=1))
        if rows.size == 0:
            return
        cols = np.flatnonzero(alpha.any(axis=0))
        # Work inside the layer's bounding box, padded for the shading blur.
        pad = 0 if shading is None else int(3 * max(shading[0], 0.5)) + 1
        top, bottom = max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, alpha.shape[0])
        left, right = max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, alpha.shape[1])
        box = np.s_[top:bottom, left:right]
        a = alpha[box]
        colour = np.asarray(colour, dtype=np.float32)
        colour = colour[box] if colour.ndim == 3 else colour
        if shading is not None:
            colour = colour * edge_shading(a, *shading)[..., None]
        self.image[box] += (colour - self.image[box]) * a[..., None]
        if label is not None:
            label = np.asarray(label)
            labels = label[box] if label.ndim == 2 else label
            self.labels[box] = np.where(a >= 0.5, labels, self.labels[box])
