"""The in-graph cloth mask of a product photo."""

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf.config import get_preset
from sievenet_tf.layers.cloth_mask import (
    ClothMaskLayer,
    MaskHoleFill,
    cloth_mask_from_photo,
    cloth_mask_options,
    fill_holes,
)


def _product_photo(height=64, width=48, seed=0):
    """A shirt-shaped blue garment on an off-white background, with a white print
    inside it (a hole for the threshold) and JPEG-like noise."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 245.0)
    truth = np.zeros((height, width), bool)
    truth[10:58, 12:36] = True  # body
    truth[10:30, 4:44] = True  # sleeves
    image[truth] = (40, 60, 160)
    image[30:38, 20:28] = 250  # a white print on the shirt
    image += rng.normal(0, 2.0, image.shape)
    return (np.clip(image, 0, 255) / 127.5 - 1.0).astype(np.float32)[None], truth


def test_garment_on_a_plain_background_with_a_white_print_is_masked_exactly():
    photo, truth = _product_photo()
    mask = cloth_mask_from_photo(tf.constant(photo), threshold=0.06, closing=3, fill_steps=24,
                                 fill_downsample=2).numpy()[0, ..., 0]  # fmt: skip
    assert set(np.unique(mask)) <= {0.0, 1.0}
    np.testing.assert_array_equal(mask > 0.5, truth)


def test_without_hole_filling_the_print_is_a_hole():
    photo, truth = _product_photo()
    mask = cloth_mask_from_photo(tf.constant(photo), 0.06, 3, fill_steps=0).numpy()[0, ..., 0]
    assert not mask[33, 23] and mask[15, 20]
    iou = np.sum((mask > 0.5) & truth) / np.sum((mask > 0.5) | truth)
    assert 0.9 < iou < 1.0


def test_a_darker_background_is_estimated_from_the_border():
    photo, truth = _product_photo()
    gray = np.where(truth[None, ..., None], photo, photo - 0.3)  # background 245 -> ~207
    mask = cloth_mask_from_photo(tf.constant(gray.astype(np.float32)), 0.06, 3, 24, 2).numpy()
    np.testing.assert_array_equal(mask[0, ..., 0] > 0.5, truth)


def test_layer_round_trip_options_and_builtin_tflite_ops():
    from sievenet_tf.export.tflite import check_builtin_ops

    options = cloth_mask_options(get_preset("viton_256x192"))
    assert options["closing"] == 3 and options["fill_downsample"] == 4
    assert cloth_mask_options(get_preset("tiny"))["closing"] in (1, 3)
    layer = ClothMaskLayer(**cloth_mask_options(get_preset("tiny")))
    assert ClothMaskLayer.from_config(layer.get_config()).get_config() == layer.get_config()
    function = tf.function(lambda c: layer(c), input_signature=[tf.TensorSpec((1, 64, 48, 3))])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    ops = check_builtin_ops(converter.convert(), "cloth mask")
    assert "MAX_POOL_2D" in ops


@pytest.mark.skipif(
    not __import__("os").path.isdir("../shared/datasets/viton_10k/test/cloth-mask"),
    reason="../shared/datasets/viton_10k is absent (real VITON cloth masks; research use only)",
)
def test_iou_against_the_dataset_cloth_masks():
    import os

    from PIL import Image

    root = "../shared/datasets/viton_10k/test"
    names = sorted(os.listdir(f"{root}/cloth"))[:40]
    photos = np.stack([np.asarray(Image.open(f"{root}/cloth/{n}").convert("RGB")) for n in names])
    truth = np.stack([np.asarray(Image.open(f"{root}/cloth-mask/{n}")) > 127 for n in names])
    mask = (
        cloth_mask_from_photo(tf.constant(photos / 127.5 - 1.0, tf.float32)).numpy()[..., 0] > 0.5
    )
    iou = np.sum(mask & truth, (1, 2)) / np.maximum(np.sum(mask | truth, (1, 2)), 1)
    assert np.median(iou) > 0.95


def _garment_mask():
    mask = np.zeros((1, 64, 48, 1), np.float32)
    mask[0, 8:56, 8:40] = 1.0
    return mask


def test_fill_holes_fills_enclosed_holes_and_keeps_what_the_border_reaches():
    solid = _garment_mask()
    holed = solid.copy()
    holed[0, 20:30, 16:24] = 0.0  # enclosed: filled
    np.testing.assert_array_equal(fill_holes(holed).numpy(), solid)
    notched = solid.copy()
    notched[0, 30:56, 20:28] = 0.0  # open to the bottom, 8 px wide: background
    np.testing.assert_array_equal(fill_holes(notched).numpy(), notched)
    np.testing.assert_array_equal(fill_holes(holed, fill_steps=0).numpy(), holed)


def test_mask_hole_fill_closing_seals_a_seam_then_fills_and_never_removes_mask():
    solid = _garment_mask()
    lace = solid.copy()
    lace[0, 20:30, 16:24] = 0.0
    lace[0, 24:27, 8:16] = 0.0  # a 3-px seam from the hole to the garment's edge
    assert fill_holes(lace).numpy().sum() < solid.sum()  # the fill alone does not make it solid
    layer = MaskHoleFill(closing=5)
    np.testing.assert_array_equal(layer(lace).numpy(), solid)
    rng = np.random.default_rng(0)
    noisy = (rng.uniform(size=(2, 64, 48, 1)) > 0.6).astype(np.float32)
    assert np.all(layer(noisy).numpy() >= noisy)
    clone = MaskHoleFill.from_config(layer.get_config())
    assert (clone.closing, clone.fill_steps, clone.fill_downsample) == (5, 48, 4)
