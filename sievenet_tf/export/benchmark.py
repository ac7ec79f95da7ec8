"""Speed of an export: ``python export/benchmark.py EXPORT_DIR``.

For every ``.tflite`` of the export and for 1 and 2 threads (LiteRT, XNNPACK on):

* the median latency of a full try-on at batch 1;
* the median latency of each network alone — priors, warper (both GMM
  regressors and both warps), segmenter, texture translator — and of the warp
  alone (TPS grid + bilinear sampling of the cloth, coarse and fine), each
  converted on its own with the same quantisation;
* file size, parameter count, GMACs (multiply-accumulates of the convolutions,
  dense layers, correlations and TPS matmuls), and achieved GFLOP/s
  (2 * MACs / latency) next to this machine's measured float32 matmul
  throughput (a LiteRT ``FULLY_CONNECTED`` of 512 x 2048 x 2048, same runtime).

With ``--profile``, a per-operator profile of each timed try-on
(:mod:`sievenet_tf.export.profile`): time by op type and by network (priors,
warper, warp, segmenter, texture). With ``--conv-ceiling``, this machine's int8
convolution throughput on the model's own conv shapes
(:mod:`sievenet_tf.export.conv_ceiling`) and the try-on's achieved G MAC/s as a
share of it. The machine line (CPU, cores, threads, measured sgemm, load
average before and after) is kept with the results: compare machines by ratios.

Components are calibrated for int8 on random inputs in their value ranges:
the numbers are for speed only (quality is the parity report's job).
Results go to ``EXPORT_DIR/benchmark.json`` and ``EXPORT_DIR/benchmark.md``.
``--random-run PRESET`` first builds a random-weight run of a preset and exports
it to ``EXPORT_DIR`` (speed only: parity thresholds for the quantised formats are
off, and said so in the parity report).
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import positive_int, run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from importlib import metadata

import keras
import numpy as np
import tensorflow as tf

from sievenet_tf import atomic
from sievenet_tf.export import photo_benchmark
from sievenet_tf.export import tflite as tflite_lib
from sievenet_tf.export.exporter import REPORT_JSON, load_run
from sievenet_tf.export.parity import make_interpreter
from sievenet_tf.export.tryon_model import build_tryon_model, resolve_parse_layout
from sievenet_tf.layers.blocks import PHASE_CONV_MIN_FILTERS, UpsampleConv2D
from sievenet_tf.layers.correlation import FeatureCorrelation
from sievenet_tf.layers.tps_warp import ClothWarp, TpsWarp

COMPONENTS = ("priors", "warper", "warp", "segmenter", "texture_translator")
MATMUL_SHAPE = (512, 2048, 2048)  # (M, K, N)


# ---------------------------------------------------------------------- timing


def time_interpreter(
    model_path, num_threads: int, repeats: int = 20, warmup: int = 3, inputs=None
) -> float:
    """Median milliseconds of ``invoke()`` on fixed inputs (random if not given)."""
    interpreter = make_interpreter(model_path, num_threads)
    rng = np.random.default_rng(0)
    for detail in interpreter.get_input_details():
        if inputs is not None and detail["name"] in inputs:
            value = inputs[detail["name"]]
        elif np.issubdtype(detail["dtype"], np.integer):
            value = rng.integers(0, 2, size=detail["shape"]).astype(detail["dtype"])
        else:
            value = rng.uniform(-1, 1, size=detail["shape"]).astype(detail["dtype"])
        interpreter.set_tensor(detail["index"], value)
    return statistics.median(invoke_times(interpreter, repeats, warmup))


def invoke_times(interpreter, repeats: int, warmup: int) -> list[float]:
    """Milliseconds of each of ``repeats`` ``invoke()`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        interpreter.invoke()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        interpreter.invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def matmul_model(path) -> str:
    """A LiteRT float32 ``FULLY_CONNECTED`` of :data:`MATMUL_SHAPE` (cached in ``path``)."""
    if not os.path.isfile(path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        m, k, n = MATMUL_SHAPE
        weights = tf.constant(
            np.random.default_rng(0).standard_normal((k, n)).astype(np.float32) * 0.01
        )

        @tf.function(input_signature=[tf.TensorSpec((m, k), tf.float32, name="x")])
        def matmul(x):
            return {"y": tf.matmul(x, weights)}

        converter = tf.lite.TFLiteConverter.from_concrete_functions(
            [matmul.get_concrete_function()]
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        tflite_lib.write_bytes(path, converter.convert())
    return path


def matmul_gflops(path, num_threads: int) -> float:
    """Measured float32 matmul throughput (GFLOP/s) of this machine in LiteRT."""
    m, k, n = MATMUL_SHAPE
    milliseconds = time_interpreter(matmul_model(path), num_threads, repeats=10, warmup=2)
    return 2.0 * m * k * n / (milliseconds * 1e-3) / 1e9


# ---------------------------------------------------------------------- counting


def count_macs(model, executed: bool = False) -> int:
    """Multiply-accumulates of one forward pass of a functional Keras model.

    Counts Conv2D, Dense and FeatureCorrelation layers (everything else is a
    rounding error next to them) plus the TPS matmul of each TPS warp call.

    Args:
        model: the model.
        executed: count what the sub-pixel lowering of
            :class:`~sievenet_tf.layers.blocks.UpsampleConv2D` executes (16 or 36
            MACs per low-resolution pixel and channel pair) instead of the
            nominal upsample-then-3x3 conv (36 per high-resolution pixel).
    """
    total = 0
    for layer in model._flatten_layers(include_self=False, recursive=True):
        calls = len(layer._inbound_nodes) or 1
        if isinstance(layer, keras.layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            out = layer._inbound_nodes[0].output_tensors[0].shape
            if executed and isinstance(layer, UpsampleConv2D):
                taps = 16 if cout >= PHASE_CONV_MIN_FILTERS else 36
                total += calls * (out[1] // 2) * (out[2] // 2) * taps * cin * cout
            else:
                total += calls * out[1] * out[2] * kh * kw * cin * cout
        elif isinstance(layer, keras.layers.Dense):
            total += calls * int(np.prod(layer.kernel.shape))
        elif isinstance(layer, FeatureCorrelation):
            out = layer._inbound_nodes[0].output_tensors[0].shape
            channels = layer._inbound_nodes[0].input_tensors[0].shape[-1]
            total += calls * out[1] * out[2] * out[3] * channels
        elif isinstance(layer, (TpsWarp, ClothWarp)):
            height, width = layer.image_size
            total += calls * 2 * layer.grid_size**2 * height * width
    return int(total)


# ---------------------------------------------------------------------- components


def component_models(sievenet, config, parse_layout: str) -> dict:
    """Keras models (batch 1) of each timed part: name -> (model, input ranges).

    Every part is taken from the one try-on graph: the try-on model itself, its
    priors layer, and the SieveNet's own stage networks (functional models with
    named inputs). Only the warp alone (TPS grid + sampling, coarse and fine) is
    a new model, of a copy of the warper's own ``cloth_warp`` layer.
    """
    height, width = config.data.image_size
    n_theta = 2 * config.warp.grid_size**2

    def inp(name, shape, dtype="float32"):
        return keras.Input(batch_shape=(1, *shape), dtype=dtype, name=name)

    tryon = build_tryon_model(sievenet, config, parse_layout, batch_size=1)
    models = {"tryon": (tryon, {"keypoints": (0, min(height, width))})}

    person, parse, keypoints = (
        inp("person", (height, width, 3)),
        inp("parse", (height, width), "int32"),
        inp("keypoints", (config.data.num_keypoints, 3)),
    )
    priors = tryon.get_layer("priors")(person, parse, keypoints)
    models["priors"] = (
        keras.Model(
            [person, parse, keypoints],
            {"priors": priors["priors"], "texture_priors": priors["texture_priors"]},
        ),
        {"keypoints": (0, min(height, width))},
    )
    models["warper"] = (_batch1(sievenet.warper), {"priors": (0, 1), "cloth_mask": (0, 1)})

    cloth, cloth_mask = inp("cloth", (height, width, 3)), inp("cloth_mask", (height, width, 1))
    theta, theta_fine = inp("theta", (n_theta,)), inp("theta_fine", (n_theta,))
    warp_layer = ClothWarp.from_config(sievenet.warper.get_layer("cloth_warp").get_config())
    coarse_cloth, coarse_mask = warp_layer(cloth, cloth_mask, theta)
    fine_cloth, fine_mask = warp_layer(cloth, cloth_mask, theta_fine)
    models["warp"] = (
        keras.Model(
            [cloth, cloth_mask, theta, theta_fine],
            {"coarse": coarse_cloth, "coarse_mask": coarse_mask, "fine": fine_cloth,
             "fine_mask": fine_mask},
        ),
        {"theta": (-0.1, 0.1), "theta_fine": (-0.1, 0.1), "cloth_mask": (0, 1)},
    )
    if sievenet.segmenter is not None:
        models["segmenter"] = (_batch1(sievenet.segmenter), {"priors": (0, 1)})
    models["texture_translator"] = (
        _batch1(sievenet.texture_translator),
        {"expected_segmentation": (0, 1), "priors": (0, 1)},
    )
    return models


def _batch1(network):
    """``network`` (a functional model with named inputs) called on batch-1 inputs."""
    inputs = {
        tensor.name.split(":")[0]: keras.Input(
            batch_shape=(1, *tensor.shape[1:]), dtype=tensor.dtype, name=tensor.name.split(":")[0]
        )
        for tensor in network.inputs
    }
    return keras.Model(inputs, network(inputs), name=f"{network.name}_batch1")


def _random_examples(model, ranges, count=8, seed=0):
    rng = np.random.default_rng(seed)
    examples = []
    for _ in range(count):
        example = {}
        for tensor in model.inputs:
            name = tensor.name.split(":")[0]
            low, high = ranges.get(name, (-1.0, 1.0))
            if "int" in str(tensor.dtype):
                example[name] = rng.integers(0, 20, size=tensor.shape).astype(np.int32)
            else:
                example[name] = rng.uniform(low, high, size=tensor.shape).astype(np.float32)
        examples.append(example)
    return examples


def _convert_component(model, ranges, quantization, path):
    """Convert a component Keras model (via a SavedModel) unless ``path`` exists."""
    if os.path.isfile(path):
        return path
    examples = _random_examples(model, ranges)
    directory = tempfile.mkdtemp(prefix="sievenet_component_")
    try:
        names = [t.name.split(":")[0] for t in model.inputs]
        specs = [tf.TensorSpec(t.shape, t.dtype, name=n) for t, n in zip(model.inputs, names)]
        archive = keras.export.ExportArchive()
        archive.track(model)

        def serve(*args):
            return model(dict(zip(names, args)))

        archive.add_endpoint(
            "serving_default", tf.function(serve, autograph=False), input_signature=specs
        )
        archive.write_out(os.path.join(directory, "sm"), verbose=False)
        data = tflite_lib.convert(os.path.join(directory, "sm"), quantization,
                                  representative_examples=lambda: iter(examples))  # fmt: skip
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tflite_lib.write_bytes(path, data)
    return path


# ---------------------------------------------------------------------- driver


def run_benchmark(
    export_dir,
    run_dir=None,
    formats=None,
    threads=(1, 2),
    repeats: int = 20,
    components: bool = True,
    profile: bool = False,
    conv_ceiling: bool = False,
    log=print,
) -> dict:
    """Benchmark an export directory; writes ``benchmark.json`` and ``benchmark.md``.

    Args:
        export_dir: written by ``export/export.py``.
        run_dir: the run the export came from (default: the one its parity report names);
            needed for parameter counts, GMACs, the per-network timings and the conv ceiling.
        formats: TFLite formats to time (default: every ``.tflite`` present).
        threads: thread counts.
        repeats: timed invocations per measurement (median reported).
        components: also time each network and the warp alone.
        profile: per-op profile of the int8 try-on (of the first format without int8)
            at the largest thread count.
        conv_ceiling: measure the int8 conv throughput on the model's conv shapes.
        log: progress printer.

    Returns:
        The results dict.
    """
    export_dir = os.fspath(export_dir)
    report_path = os.path.join(export_dir, REPORT_JSON)
    report = json.load(open(report_path, encoding="utf-8")) if os.path.isfile(report_path) else {}
    run_dir = run_dir or report.get("run_dir")
    if formats is None:
        formats = [f for f in tflite_lib.QUANTIZATIONS
                   if os.path.isfile(os.path.join(export_dir, tflite_lib.file_name(f)))]  # fmt: skip
    if not formats:
        raise FileNotFoundError(f"{export_dir}: no sievenet_*.tflite to benchmark")
    work = os.path.join(export_dir, "benchmark_models")
    results = {
        "machine": {
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "threads": list(threads),
            "python": platform.python_version(),
            "runtime": "ai_edge_litert " + _version("ai-edge-litert") + " (XNNPACK)",
            "load_average_start": _load_average(),
        },  # fmt: skip
        "repeats": repeats,
        "matmul_gflops": {},
        "formats": {},
    }
    for count in threads:
        results["matmul_gflops"][str(count)] = round(
            matmul_gflops(os.path.join(work, "matmul_fp32.tflite"), count), 1
        )
        log(f"float32 matmul, {count} thread(s): {results['matmul_gflops'][str(count)]} GFLOP/s")
    results["machine"]["sgemm_gflops"] = results["matmul_gflops"]

    models = _describe_models(results, run_dir, report, log) if run_dir is not None else {}
    if conv_ceiling and models:
        _measure_conv_ceiling(results, models, threads, work, log)
    profile_format = "int8" if "int8" in formats else formats[0]
    for fmt in formats:
        results["formats"][fmt] = _time_format(
            fmt, export_dir, work, models if components else {}, threads, repeats, results,
            profile and fmt == profile_format, log,
        )

    if "fp32" in results["formats"]:
        fp32_bytes = results["formats"]["fp32"]["file_bytes"]
        for entry in results["formats"].values():
            entry["ratio_to_fp32"] = round(entry["file_bytes"] / fp32_bytes, 3)
    results["machine"]["load_average_end"] = _load_average()
    # The photo graph (person + cloth photos in) and the analyzer alone, when exported.
    photo = photo_benchmark.benchmark_photo(export_dir, run_dir, formats, threads, repeats, results, log)
    if photo:
        results["photo"] = photo
    atomic.write_json(os.path.join(export_dir, "benchmark.json"), results)
    atomic.write_text(os.path.join(export_dir, "benchmark.md"), format_table(results) + "\n")
    return results



def _describe_models(results, run_dir, report, log) -> dict:
    """Parameter counts and GMACs of the run into ``results``; the component models."""
    config, sievenet = load_run(run_dir)
    parse_layout = resolve_parse_layout(config, report.get("parse_layout"))
    models = component_models(sievenet, config, parse_layout)
    results["preset"] = config.name
    results["image_size"] = list(config.data.image_size)
    results["params"] = {
        "total": int(sievenet.count_params()),
        **{
            name: int(getattr(sievenet, name).count_params())
            for name in ("warper", "segmenter", "texture_translator")
            if getattr(sievenet, name) is not None
        },
    }
    results["gmacs"] = {
        name: round(count_macs(model) / 1e9, 3) for name, (model, _) in models.items()
    }
    results["gmacs_executed"] = {
        name: round(count_macs(model, executed=True) / 1e9, 3)
        for name, (model, _) in models.items()
    }
    log(f"params {results['params']}, GMACs {results['gmacs']} "
        f"(executed by the sub-pixel lowering: {results['gmacs_executed']['tryon']})")  # fmt: skip
    return models


def _measure_conv_ceiling(results, models, threads, work, log) -> None:
    """The int8 conv throughput on the try-on's conv shapes, per thread count, into ``results``."""
    from sievenet_tf.export import conv_ceiling as ceiling_lib

    shapes = ceiling_lib.conv_shapes(models["tryon"][0])
    results["conv_ceiling"] = {
        str(count): ceiling_lib.measure(
            shapes, count, work_dir=os.path.join(work, "conv_ceiling"), log=log
        )
        for count in threads
    }
    for key, value in results["conv_ceiling"].items():
        log(f"int8 conv ceiling, {key} thread(s): {value['gmacs_per_s']} G MAC/s "
            f"({value['gmacs']} GMACs of conv in {value['ms']} ms)")  # fmt: skip


def _time_format(fmt, export_dir, work, models, threads, repeats, results, profile, log) -> dict:
    """Latency of one exported format (and of its components, when ``models`` are given)."""
    path = os.path.join(export_dir, tflite_lib.file_name(fmt))
    entry = {"file_bytes": os.path.getsize(path), "latency_ms": {}, "components_ms": {}}
    component_paths = {}
    for name in (c for c in COMPONENTS if c in models):
        model, ranges = models[name]
        t0 = time.monotonic()
        component_paths[name] = _convert_component(
            model, ranges, fmt, os.path.join(work, fmt, f"{name}.tflite")
        )
        log(f"{fmt}: {name} converted ({time.monotonic() - t0:.0f} s)")
    for count in threads:
        key = str(count)
        entry["latency_ms"][key] = round(time_interpreter(path, count, repeats), 2)
        entry["components_ms"][key] = {
            name: round(time_interpreter(component_path, count, repeats), 2)
            for name, component_path in component_paths.items()
        }
        log(
            f"{fmt}, {count} thread(s): try-on {entry['latency_ms'][key]} ms, components {entry['components_ms'][key]}"
        )
    if "gmacs" in results:
        entry["gflops_achieved"] = {key: round(2 * results["gmacs"]["tryon"] / (ms * 1e-3), 1)
                                    for key, ms in entry["latency_ms"].items()}  # fmt: skip
        entry["gmacs_per_s"] = {key: round(results["gmacs"]["tryon"] / (ms * 1e-3), 1)
                                for key, ms in entry["latency_ms"].items()}  # fmt: skip
        if fmt == "int8" and "conv_ceiling" in results:
            entry["share_of_conv_ceiling"] = {
                key: round(rate / results["conv_ceiling"][key]["gmacs_per_s"], 3)
                for key, rate in entry["gmacs_per_s"].items()
                if key in results["conv_ceiling"]
            }
    if profile:
        from sievenet_tf.export import profile as profile_lib

        count = max(threads)
        entry["profile"] = profile_lib.profile(path, count, repeats=max(3, repeats // 2), log=log)
        entry["profile"]["threads"] = count
        log(profile_lib.format_profile(entry["profile"], top=10))
    return entry


def format_table(results: dict) -> str:
    """Markdown of :func:`run_benchmark` results: machine line, latency table,
    conv ceiling and profile when measured."""
    machine = results["machine"]
    loads = [machine.get("load_average_start"), machine.get("load_average_end")]
    load_text = ", ".join(
        f"{label} {'/'.join(f'{v:.1f}' for v in load)}"
        for label, load in zip(("start", "end"), loads)
        if load
    )
    lines = [
        f"Preset {results.get('preset', '?')} at {'x'.join(map(str, results.get('image_size', ['?'])))}, "
        f"batch 1, {machine['runtime']}, {machine['cpu']} ({machine['cores']} cores); median of "
        f"{results['repeats']} runs. Measured float32 matmul: "
        + ", ".join(f"{v} GFLOP/s ({k} thr)" for k, v in results["matmul_gflops"].items())
        + (f". Load average (1/5/15 min) {load_text}." if load_text else "."),
    ]
    if "params" in results:
        p, g = results["params"], results["gmacs"]
        segmenter_params = f"{p['segmenter'] / 1e6:.1f} M" if "segmenter" in p else "none"
        segmenter_gmacs = f"{g['segmenter']:.2f}" if "segmenter" in g else "none"
        executed = results.get("gmacs_executed", {}).get("tryon")
        lines.append(
            f"Params: {p['total'] / 1e6:.1f} M (warper {p['warper'] / 1e6:.1f} M, segmenter "
            f"{segmenter_params}, texture {p['texture_translator'] / 1e6:.1f} M). GMACs: try-on "
            f"{g['tryon']:.2f} (warper {g['warper']:.2f}, segmenter {segmenter_gmacs}, texture "
            f"{g['texture_translator']:.2f}, warp {g['warp']:.3f})"
            + (f"; executed by the sub-pixel lowering: {executed:.2f}." if executed else ".")
        )
    lines += [
        "",
        "| format | threads | size MB (x fp32) | try-on ms | priors ms | warper ms | warp ms (% of try-on) | segmenter ms | texture ms | G MAC/s (% of conv ceiling) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt, entry in results["formats"].items():
        for key, latency in entry["latency_ms"].items():
            parts = entry["components_ms"].get(key, {})

            def cell(name, parts=parts):
                return f"{parts[name]:.1f}" if name in parts else "-"

            warp = (
                f"{parts['warp']:.2f} ({100 * parts['warp'] / latency:.1f} %)"
                if "warp" in parts
                else "-"
            )
            rate = entry.get("gmacs_per_s", {}).get(key)
            share = entry.get("share_of_conv_ceiling", {}).get(key)
            rate_text = "-" if rate is None else f"{rate:.0f}" + (
                f" ({100 * share:.0f} %)" if share is not None else ""
            )
            ratio = f" ({entry['ratio_to_fp32']:.2f})" if "ratio_to_fp32" in entry else ""
            lines.append(
                f"| {fmt} | {key} | {entry['file_bytes'] / 1e6:.1f}{ratio} | {latency:.1f} | {cell('priors')} | "
                f"{cell('warper')} | {warp} | {cell('segmenter')} | {cell('texture_translator')} | {rate_text} |"
            )
    if "conv_ceiling" in results:
        from sievenet_tf.export.conv_ceiling import format_ceiling

        for value in results["conv_ceiling"].values():
            lines += ["", format_ceiling(value, top=5)]
    for fmt, entry in results["formats"].items():
        if "profile" in entry:
            from sievenet_tf.export.profile import format_profile

            lines += ["", f"Profile of the {fmt} try-on, {entry['profile']['threads']} thread(s):", "",
                      format_profile(entry["profile"], top=10)]  # fmt: skip
    return "\n".join(lines + photo_benchmark.format_photo(results))


def _load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# ---------------------------------------------------------------------- random runs


def make_random_run(directory, preset: str, seed: int = 0) -> str:
    """A run directory with random weights for timing: ``config.json`` + ``sievenet.keras``.

    Normalisation parameters (gamma, beta, moving statistics) are drawn around
    their initial values too: at exactly 1 and 0 the converter folds the affine
    of every normalisation away, which a trained model never lets it do, and
    the timings would miss those ops. The regressors' zero-initialised dense
    layers get small weights so that the warps are not the identity.
    """
    from sievenet_tf.config import get_preset
    from sievenet_tf.models import build_sievenet

    config = get_preset(preset)
    keras.utils.set_random_seed(seed)
    sievenet = build_sievenet(config)
    rng = np.random.default_rng(seed)
    for variable in sievenet.weights:
        path = variable.path
        if path.endswith("regressor_dense/kernel"):
            value = rng.normal(scale=0.02, size=variable.shape)
        elif path.endswith(("/gamma", "/moving_variance")):
            value = rng.uniform(0.5, 1.5, size=variable.shape)
        elif path.endswith(("/beta", "/moving_mean")):
            value = rng.normal(scale=0.1, size=variable.shape)
        else:
            continue
        variable.assign(value.astype("float32"))
    os.makedirs(directory, exist_ok=True)
    sievenet.save(os.path.join(directory, "sievenet.keras"))
    config.save(os.path.join(directory, "config.json"))
    return os.fspath(directory)


# Random weights: the quantised formats' parity (PSNR of the try-on against float)
# is meaningless, so it is not enforced for timing exports. fp32 is held to 1e-3:
# a random warper's sharp-edged warps turn float summation-order differences in
# theta into ~1.5e-4 pixel differences (before and after the lowering work);
# trained runs keep the export's 1e-4.
RANDOM_RUN_THRESHOLDS = {
    "fp32": {"max_abs": 1e-3, "min_segmentation_agreement": 0.99},
    "fp16": {"min_psnr": 0.0, "min_ssim": -1.0},
    "dynamic": {"min_psnr": 0.0, "min_ssim": -1.0},
    "int8": {"min_psnr": 0.0, "min_ssim": -1.0},
}


def export_random_run(export_dir, preset: str, formats=("fp32", "int8"), log=print) -> dict:
    """:func:`make_random_run` in ``EXPORT_DIR/../<name>_run`` exported to ``export_dir``."""
    from sievenet_tf.export.exporter import export_run

    export_dir = os.path.abspath(os.fspath(export_dir))
    run_dir = export_dir.rstrip(os.sep) + "_run"
    if not os.path.isfile(os.path.join(run_dir, "sievenet.keras")):
        make_random_run(run_dir, preset)
    report = export_run(run_dir, export_dir, list(formats), num_calibration=8, num_parity=2,
                        thresholds=RANDOM_RUN_THRESHOLDS, log=log)  # fmt: skip
    if not report["passed"]:
        raise RuntimeError(f"export of the random {preset} run failed parity: see {report['export_dir']}")
    return report


def main(argv=None) -> int:
    """``python export/benchmark.py EXPORT_DIR [--run RUN_DIR] [--threads 1,2] ...``."""
    parser = argparse.ArgumentParser(prog="benchmark.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("export_dir")
    parser.add_argument(
        "--run", help="run directory (default: the one named in parity_report.json)"
    )
    parser.add_argument("--formats", help="comma-separated TFLite formats (default: all present)")
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeats", type=positive_int, default=20)
    parser.add_argument("--no-components", action="store_true", help="time the full try-on only")
    parser.add_argument("--profile", action="store_true",
                        help="per-op profile of the int8 try-on (by op type and by network)")  # fmt: skip
    parser.add_argument("--conv-ceiling", action="store_true",
                        help="int8 conv throughput of this machine on the model's conv shapes")  # fmt: skip
    parser.add_argument("--random-run", metavar="PRESET",
                        help="first export a random-weight run of PRESET (fp32 + int8) to EXPORT_DIR")  # fmt: skip
    args = parser.parse_args(argv)
    return run_main("benchmark.py", lambda log: _benchmark(args, log))


def _benchmark(args, log) -> int:
    try:
        threads = tuple(int(t) for t in args.threads.split(","))
    except ValueError:
        raise ValueError(f"--threads {args.threads}: expected comma-separated integers") from None
    if not threads or min(threads) < 1:
        raise ValueError(f"--threads {args.threads}: every thread count must be >= 1")
    formats = (
        [tflite_lib.check_quantization(f) for f in args.formats.split(",")] if args.formats else None
    )
    if args.random_run:
        if not os.path.isfile(os.path.join(args.export_dir, REPORT_JSON)):
            export_random_run(args.export_dir, args.random_run, formats or ("fp32", "int8"), log)
    results = run_benchmark(
        args.export_dir, args.run, formats, threads, args.repeats, not args.no_components,
        profile=args.profile, conv_ceiling=args.conv_ceiling, log=log,
    )  # fmt: skip
    print(format_table(results))
    return 0
