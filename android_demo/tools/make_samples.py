"""Writes the Android demo's bundled samples from a dataset in the VITON layout.

The app ships a few persons (photo + parse + keypoints) and garments (photo +
mask) in ``app/src/main/assets/samples/``. This script picks them from a dataset
root in CP-VTON's "VITON" layout (``{split}/image``, ``image-parse``, ``pose``,
``cloth``, ``cloth-mask`` and ``{split}_pairs.txt``), resizes them to the
model's resolution with the training pipeline's own functions
(``sievenet_tf.data.io``: aspect-preserving fit, white / background padding,
half-pixel keypoint mapping) and writes::

    samples/index.json                 what the app lists (see SampleIndex.kt)
    samples/persons/<i>/person.jpg     RGB photo
    samples/persons/<i>/parse.npy      uint8 (H, W) class ids: what the app reads
    samples/persons/<i>/parse.png      the same ids as a palette PNG, for people
    samples/persons/<i>/keypoints.json OpenPose JSON, pixels of person.jpg
    samples/garments/<i>/cloth.jpg     RGB photo of the flat garment
    samples/garments/<i>/cloth_mask.jpg  white garment on black

Android's BitmapFactory expands palette PNGs to colours, so the app reads the
parse from ``parse.npy`` (exact ids, shape and dtype in its header), never from
the PNG.

Persons and garments are taken from the first lines of ``{split}_pairs.txt``;
with the unpaired test pairs each person's first garment is someone else's.

Examples::

    # the project's synthetic data, drawn on the fly at the tiny model's size
    python android_demo/tools/make_samples.py --synthetic --image-size 64 48

    # your own data (e.g. real photos prepared as described in android_demo/README.md)
    python android_demo/tools/make_samples.py --dataset-root /data/viton --image-size 256 192
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import tempfile

import numpy as np
from PIL import Image

from sievenet_tf.data import io as data_io

DEFAULT_OUT = (
    pathlib.Path(__file__).resolve().parents[1] / "app" / "src" / "main" / "assets" / "samples"
)

# The usual LIP visualisation palette (index = class id), for parse.png only.
_LIP_PALETTE = (
    (0, 0, 0), (128, 0, 0), (254, 0, 0), (0, 85, 0), (169, 0, 51),
    (254, 85, 0), (0, 0, 85), (0, 119, 220), (85, 85, 0), (0, 85, 85),
    (85, 51, 0), (52, 86, 128), (0, 128, 0), (0, 0, 254), (51, 169, 220),
    (0, 254, 254), (85, 254, 169), (169, 254, 85), (254, 254, 0), (254, 169, 0),
)  # fmt: skip

_PARSE_DIRS = ("image-parse", "image-parse-v3")
_POSE_DIRS = ("pose", "openpose_json", "openpose-json")
_JPEG_QUALITY = 90


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--dataset-root", type=pathlib.Path, help="dataset root in the VITON layout"
    )
    source.add_argument(
        "--synthetic",
        action="store_true",
        help="draw a small synthetic test split (sievenet_tf.data.synthetic) and use it",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        nargs=2,
        metavar=("H", "W"),
        required=True,
        help="the model's image_size (model_contract.json)",
    )
    parser.add_argument("--split", default="test", help="dataset split to take samples from")
    parser.add_argument("--persons", type=int, default=3)
    parser.add_argument("--garments", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    parser.add_argument(
        "--parse-label-set",
        default="lip",
        help="label set of the dataset's parse ids (the contract's parse label_set)",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    image_size = tuple(args.image_size)
    if args.synthetic:
        from sievenet_tf.data.synthetic import GENERATOR_VERSION, generate

        with tempfile.TemporaryDirectory() as tmp:
            count = max(args.persons, args.garments, 2)
            root = generate(
                pathlib.Path(tmp) / "data",
                num_train=0,
                num_test=count,
                image_size=image_size,
                seed=args.seed,
                progress=False,
            )
            description = (
                f"synthetic (sievenet_tf.data.synthetic v{GENERATOR_VERSION}, "
                f"seed {args.seed}, {args.split} split)"
            )
            write_samples(
                root,
                args.split,
                image_size,
                args.persons,
                args.garments,
                args.parse_label_set,
                args.out,
                description,
            )
    else:
        write_samples(
            args.dataset_root,
            args.split,
            image_size,
            args.persons,
            args.garments,
            args.parse_label_set,
            args.out,
            f"{args.dataset_root.name}, {args.split} split",
        )
    total = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"wrote {args.out} ({total / 1024:.1f} KiB)")
    return 0


def write_samples(
    root, split, image_size, num_persons, num_garments, parse_label_set, out, description
):
    """Writes ``num_persons`` persons and ``num_garments`` garments of ``root/split`` into ``out``."""
    root = pathlib.Path(root)
    split_dir = root / split
    pairs = _read_pairs(root / f"{split}_pairs.txt")
    persons = _unique([p for p, _ in pairs])[:num_persons]
    garments = _unique([c for _, c in pairs])[:num_garments]
    if len(persons) < num_persons or len(garments) < num_garments:
        raise ValueError(
            f"{split}_pairs.txt lists {len(persons)} persons and {len(garments)} garments; "
            f"asked for {num_persons} and {num_garments}"
        )

    out = pathlib.Path(out)
    for sub in ("persons", "garments"):
        shutil.rmtree(out / sub, ignore_errors=True)
    index = {
        "format_version": 1,
        "image_size": list(image_size),
        "parse_label_set": parse_label_set,
        "keypoint_format": None,
        "source": description,
        "persons": [],
        "garments": [],
    }
    for i, name in enumerate(persons):
        folder = out / "persons" / str(i)
        folder.mkdir(parents=True)
        count = _write_person(split_dir, name, image_size, folder)
        index["keypoint_format"] = {18: "coco18", 25: "body25"}.get(count, f"{count} points")
        index["persons"].append(
            {"id": f"person_{i}", "dir": f"persons/{i}", "title": f"Person {i + 1}", "source": name}
        )
    for i, name in enumerate(garments):
        folder = out / "garments" / str(i)
        folder.mkdir(parents=True)
        _write_garment(split_dir, name, image_size, folder)
        index["garments"].append(
            {
                "id": f"garment_{i}",
                "dir": f"garments/{i}",
                "title": f"Garment {i + 1}",
                "source": name,
            }
        )
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n")


def _write_person(split_dir, name, image_size, folder) -> int:
    stem = pathlib.Path(name).stem
    photo = _read_rgb(split_dir / "image" / name)
    source_height, source_width = photo.shape[:2]
    Image.fromarray(data_io.fit_image(photo, image_size)).save(
        folder / "person.jpg", quality=_JPEG_QUALITY
    )

    parse_path = _find(split_dir, _PARSE_DIRS, [f"{stem}.png"])
    with Image.open(parse_path) as parse_image:
        if parse_image.mode not in ("P", "L"):
            raise ValueError(
                f"{parse_path}: expected a palette or grey PNG of class ids, got mode {parse_image.mode}"
            )
        parse = np.asarray(parse_image)  # palette indices = class ids
    parse = data_io.fit_parse(parse.astype(np.uint8), image_size)
    np.save(folder / "parse.npy", np.ascontiguousarray(parse))
    preview = Image.fromarray(parse, mode="P")
    preview.putpalette([v for colour in _LIP_PALETTE for v in colour])
    preview.save(folder / "parse.png")

    pose_path = _find(split_dir, _POSE_DIRS, [f"{stem}_keypoints.json"])
    people = json.loads(pose_path.read_text())["people"]
    if not people:
        raise ValueError(f"{pose_path}: no person")
    values = people[0].get("pose_keypoints_2d", people[0].get("pose_keypoints"))
    points = data_io.scale_keypoints(
        np.asarray(values, np.float32).reshape(-1, 3), (source_height, source_width), image_size
    )
    flat = [round(float(v), 3) for v in points.reshape(-1)]
    (folder / "keypoints.json").write_text(
        json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": flat}]}) + "\n"
    )
    return len(points)


def _write_garment(split_dir, name, image_size, folder) -> None:
    cloth = _read_rgb(split_dir / "cloth" / name)
    Image.fromarray(data_io.fit_image(cloth, image_size)).save(
        folder / "cloth.jpg", quality=_JPEG_QUALITY
    )
    with Image.open(split_dir / "cloth-mask" / name) as mask_image:
        mask = np.asarray(mask_image.convert("L"))
    mask = data_io.fit_mask(mask >= 128, image_size).astype(np.uint8) * 255
    Image.fromarray(mask, mode="L").save(folder / "cloth_mask.jpg", quality=_JPEG_QUALITY)


def _read_rgb(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _read_pairs(path) -> list[tuple[str, str]]:
    pairs = []
    for line in pathlib.Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2:
            pairs.append((parts[0], parts[1]))
    if not pairs:
        raise ValueError(f"{path}: no pairs")
    return pairs


def _find(split_dir, folders, names) -> pathlib.Path:
    for folder in folders:
        for name in names:
            path = split_dir / folder / name
            if path.is_file():
                return path
    raise FileNotFoundError(f"none of {names} in {[str(split_dir / f) for f in folders]}")


def _unique(items) -> list:
    seen, result = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


if __name__ == "__main__":
    sys.exit(main())
