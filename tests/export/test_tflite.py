"""Builtins only: a graph that needs a Flex op fails the export loudly."""

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf.export import tflite as tflite_lib


class _NeedsFlex(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec((1, 8), tf.int32, name="x")])
    def serve(self, x):
        return {"y": tf.bitwise.bitwise_and(x, 3)}  # no TFLite builtin


def _saved_model(tmp_path):
    module = _NeedsFlex()
    path = str(tmp_path / "flex_model")
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    return path


def test_conversion_needing_flex_ops_fails(tmp_path):
    with pytest.raises(tflite_lib.ExportError, match="Flex"):
        tflite_lib.convert(_saved_model(tmp_path), "fp32")


def test_flatbuffer_check_catches_flex_ops(tmp_path):
    converter = tf.lite.TFLiteConverter.from_saved_model(_saved_model(tmp_path))
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    model = converter.convert()  # "it converted"...
    assert any(name.startswith("CUSTOM:Flex") for name in tflite_lib.op_counts(model))
    with pytest.raises(tflite_lib.ExportError, match="non-builtin ops.*FlexBitwiseAnd"):
        tflite_lib.check_builtin_ops(model)


def test_builtin_model_passes_and_counts_ops(tmp_path):
    class Affine(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32, name="x")])
        def serve(self, x):
            return {"y": tf.nn.relu(x * 2.0 + 1.0)}

    module = Affine()
    path = str(tmp_path / "affine")
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
    model = tflite_lib.convert(path, "fp32")
    counts = tflite_lib.check_builtin_ops(model)
    assert counts and all(not name.startswith("CUSTOM") for name in counts)
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_content=model).get_signature_runner()
    np.testing.assert_allclose(runner(x=np.array([[-1, 0, 1, 2]], np.float32))["y"], [[0, 1, 3, 5]])


def test_unknown_format_and_missing_calibration(tmp_path):
    with pytest.raises(ValueError, match="unknown TFLite format"):
        tflite_lib.file_name("int4")
    with pytest.raises(ValueError, match="representative_examples"):
        tflite_lib.convert(str(tmp_path), "int8")


def test_int8_warp_with_float_coordinates_is_accurate_and_all_int8_is_not(tmp_path):
    """The reason the int8 export keeps the TPS grid and sampler float: with them
    float the warped cloth is off by about one int8 step of an image; quantized,
    the sampling coordinates move by whole pixels."""
    import keras
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from sievenet_tf.export.tflite import convert
    from sievenet_tf.layers import ClothWarp

    height, width = 64, 48
    warp = ClothWarp((height, width), 5, name="cloth_warp")
    cloth = keras.Input(batch_shape=(1, height, width, 3), name="cloth")
    mask = keras.Input(batch_shape=(1, height, width, 1), name="cloth_mask")
    theta = keras.Input(batch_shape=(1, 50), name="theta")
    warped_cloth, warped_mask = warp(cloth, mask, theta)
    model = keras.Model([cloth, mask, theta], {"warped_cloth": warped_cloth, "warped_mask": warped_mask})

    @tf.function(input_signature=[
        tf.TensorSpec((1, height, width, 3), tf.float32, name="cloth"),
        tf.TensorSpec((1, height, width, 1), tf.float32, name="cloth_mask"),
        tf.TensorSpec((1, 50), tf.float32, name="theta"),
    ])
    def serve(cloth, cloth_mask, theta):
        return model([cloth, cloth_mask, theta])

    tf.saved_model.save(model, str(tmp_path / "warp"), signatures={"serving_default": serve})
    rng = np.random.default_rng(0)

    def example():
        smooth = rng.uniform(-1, 1, size=(1, 8, 6, 3)).astype(np.float32)
        return {
            "cloth": np.repeat(np.repeat(smooth, 8, axis=1), 8, axis=2),
            "cloth_mask": (rng.uniform(size=(1, height, width, 1)) > 0.5).astype(np.float32),
            "theta": rng.normal(scale=0.15, size=(1, 50)).astype(np.float32),
        }

    calibration = [example() for _ in range(16)]
    errors = {}
    for label, float_layers in (("float warp", ("cloth_warp",)), ("all int8", ())):
        flatbuffer = convert(tmp_path / "warp", "int8", lambda: calibration, float_layers=float_layers)
        runner = Interpreter(model_content=flatbuffer).get_signature_runner()
        test = example()
        got = runner(**test)["warped_cloth"]
        want = model([test["cloth"], test["cloth_mask"], test["theta"]])["warped_cloth"].numpy()
        errors[label] = float(np.abs(got - want).max())
    assert errors["float warp"] <= 0.05, errors
    assert errors["all int8"] >= 4 * errors["float warp"], errors
