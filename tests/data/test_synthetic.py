"""The synthetic VITON-layout generator: layout, formats, determinism, ground truth."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest
from PIL import Image

from sievenet_tf import labels
from sievenet_tf.data import synthetic
from sievenet_tf.data.synthetic import generate, render_example
from sievenet_tf.data.synthetic.warps import mls_similarity

SIZE = (64, 48)  # (height, width)
NUM_TRAIN, NUM_TEST = 8, 4
SEED = 3
# Every id the generator draws (neck and chest skin are background).
DRAWN_LABELS = {
    labels.LIP_BACKGROUND,
    labels.LIP_HAIR,
    labels.LIP_UPPER_CLOTHES,
    labels.LIP_PANTS,
    labels.LIP_SKIRT,
    labels.LIP_FACE,
    labels.LIP_LEFT_ARM,
    labels.LIP_RIGHT_ARM,
    labels.LIP_LEFT_LEG,
    labels.LIP_RIGHT_LEG,
    labels.LIP_LEFT_SHOE,
    labels.LIP_RIGHT_SHOE,
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> pathlib.Path:
    root = tmp_path_factory.mktemp("synthetic") / "viton"
    return generate(root, NUM_TRAIN, NUM_TEST, image_size=SIZE, seed=SEED, progress=False)


def read_pairs(root: pathlib.Path, split: str) -> list[tuple[str, str]]:
    lines = (root / f"{split}_pairs.txt").read_text().splitlines()
    return [tuple(line.split()) for line in lines]


def all_files(root: pathlib.Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_layout_and_pairs(dataset):
    for split, count in (("train", NUM_TRAIN), ("test", NUM_TEST)):
        for sub in synthetic.SUBDIRS:
            assert len(list((dataset / split / sub).iterdir())) == count, (split, sub)
        pairs = read_pairs(dataset, split)
        assert len(pairs) == count
        for person, cloth in pairs:
            stem = person[: -len("_0.jpg")]
            assert person.endswith("_0.jpg") and cloth.endswith("_1.jpg")
            assert (dataset / split / "image" / person).is_file()
            assert (dataset / split / "image-parse" / f"{stem}_0.png").is_file()
            assert (dataset / split / "pose" / f"{stem}_0_keypoints.json").is_file()
            assert (dataset / split / "cloth" / cloth).is_file()
            assert (dataset / split / "cloth-mask" / cloth).is_file()
            # Each person's own garment exists too (paired evaluation on test).
            assert (dataset / split / "cloth" / f"{stem}_1.jpg").is_file()

    train = read_pairs(dataset, "train")
    assert all(p[:6] == c[:6] for p, c in train)  # paired
    test = read_pairs(dataset, "test")
    assert all(p[:6] != c[:6] for p, c in test)  # unpaired
    assert sorted(c for _, c in test) == sorted(
        f"{p[:6]}_1.jpg" for p, _ in test
    )  # each garment once

    readme = (dataset / "README.md").read_text()
    assert "ynthetic" in readme and f"seed: {SEED}" in readme
    assert synthetic.GENERATOR_VERSION in readme


def test_file_formats(dataset):
    height, width = SIZE
    for split in synthetic.SPLITS:
        for path in sorted((dataset / split / "image").iterdir()):
            stem = path.name[: -len("_0.jpg")]
            person = Image.open(path)
            assert (person.format, person.mode, person.size) == ("JPEG", "RGB", (width, height))
            cloth = Image.open(dataset / split / "cloth" / f"{stem}_1.jpg")
            assert (cloth.format, cloth.mode, cloth.size) == ("JPEG", "RGB", (width, height))

            mask = Image.open(dataset / split / "cloth-mask" / f"{stem}_1.jpg")
            assert (mask.format, mask.mode, mask.size) == ("JPEG", "L", (width, height))
            mask = np.asarray(mask)
            assert np.mean((mask > 30) & (mask < 225)) < 0.05  # binary up to JPEG ringing
            assert 0.15 < np.mean(mask > 127) < 0.9
            # Garment on white: white where the mask is off.
            assert np.asarray(cloth)[mask < 10].mean() > 245

            parse = Image.open(dataset / split / "image-parse" / f"{stem}_0.png")
            assert (parse.format, parse.mode, parse.size) == ("PNG", "P", (width, height))
            ids = set(np.unique(np.asarray(parse)).tolist())
            assert ids <= DRAWN_LABELS, ids
            assert {labels.LIP_UPPER_CLOTHES, labels.LIP_FACE} <= ids
            palette = np.array(parse.getpalette()[: 3 * len(labels.LIP_COLORS)]).reshape(-1, 3)
            np.testing.assert_array_equal(palette, labels.LIP_COLORS)


def test_pose_json(dataset):
    height, width = SIZE
    for path in sorted((dataset / "train" / "pose").iterdir()):
        pose = json.loads(path.read_text())
        assert pose["version"] == 1.0
        assert len(pose["people"]) == 1
        values = pose["people"][0]["pose_keypoints"]
        assert len(values) == 54 and all(isinstance(v, int | float) for v in values)
        keypoints = np.array(values).reshape(18, 3)
        visible = keypoints[:, 2] > 0
        x, y = keypoints[visible, 0], keypoints[visible, 1]
        assert np.all((x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1))
        assert np.all(keypoints[~visible] == 0)
        assert np.all(keypoints[visible, 2] <= 1)
        names = labels.COCO18_KEYPOINT_NAMES
        assert visible[[names.index(n) for n in ("nose", "neck", "r_shoulder", "l_shoulder")]].all()


def test_keypoints_agree_with_the_drawing():
    """Face keypoints on the face, shoulders on the body, left on the image's right."""
    names = labels.COCO18_KEYPOINT_NAMES
    for index in range(12):
        example = render_example(np.random.default_rng((SEED, 0, index)), (128, 96))
        keypoints, parse = example["keypoints"], example["parse"]

        def label_at(name, keypoints=keypoints, parse=parse):
            x, y = np.round(keypoints[names.index(name), :2]).astype(int)
            return parse[y, x]

        assert label_at("nose") == labels.LIP_FACE
        assert label_at("r_eye") == label_at("l_eye") == labels.LIP_FACE
        for side in ("r", "l"):
            assert label_at(f"{side}_shoulder") != labels.LIP_BACKGROUND
        for joint in ("eye", "shoulder", "hip"):
            assert keypoints[names.index(f"l_{joint}"), 0] > keypoints[names.index(f"r_{joint}"), 0]
        # LIP's left arm is on the image's right, like OpenPose's l_* keypoints.
        columns = np.arange(parse.shape[1])
        left_x = columns[np.nonzero(parse == labels.LIP_LEFT_ARM)[1]].mean()
        right_x = columns[np.nonzero(parse == labels.LIP_RIGHT_ARM)[1]].mean()
        assert left_x > right_x


