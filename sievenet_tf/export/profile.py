"""Per-operator profile of a ``.tflite`` model in the LiteRT interpreter (XNNPACK on).

The Python interpreter has no op profiler (``benchmark_model --enable_op_profiling``
is a C++ tool this project cannot install), so the profile is built from the
model itself:

1. The model runs once with the builtin kernels and
   ``experimental_preserve_all_tensors=True``; every tensor's value is kept.
2. Every operator is cut out into a one-operator model (same tensors, same
   quantisation, same constant buffers) and fed the values it saw in step 1, so
   data-dependent ops (``GATHER`` indices, ``SELECT`` masks) do the same work.
3. Each one-operator model is timed in the same runtime as the full model
   (XNNPACK on, same thread count), interleaved with timings of the full model
   in the same rounds; the median of the rounds is kept. The invoke overhead
   of the interpreter (timed on a one-element ``ADD``) is subtracted.

The sum of the per-op times is compared with the full model's latency: the
difference is what running ops one by one adds (delegate calls, cold caches)
or removes (XNNPACK fusing neighbours). Each op is attributed to the network
whose Keras layer produced it (from the tensor names, see :data:`NETWORKS`) and
marked with whether XNNPACK took it.
"""

from __future__ import annotations

import collections
import copy
import os
import statistics
import time

import numpy as np

# (network, Keras name components) in lookup order: the first match wins, so
# the warp (a layer inside the warper) comes before the warper.
NETWORKS = (
    ("warp", ("cloth_warp", "theta_fine")),
    ("priors", ("priors",)),
    ("warper", ("warper",)),
    ("segmenter", ("segmenter", "segmentation_one_hot")),
    ("texture", ("texture_translator",)),
)
OTHER = "other"


def network_of(names) -> str:
    """The network of an op from the names of its output tensors (see :data:`NETWORKS`)."""
    parts = set()
    for name in names:
        for part in name.replace(";", "/").split("/"):
            base = part.rsplit("_", 1)[0] if part.rsplit("_", 1)[-1].isdigit() else part
            parts.add(base)
    for network, keys in NETWORKS:
        if any(key in parts for key in keys):
            return network
    return OTHER


def _read(model):
    from tensorflow.lite.tools import flatbuffer_utils

    if isinstance(model, (bytes, bytearray)):
        return flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    return flatbuffer_utils.read_model(os.fspath(model))


def _serialize(model_object) -> bytes:
    from tensorflow.lite.tools import flatbuffer_utils

    return bytes(flatbuffer_utils.convert_object_to_bytearray(model_object))


def _is_constant(model_object, tensor) -> bool:
    buffer = model_object.buffers[tensor.buffer] if tensor.buffer < len(model_object.buffers) else None
    return buffer is not None and (
        (buffer.data is not None and len(buffer.data) > 0) or (buffer.size or 0) > 0
    )


def single_op_model(model_object, op_index: int, subgraph_index: int = 0):
    """A model holding only operator ``op_index``: (bytes, input tensor ids, output tensor ids).

    Constant inputs keep their buffers; every other input becomes a model input.
    """
    from tensorflow.lite.python import schema_py_generated as schema

    subgraph = model_object.subgraphs[subgraph_index]
    op = subgraph.operators[op_index]
    used = [i for i in list(op.inputs) + list(op.outputs) if i >= 0]
    used = list(dict.fromkeys(used))
    new_model = schema.ModelT()
    new_model.version = model_object.version
    new_model.description = "one operator"
    new_model.operatorCodes = [copy.deepcopy(model_object.operatorCodes[op.opcodeIndex])]
    new_model.buffers = [schema.BufferT()]
    remap, tensors, feeds = {}, [], []
    for old in used:
        tensor = copy.copy(subgraph.tensors[old])
        if _is_constant(model_object, tensor):
            new_model.buffers.append(copy.copy(model_object.buffers[tensor.buffer]))
            tensor.buffer = len(new_model.buffers) - 1
        else:
            new_model.buffers.append(schema.BufferT())
            tensor.buffer = len(new_model.buffers) - 1
            if old not in op.outputs:
                feeds.append(old)
        remap[old] = len(tensors)
        tensors.append(tensor)
    new_op = copy.copy(op)
    new_op.opcodeIndex = 0
    new_op.inputs = np.array([remap[i] if i >= 0 else -1 for i in op.inputs], np.int32)
    new_op.outputs = np.array([remap[i] for i in op.outputs], np.int32)
    new_subgraph = schema.SubGraphT()
    new_subgraph.tensors = tensors
    new_subgraph.operators = [new_op]
    new_subgraph.inputs = np.array([remap[i] for i in feeds], np.int32)
    new_subgraph.outputs = np.array([remap[i] for i in op.outputs], np.int32)
    new_subgraph.name = "main"
    new_model.subgraphs = [new_subgraph]
    return _serialize(new_model), feeds, [int(i) for i in op.outputs]


