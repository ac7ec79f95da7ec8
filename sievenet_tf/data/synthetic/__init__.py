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
  ``sievenet_tf.labels`` assumes), the neck and the chest skin a neckline
  leaves visible are labelled :data:`~sievenet_tf.data.synthetic.persons.NECK_LABEL` (background); shoulder skin
  beside a tank top's straps is labelled as the arm of its side. Hands belong
  to the arms, as in LIP.
* Keypoints are OpenPose COCO-18 in pixels; points outside the image are
  ``0, 0, 0`` as OpenPose writes undetected ones.
* Train and test are numbered from ``000000`` in their own folders; they are
  different people (seeded separately).
* The geometry (pose, body, garment shape, colours) of example ``i`` does not
  depend on the image size; only pixel noise does. So the same seed gives the
  same people at 64 x 48 and at 1024 x 768.

Modules: :mod:`.bodies` (people and their keypoints), :mod:`.garments` and
:mod:`.textures` (flat garments), :mod:`.warps` (the garment put on the body),
:mod:`.persons` (painting the photo and parse), :mod:`.drawing` and
:mod:`.frame` (primitives), :mod:`.writer` (files, pairs, atomic output).

Example:
    >>> from sievenet_tf.data.synthetic import generate
    >>> root = generate("/tmp/synthetic_viton", num_train=300, num_test=50)
"""

from __future__ import annotations

import pathlib

import numpy as np

from sievenet_tf.data.synthetic.bodies import body_keypoints, sample_body
from sievenet_tf.data.synthetic.frame import Frame
from sievenet_tf.data.synthetic.garments import (
    GARMENT_FREQUENCIES,
    GARMENT_KINDS,
    draw_flat_garment,
    sample_garment_shape,
)
from sievenet_tf.data.synthetic.persons import NECK_LABEL, draw_person
from sievenet_tf.data.synthetic.writer import (
    GENERATOR_VERSION,
    SEED_CODES,
    SPLITS,
    SUBDIRS,
    Progress,
    check_root,
    unpaired,
    validate_args,
    write_example,
    write_pairs,
    write_readme,
    write_tree,
)

__all__ = ["GENERATOR_VERSION", "NECK_LABEL", "SPLITS", "SUBDIRS", "generate", "render_example"]


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
    The dataset appears complete or not at all (see
    :func:`~sievenet_tf.data.synthetic.writer.write_tree`).

    Args:
        out_dir: dataset root; must be absent or empty unless ``overwrite``.
        num_train: number of training examples (>= 0).
        num_test: number of test examples (>= 0). Unpaired test pairs need at
            least 2; with exactly 1 the only pair is paired (with a warning).
        image_size: (height, width) of every image in pixels, at least 32 x 24.
        seed: non-negative integer seed.
        progress: show a progress line on stderr when generation takes a while.
        overwrite: replace a dataset already in ``out_dir``: replaces the
            ``train/`` and ``test/`` folders, the pairs files and ``README.md``
            (what this function writes), nothing else.

    Returns:
        The dataset root.

    Raises:
        ValueError: an argument is out of range.
        FileExistsError: ``out_dir`` is a file, or is not empty and ``overwrite``
            is False.
        OSError: ``out_dir`` cannot be created or written (checked first).
    """
    height, width = validate_args(num_train, num_test, image_size, seed)
    root = pathlib.Path(out_dir)
    check_root(root, overwrite)
    counts = {"train": num_train, "test": num_test}

    def fill(folder: pathlib.Path) -> None:
        reporter = Progress(num_train + num_test, enabled=progress)
        for split in SPLITS:
            for sub in SUBDIRS:
                (folder / split / sub).mkdir(parents=True, exist_ok=True)
            for index in range(counts[split]):
                rng = np.random.default_rng((seed, SEED_CODES[split], index))
                example = render_example(rng, (height, width))
                write_example(folder / split, f"{index:06d}", example)
                reporter.step(split)
        reporter.close()
        train_names = [f"{i:06d}" for i in range(num_train)]
        write_pairs(folder / "train_pairs.txt", train_names, train_names)
        test_names = [f"{i:06d}" for i in range(num_test)]
        write_pairs(folder / "test_pairs.txt", test_names, unpaired(test_names, seed))
        write_readme(folder, num_train, num_test, (height, width), seed)

    write_tree(root, fill)
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
    frame = Frame(int(image_size[0]), int(image_size[1]))
    # Pixel noise needs a number of draws that depends on the image size; a
    # separate stream keeps every geometric draw independent of the size.
    noise = np.random.default_rng(rng.integers(0, 2**63))
    kind = str(rng.choice(GARMENT_KINDS, p=GARMENT_FREQUENCIES))
    shape = sample_garment_shape(rng, kind)
    flat = draw_flat_garment(rng, noise, frame, shape)
    body = sample_body(rng, long_sleeves=(kind == "long_sleeve"))
    person, parse = draw_person(rng, noise, frame, body, shape, flat)
    return {
        "person": person,
        "parse": parse,
        "keypoints": body_keypoints(rng, frame, body),
        "cloth": flat.image,
        "cloth_mask": np.where(flat.mask >= 0.5, 255, 0).astype(np.uint8),
    }
