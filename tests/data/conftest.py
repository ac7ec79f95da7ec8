"""Tiny on-disk datasets of both layouts, built on the fly, and the real sample.

``make_dataset_files(root, layout=..., ...)`` writes a complete dataset:
people drawn as labelled rectangles (so parse, photo and pose agree), flat
garments with masks, pose JSON, pairs lists. Everything is deterministic.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from sievenet_tf import labels

REPO = pathlib.Path(__file__).resolve().parents[2]

# (label, top, bottom, left, right) in fractions of the image, drawn in order.
_BODY = [
    (labels.LIP_HAIR, 0.02, 0.20, 0.35, 0.65),
    (labels.LIP_FACE, 0.05, 0.18, 0.40, 0.60),
    (labels.LIP_UPPER_CLOTHES, 0.20, 0.50, 0.30, 0.70),
    (labels.LIP_LEFT_ARM, 0.22, 0.50, 0.70, 0.80),
    (labels.LIP_RIGHT_ARM, 0.22, 0.50, 0.20, 0.30),
    (labels.LIP_PANTS, 0.50, 0.75, 0.32, 0.68),
    (labels.LIP_LEFT_LEG, 0.75, 0.90, 0.52, 0.64),
    (labels.LIP_RIGHT_LEG, 0.75, 0.90, 0.36, 0.48),
    (labels.LIP_LEFT_SHOE, 0.90, 0.96, 0.52, 0.66),
    (labels.LIP_RIGHT_SHOE, 0.90, 0.96, 0.34, 0.48),
]
# COCO-18 keypoints (x, y) as fractions; r_hip .. l_ankle etc.
_COCO18 = [
    (0.50, 0.12),
    (0.50, 0.20),
    (0.32, 0.22),
    (0.25, 0.35),
    (0.25, 0.48),
    (0.68, 0.22),
    (0.75, 0.35),
    (0.75, 0.48),
    (0.42, 0.50),
    (0.42, 0.70),
    (0.42, 0.90),
    (0.58, 0.50),
    (0.58, 0.70),
    (0.58, 0.90),
    (0.46, 0.10),
    (0.54, 0.10),
    (0.43, 0.11),
    (0.57, 0.11),
]
_MISSING = (16, 17)  # ears are not detected: confidence 0


def person_arrays(index: int, size, layout: str = "viton"):
    """Photo (H, W, 3) uint8, parse (H, W) uint8 ids and COCO-18 keypoints (18, 3)."""
    height, width = size
    rng = np.random.default_rng(index)
    shift = int(rng.integers(-2, 3))
    parse = np.zeros((height, width), np.uint8)
    for label, top, bottom, left, right in _BODY:
        parse[
            int(top * height) : int(bottom * height),
            int(left * width) + shift : int(right * width) + shift,
        ] = label
    if layout == "viton_hd":  # a neck between face and torso
        parse[int(0.18 * height) : int(0.20 * height), int(0.45 * width) : int(0.55 * width)] = (
            labels.VITON_HD_NECK
        )
    colours = rng.integers(0, 256, (len(labels.LIP_NAMES), 3)).astype(np.uint8)
    colours[0] = (250, 250, 250)
    photo = colours[parse]
    keypoints = np.zeros((18, 3), np.float32)
    for i, (x, y) in enumerate(_COCO18):
        if i not in _MISSING:
            keypoints[i] = (x * width + shift, y * height, 0.5 + 0.02 * i)
    return photo, parse, keypoints


def cloth_arrays(index: int, size):
    height, width = size
    rng = np.random.default_rng(1000 + index)
    mask = np.zeros((height, width), np.uint8)
    mask[int(0.2 * height) : int(0.8 * height), int(0.2 * width) : int(0.8 * width)] = 255
    cloth = np.full((height, width, 3), 255, np.uint8)
    cloth[mask > 0] = rng.integers(0, 200, 3)
    return cloth, mask


def save_parse(path, parse: np.ndarray, mode: str = "P"):
    if mode == "P":
        image = Image.fromarray(parse, "P")
        image.putpalette(labels.LIP_COLORS.ravel().tolist())
    elif mode == "L":
        image = Image.fromarray(parse, "L")
    elif mode == "RGB":
        image = Image.fromarray(labels.LIP_COLORS[parse])
    else:
        raise ValueError(mode)
    image.save(path)


def to_body25(keypoints: np.ndarray) -> np.ndarray:
    body25 = np.zeros((25, 3), np.float32)
    body25[list(labels.BODY25_TO_COCO18)] = keypoints
    body25[8] = (keypoints[8] + keypoints[11]) / 2  # mid hip
    body25[19:] = (1.0, 2.0, 0.3)  # feet: dropped by the mapping
    return body25


def make_dataset_files(
    root,
    layout: str = "viton",
    num_train: int = 3,
    num_test: int = 2,
    size=(64, 48),
    parse_mode: str = "P",
) -> pathlib.Path:
    """Write a tiny dataset in the CP-VTON VITON or the VITON-HD layout.

    VITON: ``N_0.jpg`` people, ``N_1.jpg`` garments, ``pose/`` COCO-18.
    VITON-HD: ``N_00.jpg`` for both, ``image-parse-v3/``, ``openpose_json/``
    BODY_25. Train pairs are paired, test pairs unpaired (rotated by one).
    """
    root = pathlib.Path(root)
    hd = layout == "viton_hd"
    parse_dir, pose_dir = ("image-parse-v3", "openpose_json") if hd else ("image-parse", "pose")
    offset = 0
    for split, count in (("train", num_train), ("test", num_test)):
        folders = {
            name: root / split / name
            for name in ("image", "cloth", "cloth-mask", parse_dir, pose_dir)
        }
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        people, cloths = [], []
        for i in range(count):
            index = offset + i
            stem = f"{index:05d}_00" if hd else f"{index:06d}_0"
            cloth_name = f"{index:05d}_00.jpg" if hd else f"{index:06d}_1.jpg"
            photo, parse, keypoints = person_arrays(index, size, layout)
            Image.fromarray(photo).save(folders["image"] / f"{stem}.jpg", quality=95)
            save_parse(folders[parse_dir] / f"{stem}.png", parse, parse_mode)
            key, values = (
                ("pose_keypoints_2d", to_body25(keypoints)) if hd else ("pose_keypoints", keypoints)
            )
            with open(folders[pose_dir] / f"{stem}_keypoints.json", "w") as f:
                json.dump({"version": 1.0, "people": [{key: values.ravel().tolist()}]}, f)
            cloth, mask = cloth_arrays(index, size)
            Image.fromarray(cloth).save(folders["cloth"] / cloth_name, quality=95)
            Image.fromarray(mask).save(folders["cloth-mask"] / cloth_name, quality=95)
            people.append(f"{stem}.jpg")
            cloths.append(cloth_name)
        if split == "test" and count > 1:
            cloths = cloths[1:] + cloths[:1]
        with open(root / f"{split}_pairs.txt", "w") as f:
            f.writelines(f"{p} {c}\n" for p, c in zip(people, cloths))
        offset += count
    return root


@pytest.fixture
def make_files():
    """Factory: ``make_files(root, layout="viton", ...)`` (see make_dataset_files)."""
    return make_dataset_files


@pytest.fixture
def viton_root(tmp_path):
    return make_dataset_files(tmp_path / "viton", "viton")


@pytest.fixture
def viton_hd_root(tmp_path):
    # Stored at 96 x 72 (4:3, like VITON-HD) and read at 64 x 48: exercises resizing.
    return make_dataset_files(tmp_path / "viton_hd", "viton_hd", size=(96, 72))


def viton_sample_path() -> pathlib.Path:
    return pathlib.Path(
        os.environ.get(
            "SIEVENET_VITON_SAMPLE", REPO.parent / "shared" / "datasets" / "viton_sample"
        )
    )


@pytest.fixture
def viton_sample():
    """The real VITON sample (research use only); skips where it is absent."""
    path = viton_sample_path()
    if not (path / "train_pairs.txt").is_file():
        pytest.skip(
            f"real VITON sample not found at {path} (set SIEVENET_VITON_SAMPLE to its folder)"
        )
    return path


# ------------------------------------------------------------------ bad inputs


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width x height`` pixels (decompression bomb)."""
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    # IHDR data starts at byte 16 (8 signature + 4 length + 4 type); CRC covers type + data.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def _train(root, folder, name):
    return pathlib.Path(root) / "train" / folder / name


