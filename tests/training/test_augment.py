"""Augmentation of person batches: photo, parse and keypoints move together."""

import dataclasses

import numpy as np
import tensorflow as tf

from sievenet_tf import labels
from sievenet_tf.config import AnalyzerTrainingConfig
from sievenet_tf.training.augment import augment_cloth_batch, augment_person_batch

NO_COLOR = dict(brightness=0.0, contrast=0.0, saturation=0.0, color_gain=0.0)


def _batch(batch=6, height=64, width=48):
    """A parse with one distinctive class blob per keypoint, keypoints at the blobs' centres."""
    rng = np.random.default_rng(0)
    person = rng.uniform(-1, 1, (batch, height, width, 3)).astype(np.float32)
    segmentation = np.zeros((batch, height, width), np.int32)
    keypoints = np.zeros((batch, 18, 3), np.float32)
    names = labels.COCO18_KEYPOINT_NAMES
    sides = {
        "r_wrist": labels.LIP_RIGHT_ARM,
        "l_wrist": labels.LIP_LEFT_ARM,
        "nose": labels.LIP_FACE,
    }
    centres = {"r_wrist": (14, 22), "l_wrist": (33, 44), "nose": (24, 12)}  # blobs apart
    for b in range(batch):
        for name, cls in sides.items():
            x, y = (v + int(rng.integers(-2, 3)) for v in centres[name])
            segmentation[b, y - 2 : y + 3, x - 2 : x + 3] = cls
            keypoints[b, names.index(name)] = (x, y, 0.9)
    return person, segmentation, keypoints, sides


def test_no_amplitude_is_the_identity():
    person, segmentation, keypoints, _ = _batch()
    options = AnalyzerTrainingConfig(flip=0.0, scale=0.0, shift=0.0, rotation=0.0, **NO_COLOR)
    p, s, k = augment_person_batch(tf.constant(person), tf.constant(segmentation), tf.constant(keypoints),
                                   tf.random.Generator.from_seed(0), options)  # fmt: skip
    np.testing.assert_allclose(p.numpy(), person, atol=1e-5)
    np.testing.assert_array_equal(s.numpy(), segmentation)
    np.testing.assert_allclose(k.numpy(), keypoints, atol=1e-4)


def test_keypoints_land_on_their_own_parse_region_with_left_right_swapped_when_flipped():
    person, segmentation, keypoints, sides = _batch(batch=16)
    options = AnalyzerTrainingConfig(flip=0.5, scale=0.2, shift=0.1, rotation=15.0)
    p, s, k = augment_person_batch(tf.constant(person), tf.constant(segmentation), tf.constant(keypoints),
                                   tf.random.Generator.from_seed(1), options)  # fmt: skip
    s, k = s.numpy(), k.numpy()
    assert p.shape == person.shape and s.dtype == np.int32
    names = labels.COCO18_KEYPOINT_NAMES
    checked = flipped = 0
    for b in range(len(k)):
        for name, cls in sides.items():
            x, y, c = k[b, names.index(name)]
            if c == 0:
                continue  # moved out of the image: missing
            found = s[b, int(round(y)), int(round(x))]
            # A mirrored person: the right wrist keypoint sits on the (swapped) right-arm label.
            assert found == cls, (b, name, found, cls)
            checked += 1
        # Flipped examples: the right wrist point came from the left-wrist blob.
        if k[b, names.index("r_wrist"), 2] > 0 and np.any(s[b] == labels.LIP_RIGHT_ARM):
            original_r = keypoints[b, names.index("r_wrist"), 0]
            flipped += int(abs(k[b, names.index("r_wrist"), 0] - original_r) > 0)
    assert checked >= 30 and flipped > 0


def test_outside_pixels_are_white_background_and_points_outside_are_missing():
    person, segmentation, keypoints, _ = _batch(batch=4)
    segmentation[:] = labels.LIP_UPPER_CLOTHES
    keypoints[:, 0] = (1.0, 1.0, 0.9)  # a corner: zooming in pushes it out
    options = dataclasses.replace(
        AnalyzerTrainingConfig(flip=0.0, shift=0.0, rotation=0.0, **NO_COLOR), scale=0.5
    )
    generator = tf.random.Generator.from_seed(3)
    p, s, k = augment_person_batch(tf.constant(person), tf.constant(segmentation), tf.constant(keypoints),
                                   generator, options)  # fmt: skip
    p, s, k = p.numpy(), s.numpy(), k.numpy()
    for b in range(4):
        if s[b, 0, 0] == 0:  # zoomed out: the corner comes from outside
            np.testing.assert_allclose(p[b, 0, 0], 1.0)
        if k[b, 0, 2] == 0:
            assert k[b, 0].tolist() == [0.0, 0.0, 0.0]
    assert np.any(s[:, 0, 0] == 0)


def test_cloth_augmentation_moves_the_mask_with_the_photo():
    cloth = np.ones((4, 32, 24, 3), np.float32)
    mask = np.zeros((4, 32, 24, 1), np.float32)
    cloth[:, 8:24, 6:18] = -1.0
    mask[:, 8:24, 6:18] = 1.0
    options = AnalyzerTrainingConfig(**NO_COLOR)
    c, m = augment_cloth_batch(
        tf.constant(cloth), tf.constant(mask), tf.random.Generator.from_seed(0), options
    )
    dark = c.numpy()[..., 0] < 0.0
    inside = m.numpy()[..., 0] > 0.5
    assert np.mean(dark == inside) > 0.97
