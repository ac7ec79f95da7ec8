"""Robust reading of one image, mask or parse file (pose files: :mod:`.pose`).

Shared by the dataset readers, the validator and inference, so a bad file
produces the same message everywhere: a :class:`~sievenet_tf.data.errors.DataError`
whose text is ``"<path>: <problem>"``.

Conventions:

* Images come back as RGB uint8. Grayscale and palette images are expanded;
  images with transparency (RGBA, LA, palette + transparency) are composited
  onto white, the background of VITON's photos. 16-bit, float, CMYK-like and
  other exotic pixel formats are refused with a message.
* Parses come back as label ids (uint8): palette ("P") PNGs give their
  indices, grayscale ("L") PNGs their values. A colour-coded RGB parse is
  decoded with the LIP palette (``labels.PARSE_PALETTE``; channel tolerance
  ``labels.PARSE_PALETTE_TOLERANCE``); an RGB parse whose three channels are
  equal is read as grayscale ids. Any colour outside the palette is an error
  naming the file (typically a JPEG-compressed or resampled parse).
* Resizing to ``size = (H, W)`` keeps the aspect ratio: the image is scaled to
  fit inside H x W and centred, padded with white (images) or 0 (masks and
  parses: background). Images and masks are resampled with Pillow's bilinear
  filter (antialiased when shrinking), parses with nearest neighbour.
  :func:`fit_resize` gives the transform, :func:`scale_keypoints` applies it to
  keypoints, so photo, parse and pose stay aligned.
* Keypoints use pixel-index coordinates (the centre of pixel column j is x = j)
  as OpenPose writes them; (0, 0, 0) is a missing keypoint.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np
from PIL import Image

from sievenet_tf import labels
from sievenet_tf.data.errors import DataError

# Larger images are refused before decoding (decompression-bomb guard): 50 MP is
# far above any try-on photo (VITON-HD is 0.8 MP).
MAX_IMAGE_PIXELS = 50_000_000
# Smaller sides are refused: nothing useful is 7 pixels wide.
MIN_IMAGE_SIDE = 8

_RGB_MODES = {"1", "L", "P", "RGB", "RGBX"}
_ALPHA_MODES = {"LA", "La", "PA", "RGBA", "RGBa"}


# ----------------------------------------------------------------------- geometry


@dataclasses.dataclass(frozen=True)
class Fit:
    """How a source image maps into the target: scale to ``resized``, pad to ``target``."""

    source: tuple[int, int]  # (height, width) of the file
    target: tuple[int, int]  # (height, width) requested
    resized: tuple[int, int]  # (height, width) after scaling, before padding
    pad_top: int
    pad_left: int

    @property
    def is_identity(self) -> bool:
        return self.source == self.target


def fit_resize(source, target) -> Fit:
    """Aspect-preserving fit of ``source`` (H, W) into ``target`` (H, W), centred."""
    source_h, source_w = int(source[0]), int(source[1])
    target_h, target_w = int(target[0]), int(target[1])
    if min(source_h, source_w, target_h, target_w) <= 0:
        raise ValueError(f"sizes must be positive, got source {source} and target {target}")
    scale = min(target_h / source_h, target_w / source_w)
    resized_h = min(target_h, max(1, round(source_h * scale)))
    resized_w = min(target_w, max(1, round(source_w * scale)))
    return Fit(
        source=(source_h, source_w),
        target=(target_h, target_w),
        resized=(resized_h, resized_w),
        pad_top=(target_h - resized_h) // 2,
        pad_left=(target_w - resized_w) // 2,
    )


def scale_keypoints(keypoints, source, target) -> np.ndarray:
    """Move (K, 3) keypoints from a ``source`` (H, W) image into the ``target`` frame.

    Uses the same :func:`fit_resize` transform as the images (half-pixel exact);
    missing keypoints (confidence <= 0) stay (0, 0, 0).
    """
    fit = fit_resize(source, target)
    keypoints = np.asarray(keypoints, np.float32).copy()
    scale_x = fit.resized[1] / fit.source[1]
    scale_y = fit.resized[0] / fit.source[0]
    present = keypoints[:, 2] > 0
    keypoints[:, 0] = (keypoints[:, 0] + 0.5) * scale_x - 0.5 + fit.pad_left
    keypoints[:, 1] = (keypoints[:, 1] + 0.5) * scale_y - 0.5 + fit.pad_top
    keypoints[~present] = 0.0
    return keypoints


def fit_image(rgb: np.ndarray, size) -> np.ndarray:
    """Fit an RGB uint8 (H, W, 3) array into ``size`` (bilinear, white padding)."""
    return _fit_array(rgb, size, Image.BILINEAR, 255)


def fit_parse(ids: np.ndarray, size) -> np.ndarray:
    """Fit a uint8 (H, W) label map into ``size`` (nearest neighbour, 0 padding)."""
    return _fit_array(ids, size, Image.NEAREST, 0)


def fit_mask(mask: np.ndarray, size) -> np.ndarray:
    """Fit a binary (H, W) mask into ``size`` like :func:`read_mask` (bilinear, >= 0.5)."""
    gray = (np.asarray(mask) > 0).astype(np.uint8) * 255
    return (_fit_array(gray, size, Image.BILINEAR, 0) >= 128).astype(np.uint8)


def _fit_array(array: np.ndarray, size, resample, fill) -> np.ndarray:
    """Resize an (H, W) or (H, W, C) uint8 array into ``size`` with :func:`fit_resize`."""
    if size is None:
        return array
    fit = fit_resize(array.shape[:2], size)
    if fit.is_identity:
        return array
    image = Image.fromarray(array)
    if fit.resized != fit.source:
        image = image.resize((fit.resized[1], fit.resized[0]), resample)
    if fit.resized == fit.target:
        return np.asarray(image)
    canvas = np.full((*fit.target, *array.shape[2:]), fill, np.uint8)
    top, left = fit.pad_top, fit.pad_left
    canvas[top : top + fit.resized[0], left : left + fit.resized[1]] = np.asarray(image)
    return canvas


# ------------------------------------------------------------------------ opening


def check_inside(directory, name: str, what: str = "file", root=None) -> str:
    """Join ``directory`` and a name read from a pairs list, refusing escapes.

    The name may not leave ``directory`` (``..``, absolute names), and the file
    it resolves to (``os.path.realpath``: symbolic links followed) must lie in
    the resolved ``directory`` or in the resolved dataset ``root``. So a link
    inside the dataset cannot lead outside it, while datasets assembled from
    linked folders, or with links between their folders, still work.

    Args:
        directory: the folder the name is relative to.
        name: the file name (may contain sub-folders).
        what: what the file is, for messages.
        root: the dataset root (default: ``directory``).

    Returns:
        The joined path as written (not resolved), for messages.

    Raises:
        DataError: the name is empty, absolute, holds a NUL character or
            leads outside the dataset.
    """
    directory = os.path.normpath(os.fspath(directory))
    if not name or os.path.isabs(name) or name.startswith(("/", "\\")) or "\0" in name:
        raise DataError(
            os.path.join(directory, name.replace("\0", "\\0")),
            f"{what} name {name!r} is not a relative file name",
        )
    path = os.path.normpath(os.path.join(directory, name))
    if os.path.commonpath([directory, path]) != directory or path == directory:
        raise DataError(path, f"{what} name {name!r} escapes the dataset folder {directory}")
    real_path = os.path.realpath(path)
    bases = {os.path.realpath(directory), os.path.realpath(os.fspath(root or directory))}
    if not any(os.path.commonpath([base, real_path]) == base for base in bases):
        raise DataError(
            path, f"{what} is a symbolic link to {real_path}, outside the dataset folder"
        )
    return path


def check_file(path) -> str:
    """``path`` as a string if it is a regular file, else :class:`DataError`."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(path, "missing file")
    if not os.path.isfile(path):
        raise DataError(path, "not a regular file")
    return path