def capture_tensors(model_path, inputs: dict | None = None, seed: int = 0) -> dict:
    """Every tensor's value (tensor id -> array) after one run with the builtin kernels.

    Args:
        model_path: the ``.tflite``.
        inputs: input name -> array (signature names or tensor names); random in
            [-1, 1] (floats) or {0, 1} (integers) when missing.
        seed: for the random inputs.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=os.fspath(model_path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    set_inputs(interpreter, inputs, seed)
    interpreter.invoke()
    values = {}
    for detail in interpreter.get_tensor_details():
        try:
            values[detail["index"]] = np.array(interpreter.get_tensor(detail["index"]))
        except ValueError:  # tensors without data (e.g. optional, unused)
            pass
    return values


def set_inputs(interpreter, inputs: dict | None = None, seed: int = 0) -> None:
    """Fill an interpreter's inputs from ``inputs`` (by name) or random values."""
    rng = np.random.default_rng(seed)
    inputs = inputs or {}
    signature_names = {}
    try:
        for name, index in (
            interpreter._get_full_signature_list().get("serving_default", {}).get("inputs", {}).items()
        ):
            signature_names[index] = name
    except (AttributeError, KeyError):
        pass
    for detail in interpreter.get_input_details():
        name = signature_names.get(detail["index"], detail["name"])
        if name in inputs:
            value = np.asarray(inputs[name]).astype(detail["dtype"]).reshape(detail["shape"])
        elif np.issubdtype(detail["dtype"], np.integer):
            value = rng.integers(0, 2, size=detail["shape"]).astype(detail["dtype"])
        else:
            value = rng.uniform(-1, 1, size=detail["shape"]).astype(detail["dtype"])
        interpreter.set_tensor(detail["index"], value)


def _single_op_interpreter(data, feeds, values, num_threads, resolver=None):
    """(interpreter with inputs set and one warm-up invoke, XNNPACK took the op)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_content=data,
        num_threads=num_threads,
        experimental_op_resolver_type=resolver or OpResolverType.AUTO,
    )
    interpreter.allocate_tensors()
    delegated = any(d["op_name"] == "DELEGATE" for d in interpreter._get_ops_details())
    for detail, tensor_id in zip(interpreter.get_input_details(), feeds):
        interpreter.set_tensor(detail["index"], values[tensor_id].reshape(detail["shape"]))
    interpreter.invoke()  # warm-up (XNNPACK packs weights on first use)
    return interpreter, delegated


def _median_ms(interpreter, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def _overhead_model() -> bytes:
    """A one-element ``ADD``: what an ``invoke()`` costs with (almost) nothing to do."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((1,), tf.float32, name="x")], autograph=False)
    def add(x):
        return {"y": x + x}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([add.get_concrete_function()])
    return converter.convert()


