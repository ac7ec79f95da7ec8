"""Writing a synthetic dataset: argument checks, the files of one example, the
pairs lists and README, and putting the tree in place atomically."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable

import numpy as np
from PIL import Image

from sievenet_tf import atomic
from sievenet_tf.data.output import check_writable_folder
from sievenet_tf.data.synthetic.persons import NECK_LABEL
from sievenet_tf.labels import LIP_COLORS

# Bump when the drawing changes: a dataset's README names the version that made it.
GENERATOR_VERSION = "1.0"

SPLITS = ("train", "test")
SUBDIRS = ("image", "cloth", "cloth-mask", "image-parse", "pose")
# What generate writes at the root, README.md last: a tree with a README is complete.
OWN_ENTRIES = ("train", "test", "train_pairs.txt", "test_pairs.txt", "README.md")
# Example i of a split draws from default_rng((seed, SEED_CODES[split], i)).
SEED_CODES = {"train": 0, "test": 1, "pairing": 2}

_MIN_SIZE = (32, 24)
_MAX_EXAMPLES = 1_000_000  # six-digit file names
_JPEG_QUALITY = 92


def check_root(root: pathlib.Path, overwrite: bool) -> None:
    """Refuse an output folder that is a file, holds files (unless ``overwrite``)
    or cannot be written, before anything is drawn.

    Raises:
        FileExistsError: ``root`` is a file, or is not empty and not ``overwrite``.
        OSError: ``root`` cannot be created or written (see
            :func:`~sievenet_tf.data.output.check_writable_folder`).
    """
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"{root} is not empty; choose a new directory or pass overwrite=True"
            )
        check_writable_folder(root)  # replaced entry by entry, staged inside it
        return
    check_writable_folder(root)  # root, or the folder it will be created in
    if root.is_dir():
        check_writable_folder(root.parent)  # staged beside it, then renamed


def write_tree(root: pathlib.Path, fill: Callable[[pathlib.Path], None]) -> None:
    """Write a dataset with ``fill(folder)`` and put it at ``root``.

    A new dataset (``root`` absent or empty) appears complete or not at all: it
    is written into a temporary folder beside ``root`` and renamed into place.
    Over an existing dataset (``overwrite``), each entry of :data:`OWN_ENTRIES`
    is replaced by its complete new version, README.md last, and other files in
    ``root`` are kept. An exception leaves the old dataset untouched.
    """
    if root.is_dir() and any(root.iterdir()):
        _replace_entries(root, fill)
        return
    with atomic.replace_directory(root) as staging:
        os.chmod(staging, _new_folder_mode(root.parent))
        fill(pathlib.Path(staging))


def _replace_entries(root: pathlib.Path, fill) -> None:
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".synthetic.", suffix=".tmp", dir=root))
    try:
        fill(staging)
        for name in OWN_ENTRIES:
            new, target = staging / name, root / name
            if new.is_dir() and target.exists():  # os.replace cannot replace a full folder
                old = root / f".{name}.{uuid.uuid4().hex[:8]}.old"
                os.replace(target, old)
                os.replace(new, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(new, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _new_folder_mode(parent: pathlib.Path) -> int:
    """The mode ``mkdir`` gives a new folder in ``parent`` (umask applied), read
    from a trial folder: the staging folder of ``atomic.replace_directory`` is
    private (0700), a dataset is not."""
    trial = parent / f".mode.{uuid.uuid4().hex[:8]}.tmp"
    trial.mkdir()
    try:
        return trial.stat().st_mode & 0o7777
    finally:
        trial.rmdir()


def validate_args(num_train, num_test, image_size, seed) -> tuple[int, int]:
    """(height, width) of valid :func:`~sievenet_tf.data.synthetic.generate` arguments,
    else ``ValueError`` naming the argument."""
    for name, value in (("num_train", num_train), ("num_test", num_test)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        if not 0 <= value <= _MAX_EXAMPLES:
            raise ValueError(
                f"{name} must be in [0, {_MAX_EXAMPLES}] (six-digit names), got {value}"
            )
    if num_train + num_test == 0:
        raise ValueError("num_train and num_test are both 0: nothing to generate")
    try:
        height, width = image_size
        if float(height) != int(height) or float(width) != int(width):
            raise TypeError
        height, width = int(height), int(width)
    except (TypeError, ValueError):
        raise ValueError(
            f"image_size must be two integers (height, width), got {image_size!r}"
        ) from None
    if height <= 0 or width <= 0:
        raise ValueError(f"image_size must be positive, got {height} x {width}")
    if height < _MIN_SIZE[0] or width < _MIN_SIZE[1]:
        raise ValueError(
            f"image_size must be at least {_MIN_SIZE[0]} x {_MIN_SIZE[1]}, got {height} x {width}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if num_test == 1:
        warnings.warn(
            "num_test=1: test_pairs.txt cannot be unpaired; its only pair is the person with their own garment",
            stacklevel=3,
        )
    return height, width


def write_example(split_dir: pathlib.Path, name: str, example: dict) -> None:
    """Encode one :func:`~sievenet_tf.data.synthetic.render_example` result into its five files."""
    Image.fromarray(example["person"]).save(
        split_dir / "image" / f"{name}_0.jpg", quality=_JPEG_QUALITY
    )
    Image.fromarray(example["cloth"]).save(
        split_dir / "cloth" / f"{name}_1.jpg", quality=_JPEG_QUALITY
    )
    Image.fromarray(example["cloth_mask"]).save(
        split_dir / "cloth-mask" / f"{name}_1.jpg", quality=_JPEG_QUALITY
    )
    parse = Image.fromarray(example["parse"])  # mode "L"; putpalette makes it "P", values kept
    parse.putpalette(LIP_COLORS.ravel().tolist())
    parse.save(split_dir / "image-parse" / f"{name}_0.png")
    keypoints = [round(float(v), 3) for v in example["keypoints"].reshape(-1)]
    pose = {"version": 1.0, "people": [{"pose_keypoints": keypoints}]}
    (split_dir / "pose" / f"{name}_0_keypoints.json").write_text(json.dumps(pose))


def unpaired(names: list[str], seed: int) -> list[str]:
    """The garment each test person is paired with: one random cycle through all
    of them, so nobody gets their own (when there are at least two)."""
    if len(names) < 2:
        return list(names)
    rng = np.random.default_rng((seed, SEED_CODES["pairing"], len(names)))
    cycle = rng.permutation(len(names))
    garment_of = np.empty(len(names), dtype=np.int64)
    garment_of[cycle] = np.roll(cycle, -1)
    return [names[i] for i in garment_of]


def write_pairs(path: pathlib.Path, person_names, cloth_names) -> None:
    """One "N_0.jpg M_1.jpg" line per (person, cloth) name."""
    lines = [f"{p}_0.jpg {c}_1.jpg\n" for p, c in zip(person_names, cloth_names, strict=True)]
    path.write_text("".join(lines))


def write_readme(root, num_train, num_test, image_size, seed) -> None:
    """The dataset's README.md: that it is synthetic, how it was made."""
    text = f"""# Synthetic VITON-layout dataset

Drawn by `sievenet_tf.data.synthetic.generate` (generator version {GENERATOR_VERSION}).
These are not photos: the people, garments, parses and keypoints are drawn, and
each worn garment is its flat cloth image warped onto the body by a known smooth
warp. See `docs/synthetic.md` in the sievenet-tf repository.

- seed: {seed}
- image size (H x W): {image_size[0]} x {image_size[1]}
- examples: {num_train} train, {num_test} test
- layout: CP-VTON "VITON": `{{train,test}}/{{image, cloth, cloth-mask, image-parse, pose}}`;
  `train_pairs.txt` is paired, `test_pairs.txt` unpaired (each test person's own
  garment is written too, for paired evaluation)
- parses: palette PNGs of LIP ids; neck and chest skin are background ({NECK_LABEL}), as in VITON

The same seed, size and generator version give identical files (with the same
NumPy, OpenCV and Pillow builds).
"""
    (root / "README.md").write_text(text)


class Progress:
    """A carriage-return progress line on stderr (tqdm is not a dependency).
    Silent for runs shorter than half a second."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.done = total, enabled, 0
        self.start = self.last = time.monotonic()
        self.shown = False
        # Redraw one line on a terminal; in a log file, a line every few seconds.
        self.interactive = sys.stderr.isatty()

    def step(self, split: str) -> None:
        self.done += 1
        now = time.monotonic()
        if not self.enabled or now - self.start < 0.5:
            return
        interval = 0.2 if self.interactive else 5.0
        if now - self.last > interval or self.done == self.total:
            self.last, self.shown = now, True
            rate = self.done / (now - self.start)
            line = f"synthetic {split}: {self.done}/{self.total} examples ({rate:.0f}/s)"
            sys.stderr.write(f"\r{line}  " if self.interactive else f"{line}\n")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown and self.interactive:
            sys.stderr.write("\n")
            sys.stderr.flush()