def test_worn_garment_is_the_flat_garment():
    """Every person wears a visible garment whose colours are the flat cloth's."""
    worn, flat = [], []
    for index in range(16):
        example = render_example(np.random.default_rng((SEED, 0, index)), SIZE)
        region = example["parse"] == labels.LIP_UPPER_CLOTHES
        assert region.mean() > 0.03, index
        worn.append(example["person"][region].mean(0))
        flat.append(example["cloth"][example["cloth_mask"] > 127].mean(0))
    worn, flat = np.array(worn), np.array(flat)
    distance = np.abs(worn[:, None] - flat[None]).mean(-1)  # (worn i, flat j), 0..255
    assert np.diag(distance).max() < 25, np.diag(distance)
    # Each worn garment is closer to its own flat garment than to a typical other one.
    others = distance[~np.eye(len(worn), dtype=bool)]
    assert np.median(np.diag(distance)) < 0.25 * np.median(others)


def test_deterministic(tmp_path, dataset):
    again = generate(
        tmp_path / "again", NUM_TRAIN, NUM_TEST, image_size=SIZE, seed=SEED, progress=False
    )
    assert all_files(again) == all_files(dataset)

    other = generate(
        tmp_path / "other", NUM_TRAIN, NUM_TEST, image_size=SIZE, seed=SEED + 1, progress=False
    )
    for split in synthetic.SPLITS:
        for name in (f"image/{i:06d}_0.jpg" for i in range(2)):
            assert (other / split / name).read_bytes() != (dataset / split / name).read_bytes()


def test_more_examples_keep_the_first_ones(tmp_path, dataset):
    fewer = generate(tmp_path / "fewer", 3, 2, image_size=SIZE, seed=SEED, progress=False)
    for split, count in (("train", 3), ("test", 2)):
        for sub in synthetic.SUBDIRS:
            paths = sorted((fewer / split / sub).iterdir())
            assert len(paths) == count
            for path in paths:
                assert path.read_bytes() == (dataset / split / sub / path.name).read_bytes()