def profile(
    model_path,
    num_threads: int = 2,
    inputs: dict | None = None,
    repeats: int = 10,
    rounds: int = 3,
    log=None,
) -> dict:
    """Profile every operator of a ``.tflite`` (see the module docstring).

    Args:
        model_path: the model.
        num_threads: interpreter threads (XNNPACK on).
        inputs: model inputs by name (random when missing).
        repeats: timed invokes per op per round (median).
        rounds: interleaved rounds over all ops and the full model (median of rounds).
        log: progress printer or None.

    Returns:
        ``{"total_ms", "sum_ms", "overhead_ms", "ops": [...], "by_type": {...},
        "by_network": {...}, "by_network_type": {...}}``. Each op: ``index``,
        ``type``, ``network``, ``output`` (first output's name), ``shape``,
        ``dtype``, ``delegated`` (XNNPACK took it), ``ms``.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from tensorflow.lite.tools import flatbuffer_utils

    model_object = _read(model_path)
    if len(model_object.subgraphs) != 1:
        raise ValueError(f"{model_path}: profiling needs a single-subgraph model")
    subgraph = model_object.subgraphs[0]
    values = capture_tensors(model_path, inputs)

    full = Interpreter(model_path=os.fspath(model_path), num_threads=num_threads)
    full.allocate_tensors()
    set_inputs(full, inputs)
    overhead = Interpreter(model_content=_overhead_model(), num_threads=num_threads)
    overhead.allocate_tensors()

    ops = []
    for index, op in enumerate(subgraph.operators):
        data, feeds, outputs = single_op_model(model_object, index)
        try:
            interpreter, delegated = _single_op_interpreter(data, feeds, values, num_threads)
        except RuntimeError:
            # XNNPACK refuses some ops alone that it folds in the full graph (a
            # DEQUANTIZE of constant float16 weights, evaluated once at load time):
            # time them with the builtin kernels.
            interpreter, delegated = _single_op_interpreter(
                data, feeds, values, num_threads, OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
            )
        output_tensor = subgraph.tensors[outputs[0]]
        names = [subgraph.tensors[i].name.decode() for i in outputs]
        ops.append({
            "index": index,
            "type": flatbuffer_utils.opcode_to_name(model_object, op.opcodeIndex),
            "network": network_of(names),
            "output": names[0],
            "shape": [int(s) for s in output_tensor.shape],
            "dtype": flatbuffer_utils.type_to_name(output_tensor.type).lower(),
            "delegated": bool(delegated),
            "_interpreter": interpreter,
            "_times": [],
        })  # fmt: skip
    if log:
        log(f"profile: {len(ops)} ops cut out of {os.path.basename(os.fspath(model_path))}")

    full.invoke()
    full_times, overhead_times = [], []
    for round_index in range(rounds):
        full_times.append(_median_ms(full, repeats))
        overhead_times.append(_median_ms(overhead, repeats))
        for entry in ops:
            entry["_times"].append(_median_ms(entry["_interpreter"], repeats))
        if log:
            log(f"profile: round {round_index + 1}/{rounds}, full model {full_times[-1]:.2f} ms")
    overhead_ms = statistics.median(overhead_times)
    for entry in ops:
        entry["ms"] = round(max(0.0, statistics.median(entry.pop("_times")) - overhead_ms), 4)
        del entry["_interpreter"]
    return summarize(ops, statistics.median(full_times), overhead_ms)


def summarize(ops, total_ms: float, overhead_ms: float = 0.0) -> dict:
    """Group per-op times by op type, by network, and by (network, type)."""
    by_type = collections.defaultdict(lambda: {"ms": 0.0, "count": 0, "delegated": 0})
    by_network = collections.defaultdict(lambda: {"ms": 0.0, "count": 0})
    by_network_type = collections.defaultdict(float)
    for entry in ops:
        kind = by_type[entry["type"]]
        kind["ms"] += entry["ms"]
        kind["count"] += 1
        kind["delegated"] += int(entry["delegated"])
        by_network[entry["network"]]["ms"] += entry["ms"]
        by_network[entry["network"]]["count"] += 1
        by_network_type[f"{entry['network']}/{entry['type']}"] += entry["ms"]

    def rounded(table):
        return {
            k: {**v, "ms": round(v["ms"], 3)}
            for k, v in sorted(table.items(), key=lambda item: -item[1]["ms"])
        }

    return {
        "total_ms": round(total_ms, 3),
        "sum_ms": round(sum(entry["ms"] for entry in ops), 3),
        "overhead_ms": round(overhead_ms, 4),
        "num_ops": len(ops),
        "by_type": rounded(by_type),
        "by_network": rounded(by_network),
        "by_network_type": {
            k: round(v, 3) for k, v in sorted(by_network_type.items(), key=lambda item: -item[1])
        },
        "ops": ops,
    }


def format_profile(result: dict, top: int = 15) -> str:
    """Markdown tables of a :func:`profile` result: by network, by op type, slowest ops."""
    total, summed = result["total_ms"], result["sum_ms"]
    total, summed_or_1 = max(total, 1e-9), max(summed, 1e-9)
    lines = [
        f"Full model {total:.2f} ms; {result['num_ops']} ops timed one by one sum to "
        f"{summed:.2f} ms ({100 * summed / total:.0f} % of the full model; invoke overhead "
        f"{1000 * result['overhead_ms']:.0f} us per op subtracted).",
        "",
        "| network | ops | ms | % of sum |",
        "|---|---|---|---|",
    ]
    for name, entry in result["by_network"].items():
        lines.append(f"| {name} | {entry['count']} | {entry['ms']:.2f} | {100 * entry['ms'] / summed_or_1:.1f} |")
    lines += ["", "| op type | count | XNNPACK | ms | % of sum |", "|---|---|---|---|---|"]
    for name, entry in result["by_type"].items():
        lines.append(
            f"| {name} | {entry['count']} | {entry['delegated']}/{entry['count']} | "
            f"{entry['ms']:.2f} | {100 * entry['ms'] / summed_or_1:.1f} |"
        )
    lines += ["", f"Slowest {top} ops:", "", "| # | op | network | output shape | dtype | XNNPACK | ms |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    for entry in sorted(result["ops"], key=lambda e: -e["ms"])[:top]:
        lines.append(
            f"| {entry['index']} | {entry['type']} | {entry['network']} | "
            f"{'x'.join(map(str, entry['shape']))} | {entry['dtype']} | "
            f"{'yes' if entry['delegated'] else 'no'} | {entry['ms']:.3f} |"
        )
    return "\n".join(lines)
