"""A procedural try-on dataset in CP-VTON's "VITON" on-disk layout.

The project has no internet and may not ship real photos, so the demo, the tests
and the benchmarks run on data drawn here. Every example is a person drawn with
OpenCV (face, hair, neck, arms in varied poses, trousers or a skirt, legs, shoes)
wearing a garment that was first drawn flat on a white background and then
*warped* onto the body. Because every step is generated, the ground truth of each
SieveNet stage is known exactly:

* warping: the worn garment (parse label ``LIP_UPPER_CLOTHES``) is the flat cloth
  resampled through one smooth backward map (a moving-least-squares similarity
  deformation through body-anchored control points plus a small random smooth
  displacement), then occluded by the forearms and hair in front of it;
* segmentation: the parse is the exact label of every drawn layer;
* texture translation: the photo is the exact composite of those layers.

Layout written by :func:`generate` (``N`` is a six-digit index such as ``000042``)::

    OUT/{train,test}/image/N_0.jpg              person photo, RGB JPEG, H x W
    OUT/{train,test}/cloth/N_1.jpg              flat garment on white, RGB JPEG
    OUT/{train,test}/cloth-mask/N_1.jpg         one-channel JPEG, 255 garment / 0 elsewhere
    OUT/{train,test}/image-parse/N_0.png        palette ("P") PNG, pixel values = LIP ids
    OUT/{train,test}/pose/N_0_keypoints.json    {"version": 1.0, "people": [{"pose_keypoints": [...]}]}
    OUT/train_pairs.txt                         "N_0.jpg N_1.jpg", each person with their own garment
    OUT/test_pairs.txt                          unpaired: each person with another test garment
    OUT/README.md                               says the data is synthetic; seed and version

Conventions:

* Left and right are the person's own, as in LIP and OpenPose: the person faces
  the camera, so ``LIP_LEFT_ARM``, the left leg, the left shoe and the ``l_*``
  keypoints are on the *image's right*.
* LIP has no neck class. As the LIP parser does on real VITON photos (and as
  ``sievenet_tf.data.labels`` assumes), the neck and the chest skin a neckline
  leaves visible are labelled :data:`NECK_LABEL` (background); shoulder skin
  beside a tank top's straps is labelled as the arm of its side. Hands belong
  to the arms, as in LIP.
* Keypoints are OpenPose COCO-18 in pixels; points outside the image are
  ``0, 0, 0`` as OpenPose writes undetected ones.
* Train and test are numbered from ``000000`` in their own folders; they are
  different people (seeded separately).
* The geometry (pose, body, garment shape, colours) of example ``i`` does not
  depend on the image size; only pixel noise does. So the same seed gives the
  same people at 64 x 48 and at 1024 x 768.

Example:
    >>> from sievenet_tf.data.synthetic import generate
    >>> root = generate("/tmp/synthetic_viton", num_train=300, num_test=50)
"""

from __future__ import annotations

import colorsys
import dataclasses
import json
import math
import pathlib
import shutil
import sys
import time
import warnings

import cv2
import numpy as np
from PIL import Image

from sievenet_tf.data.labels import (
    COCO18_KEYPOINT_NAMES,
    LIP_BACKGROUND,
    LIP_COLORS,
    LIP_FACE,
    LIP_HAIR,
    LIP_LEFT_ARM,
    LIP_LEFT_LEG,
    LIP_LEFT_SHOE,
    LIP_PANTS,
    LIP_RIGHT_ARM,
    LIP_RIGHT_LEG,
    LIP_RIGHT_SHOE,
    LIP_SKIRT,
    LIP_UPPER_CLOTHES,
)

# Bump when the drawing changes: a dataset's README names the version that made it.
GENERATOR_VERSION = "1.0"

# LIP has no neck class: neck and chest skin are background, as in VITON's
# parses (see the module docstring).
NECK_LABEL = LIP_BACKGROUND

SPLITS = ("train", "test")
SUBDIRS = ("image", "cloth", "cloth-mask", "image-parse", "pose")

# Geometry is designed in a 256 x 192 reference frame (VITON's size) and mapped to
# the requested size by one uniform scale, centred (see _Frame).
_REF_HEIGHT = 256.0
_REF_WIDTH = 192.0
_MIN_SIZE = (32, 24)
_MAX_EXAMPLES = 1_000_000  # six-digit file names
_JPEG_QUALITY = 92
_SEED_CODES = {"train": 0, "test": 1, "pairing": 2}

# Garment kinds and how often they are drawn.
_GARMENT_KINDS = ("tshirt", "long_sleeve", "tank_top")
_GARMENT_FREQUENCIES = (0.45, 0.3, 0.25)
# Channels of the garment part coverage.
_PART_TORSO, _PART_RIGHT_SLEEVE, _PART_LEFT_SLEEVE = 0, 1, 2
# Fractions along a sleeve's outer edge (from the shoulder tip) and inner edge
# (from the armpit) where the warp pins the sleeve to the arm.
_SLEEVE_FRACTIONS = {
    "tshirt": ((0.12, 0.3, 0.65, 1.0), (0.5, 1.0)),
    "long_sleeve": ((0.06, 0.15, 0.35, 0.55, 0.75, 1.0), (0.25, 0.5, 0.75, 1.0)),
}

_PRINT_WORDS = ("SIEVE", "TRY ON", "NOVA", "WAVE", "1987", "ZEN", "SPORT", "LOVE", "NYC", "OK")
# Skin tones from light to dark (RGB); a person's tone interpolates between two.
_SKIN_TONES = np.array(
    [(250, 222, 200), (238, 196, 170), (225, 175, 140), (198, 140, 100),
     (165, 108, 72), (120, 78, 52), (84, 56, 40)],
    dtype=np.float32,
)  # fmt: skip
_HAIR_COLOURS = np.array(
    [(20, 16, 14), (45, 30, 22), (80, 52, 34), (120, 82, 48), (170, 130, 80),
     (215, 185, 130), (140, 60, 30), (150, 150, 150)],
    dtype=np.float32,
)  # fmt: skip


# --------------------------------------------------------------------------- API


def generate(
    out_dir,
    num_train: int,
    num_test: int,
    image_size=(256, 192),
    seed: int = 0,
    progress: bool = True,
    *,
    overwrite: bool = False,
) -> pathlib.Path:
    """Writes a synthetic dataset in the CP-VTON "VITON" layout.

    Example ``i`` of a split is drawn from ``np.random.default_rng((seed, split, i))``:
    the same arguments give the same bytes, and asking for more examples adds
    examples without changing the first ones (only ``test_pairs.txt``, which
    pairs each test person with another test garment, depends on ``num_test``).

    Args:
        out_dir: dataset root; must be absent or empty unless ``overwrite``.
        num_train: number of training examples (>= 0).
        num_test: number of test examples (>= 0). Unpaired test pairs need at
            least 2; with exactly 1 the only pair is paired (with a warning).
        image_size: (height, width) of every image in pixels, at least 32 x 24.
        seed: non-negative integer seed.
        progress: show a progress line on stderr when generation takes a while.
        overwrite: replace a dataset already in ``out_dir``: removes the
            ``train/`` and ``test/`` folders, the pairs files and ``README.md``
            (what this function writes), nothing else.

    Returns:
        The dataset root.

    Raises:
        ValueError: an argument is out of range.
        FileExistsError: ``out_dir`` is a file, or is not empty and ``overwrite``
            is False.
    """
    height, width = _validate_args(num_train, num_test, image_size, seed)
    root = pathlib.Path(out_dir)
    _prepare_root(root, overwrite)

    counts = {"train": num_train, "test": num_test}
    reporter = _Progress(num_train + num_test, enabled=progress)
    for split in SPLITS:
        for sub in SUBDIRS:
            (root / split / sub).mkdir(parents=True, exist_ok=True)
        for index in range(counts[split]):
            rng = np.random.default_rng((seed, _SEED_CODES[split], index))
            _write_example(root / split, f"{index:06d}", render_example(rng, (height, width)))
            reporter.step(split)
    reporter.close()

    train_names = [f"{i:06d}" for i in range(num_train)]
    _write_pairs(root / "train_pairs.txt", train_names, train_names)
    test_names = [f"{i:06d}" for i in range(num_test)]
    _write_pairs(root / "test_pairs.txt", test_names, _unpaired(test_names, seed))
    _write_readme(root, num_train, num_test, (height, width), seed)
    return root


