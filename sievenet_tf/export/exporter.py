"""Export a trained run: SavedModel, four TFLite flavours, contract, parity report.

``export_run`` is what ``python export/export.py`` calls. Layout written::

    EXPORT_DIR/saved_model/               serving_default signature (any batch size)
    EXPORT_DIR/sievenet_fp32.tflite       batch 1, the run's resolution
    EXPORT_DIR/sievenet_fp16.tflite
    EXPORT_DIR/sievenet_dynamic.tflite
    EXPORT_DIR/sievenet_int8.tflite
    EXPORT_DIR/saved_model_photo/         the photo graph (person + cloth photos -> try-on),
    EXPORT_DIR/sievenet_photo_<fmt>.tflite  when the run has a person analyzer (photo_export.py)
    EXPORT_DIR/model_contract.json        see docs/model_contract.md
    EXPORT_DIR/parity_report.json         parity, file sizes, op lists, calibration
    EXPORT_DIR/parity_report.md           the same as a table

All-or-nothing: the export is built in a staging folder beside ``EXPORT_DIR``
and swapped in only when every file is written and every variant passed its
parity check. An interrupted or failed export leaves an existing ``EXPORT_DIR``
as it was; a parity failure keeps the new files in ``EXPORT_DIR.rejected/``
for inspection.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time

import numpy as np
import tensorflow as tf

from sievenet_tf import atomic
from sievenet_tf.data import synthetic
from sievenet_tf.export import contract as contract_lib
from sievenet_tf.export import parity as parity_lib
from sievenet_tf.export import photo_export
from sievenet_tf.export import tflite as tflite_lib
from sievenet_tf.export.examples import load_examples
from sievenet_tf.export.saved_model import export_saved_model
from sievenet_tf.export.tryon_model import build_tryon_model, resolve_parse_layout
from sievenet_tf.run import Run

FORMATS = ("saved_model", *tflite_lib.QUANTIZATIONS)
SAVED_MODEL_DIR = "saved_model"
REPORT_JSON = "parity_report.json"
REPORT_MD = "parity_report.md"
REJECTED_SUFFIX = ".rejected"
# Parity of the SavedModel against Keras (same float graph, TF runtime).
SAVED_MODEL_MAX_ABS = 1e-4


def load_run(run_dir, model_file=None):
    """(config, SieveNet) of a run directory, see :meth:`sievenet_tf.run.Run.load_sievenet`.

    Raises:
        sievenet_tf.run.RunError: the run is missing, incomplete or unreadable.
    """
    run = Run(run_dir)
    return run.config, run.load_sievenet(model_file)


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
    generated = None
    if data_root is None:
        generated = tempfile.mkdtemp(prefix="sievenet_calibration_")
        data_root = os.path.join(generated, "synthetic")
        log(
            f"no --calibration-data: drawing {num_calibration} + {num_parity} synthetic examples "
            f"at {config.data.image_size[0]}x{config.data.image_size[1]} (pass a dataset root "
            "for a real calibration)"
        )
        synthetic.generate(
            data_root, num_calibration, num_parity, tuple(config.data.image_size), seed=0,
            progress=False,
        )
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
    serving = tf.saved_model.load(directory).signatures[contract_lib.SIGNATURE]
    worst = {}
    for example in examples:
        expected = tryon_model(example, training=False)
        got = serving(**{name: tf.constant(value) for name, value in example.items()})
        for name, value in expected.items():
            difference = float(
                np.max(np.abs(np.asarray(got[name], np.float64) - np.asarray(value)))
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
    photo: bool | None = None,
    photo_thresholds: dict | None = None,
) -> dict:
    """Export a run in ``formats`` to ``out_dir``, check parity, write the contract.

    Args:
        run_dir: a training run directory (``config.json`` + ``sievenet.keras``).
        out_dir: the export directory; replaced as a whole, and only when the new
            export is complete and every variant passed (see the module docstring).
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
        photo: also export the ``photo`` graph (person + cloth photos in): None = when
            the run has a trained person analyzer; True requires one; False never.
        photo_thresholds: format -> thresholds of the photo graph's predictions,
            overriding :data:`photo_model.PHOTO_THRESHOLDS`.

    Returns:
        The report (also written to ``parity_report.json``); ``report["passed"]``
        is False when a variant is below its threshold — the export is then in
        ``out_dir + ".rejected"`` (``report["export_dir"]``) and ``out_dir`` is unchanged.
    """
    started = time.monotonic()
    if num_calibration < 1 or num_parity < 1:
        raise ValueError("num_calibration and num_parity must be >= 1")
    if int(num_threads) < 1:
        raise ValueError(f"num_threads must be >= 1, got {num_threads}")
    out_dir = os.path.abspath(os.fspath(out_dir))
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"--out {out_dir}: exists and is not a directory")
    config, sievenet = load_run(run_dir)
    run = Run(run_dir)
    analyzer = cloth_masker = None
    if photo or (photo is None and run.has_analyzer()):
        analyzer = run.load_analyzer()  # RunError naming the stage to train when absent
        cloth_masker = run.load_cloth_masker()
    parse_layout = resolve_parse_layout(config, parse_layout)
    calibration, parity_examples, data_root, generated = _examples(
        config, calibration_data, layout, num_calibration, num_parity, log
    )
    log(f"examples: {len(calibration)} for calibration, {len(parity_examples)} for parity ({data_root})")
    report = {
        "run_dir": os.path.abspath(os.fspath(run_dir)),
        "preset": config.name,
        "image_size": list(config.data.image_size),
        "parse_layout": parse_layout,
        "data": {
            "root": data_root if generated is None else "synthetic (temporary)",
            "num_calibration": len(calibration),
            "num_parity": len(parity_examples),
        },
        "int8_float_layers": list(float_layers),
        "files": {},
        "ops": {},
        "variants": {},
    }
    try:
        with atomic.replace_directory(out_dir) as staging:
            files = _write_formats(
                staging, sievenet, config, parse_layout, list(formats), calibration,
                parity_examples, thresholds, float_layers, num_threads, report, log,
            )
            photo_files = None
            if analyzer is not None:
                written = photo_export.write_photo_formats(
                    staging, sievenet, analyzer, cloth_masker, config, list(formats), calibration,
                    parity_examples, thresholds, photo_thresholds, num_threads, log,
                )  # fmt: skip
                photo_files, report["photo"] = written["files"], written["report"]
            report["passed"] = all(v["passed"] for v in report["variants"].values()) and all(
                v["passed"] for v in report.get("photo", {}).get("variants", {}).values()
            )
            report["seconds"] = round(time.monotonic() - started, 1)
            photo_contract = (
                None if photo_files is None
                else {"files": photo_files, "cloth_mask": report["photo"]["cloth_mask"]}
            )  # fmt: skip
            _write_reports(staging, config, parse_layout, files, report, photo_contract)
            if not report["passed"]:
                rejected = out_dir + REJECTED_SUFFIX
                shutil.rmtree(rejected, ignore_errors=True)
                os.replace(staging, rejected)
                report["export_dir"] = rejected
                raise _Rejected()
    except _Rejected:
        log(f"parity below threshold: the new export is in {report['export_dir']}; "
            f"{out_dir} is unchanged")
    finally:
        if generated is not None:
            shutil.rmtree(generated, ignore_errors=True)
    report.setdefault("export_dir", out_dir)
    return report


class _Rejected(Exception):
    """Leaves :func:`atomic.replace_directory` without swapping (the folder was moved)."""


def _write_formats(directory, sievenet, config, parse_layout, formats, calibration,
                   parity_examples, thresholds, float_layers, num_threads, report, log) -> dict:
    """Write every format into ``directory`` and check it; format -> file of the passed ones."""
    tryon_batch1 = build_tryon_model(sievenet, config, parse_layout, batch_size=1)
    files = {}
    if "saved_model" in formats:
        tryon_any_batch = build_tryon_model(sievenet, config, parse_layout, batch_size=None)
        path = export_saved_model(tryon_any_batch, os.path.join(directory, SAVED_MODEL_DIR))
        check = _check_saved_model(path, tryon_batch1, parity_examples)
        report["variants"]["saved_model"] = check
        report["files"]["saved_model"] = {"path": SAVED_MODEL_DIR, "bytes": _tree_bytes(path)}
        log(f"saved_model: {SAVED_MODEL_DIR} (max abs vs Keras {max(check['max_abs'].values()):.2g})")
        if check["passed"]:
            files["saved_model"] = SAVED_MODEL_DIR
    tflite_formats = [f for f in formats if f in tflite_lib.QUANTIZATIONS]
    if not tflite_formats:
        return files
    tflite_paths = tflite_lib.export_formats(
        tryon_batch1, directory, tflite_formats, tflite_lib.file_name, export_saved_model,
        calibration, float_layers, report, log,
    )
    parity = parity_lib.check_parity(tryon_batch1, tflite_paths, parity_examples, thresholds, num_threads)
    report["thresholds"] = parity["thresholds"]
    report["variants"].update(parity["variants"])
    for fmt, path in tflite_paths.items():
        report["variants"][fmt]["path"] = os.path.basename(path)
        if parity["variants"][fmt]["passed"]:
            files[fmt] = tflite_lib.file_name(fmt)
    if "fp32" in report["files"]:
        fp32_bytes = report["files"]["fp32"]["bytes"]
        for fmt, entry in report["files"].items():
            if fmt in tflite_lib.QUANTIZATIONS:
                entry["ratio_to_fp32"] = entry["bytes"] / fp32_bytes
    if "saved_model" in report["variants"]:
        report["variants"]["saved_model"]["path"] = SAVED_MODEL_DIR
    return files


def _write_reports(directory, config, parse_layout, files, report, photo=None) -> None:
    """``model_contract.json``, ``parity_report.json`` and ``parity_report.md``."""
    contract_lib.write_contract(
        directory, contract_lib.build_contract(config, parse_layout, files, photo=photo)
    )
    atomic.write_json(os.path.join(directory, REPORT_JSON), _jsonable(report))
    tflite_report = {
        "num_examples": report["data"]["num_parity"],
        "variants": {k: v for k, v in report["variants"].items() if k != "saved_model"},
    }
    markdown = parity_lib.format_report(tflite_report) if tflite_report["variants"] else ""
    if "saved_model" in report["variants"]:
        check = report["variants"]["saved_model"]
        markdown += (
            f"\n\nSavedModel vs Keras: max abs difference {max(check['max_abs'].values()):.3g} "
            f"({'passed' if check['passed'] else 'FAILED'})"
        )
    if "photo" in report:
        markdown += "\n\n" + photo_markdown(report["photo"])
    atomic.write_text(os.path.join(directory, REPORT_MD), markdown.strip() + "\n")


def photo_markdown(photo: dict) -> str:
    """The photo graph's parity as a markdown table."""
    lines = [
        f"Photo graph (person + cloth photos in; cloth mask {photo['cloth_mask']}) against Keras",
        "",
        "| format | parse agreement | keypoint presence agreement | keypoint max px | try-on PSNR dB "
        "| try-on SSIM | passed |",
        "|---|---|---|---|---|---|---|",
    ]
    for fmt, v in photo["variants"].items():
        if fmt == "saved_model":
            lines.append(f"| saved_model | {v['parse_agreement']:.5f} | | | | | "
                         f"{'yes' if v['passed'] else 'NO: ' + '; '.join(v['failures'])} |")  # fmt: skip
            continue
        lines.append(
            f"| {fmt} | {v['parse_agreement']:.5f} | {v['keypoint_agreement']:.4f} | "
            f"{v['keypoint_max_px']:.3g} | {v['psnr']:.2f} | {v['ssim']:.4f} | "
            f"{'yes' if v['passed'] else 'NO: ' + '; '.join(v['failures'])} |"
        )
    return "\n".join(lines)


def _tree_bytes(directory) -> int:
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(directory)
        for name in names
    )


def _jsonable(value):
    """``value`` with NumPy scalars turned into Python numbers (for JSON)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def print_summary(report: dict, out=sys.stdout) -> None:
    """A short human summary of an export report."""
    for fmt, variant in report.get("photo", {}).get("variants", {}).items():
        status = "ok" if variant["passed"] else "FAILED: " + "; ".join(variant["failures"])
        print(f"  photo {fmt:12s} parse agreement {variant['parse_agreement']:.4f}  {status}", file=out)
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