@pytest.mark.parametrize("size", [(64, 48), (128, 96), (96, 96), (40, 64)])
def test_any_size_same_people(size):
    """Drawn at the requested size; the geometry does not depend on it."""
    reference = render_example(np.random.default_rng((0, 0, 5)), (256, 192))
    example = render_example(np.random.default_rng((0, 0, 5)), size)
    height, width = size
    assert example["person"].shape == (height, width, 3)
    assert example["parse"].shape == example["cloth_mask"].shape == (height, width)
    assert example["cloth"].shape == (height, width, 3)
    assert labels.LIP_UPPER_CLOTHES in example["parse"]
    # Keypoints map through the same uniform scale + centring as the drawing.
    scale = min(height / 256, width / 192)
    offset = np.array([(width - 192 * scale) / 2, (height - 256 * scale) / 2])
    both = (reference["keypoints"][:, 2] > 0) & (example["keypoints"][:, 2] > 0)
    expected = (reference["keypoints"][both, :2] + 0.5) * scale + offset - 0.5
    np.testing.assert_allclose(example["keypoints"][both, :2], expected, atol=1e-3)


def test_warp_is_a_moving_least_squares_similarity():
    """The warp interpolates its control points and reproduces a global similarity."""
    rng = np.random.default_rng(0)
    source = rng.uniform(0, 100, (20, 2))
    points = rng.uniform(0, 100, (50, 2))
    a, b = 0.8 * np.exp(0.3j), 5 + 7j  # rotation + scale, translation

    def similarity(xy):
        z = (xy[:, 0] + 1j * xy[:, 1]) * a + b
        return np.stack([z.real, z.imag], -1)

    np.testing.assert_allclose(
        mls_similarity(points, source, similarity(source)), similarity(points), atol=1e-8
    )
    target = rng.uniform(0, 100, (20, 2))
    np.testing.assert_allclose(mls_similarity(source, source, target), target, atol=0.05)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"image_size": (0, 48)}, "positive"),
        ({"image_size": (-64, 48)}, "positive"),
        ({"image_size": (16, 12)}, "at least"),
        ({"image_size": (64.5, 48)}, "integers"),
        ({"image_size": "64x48"}, "height, width"),
        ({"num_train": -1}, "num_train"),
        ({"num_test": 2.0}, "num_test"),
        ({"num_train": 0, "num_test": 0}, "nothing to generate"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    args = {
        "num_train": 2,
        "num_test": 2,
        "image_size": SIZE,
        "seed": 0,
        "progress": False,
    } | kwargs
    with pytest.raises(ValueError, match=match):
        generate(tmp_path / "out", **args)
    assert not (tmp_path / "out").exists()  # nothing written


def test_existing_directory(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        generate(root, 2, 0, image_size=SIZE, progress=False)
    generate(root, 2, 2, image_size=SIZE, progress=False, overwrite=True)
    generate(root, 1, 0, image_size=SIZE, progress=False, overwrite=True)
    assert (root / "notes.txt").read_text() == "mine"  # only our files are replaced
    assert len(list((root / "train" / "image").iterdir())) == 1
    assert not list((root / "test" / "image").iterdir())
    assert (root / "test_pairs.txt").read_text() == ""


def test_single_test_example_warns(tmp_path):
    with pytest.warns(UserWarning, match="cannot be unpaired"):
        root = generate(tmp_path / "out", 0, 1, image_size=SIZE, progress=False)
    assert read_pairs(root, "test") == [("000000_0.jpg", "000000_1.jpg")]


def _failing_after(count, function):
    calls = []

    def wrapper(*args, **kwargs):
        if len(calls) == count:
            raise KeyboardInterrupt  # what Ctrl-C does half way
        calls.append(1)
        return function(*args, **kwargs)

    return wrapper


def test_an_interrupted_generation_leaves_nothing_half_written(tmp_path, monkeypatch):
    """The dataset is written beside its final name and renamed when complete."""
    root = tmp_path / "out"
    monkeypatch.setattr(synthetic, "render_example", _failing_after(3, render_example))
    with pytest.raises(KeyboardInterrupt):
        generate(root, 4, 2, image_size=SIZE, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no root, no staging leftovers

    monkeypatch.undo()
    generate(root, 3, 2, image_size=SIZE, progress=False)
    before = all_files(root)
    (root / "notes.txt").write_text("mine")
    monkeypatch.setattr(synthetic, "render_example", _failing_after(2, render_example))
    with pytest.raises(KeyboardInterrupt):
        generate(root, 5, 2, image_size=SIZE, seed=9, progress=False, overwrite=True)
    after = all_files(root)
    assert after.pop("notes.txt") == b"mine" and after == before  # the old dataset, intact
    assert sorted(p.name for p in root.iterdir()) == sorted(
        ["train", "test", "train_pairs.txt", "test_pairs.txt", "README.md", "notes.txt"]
    )
    (tmp_path / "plain").mkdir()  # the dataset folder has the mode mkdir gives, not 0700
    assert (root.stat().st_mode & 0o777) == ((tmp_path / "plain").stat().st_mode & 0o777)
