"""Keypoint heatmaps: targets, decoding (sub-pixel, missing points), left/right flips."""

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf import labels
from sievenet_tf.layers.keypoints import (
    FLIP_CLASSES,
    FLIP_KEYPOINTS,
    KeypointDecoder,
    decode_heatmaps,
    flip_classes,
    flip_keypoints,
    heatmap_targets,
)


def _gaussians(points, size, stride, sigma=1.5):
    return heatmap_targets(tf.constant(points[None], tf.float32), size, stride, sigma)


@pytest.mark.parametrize("stride", [1, 2, 4])
def test_a_gaussian_peak_decodes_to_its_sub_pixel_centre(stride):
    height, width = 64, 48
    rng = np.random.default_rng(stride)
    points = np.zeros((18, 3), np.float32)
    points[:, 0] = rng.uniform(4 * stride, width - 4 * stride - 1, 18)
    points[:, 1] = rng.uniform(4 * stride, height - 4 * stride - 1, 18)
    points[:, 2] = rng.uniform(0.1, 1.0, 18)
    heatmaps = _gaussians(points, (height // stride, width // stride), stride)
    decoded = decode_heatmaps(heatmaps, stride, threshold=0.3).numpy()[0]
    # An exact Gaussian: the log-parabola refinement recovers the centre.
    np.testing.assert_allclose(decoded[:, :2], points[:, :2], atol=1e-3 * stride)
    assert np.all(decoded[:, 2] > 0.7)  # the peak value, whatever OpenPose said


def test_low_peaks_are_missing_exactly_as_openpose_writes_them():
    points = np.array([[10.3, 20.7, 1.0]] * 18, np.float32)
    points[5:9] = 0.0  # missing in the "dataset": empty maps
    heatmaps = _gaussians(points, (32, 24), 2).numpy()
    heatmaps[..., 9] *= 0.25  # a weak detection, below the threshold
    decoded = decode_heatmaps(tf.constant(heatmaps), 2, threshold=0.3).numpy()[0]
    for k in (5, 6, 7, 8, 9):
        assert decoded[k].tolist() == [0.0, 0.0, 0.0], k
    assert np.all(decoded[10:, 2] > 0.9) and np.all(decoded[:5, 2] > 0.9)
    # Heatmaps that never rise at all (a photo without a person): no keypoint.
    empty = decode_heatmaps(tf.fill((2, 32, 24, 18), -0.1), 2, 0.3).numpy()
    assert np.all(empty == 0.0)


def test_a_peak_at_the_border_is_not_refined_off_the_image():
    heatmaps = np.zeros((1, 16, 12, 18), np.float32)
    heatmaps[0, 0, 0, :] = 0.9
    heatmaps[0, 0, 1, :] = 0.5
    decoded = decode_heatmaps(tf.constant(heatmaps), 1, 0.3).numpy()[0]
    assert np.all(decoded[:, 0] >= 0.0) and np.all(decoded[:, 0] <= 0.5)
    assert np.all(decoded[:, 1] == 0.0)  # no row neighbours above: no offset


def test_targets_are_empty_for_missing_points_and_peak_one_at_present_ones():
    points = np.zeros((18, 3), np.float32)
    points[0] = (
        21.0,
        33.0,
        0.4,
    )  # stride 2: heatmap pixel (16, 10) stands for (21, 33)... centre 2j + 0.5
    targets = _gaussians(points, (32, 24), 2).numpy()[0]
    assert targets.shape == (32, 24, 18)
    assert np.all(targets[..., 1:] == 0.0)
    row, column = np.unravel_index(np.argmax(targets[..., 0]), (32, 24))
    assert (row, column) == (16, 10) and targets[row, column, 0] > 0.95


def test_flip_permutations_swap_left_and_right_and_are_involutions():
    names = labels.COCO18_KEYPOINT_NAMES
    assert names[FLIP_KEYPOINTS[names.index("r_shoulder")]] == "l_shoulder"
    assert names[FLIP_KEYPOINTS[names.index("l_ear")]] == "r_ear"
    assert FLIP_KEYPOINTS[names.index("nose")] == names.index("nose")
    assert FLIP_KEYPOINTS[names.index("neck")] == names.index("neck")
    np.testing.assert_array_equal(FLIP_KEYPOINTS[FLIP_KEYPOINTS], np.arange(18))
    classes = labels.MODEL_CLASS_NAMES
    assert classes[FLIP_CLASSES[labels.LIP_LEFT_ARM]] == "right_arm"
    assert classes[FLIP_CLASSES[labels.LIP_RIGHT_SHOE]] == "left_shoe"
    assert FLIP_CLASSES[labels.LIP_UPPER_CLOTHES] == labels.LIP_UPPER_CLOTHES
    np.testing.assert_array_equal(FLIP_CLASSES[FLIP_CLASSES], np.arange(len(classes)))
    np.testing.assert_array_equal(flip_classes(tf.constant([[14, 15, 5]])).numpy(), [[15, 14, 5]])


def test_flipped_keypoints_mirror_x_swap_sides_and_keep_missing_points_at_zero():
    width = 48
    points = np.zeros((1, 18, 3), np.float32)
    r_wrist, l_wrist = (
        labels.COCO18_KEYPOINT_NAMES.index("r_wrist"),
        labels.COCO18_KEYPOINT_NAMES.index("l_wrist"),
    )
    points[0, r_wrist] = (10.0, 30.0, 0.8)  # l_wrist missing
    flipped = flip_keypoints(tf.constant(points), width).numpy()[0]
    np.testing.assert_allclose(flipped[l_wrist], (width - 1 - 10.0, 30.0, 0.8))
    assert flipped[r_wrist].tolist() == [0.0, 0.0, 0.0]  # was missing: stays (0, 0, 0)
    np.testing.assert_allclose(
        flip_keypoints(tf.constant(flipped[None]), width).numpy()[0], points[0]
    )


def test_decoding_a_flipped_heatmap_equals_flipping_the_decoded_keypoints():
    rng = np.random.default_rng(0)
    points = np.stack([rng.uniform(3, 44, 18), rng.uniform(3, 60, 18), np.ones(18)], -1).astype(
        np.float32
    )
    heatmaps = _gaussians(points, (64, 48), 1)
    mirrored = tf.gather(heatmaps[:, :, ::-1, :], FLIP_KEYPOINTS, axis=-1)
    np.testing.assert_allclose(
        decode_heatmaps(mirrored, 1, 0.3).numpy(),
        flip_keypoints(decode_heatmaps(heatmaps, 1, 0.3), 48).numpy(), atol=1e-3,
    )  # fmt: skip


def test_decoder_layer_round_trips_and_converts_to_builtin_tflite_ops():
    from sievenet_tf.export.tflite import check_builtin_ops

    layer = KeypointDecoder(stride=2, threshold=0.25)
    assert KeypointDecoder.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="threshold"):
        KeypointDecoder(threshold=0.0)
    function = tf.function(lambda h: layer(h), input_signature=[tf.TensorSpec((1, 32, 24, 18))])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    ops = check_builtin_ops(converter.convert(), "decoder")
    assert "ARG_MAX" in ops
