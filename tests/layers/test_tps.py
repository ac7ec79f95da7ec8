import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf.layers import TpsGridGenerator, TpsWarp, grid_sample, tps_basis, tps_grid
from sievenet_tf.layers.tps import control_points
from tests.layers.reference import cpvton_tps_grid


def test_control_point_order_x_is_slow_index():
    xs, ys = control_points(3)
    # point k = i * g + j has x = lin[i], y = lin[j]
    np.testing.assert_allclose(xs, [-1, -1, -1, 0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(ys, [-1, 0, 1, -1, 0, 1, -1, 0, 1])


@pytest.mark.parametrize("size", [(8, 6), (64, 48), (17, 11)])
def test_identity_at_zero_theta(size):
    grid = tps_grid(np.zeros((2, 50), np.float32), size, 5).numpy()
    ys, xs = np.meshgrid(np.linspace(-1, 1, size[0]), np.linspace(-1, 1, size[1]), indexing="ij")
    assert grid.shape == (2, *size, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[0, ..., 0], xs, atol=1e-5)
    np.testing.assert_allclose(grid[1, ..., 1], ys, atol=1e-5)


@pytest.mark.parametrize("grid_size", [3, 5])
def test_matches_independent_cpvton_implementation(grid_size, rng):
    theta = rng.normal(scale=0.2, size=(3, 2 * grid_size**2)).astype(np.float32)
    ours = tps_grid(theta, (20, 15), grid_size).numpy()
    reference = cpvton_tps_grid(theta, 20, 15, grid_size)
    np.testing.assert_allclose(ours, reference, atol=2e-5)


def test_basis_is_constant_and_cached():
    assert tps_basis((16, 12), 5) is tps_basis((16, 12), 5)
    assert tps_basis((16, 12), 5).shape == (16 * 12, 25)


def test_translation_of_control_points_shifts_image_by_expected_pixels(rng):
    height, width = 12, 9
    image = rng.uniform(-1, 1, size=(1, height, width, 3)).astype(np.float32)
    theta = np.zeros((1, 50), np.float32)
    theta[0, :25] = 2.0 / (width - 1)  # every control point one pixel to the right in x
    theta[0, 25:] = 2 * 2.0 / (height - 1)  # and two pixels down in y
    shifted = grid_sample(image, tps_grid(theta, (height, width)), "zeros").numpy()
    # output(y, x) = input(y + 2, x + 1); beyond the edge is zero-padded
    np.testing.assert_allclose(shifted[0, : height - 2, : width - 1], image[0, 2:, 1:], atol=1e-4)
    np.testing.assert_allclose(shifted[0, height - 2 :], 0.0, atol=1e-4)
    np.testing.assert_allclose(shifted[0, :, width - 1], 0.0, atol=1e-4)


def test_theta_shape_is_checked():
    with pytest.raises(ValueError, match="2 \\* grid_size\\*\\*2 = 50"):
        tps_grid(np.zeros((1, 18), np.float32), (8, 6), 5)


def test_gradient_wrt_theta_matches_finite_differences(rng):
    image = tf.constant(rng.uniform(-1, 1, size=(1, 10, 8, 2)), tf.float32)
    theta0 = rng.normal(scale=0.05, size=(1, 18))

    def warp(theta):
        return grid_sample(image, tps_grid(theta, (10, 8), 3), "border")

    theoretical, numerical = tf.test.compute_gradient(warp, [tf.constant(theta0, tf.float32)], delta=1e-3)
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=2e-2)


def test_layers_serialize_and_warp():
    layer = TpsWarp((16, 12), grid_size=4, padding_mode="zeros")
    clone = TpsWarp.from_config(json.loads(json.dumps(layer.get_config())))
    assert clone.get_config() == layer.get_config()
    images = np.random.default_rng(1).uniform(size=(2, 16, 12, 1)).astype(np.float32)
    np.testing.assert_allclose(layer(images, np.zeros((2, 32), np.float32)), images, atol=1e-5)
    generator = TpsGridGenerator((16, 12), 4)
    assert TpsGridGenerator.from_config(generator.get_config()).image_size == (16, 12)
    assert keras.saving.get_registered_object("sievenet_tf>TpsWarp") is TpsWarp


def test_tflite_conversion_uses_builtin_ops_only_and_matches(rng):
    from ai_edge_litert.interpreter import Interpreter

    height, width = 16, 12
    layer = TpsWarp((height, width), 5, "border")

    @tf.function(input_signature=[
        tf.TensorSpec((1, height, width, 3), tf.float32), tf.TensorSpec((1, 50), tf.float32)
    ])
    def warp(images, theta):
        return {"warped": layer(images, theta)}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([warp.get_concrete_function()], layer)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    interpreter = Interpreter(model_content=converter.convert())
    runner = interpreter.get_signature_runner()
    images = rng.uniform(-1, 1, size=(1, height, width, 3)).astype(np.float32)
    theta = rng.normal(scale=0.3, size=(1, 50)).astype(np.float32)  # pushes samples off-image
    result = runner(images=images, theta=theta)["warped"]
    np.testing.assert_allclose(result, layer(images, theta).numpy(), atol=1e-5)


def test_tps_warp_equals_grid_sample_of_the_tps_grid(rng):
    image = rng.uniform(-1, 1, size=(2, 10, 8, 3)).astype(np.float32)
    theta = rng.normal(scale=0.3, size=(2, 18)).astype(np.float32)
    for mode in ("border", "zeros"):
        warp = TpsWarp((10, 8), 3, mode)
        expected = grid_sample(image, tps_grid(theta, (10, 8), 3), mode).numpy()
        np.testing.assert_allclose(warp(image, theta).numpy(), expected, atol=1e-5)
