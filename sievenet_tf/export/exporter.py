"""Export a trained run: SavedModel, four TFLite flavours, contract, parity report.

``export_run`` is what ``python export/export.py`` calls. Layout written::

    EXPORT_DIR/saved_model/               serving_default signature (any batch size)
    EXPORT_DIR/sievenet_fp32.tflite       batch 1, the run's resolution
    EXPORT_DIR/sievenet_fp16.tflite
    EXPORT_DIR/sievenet_dynamic.tflite
    EXPORT_DIR/sievenet_int8.tflite
    EXPORT_DIR/model_contract.json        see docs/model_contract.md
    EXPORT_DIR/parity_report.json         parity, file sizes, op lists, calibration
    EXPORT_DIR/parity_report.md           the same as a table
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from sievenet_tf.export import contract as contract_lib
from sievenet_tf.export import parity as parity_lib
from sievenet_tf.export import tflite as tflite_lib
from sievenet_tf.export.tryon_model import OUTPUT_NAMES, build_tryon_model, resolve_parse_layout

FORMATS = ("saved_model", *tflite_lib.QUANTIZATIONS)
SAVED_MODEL_DIR = "saved_model"
REPORT_JSON = "parity_report.json"
REPORT_MD = "parity_report.md"
# Parity of the SavedModel against Keras (same float graph, TF runtime).
SAVED_MODEL_MAX_ABS = 1e-4


def load_run(run_dir, model_file=None):
    """(config, SieveNet) of a run directory.

    Reads ``RUN_DIR/config.json`` and ``RUN_DIR/sievenet.keras`` (or ``model_file``);
    a run that only has the stage networks
    (``RUN_DIR/models/{warper,segmenter,texture_translator}.keras``) is composed from them.

    Raises:
        FileNotFoundError: the run directory lacks its config or model.
        ValueError: a file is not a readable Keras model or config.
    """
    import zipfile

    import keras

    import sievenet_tf.layers  # noqa: F401  (registers the custom layers)
    import sievenet_tf.models  # noqa: F401
    from sievenet_tf.config import SieveNetConfig
    from sievenet_tf.models import build_sievenet

    run_dir = os.fspath(run_dir)
    config_path = os.path.join(run_dir, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(f"{run_dir}: not a run directory (no config.json)")
    config = SieveNetConfig.load(config_path)
    composed = (
        os.fspath(model_file) if model_file is not None else os.path.join(run_dir, "sievenet.keras")
    )
    stages = {name: os.path.join(run_dir, "models", f"{name}.keras")
              for name in ("warper", "segmenter", "texture_translator")}  # fmt: skip
    try:
        if os.path.isfile(composed):
            sievenet = keras.saving.load_model(composed, compile=False)
        elif all(os.path.isfile(path) for path in stages.values()):
            loaded = {
                name: keras.saving.load_model(path, compile=False) for name, path in stages.items()
            }
            sievenet = build_sievenet(config, **loaded)
        else:
            raise FileNotFoundError(
                f"{run_dir}: no sievenet.keras and no complete models/{{warper,segmenter,"
                "texture_translator}.keras"
            )
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(
            f"{run_dir}: cannot load the Keras model ({type(e).__name__}: {e})"
        ) from None
    for attribute in ("warper", "segmenter", "texture_translator"):
        if not hasattr(sievenet, attribute):
            raise ValueError(f"{composed}: not a SieveNet model (no {attribute})")
    return config, sievenet


def parse_formats(text: str) -> list[str]:
    """``"saved_model,fp32,int8"`` -> checked list (``"all"`` means every format)."""
    formats = [f.strip() for f in text.split(",") if f.strip()]
    if formats == ["all"]:
        return list(FORMATS)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"--formats: unknown {unknown or text!r}; choose from {', '.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))


def _examples(config, data_root, layout, num_calibration, num_parity, log):
    """(calibration examples, parity examples, data root, generated?)."""
    from sievenet_tf.export.examples import load_examples

    generated = None
    if data_root is None:
        from sievenet_tf.data import synthetic

        generated = tempfile.mkdtemp(prefix="sievenet_calibration_")
        data_root = os.path.join(generated, "synthetic")
        log(f"no --calibration-data: drawing {num_calibration} + {num_parity} synthetic examples "
            f"at {config.data.image_size[0]}x{config.data.image_size[1]} (pass a dataset root "
            "for a real calibration)")  # fmt: skip
        synthetic.generate(data_root, num_calibration, num_parity, tuple(config.data.image_size),
                           seed=0, progress=False)  # fmt: skip
    calibration, layout = load_examples(data_root, config, num_calibration, "train", layout)
    try:
        parity, _ = load_examples(data_root, config, num_parity, "test", layout)
    except (OSError, ValueError):
        # No test split: parity on the train pairs after the calibration ones.
        parity, _ = load_examples(
            data_root, config, num_parity, "train", layout, offset=len(calibration)
        )
    return calibration, parity, os.fspath(data_root), generated


def _check_saved_model(directory, tryon_model, examples) -> dict:
    """Load the SavedModel the way a client does and compare it with Keras."""
    import tensorflow as tf

    serving = tf.saved_model.load(directory).signatures[contract_lib.SIGNATURE]
    worst = {}
    for example in examples:
        expected = tryon_model(example, training=False)
        got = serving(**{name: tf.constant(value) for name, value in example.items()})
        for name in OUTPUT_NAMES:
            difference = float(
                np.max(np.abs(np.asarray(got[name], np.float64) - np.asarray(expected[name])))
            )
            worst[name] = max(worst.get(name, 0.0), difference)
    passed = all(v <= SAVED_MODEL_MAX_ABS for v in worst.values())
    failures = (
        []
        if passed
        else [f"max abs difference {max(worst.values()):.3g} > {SAVED_MODEL_MAX_ABS:g}"]
    )
    return {
        "format": "saved_model",
        "path": directory,
        "max_abs": worst,
        "passed": passed,
        "failures": failures,
    }


def export_run(
    run_dir,
    out_dir,
    formats=FORMATS,
    calibration_data=None,
    num_calibration: int = 200,
    num_parity: int = 16,
    layout: str = "auto",
    parse_layout: str | None = None,
    thresholds: dict | None = None,
    float_layers=tflite_lib.FLOAT_LAYERS,
    num_threads: int = 2,
    log=print,
) -> dict:
    """Export a run in ``formats`` to ``out_dir``, check parity, write the contract.

    Args:
        run_dir: a training run directory (``config.json`` + ``sievenet.keras``).
        out_dir: the export directory (created; files of the same names are replaced).
        formats: subset of :data:`FORMATS`.
        calibration_data: dataset root for int8 calibration and parity examples; the
            synthetic dataset is drawn in a temporary folder when None.
        num_calibration: calibration examples (train split).
        num_parity: parity examples (test split, else train after the calibration ones).
        layout: dataset layout of ``calibration_data`` ("auto", "viton", "viton_hd").
        parse_layout: label set of the exported ``parse`` input (default: the run's
            ``data.layout`` when set, else "viton").
        thresholds: format -> parity thresholds, overriding :data:`parity.DEFAULT_THRESHOLDS`.
        float_layers: layers kept float32 in the int8 model.
        num_threads: LiteRT threads for the parity runs.
        log: progress printer.

    Returns:
        The report (also written to ``parity_report.json``); ``report["passed"]``
        is False when a variant is below its threshold — such a variant is left
        out of the contract's ``files``.
    """
    started = time.monotonic()
    formats = list(formats)
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    config, sievenet = load_run(run_dir)
    parse_layout = resolve_parse_layout(config, parse_layout)
    tryon_batch1 = build_tryon_model(sievenet, config, parse_layout, batch_size=1)
    calibration, parity_examples, data_root, generated = _examples(
        config, calibration_data, layout, num_calibration, num_parity, log
    )
    log(
        f"examples: {len(calibration)} for calibration, {len(parity_examples)} for parity ({data_root})"
    )

    report = {
        "run_dir": os.path.abspath(os.fspath(run_dir)),
        "preset": config.name,
        "image_size": list(config.data.image_size),
        "parse_layout": parse_layout,
        "data": {
            "root": data_root if generated is None else "synthetic (temporary)",
            "num_calibration": len(calibration),
            "num_parity": len(parity_examples),
        },  # fmt: skip
        "int8_float_layers": list(float_layers),
        "files": {},
        "ops": {},
        "variants": {},
    }
    files = {}
    temporary = tempfile.mkdtemp(prefix="sievenet_export_")
    try:
        if "saved_model" in formats:
            from sievenet_tf.export.saved_model import export_saved_model

            tryon_any_batch = build_tryon_model(sievenet, config, parse_layout, batch_size=None)
            path = export_saved_model(tryon_any_batch, os.path.join(out_dir, SAVED_MODEL_DIR))
            check = _check_saved_model(path, tryon_batch1, parity_examples)
            report["variants"]["saved_model"] = check
            report["files"]["saved_model"] = {"path": SAVED_MODEL_DIR, "bytes": _tree_bytes(path)}
            log(f"saved_model: {path} (max abs vs Keras {max(check['max_abs'].values()):.2g})")
            if check["passed"]:
                files["saved_model"] = SAVED_MODEL_DIR
        tflite_formats = [f for f in formats if f in tflite_lib.QUANTIZATIONS]
        tflite_paths = {}
        if tflite_formats:
            from sievenet_tf.export.saved_model import export_saved_model

            batch1_dir = export_saved_model(
                tryon_batch1, os.path.join(temporary, "saved_model_batch1")
            )
            for fmt in tflite_formats:
                t0 = time.monotonic()
                name = tflite_lib.file_name(fmt)
                result = tflite_lib.export_tflite(
                    tryon_batch1, os.path.join(out_dir, name), fmt,
                    representative_examples=(lambda: iter(calibration)) if fmt == "int8" else None,
                    float_layers=float_layers, saved_model_dir=batch1_dir,
                )  # fmt: skip
                tflite_paths[fmt] = result["path"]
                report["files"][fmt] = {"path": name, "bytes": result["bytes"]}
                report["ops"][fmt] = result["ops"]
                log(f"{fmt}: {name} {result['bytes'] / 1e6:.2f} MB, {sum(result['ops'].values())} ops, "
                    f"builtins only ({time.monotonic() - t0:.0f} s)")  # fmt: skip
        parity = parity_lib.check_parity(
            tryon_batch1, tflite_paths, parity_examples, thresholds, num_threads
        )
        report["thresholds"] = parity["thresholds"]
        report["variants"].update(parity["variants"])
        for fmt in tflite_paths:
            if parity["variants"][fmt]["passed"]:
                files[fmt] = tflite_lib.file_name(fmt)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
        if generated is not None:
            shutil.rmtree(generated, ignore_errors=True)

    if "fp32" in report["files"]:
        fp32_bytes = report["files"]["fp32"]["bytes"]
        for fmt, entry in report["files"].items():
            if fmt in tflite_lib.QUANTIZATIONS:
                entry["ratio_to_fp32"] = entry["bytes"] / fp32_bytes
    report["passed"] = all(v["passed"] for v in report["variants"].values())
    report["seconds"] = round(time.monotonic() - started, 1)
    contract = contract_lib.build_contract(config, parse_layout, files)
    contract_lib.write_contract(out_dir, contract)
    _write_json(os.path.join(out_dir, REPORT_JSON), report)
    tflite_report = {"num_examples": len(parity_examples),
                     "variants": {k: v for k, v in report["variants"].items() if k != "saved_model"}}  # fmt: skip
    markdown = parity_lib.format_report(tflite_report) if tflite_report["variants"] else ""
    if "saved_model" in report["variants"]:
        check = report["variants"]["saved_model"]
        markdown += (f"\n\nSavedModel vs Keras: max abs difference {max(check['max_abs'].values()):.3g} "
                     f"({'passed' if check['passed'] else 'FAILED'})")  # fmt: skip
    with open(os.path.join(out_dir, REPORT_MD), "w", encoding="utf-8") as f:
        f.write(markdown.strip() + "\n")
    return report


def _tree_bytes(directory) -> int:
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, names in os.walk(directory) for name in names)  # fmt: skip


def _write_json(path, data) -> None:
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, default=_json_default)
        f.write("\n")
    os.replace(temporary, path)


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_summary(report: dict, out=sys.stdout) -> None:
    """A short human summary of an export report."""
    for fmt, variant in report["variants"].items():
        status = "ok" if variant["passed"] else "FAILED: " + "; ".join(variant["failures"])
        if fmt == "saved_model":
            detail = f"max abs {max(variant['max_abs'].values()):.2g}"
        elif fmt == "fp32":
            detail = f"max abs {max(variant['max_abs'].values()):.2g}"
        else:
            detail = f"PSNR {variant['psnr']:.1f} dB, SSIM {variant['ssim']:.3f}"
        size = report["files"].get(fmt, {}).get("bytes", 0) / 1e6
        print(f"  {fmt:12s} {size:8.2f} MB  {detail:32s} {status}", file=out)
