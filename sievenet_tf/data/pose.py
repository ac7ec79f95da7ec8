"""OpenPose pose files: the one reader used by the dataset readers, the
validator and inference (``sievenet-tryon --pose``).

A pose file is ``{"people": [{"pose_keypoints": [x, y, c] * 18}]}`` (CP-VTON's
VITON, COCO-18) or ``{"people": [{"pose_keypoints_2d": [x, y, c] * 25}]}``
(VITON-HD, BODY_25, mapped to COCO-18). Coordinates are pixel indices of the
photo the pose was detected on (the centre of pixel column j is x = j); a
keypoint with confidence <= 0 is missing and becomes (0, 0, 0).

Whatever the bytes, the reader returns keypoints or raises :class:`DataError`
naming the file: malformed or non-UTF-8 JSON, nesting too deep, numbers too
large for float32 (a 400-digit integer, 1e39), a NaN, a wrong count. A
present keypoint that lies absurdly far outside the photo (more than
:data:`MAX_OUTSIDE_FACTOR` image sizes) is refused too, naming the keypoint,
rather than silently treated as missing.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from sievenet_tf import labels
from sievenet_tf.data import io
from sievenet_tf.data.errors import DataError

# Pose files larger than this are refused before parsing.
MAX_POSE_FILE_BYTES = 10_000_000
# A present keypoint further outside the photo than this many times its size is
# no detection (OpenPose keeps detections inside the frame).
MAX_OUTSIDE_FACTOR = 10

# Which key a layout looks up first; either key and either count is accepted.
_POSE_KEYS = {
    "viton": ("pose_keypoints", "pose_keypoints_2d"),
    "viton_hd": ("pose_keypoints_2d", "pose_keypoints"),
}
# Number of values -> keypoint names (3 values per keypoint).
_KEYPOINT_NAMES = {18 * 3: labels.COCO18_KEYPOINT_NAMES, 25 * 3: labels.BODY25_KEYPOINT_NAMES}
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_COORDINATES = ("x", "y", "confidence")


def read_keypoints(path, layout: str = "viton", image_size=None) -> np.ndarray:
    """Read the first person's pose from an OpenPose JSON file as COCO-18.

    Args:
        path: ``*_keypoints.json``.
        layout: "viton" or "viton_hd" (which key is looked up first).
        image_size: (H, W) of the photo the pose belongs to; if given,
            keypoints far outside it are refused (see :func:`check_in_image`).

    Returns:
        float32 (18, 3): (x, y, confidence) in the pixels of the photo the pose
        was detected on; missing keypoints are (0, 0, 0).

    Raises:
        DataError: naming the file and the problem, for any content.
    """
    path = io.check_file(path)
    labels.check_layout(layout)
    try:
        if os.path.getsize(path) > MAX_POSE_FILE_BYTES:
            raise DataError(path, f"pose file larger than {MAX_POSE_FILE_BYTES} bytes")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(path, f"cannot read ({e.strerror or e})") from None
    keypoints = parse_keypoints(data, path, layout)
    if image_size is not None:
        check_in_image(keypoints, image_size, path)
    return keypoints


def parse_keypoints(data: bytes | str, path, layout: str = "viton") -> np.ndarray:
    """The COCO-18 keypoints (18, 3) of a pose file's content (see :func:`read_keypoints`).

    Args:
        data: the file's bytes (UTF-8, a BOM allowed) or text.
        path: named in errors.
        layout: "viton" or "viton_hd".

    Raises:
        DataError: anything but a valid pose.
    """
    path = os.fspath(path)
    values = _first_person(_load_json(data, path), path, layout)
    names = _KEYPOINT_NAMES.get(len(values))
    array = _to_float32(values, names, path)
    if names is None:
        raise DataError(
            path,
            f"expected 18 (COCO-18) or 25 (BODY_25) keypoints x 3 values, got {len(values)} values",
        )
    keypoints = array.reshape(len(names), 3)
    if len(names) == 25:
        keypoints = keypoints[list(labels.BODY25_TO_COCO18)]
    if not (keypoints[:, 2] > 0).any():
        raise DataError(path, "no person in the pose file (every keypoint confidence is 0)")
    keypoints[keypoints[:, 2] <= 0] = 0.0
    return keypoints


def check_in_image(keypoints: np.ndarray, image_size, path) -> None:
    """Refuse present keypoints more than :data:`MAX_OUTSIDE_FACTOR` image sizes
    outside an (H, W) photo.

    Raises:
        DataError: naming the file, the first such keypoint and the photo's size.
    """
    height, width = (int(v) for v in image_size)
    limit_x, limit_y = MAX_OUTSIDE_FACTOR * width, MAX_OUTSIDE_FACTOR * height
    present = keypoints[:, 2] > 0
    far = present & ((np.abs(keypoints[:, 0]) > limit_x) | (np.abs(keypoints[:, 1]) > limit_y))
    if far.any():
        k = int(np.flatnonzero(far)[0])
        x, y = (float(v) for v in keypoints[k, :2])
        raise DataError(
            path,
            f"keypoint {k} ({labels.COCO18_KEYPOINT_NAMES[k]}) at ({x:.6g}, {y:.6g}) lies more "
            f"than {MAX_OUTSIDE_FACTOR} image sizes outside the {width}x{height} photo "
            f"({int(far.sum())} such keypoint(s))",
        )


def _load_json(data: bytes | str, path: str):
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
        return json.loads(text, parse_constant=_refuse_constant)
    except UnicodeDecodeError as e:
        raise DataError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except RecursionError:
        raise DataError(path, "malformed JSON (nested too deeply)") from None
    except ValueError as e:  # JSONDecodeError, a NaN / Infinity, an integer of > 4300 digits
        raise DataError(path, f"malformed JSON ({_shorten(str(e))})") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _first_person(document, path: str, layout: str) -> list:
    people = document.get("people") if isinstance(document, dict) else None
    if not isinstance(people, list):
        raise DataError(path, "malformed pose file: no 'people' list")
    if not people:
        raise DataError(path, "no person in the pose file")
    person = people[0]
    if isinstance(person, dict):
        for key in _POSE_KEYS[layout]:
            if key in person:
                values = person[key]
                if not isinstance(values, list):
                    raise DataError(
                        path, f"malformed pose file: {key!r} must be a list of finite numbers"
                    )
                return values
    raise DataError(path, "malformed pose file: no 'pose_keypoints' or 'pose_keypoints_2d'")


def _to_float32(values: list, names, path: str) -> np.ndarray:
    """float32 array of JSON numbers, each checked to be a finite float32
    (``names``: the keypoint names, for messages; None if the count is wrong)."""
    array = np.empty(len(values), np.float32)
    for i, value in enumerate(values):
        where = (
            f"keypoint {i // 3} ({names[i // 3]}) {_COORDINATES[i % 3]}" if names else f"value {i}"
        )
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(
                path,
                f"malformed pose file: keypoints must be a list of finite numbers; {where} "
                f"is {_describe(value)}",
            )
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float64
            number = math.inf
        if not abs(number) <= _FLOAT32_MAX:  # also catches NaN
            raise DataError(
                path, f"{where} = {_shorten(str(value))} is not a finite float32 number"
            )
        array[i] = number
    return array


def _describe(value) -> str:
    if isinstance(value, str):
        return _shorten(repr(value))
    return "null" if value is None else f"a {type(value).__name__}"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
