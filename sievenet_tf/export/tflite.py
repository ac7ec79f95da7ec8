"""SavedModel -> LiteRT (``.tflite``) in four flavours, builtin ops only.

* ``fp32`` — float32 everywhere.
* ``fp16`` — float16 weights, float32 compute (dequantised at load time).
* ``dynamic`` — dynamic-range quantisation: int8 weights, activations
  quantised on the fly by the kernels that support it.
* ``int8`` — full-integer quantisation of the networks, calibrated on real
  pipeline examples, with *selective* quantisation: the layers listed in
  :data:`FLOAT_LAYERS` (priors, TPS grid and bilinear sampling, the labels'
  one-hot, the final composite) stay float32. Coordinates need the precision:
  quantised to int8, a [0, W] pixel coordinate moves in steps of W / 255 pixels
  and the sampled cloth is wrong (measured: max abs error 1.0). The model's
  inputs and outputs stay float32 / int32 (the contract's dtypes).

In the int8 model, large float32 weights of the float layers (the TPS basis of
the warp, H * W x N values: 4.9 MB at 256 x 192, 0.4x of the mobile model's
int8 file) are stored as float16 and widened by a ``DEQUANTIZE`` that LiteRT
and XNNPACK evaluate once at load time (:func:`store_float_weights_fp16`).
Coordinates are still computed in float32; the basis values move by at most
2^-11 of themselves (below 0.01 px of coordinate for |theta| <= 1).

The model is converted with ``supported_ops = [TFLITE_BUILTINS]`` (plus
``TFLITE_BUILTINS_INT8`` for int8), so a graph that would need a Flex (TF Select)
op fails to convert; :func:`check_builtin_ops` then checks the flatbuffer
itself for custom or Flex operators.

Selective quantisation uses the two-step path that
``tf.lite.experimental.QuantizationDebugger`` uses: the converter calibrates
only (``_experimental_calibrate_only``), then the MLIR quantiser quantises with
the float layers' tensors in ``denylisted_nodes``.
"""

from __future__ import annotations

import collections
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable

import numpy as np
import tensorflow as tf

QUANTIZATIONS = ("fp32", "fp16", "dynamic", "int8")
# Keras layer names (see tryon_model.py and models/sievenet.py) whose ops stay float32
# in the int8 model: the priors (pixel coordinates), both TPS warps (grid and
# sampler, layer "cloth_warp" of the warper), the sum theta + delta_theta, the one-hot of the expected
# segmentation, and the composite of the try-on.
FLOAT_LAYERS = ("priors", "cloth_warp", "theta_fine", "segmentation_one_hot", "tryon")


class ExportError(RuntimeError):
    """A model could not be exported in a form that is safe to ship."""


def file_name(quantization: str) -> str:
    """``sievenet_<quantization>.tflite``."""
    check_quantization(quantization)
    return f"sievenet_{quantization}.tflite"


def check_quantization(quantization: str) -> str:
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown TFLite format {quantization!r}; expected one of {QUANTIZATIONS}")
    return quantization


def _converter(saved_model_dir):
    converter = tf.lite.TFLiteConverter.from_saved_model(os.fspath(saved_model_dir))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter


def convert(
    saved_model_dir,
    quantization: str = "fp32",
    representative_examples: Callable[[], Iterable[dict]] | None = None,
    float_layers: Iterable[str] = FLOAT_LAYERS,
) -> bytes:
    """Convert a SavedModel (fixed input shapes) to a ``.tflite`` flatbuffer.

    Args:
        saved_model_dir: from :func:`sievenet_tf.export.saved_model.export_saved_model`
            with batch size 1.
        quantization: one of :data:`QUANTIZATIONS`.
        representative_examples: for "int8": a callable returning an iterable of
            input dicts (name -> array with batch 1), real pipeline examples.
        float_layers: for "int8": layer names whose ops stay float32.

    Returns:
        The model bytes, checked by :func:`check_builtin_ops`.

    Raises:
        ExportError: the graph needs a non-builtin op.
    """
    check_quantization(quantization)
    if quantization == "int8" and representative_examples is None:
        raise ValueError("int8 quantisation needs representative_examples (calibration data)")
    converter = _converter(saved_model_dir)
    if quantization == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    try:
        if quantization == "int8":
            model = _convert_int8(converter, representative_examples, tuple(float_layers))
        else:
            model = converter.convert()
    except ValueError:
        raise
    except Exception as e:  # the converter raises ConverterError (not a public class)
        raise _conversion_error(quantization, e) from None
    check_builtin_ops(model, quantization)
    return model


