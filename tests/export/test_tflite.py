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
