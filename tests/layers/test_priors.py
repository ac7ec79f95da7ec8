"""build_priors / PriorsLayer against an independent NumPy computation, and export."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf import labels
from sievenet_tf.layers.priors import PriorsLayer, build_priors, parse_to_model_classes

H, W = 32, 24


# ------------------------------------------------------------- NumPy reference


def np_keypoint_maps(keypoints, size, style, radius):
    height, width = size
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    maps = np.zeros((keypoints.shape[0], height, width, keypoints.shape[1]), np.float32)
    for b, person in enumerate(keypoints):
        for k, (x, y, conf) in enumerate(person):
            if conf <= 0:
                continue
            if style == "square":
                maps[b, :, :, k] = (np.abs(cols - x) <= radius) & (np.abs(rows - y) <= radius)
            else:
                maps[b, :, :, k] = np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2 * radius**2))
    return maps


def np_resize_bilinear(image, size):
    """Half-pixel-centre bilinear resize of (h, w) -> size, edges clamped."""

    def axis(out_n, in_n):
        src = np.clip((np.arange(out_n) + 0.5) * in_n / out_n - 0.5, 0, in_n - 1)
        low = np.floor(src).astype(int)
        high = np.minimum(low + 1, in_n - 1)
        return low, high, src - low

    r0, r1, fr = axis(size[0], image.shape[0])
    c0, c1, fc = axis(size[1], image.shape[1])
    top = image[r0][:, c0] * (1 - fc) + image[r0][:, c1] * fc
    bottom = image[r1][:, c0] * (1 - fc) + image[r1][:, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


def np_body_shape(segmentation, factor):
    out = []
    for seg in segmentation:
        mask = (seg > 0).astype(np.float64)
        h, w = mask.shape
        small = mask.reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
        out.append(np_resize_bilinear(small, (h, w)))
    return np.stack(out)[..., None]


def np_priors(person, segmentation, keypoints, style, radius, factor):
    garment = np.isin(segmentation, labels.GARMENT_CLASSES)[..., None]
    texture = np.isin(segmentation, labels.TEXTURE_PRIOR_CLASSES)[..., None]
    pose = np_keypoint_maps(keypoints, segmentation.shape[1:], style, radius)
    return {
        "priors": np.concatenate([pose, np_body_shape(segmentation, factor)], -1),
        "texture_priors": np.where(texture, person, 0.0),
        "cloth_worn": np.where(garment, person, 1.0),
        "cloth_worn_mask": garment.astype(np.float32),
    }


def random_batch(rng, batch=2):
    person = rng.uniform(-1, 1, (batch, H, W, 3)).astype(np.float32)
    segmentation = rng.integers(0, labels.NUM_MODEL_CLASSES, (batch, H, W)).astype(np.int32)
    segmentation[:, :, :3] = 0  # some background columns
    keypoints = np.concatenate(
        [
            rng.uniform(-3, W + 3, (batch, 18, 1)),
            rng.uniform(-3, H + 3, (batch, 18, 1)),
            rng.uniform(0.1, 1, (batch, 18, 1)),
        ],
        -1,
    ).astype(np.float32)
    keypoints[0, 3] = (10.0, 12.0, 0.0)  # missing (confidence 0)
    keypoints[-1, 5] = (7.5, 9.5, 0.9)  # half-pixel position: square edge ties
    return person, segmentation, keypoints


# ----------------------------------------------------------------------- tests


@pytest.mark.parametrize("style, radius", [("square", 2.0), ("square", 1.5), ("gaussian", 2.0)])
def test_matches_numpy(rng, style, radius):
    person, segmentation, keypoints = random_batch(rng)
    ours = build_priors(
        person,
        segmentation,
        keypoints,
        image_size=(H, W),
        keypoint_style=style,
        keypoint_radius=radius,
        shape_downsample=4,
    )
    reference = np_priors(person, segmentation, keypoints, style, radius, 4)
    assert set(ours) == set(reference)
    for name, value in ours.items():
        assert value.dtype == tf.float32
        np.testing.assert_allclose(value.numpy(), reference[name], atol=1e-5, err_msg=name)
    priors = ours["priors"].numpy()
    assert priors.shape == (2, H, W, 19)
    assert priors[0, ..., 3].max() == 0.0  # missing keypoint -> empty map
    assert priors.min() >= 0.0 and priors.max() <= 1.0


def test_square_is_cp_vton_size():
    keypoints = np.zeros((1, 18, 3), np.float32)
    keypoints[0, 0] = (10, 8, 1.0)
    maps = build_priors(
        np.zeros((1, H, W, 3), np.float32),
        np.zeros((1, H, W), np.int32),
        keypoints,
        image_size=(H, W),
        keypoint_radius=5,
    )["priors"]
    assert int(maps[0, ..., 0].numpy().sum()) == 11 * 11  # pixels 5..15 x 3..13


def test_body_shape_of_sizes_that_do_not_divide(rng):
    person, segmentation, keypoints = random_batch(rng)
    shape = build_priors(
        person[:, :30, :22],
        segmentation[:, :30, :22],
        keypoints,
        image_size=(30, 22),
        shape_downsample=4,
    )["priors"][..., -1]
    assert shape.shape == (2, 30, 22)
    assert 0.0 <= float(tf.reduce_min(shape)) and float(tf.reduce_max(shape)) <= 1.0


def test_xla_equals_eager(rng):
    person, segmentation, keypoints = random_batch(rng)

    def run(p, s, k):
        return build_priors(p, s, k, image_size=(H, W), shape_downsample=4)

    eager = run(person, segmentation, keypoints)
    compiled = tf.function(run, jit_compile=True)(person, segmentation, keypoints)
    for name in eager:
        np.testing.assert_allclose(compiled[name].numpy(), eager[name].numpy(), atol=1e-5)


def test_parse_to_model_classes():
    parse = np.array([[0, 5, 10, 13], [19, 20, 255, -1]], np.int32)
    viton = parse_to_model_classes(parse, labels.dataset_to_model_table("viton")).numpy()
    hd = parse_to_model_classes(parse, labels.dataset_to_model_table("viton_hd")).numpy()
    np.testing.assert_array_equal(viton, [[0, 5, 10, 13], [19, 0, 0, 0]])  # unknown -> bg
    np.testing.assert_array_equal(hd, [[0, 5, 0, 13], [19, 0, 0, 0]])  # neck -> background


def test_layer_config_and_keras_save(tmp_path, rng):
    layer = PriorsLayer((H, W), keypoint_radius=2.0, shape_downsample=4, parse_layout="viton_hd")
    config = layer.get_config()
    for name in (
        "image_size",
        "num_keypoints",
        "keypoint_style",
        "keypoint_radius",
        "shape_downsample",
        "parse_layout",
    ):
        assert name in config
    rebuilt = PriorsLayer.from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config

    person = keras.Input((H, W, 3), name="person")
    parse = keras.Input((H, W), dtype="int32", name="parse")
    keypoints = keras.Input((18, 3), name="keypoints")
    outputs = layer(person, parse, keypoints)
    model = keras.Model({"person": person, "parse": parse, "keypoints": keypoints}, outputs)
    p, s, k = random_batch(rng)
    inputs = {"person": p, "parse": s, "keypoints": k}
    expected = model(inputs)
    assert expected["segmentation"].dtype == "int32"
    model.save(tmp_path / "priors.keras")
    loaded = keras.saving.load_model(tmp_path / "priors.keras")
    for name, value in loaded(inputs).items():
        np.testing.assert_allclose(np.asarray(value), np.asarray(expected[name]), atol=1e-6)


def test_tflite_builtins_only_and_parity(rng):
    from ai_edge_litert.interpreter import Interpreter

    layer = PriorsLayer((H, W), keypoint_radius=2.0, shape_downsample=4, parse_layout="viton")

    @tf.function(
        input_signature=[
            tf.TensorSpec((1, H, W, 3), tf.float32, name="person"),
            tf.TensorSpec((1, H, W), tf.int32, name="parse"),
            tf.TensorSpec((1, 18, 3), tf.float32, name="keypoints"),
        ]
    )
    def priors(person, parse, keypoints):
        return layer(person, parse, keypoints)

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [priors.get_concrete_function()], layer
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    flatbuffer = converter.convert()
    interpreter = Interpreter(model_content=flatbuffer)
    ops = {op["op_name"] for op in interpreter._get_ops_details()}
    assert not any("Flex" in op or op == "CUSTOM" for op in ops), ops
    person, parse, keypoints = random_batch(rng, batch=1)
    outputs = interpreter.get_signature_runner()(person=person, parse=parse, keypoints=keypoints)
    expected = priors(person, parse, keypoints)
    assert set(outputs) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(outputs[name], value.numpy(), atol=1e-5, err_msg=name)