def _missing(root):
    path = _train(root, "cloth-mask", "000000_1.jpg")
    path.unlink()
    return path, "missing file"


def _unreadable(root):
    path = _train(root, "image", "000000_0.jpg")
    path.write_bytes(b"this is not an image")
    return path, "not a readable image"


def _truncated(root):
    path = _train(root, "image", "000000_0.jpg")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, "truncated"


def _float_image(root):
    path = _train(root, "cloth", "000000_1.jpg")
    Image.fromarray(np.zeros((64, 48), np.float32), "F").save(path, format="TIFF")
    return path, "unsupported pixel format"


def _rgb_parse(root):
    path = _train(root, "image-parse", "000000_0.png")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (64, 48, 3)).astype(np.uint8)).save(path)
    return path, "not in the LIP palette"


def _bomb(root):
    path = _train(root, "cloth", "000000_1.jpg")
    path.write_bytes(png_claiming_size(8000, 8000))
    return path, "absurd image size"


def _malformed_json(root):
    path = _train(root, "pose", "000000_0_keypoints.json")
    path.write_text('{"people": [{"pose_keypoints": [1, 2')
    return path, "malformed JSON"


def _no_person(root):
    path = _train(root, "pose", "000000_0_keypoints.json")
    path.write_text('{"version": 1.0, "people": []}')
    return path, "no person"