def render_example(rng: np.random.Generator, image_size=(256, 192)) -> dict[str, np.ndarray]:
    """Draws one example in memory (what :func:`generate` writes, before encoding).

    Args:
        rng: the example's random generator; all randomness comes from it.
        image_size: (height, width) in pixels.

    Returns:
        A dict with ``person`` (H, W, 3) uint8; ``parse`` (H, W) uint8 LIP ids;
        ``keypoints`` (18, 3) float32 (x px, y px, confidence; zeros outside the
        image); ``cloth`` (H, W, 3) uint8; ``cloth_mask`` (H, W) uint8 in {0, 255}.
    """
    frame = _Frame(int(image_size[0]), int(image_size[1]))
    # Pixel noise needs a number of draws that depends on the image size; a
    # separate stream keeps every geometric draw independent of the size.
    noise = np.random.default_rng(rng.integers(0, 2**63))
    kind = str(rng.choice(_GARMENT_KINDS, p=_GARMENT_FREQUENCIES))
    shape = _sample_garment_shape(rng, kind)
    flat = _draw_flat_garment(rng, noise, frame, shape)
    body = _sample_body(rng, long_sleeves=(kind == "long_sleeve"))
    person, parse = _draw_person(rng, noise, frame, body, shape, flat)
    return {
        "person": person,
        "parse": parse,
        "keypoints": _keypoints(rng, frame, body),
        "cloth": flat.image,
        "cloth_mask": np.where(flat.mask >= 0.5, 255, 0).astype(np.uint8),
    }


# ---------------------------------------------------------------- arguments, I/O


def _validate_args(num_train, num_test, image_size, seed) -> tuple[int, int]:
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


def _prepare_root(root: pathlib.Path, overwrite: bool) -> None:
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"{root} exists and is not a directory")
    if root.is_dir() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"{root} is not empty; choose a new directory or pass overwrite=True"
            )
        for split in SPLITS:
            shutil.rmtree(root / split, ignore_errors=True)
        for name in ("train_pairs.txt", "test_pairs.txt", "README.md"):
            (root / name).unlink(missing_ok=True)
    root.mkdir(parents=True, exist_ok=True)


def _write_example(split_dir: pathlib.Path, name: str, example: dict) -> None:
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


def _unpaired(names: list[str], seed: int) -> list[str]:
    """The garment each test person is paired with: one random cycle through all
    of them, so nobody gets their own (when there are at least two)."""
    if len(names) < 2:
        return list(names)
    rng = np.random.default_rng((seed, _SEED_CODES["pairing"], len(names)))
    cycle = rng.permutation(len(names))
    garment_of = np.empty(len(names), dtype=np.int64)
    garment_of[cycle] = np.roll(cycle, -1)
    return [names[i] for i in garment_of]


def _write_pairs(path: pathlib.Path, person_names, cloth_names) -> None:
    lines = [f"{p}_0.jpg {c}_1.jpg\n" for p, c in zip(person_names, cloth_names, strict=True)]
    path.write_text("".join(lines))


def _write_readme(root, num_train, num_test, image_size, seed) -> None:
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


class _Progress:
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


# --------------------------------------------------------------- drawing helpers


