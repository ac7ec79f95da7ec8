"""The per-op profiler, the conv ceiling's shape list, and float16 weights in int8 files."""

import numpy as np
import tensorflow as tf

from sievenet_tf.export import profile as profile_lib
from sievenet_tf.export import tflite as tflite_lib


def _convert(fn, *specs):
    concrete = tf.function(fn, autograph=False).get_concrete_function(*specs)
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


def test_single_op_models_reproduce_the_full_model(tmp_path):
    weights = tf.constant(np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32))

    def fn(x, index):
        y = tf.nn.relu(tf.matmul(x, weights))  # FULLY_CONNECTED (constant weights)
        return tf.gather(y, index)  # data-dependent: GATHER

    data = _convert(fn, tf.TensorSpec((6, 8), tf.float32), tf.TensorSpec((3,), tf.int32))
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    inputs = {"x": np.ones((6, 8), np.float32), "index": np.array([5, 0, 2], np.int32)}
    result = profile_lib.profile(path, num_threads=1, inputs=inputs, repeats=2, rounds=1)
    assert [op["type"] for op in result["ops"]] == ["FULLY_CONNECTED", "GATHER"]
    assert result["by_type"]["GATHER"]["delegated"] == 0  # XNNPACK has no GATHER
    assert result["total_ms"] > 0 and result["sum_ms"] >= 0
    assert "| op type |" in profile_lib.format_profile(result)
    # A cut-out op fed the captured values gives the full model's output.
    values = profile_lib.capture_tensors(path, inputs)
    model_object = profile_lib._read(str(path))
    op_data, feeds, outputs = profile_lib.single_op_model(model_object, 1)
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=op_data)
    interpreter.allocate_tensors()
    for detail, tensor_id in zip(interpreter.get_input_details(), feeds):
        interpreter.set_tensor(detail["index"], values[tensor_id])
    interpreter.invoke()
    np.testing.assert_array_equal(
        interpreter.get_tensor(interpreter.get_output_details()[0]["index"]), values[outputs[0]]
    )


def test_network_attribution_from_tensor_names():
    assert profile_lib.network_of(["sievenet_tryon_1/sievenet_1/warper_1/cloth_warp_1/Floor"]) == "warp"
    assert profile_lib.network_of(["sievenet_tryon_1/sievenet_1/warper_1/coarse_x_conv_1/c"]) == "warper"
    assert profile_lib.network_of(["sievenet_tryon_1/priors_1/Less"]) == "priors"
    assert profile_lib.network_of(["a/texture_translator_1/unet_up0_conv_1/b"]) == "texture"
    assert profile_lib.network_of(["tfl.quantize"]) == "other"


def test_large_float_weights_are_stored_as_float16():
    basis = np.random.default_rng(0).normal(size=(25, 1 << 14)).astype(np.float32)

    def fn(theta):
        return tf.matmul(theta, tf.constant(basis))

    data = _convert(fn, tf.TensorSpec((2, 25), tf.float32))
    smaller = tflite_lib.store_float_weights_fp16(data, min_values=1 << 16)
    assert len(smaller) < 0.6 * len(data)
    assert tflite_lib.op_counts(smaller).get("DEQUANTIZE") == 1
    assert tflite_lib.store_float_weights_fp16(data, min_values=1 << 20) == data  # below threshold
    from ai_edge_litert.interpreter import Interpreter

    theta = np.random.default_rng(1).normal(size=(2, 25)).astype(np.float32)
    outputs = []
    for model in (data, smaller):
        interpreter = Interpreter(model_content=model)
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], theta)
        interpreter.invoke()
        outputs.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
    expected = theta @ basis.astype(np.float16).astype(np.float32)
    np.testing.assert_allclose(outputs[1], expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(outputs[1], outputs[0], atol=0.05)


def test_conv_ceiling_counts_nominal_shapes(tiny_config):
    from sievenet_tf.export.conv_ceiling import conv_macs, conv_shapes
    from sievenet_tf.models import build_sievenet

    sievenet = build_sievenet(tiny_config)
    shapes = conv_shapes(sievenet.texture_translator)
    height, width = tiny_config.data.image_size
    # The last decoder level is a 3x3 conv at full resolution (the upsampled input).
    assert any(s[:2] == (height, width) and s[3] == 3 for s in shapes)
    assert conv_macs((4, 6, 2, 3, 1, 5)) == 4 * 6 * 9 * 2 * 5
    assert conv_macs((4, 6, 2, 4, 2, 5)) == 2 * 3 * 16 * 2 * 5