def image_size(path) -> tuple[int, int]:
    """(height, width) from the file header, with the size checks of :func:`load_image`."""
    path = check_file(path)
    with _open(path) as image:
        return image.height, image.width


def _open(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise DataError(path, f"absurd image size, refused before decoding ({e})") from None
    except Image.UnidentifiedImageError:
        raise DataError(path, "not a readable image (unknown or corrupt format)") from None
    except OSError as e:
        raise DataError(path, f"cannot open ({e})") from None
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        image.close()
        raise DataError(
            path,
            f"absurd image size {width}x{height} ({width * height / 1e6:.0f} MP > "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f} MP), refused before decoding (decompression-bomb guard)",
        )
    if min(width, height) < MIN_IMAGE_SIDE:
        image.close()
        raise DataError(path, f"absurd image size {width}x{height} (a side < {MIN_IMAGE_SIDE} px)")
    return image


def load_image(path) -> Image.Image:
    """Open, size-check and fully decode an image (catches truncated files).

    Returns:
        The decoded ``PIL.Image`` (file closed).

    Raises:
        DataError: missing, unreadable, absurdly sized, truncated or corrupt.
    """
    path = check_file(path)
    with _open(path) as image:
        try:
            image.load()
        except Exception as e:  # Pillow raises OSError, SyntaxError, ValueError, ...
            raise DataError(path, f"truncated or corrupt image ({e})") from None
        return image.copy()


def _unsupported(path, image, expected):
    bands = len(image.getbands())
    return DataError(
        path,
        f"unsupported pixel format: mode {image.mode!r} with {bands} channel(s); expected {expected}",
    )


