"""Lowering-level forms of the shared blocks compute the same function as the plain forms."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf.layers.blocks import (
    PHASE_CONV_MIN_FILTERS,
    InstanceNormalization,
    UpsampleConv2D,
    unet,
)
from sievenet_tf.layers.correlation import FeatureL2Norm


def _upsample_then_conv(x, kernel, bias=None):
    up = tf.repeat(tf.repeat(x, 2, axis=1), 2, axis=2)
    y = tf.nn.conv2d(up, kernel, 1, "SAME")
    return y if bias is None else y + bias


# Both sub-pixel forms: four 2x2 convs (wide layers) and one 3x3 conv (narrow).
@pytest.mark.parametrize("filters", [8, PHASE_CONV_MIN_FILTERS])
@pytest.mark.parametrize("use_bias", [False, True])
def test_upsample_conv_equals_nearest_upsampling_then_conv(filters, use_bias, rng):
    x = rng.normal(size=(2, 5, 7, 6)).astype(np.float32)  # odd sizes: borders on every side
    layer = UpsampleConv2D(filters, 3, padding="same", use_bias=use_bias)
    y = layer(x).numpy()
    assert y.shape == (2, 10, 14, filters)
    if use_bias:
        layer.bias.assign(rng.normal(size=(filters,)).astype(np.float32))
        y = layer(x).numpy()
    expected = _upsample_then_conv(x, layer.kernel, layer.bias if use_bias else None).numpy()
    np.testing.assert_allclose(y, expected, atol=1e-5)


def test_upsample_conv_gradients_match_the_plain_form(rng):
    x = tf.constant(rng.normal(size=(1, 4, 3, 5)).astype(np.float32))
    layer = UpsampleConv2D(4, 3, padding="same", use_bias=False)
    layer(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        ours = tf.reduce_sum(layer(x) ** 2)
        plain = tf.reduce_sum(_upsample_then_conv(x, layer.kernel) ** 2)
    for a, b in zip(tape.gradient(ours, [x, layer.kernel]), tape.gradient(plain, [x, layer.kernel])):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-4)


def test_upsample_conv_rejects_other_configurations():
    with pytest.raises(ValueError, match="kernel_size 3, strides 1"):
        UpsampleConv2D(4, 5, padding="same")
    with pytest.raises(ValueError, match="padding 'same'"):
        UpsampleConv2D(4, 3, padding="valid")


def test_unet_weight_keys_are_those_of_upsampling_plus_conv(tmp_path):
    """A .keras file keys variables by class name and rank ("conv2d_5"): the U-Net
    keeps the keys it had with UpSampling2D + Conv2D, so older files load."""

    def build(upsample_layer):
        inputs = keras.Input((16, 12, 3))
        return keras.Model(inputs, upsample_layer(inputs))

    model = build(lambda x: unet(x, (4, 8), 2, "instance", "unet"))
    path = os.path.join(tmp_path, "m.weights.h5")
    model.save_weights(path)
    import h5py

    with h5py.File(path) as f:
        keys = sorted(f["layers"].keys())
    assert "up_sample_conv2d" not in " ".join(keys)
    assert [k for k in keys if k.startswith("conv2d")] == ["conv2d", "conv2d_1", "conv2d_2", "conv2d_3", "conv2d_4"]


def test_instance_normalization_formula(rng):
    x = rng.normal(loc=3.0, scale=2.0, size=(2, 6, 5, 4)).astype(np.float32)
    layer = InstanceNormalization()
    layer(x)
    gamma, beta = rng.uniform(0.5, 1.5, 4).astype(np.float32), rng.normal(size=4).astype(np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    mean = x.mean(axis=(1, 2), keepdims=True)
    variance = x.var(axis=(1, 2), keepdims=True)
    expected = (x - mean) / np.sqrt(variance + 1e-5) * gamma + beta
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-5)


def _tflite_ops_and_output(model, x):
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [tf.function(lambda t: model(t)).get_concrete_function(tf.TensorSpec(x.shape, tf.float32))]
    )
    data = converter.convert()
    from ai_edge_litert.interpreter import Interpreter

    from sievenet_tf.export.tflite import op_counts

    interpreter = Interpreter(model_content=data)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return op_counts(data), interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


def test_lowered_blocks_use_no_tile_or_squared_difference(rng):
    inputs = keras.Input(batch_shape=(1, 16, 12, 3))
    model = keras.Model(inputs, unet(inputs, (8, 64), 2, "instance", "unet"))
    x = rng.normal(size=(1, 16, 12, 3)).astype(np.float32)
    ops, out = _tflite_ops_and_output(model, x)
    assert "TILE" not in ops and "SQUARED_DIFFERENCE" not in ops, ops
    assert ops["DEPTH_TO_SPACE"] == 2
    np.testing.assert_allclose(out, model(x).numpy(), atol=1e-4)


def test_l2_norm_keeps_its_epsilon_in_tflite():
    """``square`` + ``sum`` + ``sqrt`` would become L2_NORMALIZATION, which drops epsilon."""
    x = np.random.default_rng(0).normal(size=(1, 4, 3, 16)).astype(np.float32)
    x[0, :2] *= 1e-4  # small feature vectors: epsilon matters
    layer = FeatureL2Norm()
    ops, out = _tflite_ops_and_output(layer, x)
    assert "L2_NORMALIZATION" not in ops
    np.testing.assert_allclose(out, layer(x).numpy(), atol=1e-6)
