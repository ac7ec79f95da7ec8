"""This machine's int8 convolution throughput on a model's own conv shapes (XNNPACK).

Every ``Conv2D`` of a Keras model, at the shape it runs at in the model (input
height, width and channels, kernel, stride, filters), is converted alone to a
full-int8 LiteRT model (``Conv2D`` + ReLU, per-channel weights, calibrated on
random inputs) and timed with XNNPACK; identical shapes are timed once and
counted as often as they occur. The ceiling is ``sum(MACs) / sum(time)``: what
the try-on's convolutions cost if nothing else ran and nothing sat between them.
A try-on's achieved G MAC/s against it says how much of the latency is
convolution running at the machine's speed.

:class:`~sievenet_tf.layers.blocks.UpsampleConv2D` layers count as the plain 3x3
conv over the upsampled input they compute (their nominal shape), so the
ceiling describes the network's function, not one lowering of it.
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import collections
import os
import statistics
import tempfile
import time

import keras

from sievenet_tf.layers.blocks import UpsampleConv2D


def conv_shapes(model) -> collections.Counter:
    """``(height, width, in_channels, kernel, stride, filters) -> count`` of every Conv2D call."""
    shapes = collections.Counter()
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if not isinstance(layer, keras.layers.Conv2D):
            continue
        for node in layer._inbound_nodes:
            _, height, width, channels = node.input_tensors[0].shape
            if isinstance(layer, UpsampleConv2D):
                height, width = 2 * height, 2 * width
            key = (int(height), int(width), int(channels), int(layer.kernel_size[0]),
                   int(layer.strides[0]), int(layer.filters))  # fmt: skip
            shapes[key] += 1
    return shapes


def conv_macs(shape) -> int:
    """MACs of one conv of ``shape`` ("same" padding)."""
    height, width, channels, kernel, stride, filters = shape
    return -(-height // stride) * -(-width // stride) * kernel * kernel * channels * filters


def _conv_model(shape):
    height, width, channels, kernel, stride, filters = shape
    x = keras.Input(batch_shape=(1, height, width, channels), name="x")
    y = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", activation="relu")(x)
    return keras.Model(x, {"y": y})


def measure(shapes, num_threads: int = 2, repeats: int = 10, rounds: int = 3, work_dir=None, log=None) -> dict:
    """Time each conv shape alone in int8 (see the module docstring).

    Args:
        shapes: from :func:`conv_shapes`.
        num_threads: LiteRT threads.
        repeats: invokes per round (median).
        rounds: interleaved rounds over all shapes (median).
        work_dir: where the one-conv models are cached (a temporary folder if None).
        log: progress printer or None.

    Returns:
        ``{"gmacs", "ms", "gmacs_per_s", "shapes": [{shape, count, gmacs, ms, gmacs_per_s}]}``
        (``ms`` and ``gmacs`` summed over occurrences).
    """
    from sievenet_tf.export.benchmark import _convert_component
    from sievenet_tf.export.parity import make_interpreter
    from sievenet_tf.export.profile import set_inputs

    work_dir = work_dir or tempfile.mkdtemp(prefix="sievenet_conv_ceiling_")
    interpreters = {}
    for shape in shapes:
        path = os.path.join(work_dir, "conv_" + "_".join(map(str, shape)) + ".tflite")
        _convert_component(_conv_model(shape), {}, "int8", path)
        interpreter = make_interpreter(path, num_threads)
        set_inputs(interpreter)
        interpreter.invoke()
        interpreters[shape] = interpreter
    if log:
        log(f"conv ceiling: {len(shapes)} conv shapes converted")
    times = {shape: [] for shape in shapes}
    for _ in range(rounds):
        for shape, interpreter in interpreters.items():
            samples = []
            for _ in range(repeats):
                start = time.perf_counter()
                interpreter.invoke()
                samples.append((time.perf_counter() - start) * 1e3)
            times[shape].append(statistics.median(samples))
    rows = []
    for shape, count in shapes.items():
        ms = statistics.median(times[shape])
        gmacs = conv_macs(shape) / 1e9
        rows.append({
            "shape": dict(zip(("height", "width", "in_channels", "kernel", "stride", "filters"), shape)),
            "count": count,
            "gmacs": round(count * gmacs, 4),
            "ms": round(count * ms, 3),
            "gmacs_per_s": round(gmacs / (ms * 1e-3), 1),
        })  # fmt: skip
    total_gmacs = sum(row["gmacs"] for row in rows)
    total_ms = sum(row["ms"] for row in rows)
    return {
        "gmacs": round(total_gmacs, 3),
        "ms": round(total_ms, 2),
        "gmacs_per_s": round(total_gmacs / (total_ms * 1e-3), 1),
        "threads": num_threads,
        "shapes": sorted(rows, key=lambda row: -row["ms"]),
    }


def format_ceiling(result: dict, top: int = 10) -> str:
    """Markdown summary of :func:`measure`."""
    lines = [
        f"int8 conv ceiling ({result['threads']} thr): the try-on's {result['gmacs']:.2f} GMACs of "
        f"convolution run alone in {result['ms']:.1f} ms = {result['gmacs_per_s']:.0f} G MAC/s.",
        "",
        "| H x W x C_in | kernel / stride | filters | count | ms | G MAC/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["shapes"][:top]:
        s = row["shape"]
        lines.append(
            f"| {s['height']}x{s['width']}x{s['in_channels']} | {s['kernel']} / {s['stride']} | "
            f"{s['filters']} | {row['count']} | {row['ms']:.2f} | {row['gmacs_per_s']:.0f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python export/benchmark_conv.py (--preset NAME | --run RUN_DIR) [--threads 1,2]``."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="benchmark_conv.py", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", help="a config preset (weights are irrelevant: shapes only)")
    source.add_argument("--run", help="a run directory")
    parser.add_argument("--threads", default="2", help="comma-separated thread counts")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args(argv)

    def work(log):
        from sievenet_tf.export.tryon_model import build_tryon_model

        if args.run:
            from sievenet_tf.export.exporter import load_run

            config, sievenet = load_run(args.run)
        else:
            from sievenet_tf.config import get_preset
            from sievenet_tf.models import build_sievenet

            config = get_preset(args.preset)
            sievenet = build_sievenet(config)
        shapes = conv_shapes(build_tryon_model(sievenet, config, batch_size=1))
        results = {}
        for count in (int(t) for t in args.threads.split(",")):
            results[str(count)] = measure(shapes, count, log=log)
            print(format_ceiling(results[str(count)]))
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump(results, f, indent=2)
        return 0

    return run_main("benchmark_conv.py", work)
