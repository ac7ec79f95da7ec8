"""Label sets, the model class set and the regions derived from it."""

import numpy as np
import pytest

from sievenet_tf import labels
from sievenet_tf.config import SieveNetConfig


def test_model_classes_match_the_default_config():
    assert labels.NUM_MODEL_CLASSES == len(labels.MODEL_CLASS_NAMES) == 20
    assert SieveNetConfig().segmentation.num_classes == labels.NUM_MODEL_CLASSES
    assert labels.MODEL_CLASS_COLORS.shape == (20, 3)
    assert labels.MODEL_CLASS_COLORS.dtype == np.uint8
    assert len({tuple(c) for c in labels.MODEL_CLASS_COLORS}) == 20  # distinct colours


def test_tables():
    np.testing.assert_array_equal(labels.dataset_to_model_table("viton"), np.arange(20))
    hd = labels.dataset_to_model_table("viton_hd")
    assert hd[labels.VITON_HD_NECK] == labels.LIP_BACKGROUND
    np.testing.assert_array_equal(np.delete(hd, 10), np.delete(np.arange(20), 10))
    assert hd.dtype == np.int32
    hd[0] = 7  # a copy: the constant cannot be changed by a caller
    assert labels.dataset_to_model_table("viton_hd")[0] == 0
    with pytest.raises(ValueError, match="unknown layout"):
        labels.dataset_to_model_table("deepfashion")


def test_regions():
    names = labels.MODEL_CLASS_NAMES
    assert {names[i] for i in labels.GARMENT_CLASSES} == {"upper_clothes", "dress", "coat"}
    kept = {names[i] for i in labels.TEXTURE_PRIOR_CLASSES}
    assert {
        "face",
        "hair",
        "hat",
        "sunglasses",
        "pants",
        "skirt",
        "left_leg",
        "right_leg",
        "left_shoe",
        "right_shoe",
    } <= kept
    assert not set(labels.GARMENT_CLASSES) & set(labels.TEXTURE_PRIOR_CLASSES)
    assert not set(labels.SKIN_CLASSES) & set(labels.BACKGROUND_CLASSES)
    assert labels.BACKGROUND_CLASSES == (0,)
    for group in (labels.GARMENT_CLASSES, labels.TEXTURE_PRIOR_CLASSES, labels.SKIN_CLASSES):
        assert all(0 <= i < labels.NUM_MODEL_CLASSES for i in group)


def test_class_weights():
    weights = labels.class_weights(background_weight=2.0, skin_weight=1.5)
    assert weights.shape == (20,) and weights.dtype == np.float32
    assert weights[labels.LIP_BACKGROUND] == 2.0
    assert all(weights[i] == 1.5 for i in labels.SKIN_CLASSES)
    assert weights[labels.LIP_UPPER_CLOTHES] == 1.0 and weights.sum() == 2.0 + 5 * 1.5 + 14


def test_colorize():
    image = labels.colorize(np.array([[0, 5], [19, 99]]))
    np.testing.assert_array_equal(image[0, 1], labels.LIP_COLORS[5])
    np.testing.assert_array_equal(image[1, 1], [0, 0, 0])


def test_keypoint_names():
    assert len(labels.COCO18_KEYPOINT_NAMES) == 18 and len(labels.BODY25_KEYPOINT_NAMES) == 25
    for coco, body25 in enumerate(labels.BODY25_TO_COCO18):
        assert labels.BODY25_KEYPOINT_NAMES[body25] == labels.COCO18_KEYPOINT_NAMES[coco]
