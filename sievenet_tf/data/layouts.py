"""The two on-disk dataset layouts (CP-VTON's VITON and VITON-HD) and their pairs files.

Layouts (``ROOT/{train,test}_pairs.txt`` lists "person cloth" per line)::

    viton     ROOT/{train,test}/{image, cloth, cloth-mask, image-parse, pose}
              pose/<person stem>_keypoints.json: "pose_keypoints", COCO-18
              image-parse/<person stem>.png: LIP ids
    viton_hd  ROOT/{train,test}/{image, cloth, cloth-mask,
                                 image-parse-v3 | image-parse,
                                 openpose_json | openpose-json}
              openpose_json/<person stem>_keypoints.json: "pose_keypoints_2d", BODY_25
              image-parse-v3/<person stem>.png: CIHP-style ids (10 = neck)

The layout is detected from the pose folder's name unless given explicitly.
The label set of each layout is in :mod:`sievenet_tf.labels`, the pose keys in
:mod:`sievenet_tf.data.pose`.

Pairs: ``"unpaired"`` uses the pairs file as written (test-time try-on with
another garment). ``"paired"`` pairs each person of the pairs file with their
own garment, for training and paired evaluation: the cloth with the person's
file name (VITON-HD) or ``N_1.*`` for person ``N_0.*`` (VITON).

Everything here works on names and paths; no file is opened except the pairs
files and folder listings.
"""

from __future__ import annotations

import dataclasses
import os

from sievenet_tf import labels
from sievenet_tf.data import io
from sievenet_tf.data.errors import DataError

SPLITS = ("train", "test")
PAIRS = ("paired", "unpaired")
# Pairs files larger than this are refused before reading (VITON's is 0.6 MB).
MAX_PAIRS_FILE_BYTES = 100_000_000


@dataclasses.dataclass(frozen=True)
class LayoutSpec:
    """Folder names of one dataset layout (first existing candidate wins)."""

    name: str
    parse_dirs: tuple[str, ...]
    pose_dirs: tuple[str, ...]
    image_dir: str = "image"
    cloth_dir: str = "cloth"
    cloth_mask_dir: str = "cloth-mask"
    parse_suffix: str = ".png"
    pose_suffix: str = "_keypoints.json"


LAYOUT_SPECS = {
    "viton": LayoutSpec("viton", parse_dirs=("image-parse",), pose_dirs=("pose",)),
    "viton_hd": LayoutSpec(
        "viton_hd",
        parse_dirs=("image-parse-v3", "image-parse"),
        pose_dirs=("openpose_json", "openpose-json"),
    ),
}


@dataclasses.dataclass(frozen=True)
class ExampleFiles:
    """The five files of one (person, cloth) pair, as paths."""

    person_name: str
    cloth_name: str
    person: str
    parse: str
    pose: str
    cloth: str
    cloth_mask: str


def detect_layout(root) -> str:
    """Return "viton" or "viton_hd" from the pose folder name under ``ROOT/{train,test}``.

    Raises:
        DataError: neither layout is recognised.
    """
    root = os.fspath(root)
    for split in SPLITS:
        split_dir = os.path.join(root, split)
        if not os.path.isdir(split_dir):
            continue
        for name in ("viton_hd", "viton"):
            if any(os.path.isdir(os.path.join(split_dir, d)) for d in LAYOUT_SPECS[name].pose_dirs):
                return name
    raise DataError(
        root,
        "cannot detect the dataset layout: expected ROOT/train or ROOT/test with a pose/ "
        "folder (CP-VTON VITON) or openpose_json/ or openpose-json/ (VITON-HD); pass the "
        "layout explicitly (data.layout) if the folders are named differently",
    )


def resolve_layout(root, layout: str = "auto") -> str:
    """``layout`` itself, or the detected one for "auto"."""
    if layout in (None, "auto"):
        return detect_layout(root)
    return labels.check_layout(layout)


def split_dirs(root, split: str, layout: str) -> dict[str, str]:
    """Folders of one split: keys image, cloth, cloth_mask, parse, pose (and root).

    Raises:
        DataError: the split folder or one of its sub-folders is missing.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    spec = LAYOUT_SPECS[labels.check_layout(layout)]
    base = os.path.join(os.fspath(root), split)
    if not os.path.isdir(base):
        raise DataError(base, "missing split folder")

    def pick(candidates, what):
        for name in candidates:
            if os.path.isdir(os.path.join(base, name)):
                return os.path.join(base, name)
        raise DataError(base, f"no {what} folder (expected {' or '.join(candidates)}/)")

    return {
        "root": os.fspath(root),
        "image": pick((spec.image_dir,), "person image"),
        "cloth": pick((spec.cloth_dir,), "cloth"),
        "cloth_mask": pick((spec.cloth_mask_dir,), "cloth mask"),
        "parse": pick(spec.parse_dirs, "parse"),
        "pose": pick(spec.pose_dirs, "pose"),
    }


def pairs_path(root, split: str) -> str:
    return os.path.join(os.fspath(root), f"{split}_pairs.txt")


def read_pairs(path) -> list[tuple[str, str]]:
    """Read a pairs file: one "person cloth" per line (see :func:`parse_pairs`).

    Raises:
        DataError: missing or unreadable file, or content :func:`parse_pairs` refuses.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(path, "missing pairs file")
    try:
        if os.path.getsize(path) > MAX_PAIRS_FILE_BYTES:
            raise DataError(path, f"pairs file larger than {MAX_PAIRS_FILE_BYTES} bytes")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise DataError(path, f"cannot read ({e.strerror or e})") from None
    return parse_pairs(data, path)


