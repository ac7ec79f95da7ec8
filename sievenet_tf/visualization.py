"""Image grids for humans: person | cloth | coarse warp | fine warp |
expected segmentation | try-on | target."""

from __future__ import annotations

import numpy as np


def to_uint8(images) -> np.ndarray:
    """[-1, 1] float images -> uint8 [0, 255]. Single-channel masks in [0, 1] are
    expanded to grey RGB."""
    images = np.asarray(images, dtype=np.float32)
    if images.shape[-1] == 1:
        return np.repeat(np.clip(images * 255.0 + 0.5, 0, 255).astype(np.uint8), 3, axis=-1)
    return np.clip((images + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)


def colorize_labels(labels, colors=None) -> np.ndarray:
    """(…, H, W) class ids -> (…, H, W, 3) uint8 using ``colors`` (C, 3)."""
    if colors is None:
        from sievenet_tf.labels import MODEL_CLASS_COLORS

        colors = MODEL_CLASS_COLORS
    colors = np.asarray(colors, dtype=np.uint8)
    labels = np.clip(np.asarray(labels, dtype=np.int64), 0, len(colors) - 1)
    return colors[labels]


def tryon_grid(columns: dict, max_rows: int = 8, separator: int = 2) -> np.ndarray:
    """Tile named image batches side by side: one row per example.

    Args:
        columns: ordered dict name -> batch, each (B, H, W, 3|1) float in [-1, 1]
            (masks in [0, 1]) or (B, H, W) integer labels (colourised) or uint8 RGB.
        max_rows: at most this many examples.
        separator: white pixels between tiles.

    Returns:
        uint8 (rows * H, columns * W, 3) image.
    """
    tiles = []
    for values in columns.values():
        values = np.asarray(values)
        if values.dtype == np.uint8 and values.ndim == 4:
            tiles.append(values[:max_rows])
        elif np.issubdtype(values.dtype, np.integer):
            tiles.append(colorize_labels(values[:max_rows]))
        else:
            tiles.append(to_uint8(values[:max_rows]))
    rows = min(len(t) for t in tiles)
    height, width = tiles[0].shape[1:3]
    grid = np.full(
        (rows * (height + separator), len(tiles) * (width + separator), 3), 255, dtype=np.uint8
    )
    for column, tile in enumerate(tiles):
        for row in range(rows):
            y, x = row * (height + separator), column * (width + separator)
            grid[y : y + height, x : x + width] = tile[row]
    return grid


def save_png(path, image: np.ndarray) -> None:
    """Write an RGB uint8 image as PNG (atomically: temp file, then rename)."""
    import os

    from PIL import Image

    path = str(path)
    temporary = path + ".tmp.png"
    Image.fromarray(image).save(temporary)
    os.replace(temporary, path)
