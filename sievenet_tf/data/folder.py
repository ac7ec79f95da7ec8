"""Reading a dataset folder (VITON or VITON-HD layout) in Python, example by example.

:func:`index_folder` lists a split before anything is decoded: the pairs, the
files they need (checked to exist) and every pose file (parsed up front, so a
bad pose file is found at once). :func:`load_example` then decodes one pair's
images with :mod:`sievenet_tf.data.io`. :mod:`sievenet_tf.data.pipeline` runs
it in parallel inside ``tf.data``; the validator and the export's calibration
examples call it directly.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from sievenet_tf import keys, labels
from sievenet_tf.data import io, layouts, pose
from sievenet_tf.data.errors import DataError
from sievenet_tf.data.layouts import ExampleFiles


@dataclasses.dataclass
class FolderIndex:
    """Everything known about a split before decoding: files and parsed poses."""

    layout: str
    examples: list[ExampleFiles]
    keypoints: np.ndarray  # (N, 18, 3) float32, source pixels
    problems: list[DataError]


def index_folder(root, split: str, pairs: str, layout: str = "auto") -> FolderIndex:
    """List a split's pairs, check that their files exist and read every pose file.

    Runs in Python before the pipeline starts, so missing files and bad pose
    files are found at once with a clear message; only image decoding is left
    to the (parallel) pipeline.

    Returns:
        A :class:`FolderIndex`; pairs with a problem are left out of
        ``examples`` and reported in ``problems``.

    Raises:
        DataError: the layout, a folder or the pairs file is missing or malformed.
    """
    layout = layouts.resolve_layout(root, layout)
    candidates, problems = layouts.list_pairs(root, split, pairs, layout)
    exists = _ListingCache()
    examples, poses = [], []
    for files in candidates:
        try:
            for path in (files.person, files.parse, files.pose, files.cloth, files.cloth_mask):
                if not exists(path):
                    raise DataError(path, "missing file")
            poses.append(pose.read_keypoints(files.pose, layout))
            examples.append(files)
        except DataError as e:
            problems.append(e)
    keypoints = np.stack(poses) if poses else np.zeros((0, 18, 3), np.float32)
    return FolderIndex(layout, examples, keypoints, problems)


class _ListingCache:
    """``exists(path)`` from one ``os.listdir`` per folder (a stat per file is
    slow on network file systems)."""

    def __init__(self):
        self.listings: dict[str, set] = {}

    def __call__(self, path: str) -> bool:
        folder, name = os.path.split(path)
        if folder not in self.listings:
            self.listings[folder] = set(os.listdir(folder)) if os.path.isdir(folder) else set()
        return name in self.listings[folder]


def size_mismatch(path, what, size, other_path, other_what, other_size) -> DataError | None:
    """The error for ``path`` (a ``what`` of ``size`` (H, W)) not matching the size of
    ``other_path``, or None when they match. Shared by the reader and the validator."""
    if tuple(size) == tuple(other_size):
        return None
    return DataError(
        path,
        f"{what} is {size[1]}x{size[0]} but the {other_what} "
        f"{os.path.basename(other_path)} is {other_size[1]}x{other_size[0]}",
    )


def load_example(files: ExampleFiles, image_size, layout: str, keypoints=None) -> dict:
    """Decode one example's files with :mod:`sievenet_tf.data.io`.

    Args:
        files: the pair's paths.
        image_size: (H, W) the arrays are fitted into.
        layout: "viton" or "viton_hd" (label set and pose format).
        keypoints: (18, 3) keypoints already read from ``files.pose`` (source
            pixels), or None to read them now.

    Returns:
        dict of numpy arrays: ``person`` and ``cloth`` uint8 (H, W, 3),
        ``cloth_mask`` uint8 (H, W, 1) in {0, 1}, ``parse`` uint8 (H, W) dataset
        ids, ``keypoints`` float32 (18, 3) in pixels at H x W.

    Raises:
        DataError: a file is bad, the parse (mask) size differs from the
            person (cloth) image, or a keypoint lies far outside the photo.
    """
    if keypoints is None:
        keypoints = pose.read_keypoints(files.pose, layout)
    person = io.read_image(files.person)
    pose.check_in_image(keypoints, person.shape[:2], files.pose)
    parse = io.read_parse(files.parse, num_labels=labels.num_dataset_labels(layout))
    mismatch = size_mismatch(
        files.parse, "parse", parse.shape, files.person, "person image", person.shape[:2]
    )
    if mismatch is not None:
        raise mismatch
    cloth = io.read_image(files.cloth)
    mask_size = io.image_size(files.cloth_mask)
    mismatch = size_mismatch(
        files.cloth_mask, "cloth mask", mask_size, files.cloth, "cloth image", cloth.shape[:2]
    )
    if mismatch is not None:
        raise mismatch
    return {
        keys.PERSON: io.fit_image(person, image_size),
        keys.CLOTH: io.fit_image(cloth, image_size),
        keys.CLOTH_MASK: io.read_mask(files.cloth_mask, image_size)[..., None],
        keys.PARSE: io.fit_parse(parse, image_size),
        keys.KEYPOINTS: io.scale_keypoints(keypoints, person.shape[:2], image_size),
    }