def parse_pairs(data: bytes | str, path) -> list[tuple[str, str]]:
    """The pairs of a pairs file's content: UTF-8 (a byte-order mark is skipped),
    one "person cloth" per line; blank lines are ignored.

    Raises:
        DataError: not UTF-8 text, a line without exactly two names, or no pairs.
    """
    path = os.fspath(path)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise DataError(path, f"not a UTF-8 text file ({e.reason} at byte {e.start})") from None
    pairs = []
    lines = data.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            shown = line.strip()
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise DataError(path, f"line {number}: expected 'person cloth', got {shown!r}")
        pairs.append((fields[0], fields[1]))
    if not pairs:
        raise DataError(path, "no pairs listed")
    return pairs


def own_cloth_name(person_name: str, cloth_names) -> str | None:
    """The person's own garment among ``cloth_names``, or None.

    VITON-HD names the garment like the person (``00006_00.jpg``); VITON uses
    ``N_1.jpg`` for person ``N_0.jpg``.
    """
    if person_name in cloth_names:
        return person_name
    stem, ext = os.path.splitext(person_name)
    if stem.endswith("_0"):
        for candidate_ext in (ext, ".jpg", ".png", ".jpeg"):
            candidate = stem[:-2] + "_1" + candidate_ext
            if candidate in cloth_names:
                return candidate
    return None


def example_files(dirs: dict, person_name: str, cloth_name: str, layout: str) -> ExampleFiles:
    """Paths of a pair's files; names or links that lead outside the dataset raise
    ``DataError`` (see :func:`sievenet_tf.data.io.check_inside`)."""
    spec = LAYOUT_SPECS[layout]
    root = dirs.get("root")
    person = io.check_inside(dirs["image"], person_name, "person image", root)
    relative = os.path.relpath(person, dirs["image"])
    stem = os.path.splitext(relative)[0]
    return ExampleFiles(
        person_name=person_name,
        cloth_name=cloth_name,
        person=person,
        parse=io.check_inside(dirs["parse"], stem + spec.parse_suffix, "parse", root),
        pose=io.check_inside(dirs["pose"], stem + spec.pose_suffix, "pose file", root),
        cloth=io.check_inside(dirs["cloth"], cloth_name, "cloth", root),
        cloth_mask=io.check_inside(dirs["cloth_mask"], cloth_name, "cloth mask", root),
    )


def list_pairs(root, split: str, pairs: str, layout: str):
    """Resolve a split's pairs into files, without opening them.

    Returns:
        (examples, problems): ``ExampleFiles`` for every usable pair and a list of
        :class:`DataError` for pairs that cannot be resolved (names escaping the
        dataset, no own garment in ``"paired"`` mode).

    Raises:
        DataError: the pairs file or a folder is missing or malformed.
    """
    if pairs not in PAIRS:
        raise ValueError(f"pairs must be one of {PAIRS}, got {pairs!r}")
    dirs = split_dirs(root, split, layout)
    listed = read_pairs(pairs_path(root, split))
    cloth_names = set(os.listdir(dirs["cloth"])) if pairs == "paired" else None
    examples, problems = [], []
    for person_name, cloth_name in listed:
        try:
            if pairs == "paired":
                cloth_name = paired_cloth(dirs, person_name, cloth_names)
            examples.append(example_files(dirs, person_name, cloth_name, layout))
        except DataError as e:
            problems.append(e)
    return examples, problems


def paired_cloth(dirs: dict, person_name: str, cloth_names) -> str:
    """The person's own garment (paired mode), or ``DataError``."""
    io.check_inside(dirs["image"], person_name, "person image", dirs.get("root"))
    own = own_cloth_name(person_name, cloth_names)
    if own is None:
        raise DataError(
            os.path.join(dirs["cloth"], person_name),
            f"no own garment for person {person_name!r} (paired mode looks for "
            "the same name or N_1 for N_0)",
        )
    return own