@dataclasses.dataclass(frozen=True)
class _Frame:
    """Maps the 256 x 192 reference frame onto the H x W canvas (one uniform
    scale, centred), so every size and distance is proportional to the image."""

    height: int
    width: int

    @property
    def scale(self) -> float:
        return min(self.height / _REF_HEIGHT, self.width / _REF_WIDTH)

    @property
    def size(self) -> tuple[int, int]:
        return (self.height, self.width)

    def px(self, points) -> np.ndarray:
        """Reference-frame points (..., 2) as (x, y) pixel coordinates, pixel
        centres at integers."""
        offset = np.array(
            [
                (self.width - _REF_WIDTH * self.scale) / 2,
                (self.height - _REF_HEIGHT * self.scale) / 2,
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


_GRID_CACHE: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _fill(size, polygons) -> np.ndarray:
    """Anti-aliased coverage (H, W) float32 in [0, 1] of filled pixel polygons."""
    mask = np.zeros(size, np.uint8)
    for polygon in polygons:
        # One call per polygon: one fillPoly call with several polygons leaves
        # their overlaps empty (even-odd filling). 4 fractional bits keep small
        # drawings (64 x 48) smooth.
        points = np.round(np.asarray(polygon, dtype=np.float64) * 16).astype(np.int32)
        cv2.fillPoly(mask, [points], 255, cv2.LINE_AA, shift=4)
    return mask.astype(np.float32) * (1.0 / 255.0)


def _capsule(p0, p1, r0, r1, segments=24) -> np.ndarray:
    """Polygon of a tapered capsule: the convex hull of two circles."""
    angles = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    circle = np.stack([np.cos(angles), np.sin(angles)], -1)
    points = np.concatenate([np.asarray(p0) + r0 * circle, np.asarray(p1) + r1 * circle])
    return cv2.convexHull(points.astype(np.float32))[:, 0].astype(np.float64)


def _ellipse(centre, axes, angle_deg=0.0, segments=48) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    local = np.stack([axes[0] * np.cos(t), axes[1] * np.sin(t)], -1)
    a = math.radians(angle_deg)
    rotation = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    return local @ rotation.T + np.asarray(centre)


def _bezier(p0, control, p1, n=12) -> np.ndarray:
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


def _edge_shading(alpha: np.ndarray, sigma: float, strength: float) -> np.ndarray:
    """(H, W) multiplicative shading, darker towards a shape's edges, so flat fills
    read as rounded limbs and cloth."""
    return 1.0 - strength * (1.0 - np.clip(_blur(alpha, sigma) * 1.6, 0.0, 1.0))


def _smooth_noise(noise, size, cells: float, octaves: int = 2) -> np.ndarray:
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


def _random_colour(rng, saturation=(0.2, 0.9), value=(0.2, 0.9)) -> np.ndarray:
    hue, sat, val = rng.uniform(), rng.uniform(*saturation), rng.uniform(*value)
    return np.array(colorsys.hsv_to_rgb(hue, sat, val), dtype=np.float32)


class _Canvas:
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
            shading: optional (sigma_px, strength) of :func:`_edge_shading`.
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
            colour = colour * _edge_shading(a, *shading)[..., None]
        self.image[box] += (colour - self.image[box]) * a[..., None]
        if label is not None:
            label = np.asarray(label)
            labels = label[box] if label.ndim == 2 else label
            self.labels[box] = np.where(a >= 0.5, labels, self.labels[box])


# ---------------------------------------------------------------------- garments


@dataclasses.dataclass(frozen=True)
class _GarmentShape:
    """A flat garment in garment units: origin at the collar centre, x to the
    image's right, y down, unit = half the torso width. Points are stored for the
    image-right half (the person's left); the other half mirrors them."""

    kind: str  # one of _GARMENT_KINDS
    neck_half_width: float
    back_depth: float  # back neckline; the inside of the back shows above the front one
    front_depth: float  # front neckline depth at the centre
    shoulder: tuple[float, float]  # shoulder seam tip (strap's outer edge for tank tops)
    armpit: tuple[float, float]
    waist: tuple[float, float]
    hem: tuple[float, float]  # hem corner; its y is the garment's length
    hem_curve: float  # how far the hem's centre sags below its corners
    sleeve_angle: float  # degrees from straight down, outward
    sleeve_length: float  # along the outer edge; 0 for tank tops
    sleeve_end_width: float

    @staticmethod
    def point(p, sign: float) -> np.ndarray:
        """A stored (image-right) point on side ``sign`` (+1 image right, -1 left)."""
        return np.array([sign * p[0], p[1]], dtype=np.float64)

    def sleeve_ends(self, sign: float) -> tuple[np.ndarray, np.ndarray]:
        """Outer and inner end points of the sleeve on side ``sign``."""
        a = math.radians(self.sleeve_angle)
        direction = np.array([sign * math.sin(a), math.cos(a)])
        inward = np.array([-sign * math.cos(a), math.sin(a)])  # across the sleeve, towards the body
        outer = self.point(self.shoulder, sign) + self.sleeve_length * direction
        return outer, outer + self.sleeve_end_width * inward


def _sample_garment_shape(rng, kind: str) -> _GarmentShape:
    u = rng.uniform
    length = u(2.1, 2.7)
    if kind == "tank_top":
        neck = u(0.38, 0.5)
        shoulder = (neck + u(0.18, 0.3), u(0.0, 0.05))
        armpit = (u(0.88, 0.98), u(0.75, 0.95))
        front = u(0.45, 0.9)
        sleeve = (0.0, 0.0, 0.0)
    else:
        neck = u(0.32, 0.45)
        shoulder = (u(0.95, 1.08), u(0.12, 0.2))
        armpit = (u(0.9, 1.0), u(0.6, 0.78))
        front = u(0.2, 0.35) if u() < 0.65 else u(0.5, 0.8)  # crew, or V / scoop
        if kind == "tshirt":  # (angle, length, end width)
            sleeve = (u(38, 58), u(0.5, 0.8), u(0.5, 0.65))
        else:
            sleeve = (u(12, 22), u(2.1, 2.5), u(0.36, 0.46))
    return _GarmentShape(
        kind=kind,
        neck_half_width=neck,
        back_depth=u(0.06, 0.12),
        front_depth=front,
        shoulder=shoulder,
        armpit=armpit,
        waist=(armpit[0] * u(0.88, 0.98), armpit[1] + (length - armpit[1]) * u(0.4, 0.55)),
        hem=(armpit[0] * u(0.92, 1.08), length),
        hem_curve=u(-0.05, 0.12),
        sleeve_angle=sleeve[0],
        sleeve_length=sleeve[1],
        sleeve_end_width=sleeve[2],
    )


def _garment_outlines(shape: _GarmentShape) -> dict[str, np.ndarray]:
    """Polygons in garment units: ``torso`` (including the inside of the back
    neck), ``inner`` (the inside of the back, seen through the neckline), the
    ``front_neckline`` polyline and the sleeves ``sleeve_r`` (the wearer's right,
    image left) and ``sleeve_l``."""
    p = _GarmentShape.point
    n = shape.neck_half_width
    if shape.kind == "tank_top":  # a concave armhole from the strap down to the armpit
        control = (shape.shoulder[0] + 0.05, shape.armpit[1] * 0.85)
        side = [
            *_bezier(shape.shoulder, control, shape.armpit, 8),
            p(shape.waist, 1),
            p(shape.hem, 1),
        ]
    else:
        side = [p(shape.shoulder, 1), p(shape.armpit, 1), p(shape.waist, 1), p(shape.hem, 1)]
    right_side = np.array(side)
    left_side = right_side[::-1] * [-1, 1]
    hem = _bezier(p(shape.hem, 1), (0, shape.hem[1] + 2 * shape.hem_curve), p(shape.hem, -1), 10)
    back_neck = _bezier((-n, 0), (0, 2 * shape.back_depth), (n, 0), 10)
    if shape.front_depth > 0.45 and shape.kind != "tank_top":  # V-neck: two slightly curved sides
        bottom = (0, shape.front_depth)
        front_neck = np.concatenate(
            [
                _bezier((n, 0), (n * 0.6, 0.3 * shape.front_depth), bottom, 6),
                _bezier(bottom, (-n * 0.6, 0.3 * shape.front_depth), (-n, 0), 6)[1:],
            ]
        )
    else:
        front_neck = _bezier((n, 0), (0, 2 * shape.front_depth), (-n, 0), 12)
    outlines = {
        "torso": np.concatenate([back_neck, right_side, hem[1:-1], left_side]),
        "inner": np.concatenate([back_neck, front_neck[1:-1]]),
        "front_neckline": front_neck,
    }
    if shape.sleeve_length > 0:
        for name, sign in (("sleeve_r", -1.0), ("sleeve_l", 1.0)):
            outer, inner = shape.sleeve_ends(sign)
            shoulder, armpit = p(shape.shoulder, sign), p(shape.armpit, sign)
            # Overlap the torso a little so the seam has no anti-aliasing gap.
            inset = np.array([-sign * 0.12, 0.0])
            outlines[name] = np.array(
                [shoulder + inset, shoulder, outer, inner, armpit, armpit + inset]
            )
    return outlines


@dataclasses.dataclass
class _FlatGarment:
    image: np.ndarray  # (H, W, 3) uint8: the product photo, garment on white
    colour: np.ndarray  # (H, W, 3) float32: the garment's colour, also outside it (for warping)
    mask: np.ndarray  # (H, W) float32: coverage of the whole garment
    parts: np.ndarray  # (H, W, 3) float32: coverage of torso, right sleeve, left sleeve
    anchors: dict  # name -> (2,) pixel point, pinned by the warp to a body point


def _draw_flat_garment(rng, noise, frame: _Frame, shape: _GarmentShape) -> _FlatGarment:
    """The product photo: the garment centred on white, filling most of the frame
    like VITON's cloth images."""
    outlines = _garment_outlines(shape)
    points = np.concatenate(list(outlines.values()))
    top, bottom = points[:, 1].min(), points[:, 1].max()
    # Garment units -> reference units: 74-86 % of the height, at most 92 % of the width.
    unit = rng.uniform(0.74, 0.86) * _REF_HEIGHT / (bottom - top)
    unit = min(unit, 0.92 * _REF_WIDTH / (2 * np.abs(points[:, 0]).max()))
    origin = np.array(
        [
            _REF_WIDTH / 2 + rng.uniform(-3, 3),
            (_REF_HEIGHT - unit * (bottom - top)) / 2 - unit * top + rng.uniform(-4, 4),
        ]
    )

    def to_px(garment_points):
        return frame.px(np.asarray(garment_points) * unit + origin)

    size = frame.size
    torso = _fill(size, [to_px(outlines["torso"])])
    inner = _fill(size, [to_px(outlines["inner"])])
    sleeves = [
        _fill(size, [to_px(outlines[name])]) if name in outlines else np.zeros(size, np.float32)
        for name in ("sleeve_r", "sleeve_l")  # channel order: _PART_RIGHT_SLEEVE, _PART_LEFT_SLEEVE
    ]
    mask = np.clip(torso + sleeves[0] + sleeves[1], 0, 1)

    colour = _make_texture(rng, noise, frame)
    if rng.uniform() < 0.4:
        chest = (
            0.0,
            shape.front_depth + rng.uniform(0.25, 0.45) * (shape.hem[1] - shape.front_depth),
        )
        colour = _add_print(
            rng, frame, colour, to_px(chest), rng.uniform(0.6, 1.1) * unit * frame.scale
        )
    # A rib along the front neckline, in a darker shade or a contrasting colour.
    rib = np.zeros(size, np.uint8)
    rib_width = max(1, int(round(0.06 * unit * frame.scale)))
    neckline = np.round(to_px(outlines["front_neckline"]) * 16).astype(np.int32)
    cv2.polylines(rib, [neckline], False, 255, rib_width, cv2.LINE_AA, shift=4)
    rib_alpha = rib.astype(np.float32) / 255.0
    rib_colour = (
        colour.reshape(-1, 3).mean(0) * 0.75 if rng.uniform() < 0.5 else _random_colour(rng)
    )
    colour = colour + (rib_colour - colour) * rib_alpha[..., None]
    # The inside of the back, seen through the neckline, is in shadow.
    colour = colour * (1 - 0.35 * np.clip(inner - rib_alpha, 0, 1))[..., None]

    # Product-photo look: soft shading towards the outline, a little fabric noise.
    colour = colour * _edge_shading(mask, 0.03 * frame.height, 0.18)[..., None]
    colour = np.clip(colour + 0.012 * noise.standard_normal((*size, 1), np.float32), 0, 1)
    image = colour * mask[..., None] + (1 - mask[..., None])
    return _FlatGarment(
        image=np.round(image * 255).astype(np.uint8),
        colour=colour,
        mask=mask,
        parts=np.stack([np.clip(torso - inner, 0, 1), *sleeves], -1),
        anchors=_flat_anchors(shape, to_px),
    )


def _flat_anchors(shape: _GarmentShape, to_px) -> dict[str, np.ndarray]:
    """Named garment points (pixels) that the warp pins to the body points of
    the same names (:func:`_body_anchors`)."""
    p = _GarmentShape.point
    anchors = {
        "neck_front": (0.0, shape.front_depth),
        "neck_back": (0.0, shape.back_depth),
        "chest": (0.0, 0.4 * shape.hem[1]),
        "belly": (0.0, 0.75 * shape.hem[1]),
        "hem_centre": (0.0, shape.hem[1] + shape.hem_curve),
    }
    for side, sign in (("r", -1.0), ("l", 1.0)):  # the person's right is the image's left
        shoulder, armpit = p(shape.shoulder, sign), p(shape.armpit, sign)
        anchors[f"collar_{side}"] = p((shape.neck_half_width, 0.0), sign)
        anchors[f"shoulder_{side}"] = shoulder
        anchors[f"top_{side}"] = (anchors[f"collar_{side}"] + shoulder) / 2
        anchors[f"armpit_{side}"] = armpit
        anchors[f"waist_{side}"] = p(shape.waist, sign)
        anchors[f"hem_{side}"] = p(shape.hem, sign)
        if shape.sleeve_length > 0:
            anchors[f"seam_{side}"] = (shoulder + armpit) / 2
            outer, inner = shape.sleeve_ends(sign)
            outer_fractions, inner_fractions = _SLEEVE_FRACTIONS[shape.kind]
            for t in outer_fractions:
                anchors[f"sleeve_out_{side}_{t}"] = shoulder + t * (outer - shoulder)
            for t in inner_fractions:
                anchors[f"sleeve_in_{side}_{t}"] = armpit + t * (inner - armpit)
    return {name: to_px(point) for name, point in anchors.items()}


def _make_texture(rng, noise, frame: _Frame) -> np.ndarray:
    """(H, W, 3) float32 fabric over the whole canvas (the outline cuts it later):
    solid, stripes, checks, dots, a gradient or camouflage-like blotches."""
    xs, ys = frame.grid()
    base = _random_colour(rng, saturation=(0.0, 0.85), value=(0.12, 0.9))
    second = _random_colour(rng, saturation=(0.0, 0.9), value=(0.1, 0.97))
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
            (_smooth_noise(noise, frame.size, rng.uniform(4, 9)) - threshold) * 8.0, 0, 1
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


def _add_print(rng, frame: _Frame, texture: np.ndarray, centre, span: float) -> np.ndarray:
    """A chest print, a word or a simple shape ``span`` pixels wide centred on
    ``centre`` (pixels): a distinctive feature for the warp to carry."""
    size = frame.size
    colour = _random_colour(rng, saturation=(0.0, 1.0), value=(0.0, 1.0))
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
            polygon = _ellipse(centre, (radius, radius))
        alpha = _fill(size, [polygon])
        if kind == "ring":
            alpha = np.clip(
                alpha - _fill(size, [_ellipse(centre, (radius * 0.65, radius * 0.65))]), 0, 1
            )
    return texture + (colour - texture) * alpha[..., None]


# -------------------------------------------------------------------------- body


@dataclasses.dataclass
class _Body:
    """A person in reference units (the 256 x 192 frame). Keys ``r_*`` are the
    person's right side (image left), ``l_*`` their left (image right)."""

    head: float  # head height: the unit of every body proportion
    centre_x: float
    face_centre: np.ndarray
    face_axes: tuple[float, float]
    face_angle: float  # degrees
    neck_half_width: float
    neck_top_y: float
    collar_y: float  # where a garment's collar sits (the base of the neck)
    shoulder_y: float  # height of the neck keypoint
    joints: dict  # COCO joint name ("r_elbow", ...) -> (2,) point
    elbow_bend: dict  # "r" / "l" -> inward elbow bend, radians
    chest_half: float
    waist_half: float
    waist_y: float
    hip_y: float
    hip_outer: float  # half-width of the hips' outline
    arm_radii: tuple[float, float, float]  # at shoulder, elbow, wrist
    leg_radii: tuple[float, float, float]  # at hip, knee, ankle
    skin: np.ndarray
    hair_colour: np.ndarray
    hair_style: str  # short, bob, long, bun
    hair_bottom: float
    hair_front: tuple[bool, bool]  # long hair in front of the right / left shoulder
    bottoms: str  # pants, skirt
    bottoms_colour: np.ndarray
    skirt_hem_y: float
    shoe_colour: np.ndarray


def _sample_body(rng, long_sleeves: bool) -> _Body:
    u = rng.uniform
    # VITON photos mostly frame head to thigh (head ~45 px of 256); about a third
    # of ours are zoomed out to show the legs and shoes.
    head = u(28.0, 33.0) if u() < 0.3 else u(36.0, 50.0)
    centre_x = _REF_WIDTH / 2 + u(-6, 6)
    face_axes = (head * u(0.34, 0.4), head * u(0.48, 0.53))
    face_centre = np.array([centre_x + u(-2, 2), u(4.0, 14.0) + face_axes[1]])
    chin_y = face_centre[1] + face_axes[1]
    shoulder_y = chin_y + head * u(0.45, 0.6)
    shoulder_half = head * u(0.85, 1.05)
    hip_y = shoulder_y + head * u(2.5, 2.85)
    hip_half = head * u(0.48, 0.62)
    tilt = head * u(-0.06, 0.06)

    joints, elbow_bend = {}, {}
    for side, sign in (("r", -1.0), ("l", 1.0)):
        shoulder = np.array(
            [centre_x + sign * shoulder_half, shoulder_y + sign * tilt + head * 0.05]
        )
        upper, fore = head * u(1.35, 1.5), head * u(1.1, 1.25)
        swing, bend = _sample_arm_angles(rng, long_sleeves)
        elbow = shoulder + upper * np.array([sign * math.sin(swing), math.cos(swing)])
        joints[f"{side}_shoulder"] = shoulder
        joints[f"{side}_elbow"] = elbow
        joints[f"{side}_wrist"] = elbow + fore * np.array(
            [sign * math.sin(swing - bend), math.cos(swing - bend)]
        )
        elbow_bend[side] = bend
        hip = np.array([centre_x + sign * hip_half, hip_y])
        knee = hip + head * np.array([sign * u(-0.05, 0.3), u(1.85, 2.0)])
        joints[f"{side}_hip"] = hip
        joints[f"{side}_knee"] = knee
        joints[f"{side}_ankle"] = knee + head * np.array([sign * u(-0.1, 0.15), u(1.8, 1.95)])

    tone = u(0, len(_SKIN_TONES) - 1)
    low = int(tone)
    high = min(low + 1, len(_SKIN_TONES) - 1)
    skin = (_SKIN_TONES[low] + (_SKIN_TONES[high] - _SKIN_TONES[low]) * (tone - low)) / 255
    hair_colour = _HAIR_COLOURS[rng.integers(len(_HAIR_COLOURS))] / 255 * u(0.85, 1.15)
    hair_style = str(rng.choice(["short", "bob", "long", "bun"], p=[0.22, 0.15, 0.53, 0.1]))
    hair_front = (bool(u() < 0.45), bool(u() < 0.45)) if hair_style == "long" else (False, False)
    bottoms = "skirt" if u() < 0.35 else "pants"
    if bottoms == "pants" and u() < 0.5:  # denim
        bottoms_colour = np.array([u(0.1, 0.3), u(0.18, 0.35), u(0.35, 0.6)], np.float32)
    else:
        bottoms_colour = _random_colour(rng, saturation=(0.0, 0.7), value=(0.1, 0.85))
    return _Body(
        head=head,
        centre_x=centre_x,
        face_centre=face_centre,
        face_axes=face_axes,
        face_angle=u(-6, 6),
        neck_half_width=head * u(0.27, 0.33),
        neck_top_y=chin_y - head * 0.15,
        collar_y=shoulder_y - head * u(0.12, 0.2),
        shoulder_y=shoulder_y,
        joints=joints,
        elbow_bend=elbow_bend,
        chest_half=shoulder_half * u(0.86, 0.95),
        waist_half=hip_half * u(1.05, 1.25),
        waist_y=shoulder_y + (hip_y - shoulder_y) * u(0.55, 0.65),
        hip_y=hip_y,
        hip_outer=hip_half + head * u(0.25, 0.38),
        arm_radii=(head * u(0.2, 0.25), head * u(0.14, 0.17), head * u(0.1, 0.12)),
        leg_radii=(head * u(0.33, 0.4), head * u(0.2, 0.24), head * u(0.12, 0.14)),
        skin=np.clip(skin * u(0.95, 1.05, size=3), 0, 1).astype(np.float32),
        hair_colour=np.clip(hair_colour, 0, 1).astype(np.float32),
        hair_style=hair_style,
        hair_bottom=shoulder_y + head * u(0.2, 1.8),
        hair_front=hair_front,
        bottoms=bottoms,
        bottoms_colour=bottoms_colour,
        skirt_hem_y=hip_y + head * u(0.6, 1.9),
        shoe_colour=_random_colour(rng, saturation=(0.0, 0.6), value=(0.05, 0.95)),
    )


def _sample_arm_angles(rng, long_sleeves: bool) -> tuple[float, float]:
    """(outward swing of the upper arm from straight down, inward elbow bend), radians.

    Poses: hanging, hand on the hip, forearm across the torso. Long sleeves only
    hang: a forearm across the torso inside a sleeve would need the garment to
    fold over itself, which one smooth warp cannot do.
    """
    u = rng.uniform
    pose = (
        "hanging" if long_sleeves else rng.choice(["hanging", "hip", "cross"], p=[0.55, 0.2, 0.25])
    )
    if pose == "hanging":
        swing, bend = u(6, 20), (u(-8, 12) if long_sleeves else u(-5, 25))
    elif pose == "hip":
        swing, bend = u(28, 42), u(75, 100)
    else:
        swing, bend = u(3, 10), u(80, 115)
    return math.radians(swing), math.radians(bend)


def _face_point(body: _Body, dx: float, dy: float) -> np.ndarray:
    """A point given in face axes (dx, dy in [-1, 1]) in the reference frame."""
    x, y = dx * body.face_axes[0], dy * body.face_axes[1]
    a = math.radians(body.face_angle)
    fx, fy = body.face_centre
    return np.array(
        [fx + x * math.cos(a) - y * math.sin(a), fy + x * math.sin(a) + y * math.cos(a)]
    )


# Where the face keypoints sit, in face axes.
_FACE_KEYPOINTS = {"nose": (0.0, 0.15), "r_eye": (-0.42, -0.12), "l_eye": (0.42, -0.12),
                   "r_ear": (-1.0, 0.0), "l_ear": (1.0, 0.0)}  # fmt: skip


def _keypoints(rng, frame: _Frame, body: _Body) -> np.ndarray:
    """COCO-18 keypoints (18, 3): pixel x, y and a detector-like confidence;
    points outside the image are (0, 0, 0) as OpenPose writes undetected ones."""
    confidence = rng.uniform(0.55, 0.97, size=len(COCO18_KEYPOINT_NAMES))
    result = np.zeros((len(COCO18_KEYPOINT_NAMES), 3), np.float32)
    for k, name in enumerate(COCO18_KEYPOINT_NAMES):
        if name in _FACE_KEYPOINTS:
            point = _face_point(body, *_FACE_KEYPOINTS[name])
        elif name == "neck":
            point = (body.centre_x, body.shoulder_y)
        else:
            point = body.joints[name]
        x, y = frame.px(point)
        if 0 <= x <= frame.width - 1 and 0 <= y <= frame.height - 1:
            result[k] = (x, y, confidence[k])
    return result


# ------------------------------------------------------------------------ person


def _draw_person(rng, noise, frame: _Frame, body: _Body, shape: _GarmentShape, flat: _FlatGarment):
    """Paints the person back to front; returns the photo (H, W, 3) uint8 and the
    parse (H, W) uint8.

    Order: backdrop, hair behind the head, torso skin and neck, legs and shoes,
    bottoms, upper arms (whole arms under long sleeves), the warped garment, the
    head and the hair in front, then forearms and hands (which may cross the
    garment). Each layer's label overwrites what it covers, so occlusion is in
    the parse exactly as in the photo.
    """
    size, px, s, h, cx = frame.size, frame.px, frame.scale, body.head, body.centre_x
    canvas = _Canvas(_background(rng, frame))

    def skin_layer(polygons, label, sigma=0.12):
        canvas.paint(
            _fill(size, [px(p) for p in polygons]), body.skin, label, (sigma * h * s, 0.25)
        )

    hair = _hair_colour(rng, noise, frame, body)
    if body.hair_style in ("long", "bob"):
        bottom = (
            body.hair_bottom
            if body.hair_style == "long"
            else body.face_centre[1] + 1.1 * body.face_axes[1]
        )
        canvas.paint(_fill(size, [px(_hair_behind(body, bottom))]), hair, LIP_HAIR)

    # Torso skin: the neck label near the midline, the arm of its side further out.
    xs, _ = frame.grid()
    midline = px([cx, 0.0])[0]
    torso_labels = np.where(xs > midline, LIP_LEFT_ARM, LIP_RIGHT_ARM).astype(np.uint8)
    torso_labels[np.abs(xs - midline) < 1.5 * body.neck_half_width * s] = NECK_LABEL
    neck = [
        (cx - body.neck_half_width, body.neck_top_y),
        (cx + body.neck_half_width, body.neck_top_y),
        (cx + body.neck_half_width * 1.15, body.shoulder_y),
        (cx - body.neck_half_width * 1.15, body.shoulder_y),
    ]
    # One layer, so no shading seam where the neck meets the shoulders; the neck
    # lies inside the midline column, so it gets NECK_LABEL.
    skin_layer([_torso_polygon(body), neck], torso_labels, sigma=0.3)

    for side, sign, leg_label, shoe_label in (
        ("r", -1, LIP_RIGHT_LEG, LIP_RIGHT_SHOE),
        ("l", 1, LIP_LEFT_LEG, LIP_LEFT_SHOE),
    ):
        hip, knee, ankle = (body.joints[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle"))
        r_hip, r_knee, r_ankle = body.leg_radii
        skin_layer(
            [_capsule(hip, knee, r_hip, r_knee), _capsule(knee, ankle, r_knee, r_ankle)], leg_label
        )
        foot = _ellipse(ankle + [sign * 0.08 * h, 0.22 * h], (0.2 * h, 0.15 * h))
        canvas.paint(_fill(size, [px(foot)]), body.shoe_colour, shoe_label, (0.05 * h * s, 0.4))
    folds = 1 + 0.06 * _smooth_noise(noise, size, 6)
    canvas.paint(
        _fill(size, [px(p) for p in _bottoms_polygons(body)]),
        body.bottoms_colour * folds[..., None],
        LIP_PANTS if body.bottoms == "pants" else LIP_SKIRT,
        (0.15 * h * s, 0.3),
    )

    # Upper arms go under the garment (their shoulder caps are inside it); under
    # long sleeves, so do the forearms.
    long_sleeves = shape.kind == "long_sleeve"
    for side, label in (("r", LIP_RIGHT_ARM), ("l", LIP_LEFT_ARM)):
        shoulder, elbow, wrist = (
            body.joints[f"{side}_{joint}"] for joint in ("shoulder", "elbow", "wrist")
        )
        r_shoulder, r_elbow, r_wrist = body.arm_radii
        # Start the capsule a little down the arm so its round cap stays under the
        # garment; under a sleeve the shoulder is slimmer, so the sleeve hides it.
        cap_centre = shoulder + 0.08 * h * (elbow - shoulder) / np.linalg.norm(elbow - shoulder)
        cap_radius = r_shoulder if shape.kind == "tank_top" else 0.85 * r_shoulder
        polygons = [_capsule(cap_centre, elbow, cap_radius, r_elbow)]
        if long_sleeves:
            polygons.append(_capsule(elbow, wrist, r_elbow, r_wrist))
        skin_layer(polygons, label)

    worn_colour, worn_parts = _warp_garment(rng, noise, frame, body, shape, flat)
    for part in (_PART_TORSO, _PART_RIGHT_SLEEVE, _PART_LEFT_SLEEVE):
        canvas.paint(worn_parts[..., part], worn_colour, LIP_UPPER_CLOTHES)

    _draw_head(rng, frame, canvas, body, hair, skin_layer)

    # Forearms and hands; of two crossing forearms, the more bent one is in front.
    for side in sorted(("r", "l"), key=lambda side: body.elbow_bend[side]):
        elbow, wrist = body.joints[f"{side}_elbow"], body.joints[f"{side}_wrist"]
        _, r_elbow, r_wrist = body.arm_radii
        direction = (wrist - elbow) / np.linalg.norm(wrist - elbow)
        hand = _capsule(
            wrist + 0.1 * h * direction, wrist + 0.4 * h * direction, r_wrist * 1.1, r_wrist * 0.9
        )
        polygons = [hand] if long_sleeves else [_capsule(elbow, wrist, r_elbow, r_wrist), hand]
        skin_layer(polygons, LIP_RIGHT_ARM if side == "r" else LIP_LEFT_ARM)

    image = canvas.image + 0.01 * noise.standard_normal(canvas.image.shape, np.float32)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), canvas.labels


def _background(rng, frame: _Frame) -> np.ndarray:
    """Studio backdrop: light grey or white, a faint tint and gradient; now and
    then a pale pastel."""
    xs, ys = frame.grid()
    level = rng.uniform(0.82, 0.98)
    tint = rng.uniform(-0.03, 0.03, size=3)
    if rng.uniform() < 0.2:
        tint = (_random_colour(rng, saturation=(0.1, 0.25), value=(0.85, 1.0)) - level) * 0.8
    vertical, horizontal = rng.uniform(-0.05, 0.05), rng.uniform(-0.03, 0.03)
    gradient = vertical * (ys / frame.height - 0.5) + horizontal * (xs / frame.width - 0.5)
    return np.clip(level + tint + gradient[..., None], 0, 1).astype(np.float32)


def _torso_polygon(body: _Body) -> np.ndarray:
    """Torso outline from the base of the neck to just below the hips."""
    h, cx = body.head, body.centre_x

    def side(sign: float, shoulder) -> list:
        points = [
            (cx + sign * body.neck_half_width * 1.1, body.collar_y),
            (shoulder[0] - sign * 0.1 * h, shoulder[1] - 0.12 * h),
            (shoulder[0] + sign * 0.12 * h, shoulder[1] + 0.05 * h),
            (cx + sign * body.chest_half, body.shoulder_y + 0.8 * h),
            (cx + sign * body.waist_half, body.waist_y),
            (cx + sign * body.hip_outer, body.hip_y),
            (cx + sign * body.hip_outer * 0.8, body.hip_y + 0.2 * h),
        ]
        return points if sign > 0 else points[::-1]

    return np.array(side(-1.0, body.joints["r_shoulder"]) + side(1.0, body.joints["l_shoulder"]))


def _bottoms_polygons(body: _Body) -> list[np.ndarray]:
    """Trousers (a pelvis block and two tapered legs) or a flared skirt."""
    h, cx = body.head, body.centre_x
    waist_y = body.hip_y - 0.35 * h
    waist = body.waist_half * 1.02
    if body.bottoms == "skirt":
        flare = body.hip_outer * 1.1 + 0.25 * (body.skirt_hem_y - body.hip_y)
        hem_y = body.skirt_hem_y
        hem = _bezier((cx + flare, hem_y), (cx, hem_y + 0.2 * h), (cx - flare, hem_y), 8)
        return [
            np.array(
                [
                    (cx - waist, waist_y),
                    (cx + waist, waist_y),
                    (cx + body.hip_outer * 1.05, body.hip_y),
                    *hem,
                    (cx - body.hip_outer * 1.05, body.hip_y),
                ]
            )
        ]
    pelvis = [
        (cx - waist, waist_y),
        (cx + waist, waist_y),
        (cx + body.hip_outer, body.hip_y),
        (cx, body.hip_y + 0.45 * h),
        (cx - body.hip_outer, body.hip_y),
    ]
    polygons = [np.array(pelvis)]
    r_hip, r_knee, r_ankle = (r + 0.07 * h for r in body.leg_radii)  # trousers are looser than legs
    for side in ("r", "l"):
        hip, knee, ankle = (body.joints[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle"))
        polygons.append(_capsule(hip, knee, r_hip * 1.05, r_knee))
        polygons.append(_capsule(knee, ankle - [0, 0.05 * h], r_knee, r_ankle))
    return polygons


def _hair_colour(rng, noise, frame: _Frame, body: _Body) -> np.ndarray:
    """(H, W, 3) hair colour with vertical streaks."""
    streaks = _smooth_noise(noise, (8, frame.width), cells=rng.uniform(20, 40), octaves=1)
    streaks = cv2.resize(streaks, (frame.width, frame.height), interpolation=cv2.INTER_LINEAR)
    shade = 1.0 + 0.18 * streaks + 0.05 * _smooth_noise(noise, frame.size, 4)
    return np.clip(body.hair_colour * shade[..., None], 0, 1)


def _hair_behind(body: _Body, bottom_y: float) -> np.ndarray:
    """Hair behind the head, falling to ``bottom_y`` (the body covers most of it)."""
    fx, fy = body.face_centre
    ax, ay = body.face_axes
    cap = _ellipse((fx, fy - 0.08 * ay), (ax * 1.18, ay * 1.12), body.face_angle)
    width = ax * (1.35 if bottom_y > body.shoulder_y else 1.15)
    drape = [
        (fx - ax * 1.1, fy),
        (fx + ax * 1.1, fy),
        (fx + width, bottom_y - 0.2 * ay),
        (fx + width * 0.8, bottom_y),
        (fx - width * 0.8, bottom_y),
        (fx - width, bottom_y - 0.2 * ay),
    ]
    return cv2.convexHull(np.concatenate([cap, drape]).astype(np.float32))[:, 0].astype(np.float64)


def _draw_head(
    rng, frame: _Frame, canvas: _Canvas, body: _Body, hair: np.ndarray, skin_layer
) -> None:
    """Ears, the face and its features, then the hair in front (cap, bun, strands)."""
    size, px, s = frame.size, frame.px, frame.scale
    ax, ay = body.face_axes
    angle = body.face_angle

    def face_layer(polygon, colour, alpha=1.0):  # features change pixels, not the label
        canvas.paint(alpha * _fill(size, [px(polygon)]), colour, None)

    for sign in (-1, 1):
        ear = _ellipse(_face_point(body, sign * 0.98, 0.0), (ax * 0.16, ay * 0.22), angle)
        skin_layer([ear], LIP_FACE, sigma=0.03)
    skin_layer([_ellipse(body.face_centre, (ax, ay), angle)], LIP_FACE, sigma=0.1)
    for sign in (-1, 1):
        eye = _face_point(body, sign * 0.42, -0.12)
        face_layer(_ellipse(eye, (ax * 0.17, ay * 0.07), angle), np.array([0.95, 0.95, 0.93]))
        face_layer(_ellipse(eye, (ax * 0.08, ay * 0.065), angle), np.array([0.12, 0.08, 0.07]))
        brow = _capsule(_face_point(body, sign * 0.2, -0.3), _face_point(body, sign * 0.62, -0.32),
                        ay * 0.025, ay * 0.02, 12)  # fmt: skip
        face_layer(brow, body.hair_colour * 0.8)
    nose = _capsule(
        _face_point(body, 0.0, 0.0), _face_point(body, 0.03, 0.2), ax * 0.05, ax * 0.07, 12
    )
    face_layer(nose, body.skin * 0.6, alpha=0.35)
    lips = np.clip(body.skin * np.array([0.95, 0.6, 0.6]) + rng.uniform(-0.05, 0.05), 0, 1)
    face_layer(_ellipse(_face_point(body, 0.0, 0.5), (ax * 0.3, ay * 0.07), angle), lips)

    # Cap: an ellipse a little larger than the face, above a hairline that dips
    # at the temples, with a parting.
    fx, fy = body.face_centre
    cap = _fill(size, [px(_ellipse((fx, fy - 0.1 * ay), (ax * 1.12, ay * 1.06), angle))])
    xs, ys = frame.grid()
    centre_x, centre_y = px(body.face_centre)
    hairline = (
        centre_y
        - ay * s * rng.uniform(0.45, 0.7)
        + 0.55 * ay * s * ((xs - centre_x) / (ax * s)) ** 2
    )
    parting = rng.uniform(-0.5, 0.5) * ax * s
    hairline = hairline - 0.12 * ay * s * np.exp(
        -(((xs - centre_x - parting) / (0.3 * ax * s)) ** 2)
    )
    canvas.paint(cap * np.clip(hairline - ys + 0.5, 0, 1), hair, LIP_HAIR)
    if body.hair_style == "bun":
        canvas.paint(
            _fill(size, [px(_ellipse((fx, fy - ay * 1.1), (ax * 0.45, ay * 0.3)))]), hair, LIP_HAIR
        )
    for sign, in_front in zip((-1, 1), body.hair_front):
        if in_front:
            canvas.paint(_fill(size, [px(_hair_strand(body, sign))]), hair, LIP_HAIR)


def _hair_strand(body: _Body, sign: float) -> np.ndarray:
    """Long hair falling in front of one shoulder, over the garment."""
    fx, fy = body.face_centre
    ax, ay = body.face_axes
    h = body.head
    bottom = max(body.hair_bottom, body.shoulder_y + 0.5 * h)
    outer = _bezier(
        (fx + sign * ax * 1.15, fy - 0.3 * ay),
        (fx + sign * ax * 1.6, body.shoulder_y),
        (fx + sign * ax * 1.45, bottom),
        8,
    )
    inner = _bezier(
        (fx + sign * ax * 1.0, bottom - 0.15 * h),
        (fx + sign * ax * 0.75, body.shoulder_y),
        (fx + sign * ax * 0.85, fy - 0.3 * ay),
        8,
    )
    return np.concatenate([outer, inner])


# -------------------------------------------------------------------------- warp


def _body_anchors(body: _Body, shape: _GarmentShape) -> dict:
    """Where each flat-garment anchor lands on this body (reference units)."""
    h, cx = body.head, body.centre_x
    # Worn scale: the garment's shoulders (armpits for a tank top) match the body's.
    shoulder_half = (body.joints["l_shoulder"][0] - body.joints["r_shoulder"][0]) / 2
    worn_unit = shoulder_half / (shape.armpit[0] if shape.kind == "tank_top" else shape.shoulder[0])
    # Long enough to cover the waistband of the bottoms.
    length = max(shape.hem[1] * worn_unit, body.hip_y - 0.15 * h - body.collar_y)
    hem_y = body.collar_y + length
    anchors = {
        "neck_front": (cx, body.collar_y + shape.front_depth * worn_unit),
        "neck_back": (cx, body.collar_y + shape.back_depth * worn_unit),
        "chest": (cx, body.collar_y + 0.4 * length),
        "belly": (cx, body.collar_y + 0.75 * length),
        "hem_centre": (cx, hem_y + shape.hem_curve * worn_unit),
    }
    for side, sign in (("r", -1.0), ("l", 1.0)):
        lift = body.joints[f"{side}_shoulder"][1] - body.shoulder_y  # shoulders are not level
        anchors[f"collar_{side}"] = (
            cx + sign * body.neck_half_width * 1.2,
            body.collar_y + lift * 0.3,
        )
        waist_y = body.collar_y + shape.waist[1] / shape.hem[1] * length
        anchors[f"waist_{side}"] = (cx + sign * body.waist_half * 1.08, waist_y)
        hem_half = max(body.hip_outer * 1.04, shape.hem[0] * worn_unit * 0.9)
        anchors[f"hem_{side}"] = (cx + sign * hem_half, hem_y)
        if shape.kind == "tank_top":
            strap = (shape.shoulder[0] - shape.neck_half_width) * worn_unit
            strap_x = cx + sign * (body.neck_half_width * 1.2 + strap)
            anchors[f"shoulder_{side}"] = (strap_x, body.collar_y + lift * 0.5 + 0.03 * h)
            anchors[f"armpit_{side}"] = (
                cx + sign * body.chest_half * 1.03,
                body.shoulder_y + lift + 0.75 * h,
            )
        else:
            anchors.update(_sleeve_anchors(body, shape, side, sign, worn_unit))
        # Mid shoulder line, a little raised so the garment covers the top of the shoulder.
        collar, shoulder = (
            np.asarray(anchors[f"collar_{side}"]),
            np.asarray(anchors[f"shoulder_{side}"]),
        )
        anchors[f"top_{side}"] = (collar + shoulder) / 2 - [0.0, 0.04 * h]
    return anchors


def _sleeve_anchors(
    body: _Body, shape: _GarmentShape, side: str, sign: float, worn_unit: float
) -> dict:
    """Shoulder, armpit and sleeve anchors laid along one arm.

    The sleeve follows the upper arm (and the forearm for long sleeves), a little
    looser than the arm. The armpit sits on the arm's inner contour and the
    sleeve's inner edge runs down the arm from it, as on the flat garment:
    keeping the anchors in the same order on both sides keeps the warp from
    folding over.
    """
    h = body.head
    shoulder = body.joints[f"{side}_shoulder"]
    elbow = body.joints[f"{side}_elbow"]
    wrist = body.joints[f"{side}_wrist"]
    r_shoulder, r_elbow, r_wrist = body.arm_radii
    upper = float(np.linalg.norm(elbow - shoulder))
    fore = float(np.linalg.norm(wrist - elbow))
    looseness = 1.3

    def contour(distance: float, outward: float) -> np.ndarray:
        """The point ``distance`` down the arm's axis, moved to the outer (+1) or
        inner (-1) contour of a sleeve around the arm."""
        if distance <= upper:
            direction = (elbow - shoulder) / upper
            point = shoulder + distance * direction
            radius = r_shoulder + distance / upper * (r_elbow - r_shoulder)
        else:
            t = min((distance - upper) / fore, 1.0)
            direction = (wrist - elbow) / fore
            point, radius = elbow + t * fore * direction, r_elbow + t * (r_wrist - r_elbow)
        normal = sign * np.array([direction[1], -direction[0]])  # towards the arm's outer side
        return point + outward * looseness * radius * normal

    armpit_depth = 0.5 * h  # along the arm: where its inner contour leaves the torso
    if shape.kind == "tshirt":
        end = float(np.clip(shape.sleeve_length * worn_unit, armpit_depth + 0.3 * h, 0.85 * upper))
    else:
        end = 0.97 * (upper + fore)
    anchors = {
        # Just outside the top of the shoulder, so the sleeve covers the arm's cap.
        f"shoulder_{side}": shoulder + [sign * 0.1 * h, -0.22 * h],
        f"armpit_{side}": contour(armpit_depth, -1.0),
    }
    anchors[f"seam_{side}"] = (anchors[f"shoulder_{side}"] + anchors[f"armpit_{side}"]) / 2
    outer_fractions, inner_fractions = _SLEEVE_FRACTIONS[shape.kind]
    for t in outer_fractions:
        anchors[f"sleeve_out_{side}_{t}"] = contour(t * end, 1.0)
    for t in inner_fractions:
        anchors[f"sleeve_in_{side}_{t}"] = contour(armpit_depth + t * (end - armpit_depth), -1.0)
    return anchors


def _mls_similarity(points: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Moving-least-squares similarity deformation (Schaefer et al., SIGGRAPH 2006).

    Maps each of ``points`` (G, 2) by the similarity transform that best carries
    the ``source`` control points (N, 2) to ``target`` (N, 2), weighting control
    point i by 1 / |point - source_i|^2. The map is smooth, interpolates the
    control points and, unlike an affine fit, follows rotations: a sleeve swings
    from its flat angle to the arm's without shearing.

    With complex numbers a 2D similarity is ``z -> a (z - p*) + q*`` and the fit
    is ``a = sum w conj(p - p*) (q - q*) / sum w |p - p*|^2``; both sums expand
    into weighted sums over the control points, one (G, N) @ (N, 8) product.
    """
    dx = points[:, None, 0] - source[None, :, 0]  # (G, N)
    dy = points[:, None, 1] - source[None, :, 1]
    weights = 1.0 / (dx * dx + dy * dy + 1e-3)  # (G, N)
    p = source[:, 0] + 1j * source[:, 1]  # (N,)
    q = target[:, 0] + 1j * target[:, 1]
    p_conj_q = np.conj(p) * q
    # Real columns: a real (G, N) @ (N, 8) product is far faster than a mixed
    # real-complex one.
    columns = np.stack(
        [
            np.ones(len(p)),
            p.real,
            p.imag,
            q.real,
            q.imag,
            p_conj_q.real,
            p_conj_q.imag,
            np.abs(p) ** 2,
        ],
        -1,
    )
    sums = weights @ columns  # (G, 8)
    total = sums[:, 0]
    p_star = (sums[:, 1] + 1j * sums[:, 2]) / total
    q_star = (sums[:, 3] + 1j * sums[:, 4]) / total
    covariance = sums[:, 5] + 1j * sums[:, 6] - total * np.conj(p_star) * q_star
    variance = np.maximum(sums[:, 7] - total * np.abs(p_star) ** 2, 1e-12)
    z = points[:, 0] + 1j * points[:, 1]
    mapped = covariance / variance * (z - p_star) + q_star
    return np.stack([mapped.real, mapped.imag], -1)


def _warp_garment(rng, noise, frame: _Frame, body: _Body, shape: _GarmentShape, flat: _FlatGarment):
    """Resamples the flat garment onto the body with one smooth backward map
    (for every person pixel, where to read the flat cloth), like the TPS grids
    the warping networks predict.

    Returns:
        The worn colour (H, W, 3) float32, shaded, and the worn coverage of the
        parts (H, W, 3): torso, right sleeve, left sleeve.
    """
    targets = _body_anchors(body, shape)
    names = sorted(flat.anchors)
    # Small random offsets: no two people wear a garment quite the same way.
    jitter = rng.normal(0, 0.025 * body.head, size=(len(names), 2))
    body_points = frame.px(np.array([targets[name] for name in names]) + jitter)
    flat_points = np.array([flat.anchors[name] for name in names])

    # The map is smooth: evaluate it on a coarse grid and upsample. Node (i, j)
    # sits where cv2.resize's bilinear upsampling expects it.
    height, width = frame.size
    rows, cols = 64, max(2, int(round(64 * width / height)))
    node_x = (np.arange(cols) + 0.5) * width / cols - 0.5
    node_y = (np.arange(rows) + 0.5) * height / rows - 0.5
    nodes = np.stack(np.meshgrid(node_x, node_y), -1).reshape(-1, 2)
    mapped = _mls_similarity(nodes, body_points, flat_points).reshape(rows, cols, 2)
    # A random smooth displacement (drape and wrinkles), in flat-cloth pixels.
    mapped += (
        0.012 * height * np.stack([_smooth_noise(noise, (rows, cols), 3, 1) for _ in range(2)], -1)
    )
    map_x = cv2.resize(
        mapped[..., 0].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )
    map_y = cv2.resize(
        mapped[..., 1].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )

    colour = cv2.remap(flat.colour, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    parts = cv2.remap(
        flat.parts, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    # Worn shading: darker towards the garment's sides, plus soft folds.
    shading = _edge_shading(np.clip(parts.sum(-1), 0, 1), 0.04 * height, 0.22)
    shading *= 1.0 + 0.07 * _smooth_noise(noise, frame.size, 5)
    return np.clip(colour * shading[..., None], 0, 1), parts