def _conversion_error(quantization, error):
    text = str(error)
    hint = ""
    if "Flex" in text or "TF Select" in text or "neither a custom op nor a flex op" in text:
        hint = " (the graph needs a TensorFlow op that TFLite has only as a Flex op; exports are builtins-only)"
    first = next(
        (line for line in text.splitlines() if "error" in line.lower()),
        text.splitlines()[0] if text else "",
    )
    return ExportError(f"{quantization}: TFLite conversion failed{hint}: {first.strip()[:400]}")


def _convert_int8(converter, representative_examples, float_layers) -> bytes:
    # Imported here: the MLIR quantiser entry point used by QuantizationDebugger.
    from tensorflow.lite.python import convert as lite_convert

    def dataset():
        for example in representative_examples():
            yield {name: np.asarray(value) for name, value in example.items()}

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
        tf.lite.OpsSet.TFLITE_BUILTINS,
    ]
    converter.experimental_mlir_quantizer = True
    converter._experimental_calibrate_only = True  # float model + calibration statistics
    calibrated = converter.convert()
    denylisted = float_tensor_names(calibrated, float_layers)
    quantized = lite_convert.mlir_quantize(
        calibrated,
        disable_per_channel=False,
        fully_quantize=False,  # float32 inputs and outputs
        denylisted_nodes=denylisted,
    )
    return store_float_weights_fp16(quantized)


# Float32 weights from this many values on are stored as float16 in int8 models.
FP16_WEIGHTS_MIN_VALUES = 1 << 18
_FP16_WEIGHT_CONSUMERS = ("FULLY_CONNECTED", "BATCH_MATMUL")


def store_float_weights_fp16(model: bytes, min_values: int = FP16_WEIGHTS_MIN_VALUES) -> bytes:
    """Store large constant float32 matmul weights as float16 + ``DEQUANTIZE``.

    Every constant float32 input of a ``FULLY_CONNECTED`` or ``BATCH_MATMUL``
    with at least ``min_values`` values gets a float16 copy, and a
    ``DEQUANTIZE`` (float16 -> float32) at the start of the graph produces the
    original tensor from it: the pattern of TFLite's own float16 quantisation,
    which the runtime (and XNNPACK) turns back into float32 constants once,
    when the model is loaded. Nothing else changes.

    Args:
        model: a ``.tflite`` flatbuffer.
        min_values: size threshold (values).

    Returns:
        The new flatbuffer (``model`` itself when nothing qualifies).
    """
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    flat = _flatbuffer(model)
    names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    changed = False
    for subgraph in flat.subgraphs:
        new_ops = []
        for op in subgraph.operators or []:
            code = flat.operatorCodes[op.opcodeIndex]
            if names.get(max(code.builtinCode, code.deprecatedBuiltinCode)) not in _FP16_WEIGHT_CONSUMERS:
                continue
            for tensor_index in op.inputs:
                if tensor_index < 0:
                    continue
                tensor = subgraph.tensors[tensor_index]
                buffer = flat.buffers[tensor.buffer]
                data = getattr(buffer, "data", None)
                if (
                    tensor.type != schema.TensorType.FLOAT32
                    or data is None
                    or len(data) < 4 * min_values
                ):
                    continue
                values = np.frombuffer(bytes(np.asarray(data, np.uint8)), np.float32)
                half = schema.BufferT()
                half.data = np.frombuffer(values.astype(np.float16).tobytes(), np.uint8)
                flat.buffers.append(half)
                half_tensor = schema.TensorT()
                half_tensor.shape = np.array(tensor.shape, np.int32)
                half_tensor.type = schema.TensorType.FLOAT16
                half_tensor.buffer = len(flat.buffers) - 1
                half_tensor.name = (tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)) + "_fp16"
                subgraph.tensors.append(half_tensor)
                shared = any(
                    other is not tensor and other.buffer == tensor.buffer
                    for graph in flat.subgraphs
                    for other in graph.tensors
                )
                if shared:  # another tensor still reads the float32 values
                    flat.buffers.append(schema.BufferT())
                    tensor.buffer = len(flat.buffers) - 1
                else:
                    buffer.data = None  # drop the float32 copy
                # The tensor is now produced by the DEQUANTIZE.
                dequantize = schema.OperatorT()
                dequantize.opcodeIndex = _opcode_index(flat, schema.BuiltinOperator.DEQUANTIZE, version=3)
                dequantize.inputs = np.array([len(subgraph.tensors) - 1], np.int32)
                dequantize.outputs = np.array([tensor_index], np.int32)
                new_ops.append(dequantize)
                changed = True
        if new_ops:
            subgraph.operators = new_ops + list(subgraph.operators)
    if not changed:
        return model
    return bytes(flatbuffer_utils.convert_object_to_bytearray(flat))


