"""File readers: pixel formats, palettes, resizing, guards (pose files: test_pose.py)."""

import pickle

import numpy as np
import pytest
from PIL import Image

from sievenet_tf import labels
from sievenet_tf.data import io
from sievenet_tf.data.errors import DataError
from tests.data.conftest import png_claiming_size, save_parse


def test_rgb_gray_rgba_palette_images(tmp_path, rng):
    rgb = rng.integers(0, 256, (20, 16, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(io.read_image(tmp_path / "rgb.png"), rgb)

    Image.fromarray(rgb[..., 0]).save(tmp_path / "gray.png")
    gray = io.read_image(tmp_path / "gray.png")
    assert gray.shape == (20, 16, 3) and gray.dtype == np.uint8
    np.testing.assert_array_equal(gray[..., 1], rgb[..., 0])

    rgba = np.concatenate([rgb, np.full((20, 16, 1), 255, np.uint8)], -1)
    rgba[0, 0, 3] = 0  # transparent -> white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    out = io.read_image(tmp_path / "rgba.png")
    np.testing.assert_array_equal(out[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(out[1:], rgb[1:])

    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    assert io.read_image(tmp_path / "palette.png").shape == (20, 16, 3)


def test_unsupported_and_unreadable_images(tmp_path):
    Image.fromarray(np.zeros((20, 16), np.float32), "F").save(tmp_path / "float.tif")
    with pytest.raises(DataError, match="unsupported pixel format: mode 'F'"):
        io.read_image(tmp_path / "float.tif")
    with pytest.raises(DataError, match="missing file"):
        io.read_image(tmp_path / "nope.jpg")
    (tmp_path / "text.jpg").write_text("hello")
    with pytest.raises(DataError, match="not a readable image"):
        io.read_image(tmp_path / "text.jpg")
    Image.new("RGB", (4, 30)).save(tmp_path / "thin.png")
    with pytest.raises(DataError, match="absurd image size 4x30"):
        io.read_image(tmp_path / "thin.png")


@pytest.mark.parametrize("width, height", [(8000, 8000), (100_000, 100_000)])
def test_decompression_bomb_refused_before_decoding(tmp_path, width, height):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming_size(width, height))
    with pytest.raises(DataError, match="absurd image size") as error:
        io.read_image(path)
    assert str(path) in str(error.value)
    with pytest.raises(DataError, match="absurd image size"):
        io.image_size(path)


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_truncated_images(tmp_path, rng, suffix):
    path = tmp_path / f"image.{suffix}"
    Image.fromarray(rng.integers(0, 256, (40, 30, 3)).astype(np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataError, match="truncated or corrupt image"):
        io.read_image(path)


def test_fit_keeps_aspect_and_pads(tmp_path):
    square = np.zeros((40, 40, 3), np.uint8)
    Image.fromarray(square).save(tmp_path / "square.png")
    out = io.read_image(tmp_path / "square.png", (64, 48))
    assert out.shape == (64, 48, 3)
    assert np.all(out[:8] == 255) and np.all(out[-8:] == 255)  # white bands
    assert np.all(out[8:56] == 0)
    fit = io.fit_resize((40, 40), (64, 48))
    assert (fit.resized, fit.pad_top, fit.pad_left) == ((48, 48), 8, 0)
    # Keypoints follow: the centre stays the centre, corners move with the image.
    points = np.array([[19.5, 19.5, 1.0], [0.0, 0.0, 0.5], [5.0, 5.0, 0.0]], np.float32)
    moved = io.scale_keypoints(points, (40, 40), (64, 48))
    np.testing.assert_allclose(moved[0], [23.5, 31.5, 1.0])
    np.testing.assert_allclose(moved[1], [0.5 * 1.2 - 0.5, 8 + 0.5 * 1.2 - 0.5, 0.5], atol=1e-6)
    np.testing.assert_array_equal(moved[2], [0, 0, 0])  # missing stays missing


@pytest.mark.parametrize("mode", ["P", "L", "RGB"])
def test_parse_modes_give_ids(tmp_path, rng, mode):
    parse = rng.integers(0, 20, (24, 18)).astype(np.uint8)
    save_parse(tmp_path / "parse.png", parse, mode)
    np.testing.assert_array_equal(io.read_parse(tmp_path / "parse.png", num_labels=20), parse)


def test_parse_palette_variants_and_gray_rgb(tmp_path, rng):
    parse = rng.integers(0, 20, (24, 18)).astype(np.uint8)
    colours = labels.LIP_COLORS.astype(np.int32)
    colours = np.where(colours == 254, 255, np.where(colours == 169, 170, colours))  # LIP's 255/170
    Image.fromarray(colours[parse].astype(np.uint8)).save(tmp_path / "lip255.png")
    np.testing.assert_array_equal(io.read_parse(tmp_path / "lip255.png"), parse)
    Image.fromarray(np.repeat(parse[..., None], 3, -1)).save(tmp_path / "gray_rgb.png")
    np.testing.assert_array_equal(io.read_parse(tmp_path / "gray_rgb.png"), parse)


def test_parse_errors(tmp_path, rng):
    parse = rng.integers(0, 20, (24, 18)).astype(np.uint8)
    Image.fromarray(labels.LIP_COLORS[parse]).save(tmp_path / "parse.jpg", quality=70)
    with pytest.raises(DataError, match="not in the LIP palette") as error:
        io.read_parse(tmp_path / "parse.jpg")
    assert str(tmp_path / "parse.jpg") in str(error.value)
    parse[0, 0] = 21
    save_parse(tmp_path / "ids.png", parse)
    with pytest.raises(DataError, match="label id\\(s\\) 21 outside the label set 0..19"):
        io.read_parse(tmp_path / "ids.png", num_labels=20)


def test_parse_resized_with_nearest_neighbour(tmp_path):
    parse = np.zeros((96, 72), np.uint8)
    parse[30:60, 20:50] = labels.LIP_UPPER_CLOTHES
    parse[60:90, 25:45] = labels.LIP_PANTS
    save_parse(tmp_path / "parse.png", parse)
    small = io.read_parse(tmp_path / "parse.png", (64, 48))
    assert small.shape == (64, 48)
    assert set(np.unique(small)) == {0, labels.LIP_UPPER_CLOTHES, labels.LIP_PANTS}


def test_data_error_is_a_value_error_and_pickles():
    error = DataError("/a/b.jpg", "truncated")
    assert isinstance(error, ValueError)
    assert str(error) == "/a/b.jpg: truncated"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.problem) == ("/a/b.jpg", "truncated")


def test_fit_mask_matches_read_mask(tmp_path):
    mask = np.zeros((96, 72), np.uint8)
    mask[20:70, 10:60] = 1
    Image.fromarray(mask * 255).save(tmp_path / "mask.png")
    np.testing.assert_array_equal(
        io.fit_mask(mask, (64, 48)), io.read_mask(tmp_path / "mask.png", (64, 48))
    )