def _label_outside(root):
    path = _train(root, "image-parse", "000000_0.png")
    parse = np.asarray(Image.open(path)).copy()
    parse[:4, :4] = 25
    save_parse(path, parse)
    return path, "outside the label set"


def _size_mismatch(root):
    path = _train(root, "image-parse", "000000_0.png")
    save_parse(path, np.zeros((32, 24), np.uint8))
    return path, "parse is 24x32"


def _escaping_name(root):
    pairs = pathlib.Path(root) / "train_pairs.txt"
    lines = pairs.read_text().splitlines()
    lines[0] = "../../outside_0.jpg 000000_1.jpg"
    pairs.write_text("\n".join(lines) + "\n")
    return pathlib.Path(root) / "outside_0.jpg", "escapes the dataset folder"


def _set_pose_value(root, index, text):
    """Replace value ``index`` of the first training pose file by the JSON ``text``."""
    path = _train(root, "pose", "000000_0_keypoints.json")
    values = json.loads(path.read_text())["people"][0]["pose_keypoints"]
    numbers = [json.dumps(v) for v in values]
    numbers[index] = text
    path.write_text('{"people": [{"pose_keypoints": [' + ", ".join(numbers) + "]}]}")
    return path


def _huge_integer(root):
    return _set_pose_value(root, 0, "9" * 400), "x = 9999999999"


def _too_many_digits(root):
    return _set_pose_value(root, 1, "9" * 5000), "malformed JSON"


def _deep_nesting(root):
    path = _train(root, "pose", "000000_0_keypoints.json")
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path, "nested too deeply"


def _not_float32(root):
    return _set_pose_value(
        root, 3, "1e39"
    ), "keypoint 1 (neck) x = 1e+39 is not a finite float32 number"


def _far_outside(root):
    return _set_pose_value(root, 12, "-1000000.0"), "keypoint 4 (r_wrist) at (-1e+06"


def _link_outside(root):
    outside = pathlib.Path(root).parent / "outside.jpg"
    outside.write_bytes(_train(root, "image", "000000_0.jpg").read_bytes())
    path = _train(root, "image", "000000_0.jpg")
    path.unlink()
    path.symlink_to(outside)
    return path, "person image is a symbolic link to"


# name -> corrupt(root) -> (bad file, words the message must contain). Each
# breaks the first training pair of a make_dataset_files("viton") dataset.
CORRUPTIONS = {
    "missing_file": _missing,
    "unreadable_image": _unreadable,
    "truncated_image": _truncated,
    "float_image": _float_image,
    "rgb_parse_off_palette": _rgb_parse,
    "decompression_bomb": _bomb,
    "malformed_json": _malformed_json,
    "no_person": _no_person,
    "label_outside_set": _label_outside,
    "parse_size_mismatch": _size_mismatch,
    "name_escapes_root": _escaping_name,
    "pose_huge_integer": _huge_integer,
    "pose_too_many_digits": _too_many_digits,
    "pose_deep_nesting": _deep_nesting,
    "pose_not_float32": _not_float32,
    "pose_far_outside": _far_outside,
    "link_leaves_root": _link_outside,
}


@pytest.fixture
def corruptions():
    return CORRUPTIONS