def _opcode_index(flat, builtin: int, version: int) -> int:
    """Index of ``builtin`` in the model's operator codes (added, at ``version`` or more)."""
    from tensorflow.lite.python import schema_py_generated as schema

    for index, code in enumerate(flat.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
            code.version = max(code.version, version)
            return index
    code = schema.OperatorCodeT()
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, schema.BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES)
    code.version = version
    flat.operatorCodes.append(code)
    return len(flat.operatorCodes) - 1


def float_tensor_names(model: bytes, float_layers: Iterable[str]) -> list[str]:
    """Names of the tensors produced inside the layers ``float_layers``.

    Tensor names carry the Keras layer path (``sievenet_tryon_1/warper_1/cloth_warp_1/…``);
    a tensor belongs to a layer when one of its path components starts with the
    layer name followed by nothing or the ``_<n>`` Keras call suffix.
    """
    float_layers = tuple(float_layers)
    names = []
    for name in tensor_names(model):
        for part in name.replace(";", "/").split("/"):
            base = part.rsplit("_", 1)[0] if part.rsplit("_", 1)[-1].isdigit() else part
            if base in float_layers:
                names.append(name)
                break
    return names


def _flatbuffer(model: bytes):
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils.convert_bytearray_to_object(bytearray(model))


def tensor_names(model: bytes) -> list[str]:
    """Names of every tensor of every subgraph of a ``.tflite`` flatbuffer."""
    flat = _flatbuffer(model)
    return [
        tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)
        for subgraph in flat.subgraphs
        for tensor in subgraph.tensors
    ]


def op_counts(model: bytes) -> dict[str, int]:
    """Operator name -> count over all subgraphs, read from the flatbuffer.

    Builtin operators appear by their ``BuiltinOperator`` name; custom operators
    (including Flex ops) as ``CUSTOM:<custom code>``.
    """
    from tensorflow.lite.python import schema_py_generated as schema

    builtin_names = {
        value: name
        for name, value in vars(schema.BuiltinOperator).items()
        if not name.startswith("_")
    }
    flat = _flatbuffer(model)
    names = []
    for code in flat.operatorCodes:
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = (
                code.customCode.decode()
                if isinstance(code.customCode, bytes)
                else str(code.customCode)
            )
            names.append(f"CUSTOM:{custom}")
        else:
            names.append(builtin_names.get(builtin, f"UNKNOWN_{builtin}"))
    counts = collections.Counter(
        names[op.opcodeIndex] for subgraph in flat.subgraphs for op in (subgraph.operators or [])
    )
    return dict(sorted(counts.items()))