def to_rgb(image: Image.Image, path="<image>") -> np.ndarray:
    """A decoded 8-bit gray/palette/RGB(A) image -> RGB uint8, transparency on white.

    Raises:
        DataError: other pixel formats (``path`` names the file).
    """
    has_alpha = image.mode in _ALPHA_MODES or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if image.mode not in _RGB_MODES and image.mode not in _ALPHA_MODES:
        raise _unsupported(path, image, "8-bit grayscale, palette, RGB or RGBA")
    if has_alpha:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(image.convert("RGB"))


# ----------------------------------------------------------------------- readers


def read_image(path, size=None) -> np.ndarray:
    """Read a photo (person or cloth) as RGB.

    Args:
        path: image file (JPEG, PNG, ...).
        size: (H, W) to fit into (see module docstring), or None for the file's size.

    Returns:
        uint8 (H, W, 3) RGB.

    Raises:
        DataError: naming the file and the problem.
    """
    rgb = to_rgb(load_image(path), path)
    return _fit_array(rgb, size, Image.BILINEAR, 255)


def read_mask(path, size=None) -> np.ndarray:
    """Read a binary mask (cloth mask): gray >= 128 is 1 (after resizing).

    Colour masks are converted to luminance; transparent pixels count as 0.

    Returns:
        uint8 (H, W) in {0, 1}.
    """
    image = load_image(path)
    if image.mode not in _RGB_MODES and image.mode not in _ALPHA_MODES:
        raise _unsupported(path, image, "an 8-bit grayscale or RGB mask")
    if image.mode in _ALPHA_MODES:
        rgba = image.convert("RGBA")
        black = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        image = Image.alpha_composite(black, rgba)
    gray = np.asarray(image.convert("L"))
    gray = _fit_array(gray, size, Image.BILINEAR, 0)
    return (gray >= 128).astype(np.uint8)


def _decode_colours(path, rgb: np.ndarray) -> np.ndarray:
    """Colour-coded (H, W, 3) parse -> ids via the LIP palette, or DataError."""
    if np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2]):
        return rgb[..., 0]  # gray stored as RGB: the values are the ids
    codes = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    colours, inverse = np.unique(codes.ravel(), return_inverse=True)
    unique_rgb = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], -1)
    palette = labels.PARSE_PALETTE.astype(np.int32)
    distance = np.abs(unique_rgb[:, None, :] - palette[None, :, :]).max(-1)  # (colours, ids)
    ids = distance.argmin(-1)
    matched = distance.min(-1) <= labels.PARSE_PALETTE_TOLERANCE
    if not matched.all():
        bad = ~matched[inverse]
        example = tuple(int(v) for v in unique_rgb[~matched][0])
        raise DataError(
            path,
            f"3-channel (RGB) parse with {int(bad.sum())} pixel(s) whose colour is not in the "
            f"LIP palette (e.g. {example}); store parses as palette ('P') or grayscale ('L') "
            "PNGs of label ids (a JPEG or resampled colour parse cannot be decoded)",
        )
    return ids[inverse].reshape(rgb.shape[:2]).astype(np.uint8)


def read_parse(path, size=None, num_labels: int | None = None) -> np.ndarray:
    """Read a human parse as label ids.

    Args:
        path: PNG of label ids (palette or grayscale; RGB in the LIP palette is decoded).
        size: (H, W) to fit into (nearest neighbour, padded with 0), or None.
        num_labels: if given, ids must be in ``[0, num_labels)``.

    Returns:
        uint8 (H, W) ids.

    Raises:
        DataError: naming the file and the problem.
    """
    image = load_image(path)
    mode = image.mode
    if mode in ("P", "PA"):
        ids = np.asarray(image.convert("P") if mode == "PA" else image)
    elif mode in ("L", "LA", "La", "1"):
        ids = np.asarray(image.convert("L"))
        if mode == "1":
            ids = (ids > 0).astype(np.uint8)
    elif mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        wide = np.asarray(image).astype(np.int64)
        if wide.size and (wide.min() < 0 or wide.max() > 255):
            raise DataError(
                path, f"label ids {int(wide.min())}..{int(wide.max())} do not fit in 8 bits"
            )
        ids = wide.astype(np.uint8)
    elif mode in ("RGB", "RGBA", "RGBX", "RGBa"):
        ids = _decode_colours(path, np.asarray(image.convert("RGB")))
    else:
        raise _unsupported(path, image, "a palette (P) or grayscale (L) PNG of label ids")
    if num_labels is not None:
        outside = np.unique(ids[ids >= num_labels])
        if outside.size:
            shown = ", ".join(str(int(v)) for v in outside[:8]) + (
                ", ..." if outside.size > 8 else ""
            )
            raise DataError(path, f"label id(s) {shown} outside the label set 0..{num_labels - 1}")
    return _fit_array(np.ascontiguousarray(ids, np.uint8), size, Image.NEAREST, 0)
