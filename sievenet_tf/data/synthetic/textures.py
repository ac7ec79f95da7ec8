"""Fabric patterns and chest prints of the flat garments."""

from __future__ import annotations

import math

import cv2
import numpy as np

from sievenet_tf.data.synthetic.drawing import ellipse, fill, random_colour, smooth_noise
from sievenet_tf.data.synthetic.frame import Frame

_PRINT_WORDS = ("SIEVE", "TRY ON", "NOVA", "WAVE", "1987", "ZEN", "SPORT", "LOVE", "NYC", "OK")


def make_texture(rng, noise, frame: Frame) -> np.ndarray:
    """(H, W, 3) float32 fabric over the whole canvas (the outline cuts it later):
    solid, stripes, checks, dots, a gradient or camouflage-like blotches."""
    xs, ys = frame.grid()
    base = random_colour(rng, saturation=(0.0, 0.85), value=(0.12, 0.9))
    second = random_colour(rng, saturation=(0.0, 0.9), value=(0.1, 0.97))
    if np.abs(second - base).sum() < 0.35:  # keep the pattern visible
        second = np.clip(1.0 - base * 0.8, 0, 1)
    period = rng.uniform(0.025, 0.09) * frame.height
    pattern = rng.choice(
        ["solid", "stripes", "checks", "dots", "gradient", "blotches"],
        p=[0.2, 0.25, 0.15, 0.15, 0.12, 0.13],
    )
    if pattern == "solid":
        amount = np.zeros(frame.size, np.float32)
    elif pattern == "stripes":
        angle = rng.choice([0.0, 90.0, 45.0, -45.0], p=[0.5, 0.25, 0.125, 0.125])
        amount = _stripes(xs, ys, angle, period, rng.uniform(0.25, 0.6))
    elif pattern == "checks":
        duty = rng.uniform(0.3, 0.5)
        amount = 0.5 * _stripes(xs, ys, 0.0, period, duty) + 0.5 * _stripes(
            xs, ys, 90.0, period, duty
        )
    elif pattern == "dots":
        amount = _dots(xs, ys, period, rng.uniform(0.18, 0.35) * period)
    elif pattern == "gradient":
        angle = math.radians(rng.uniform(0, 360))
        u = xs * math.cos(angle) + ys * math.sin(angle)
        amount = (u - u.min()) / max(float(u.max() - u.min()), 1e-6)
    else:
        threshold = rng.uniform(-0.1, 0.2)
        amount = np.clip(
            (smooth_noise(noise, frame.size, rng.uniform(4, 9)) - threshold) * 8.0, 0, 1
        )
    return (base + (second - base) * amount[..., None]).astype(np.float32)


def _stripes(xs, ys, angle_deg, period, duty) -> np.ndarray:
    """Anti-aliased stripes (1 inside a stripe, 0 between); angle 0 = horizontal."""
    a = math.radians(angle_deg)
    u = (xs * math.sin(a) + ys * math.cos(a)) / period
    t = u - np.floor(u)
    inside = period * np.minimum(t, duty - t)
    outside = -period * np.minimum(t - duty, 1 - t)
    distance = np.where(t < duty, inside, outside)  # signed distance to an edge, pixels
    return np.clip(distance + 0.5, 0, 1).astype(np.float32)


def _dots(xs, ys, period, radius) -> np.ndarray:
    """Anti-aliased polka dots on a staggered grid."""
    v = ys / period
    u = xs / period + 0.5 * (np.floor(v) % 2)
    du, dv = u - np.floor(u) - 0.5, v - np.floor(v) - 0.5
    distance = radius - np.sqrt(du**2 + dv**2) * period
    return np.clip(distance + 0.5, 0, 1).astype(np.float32)


def add_print(rng, frame: Frame, texture: np.ndarray, centre, span: float) -> np.ndarray:
    """A chest print, a word or a simple shape ``span`` pixels wide centred on
    ``centre`` (pixels): a distinctive feature for the warp to carry."""
    size = frame.size
    colour = random_colour(rng, saturation=(0.0, 1.0), value=(0.0, 1.0))
    if rng.uniform() < 0.6:
        ink = np.zeros(size, np.uint8)
        word = str(rng.choice(_PRINT_WORDS))
        font = int(
            rng.choice(
                [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX]
            )
        )
        thickness = max(1, int(round(frame.height / 128)))
        (text_width, text_height), _ = cv2.getTextSize(word, font, 1.0, thickness)
        scale = span / text_width
        origin = (int(centre[0] - span / 2), int(centre[1] + text_height * scale / 2))
        cv2.putText(ink, word, origin, font, scale, 255, thickness, cv2.LINE_AA)
        alpha = ink.astype(np.float32) / 255.0
    else:
        radius = span / 2
        kind = rng.choice(["ring", "star", "triangle", "disc"])
        if kind == "star":
            angles = np.linspace(0, 2 * np.pi, 10, endpoint=False) - np.pi / 2
            radii = np.where(np.arange(10) % 2 == 0, radius, radius * 0.45)
            polygon = centre + np.stack([radii * np.cos(angles), radii * np.sin(angles)], -1)
        elif kind == "triangle":
            angles = np.radians([-90.0, 30.0, 150.0])
            polygon = centre + radius * np.stack([np.cos(angles), np.sin(angles)], -1)
        else:
            polygon = ellipse(centre, (radius, radius))
        alpha = fill(size, [polygon])
        if kind == "ring":
            alpha = np.clip(
                alpha - fill(size, [ellipse(centre, (radius * 0.65, radius * 0.65))]), 0, 1
            )
    return texture + (colour - texture) * alpha[..., None]