def check_builtin_ops(model: bytes, what: str = "model") -> dict[str, int]:
    """Raise :class:`ExportError` if the flatbuffer holds a custom or Flex op.

    Returns:
        The op counts of :func:`op_counts`.
    """
    counts = op_counts(model)
    offending = sorted(
        name for name in counts if name.startswith(("CUSTOM", "UNKNOWN")) or "Flex" in name
    )
    if offending:
        raise ExportError(f"{what}: non-builtin ops in the TFLite model: {offending}")
    return counts


def export_tflite(
    tryon_model_batch1,
    out_path,
    quantization: str,
    representative_examples=None,
    float_layers: Iterable[str] = FLOAT_LAYERS,
    saved_model_dir=None,
) -> dict:
    """Convert a batch-1 try-on model and write ``out_path`` atomically.

    Args:
        tryon_model_batch1: the try-on Keras model with batch size 1.
        out_path: the ``.tflite`` file to write.
        quantization: one of :data:`QUANTIZATIONS`.
        representative_examples: see :func:`convert`.
        float_layers: see :func:`convert`.
        saved_model_dir: an existing batch-1 SavedModel of the same model to convert
            from (saves re-tracing); written to a temporary folder when None.

    Returns:
        ``{"path", "bytes", "ops"}``.
    """
    from sievenet_tf.export.saved_model import export_saved_model

    out_path = os.fspath(out_path)
    temporary_dir = None
    try:
        if saved_model_dir is None:
            temporary_dir = tempfile.mkdtemp(prefix="sievenet_tflite_")
            saved_model_dir = export_saved_model(
                tryon_model_batch1, os.path.join(temporary_dir, "saved_model")
            )
        model = convert(saved_model_dir, quantization, representative_examples, float_layers)
    finally:
        if temporary_dir is not None:
            shutil.rmtree(temporary_dir, ignore_errors=True)
    write_bytes(out_path, model)
    return {"path": out_path, "bytes": len(model), "ops": op_counts(model)}


def write_bytes(path, data: bytes) -> None:
    """Write a file atomically (temporary file, then rename)."""
    path = os.fspath(path)
    temporary = path + ".partial"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def export_formats(model_batch1, directory, formats, file_name, save_batch1, calibration=(),
                   float_layers: Iterable[str] = FLOAT_LAYERS, report=None, log=print, label="") -> dict:
    """Convert ``model_batch1`` to each TFLite format in ``formats``, all from one
    batch-1 SavedModel written by ``save_batch1(model, dir)`` into a scratch folder.

    ``file_name(fmt)`` names each file in ``directory``; int8 is calibrated on
    ``calibration``. Fills ``report["files"][fmt]`` (path, bytes) and
    ``report["ops"][fmt]`` and logs one line per file, prefixed with ``label``.

    Returns:
        format -> written path.
    """
    scratch = tempfile.mkdtemp(prefix="sievenet_tflite_")
    paths = {}
    try:
        batch1_dir = save_batch1(model_batch1, os.path.join(scratch, "saved_model_batch1"))
        for fmt in formats:
            started = time.monotonic()
            name = file_name(fmt)
            result = export_tflite(
                model_batch1, os.path.join(directory, name), fmt,
                representative_examples=(lambda: iter(calibration)) if fmt == "int8" else None,
                float_layers=float_layers, saved_model_dir=batch1_dir,
            )  # fmt: skip
            paths[fmt] = result["path"]
            report["files"][fmt] = {"path": name, "bytes": result["bytes"]}
            report["ops"][fmt] = result["ops"]
            log(f"{label}{fmt}: {name} {result['bytes'] / 1e6:.2f} MB, {sum(result['ops'].values())} ops, "
                f"builtins only ({time.monotonic() - started:.0f} s)")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return paths
