"""Writing and checking the ``photo`` graph of an export (see :mod:`.photo_model`).

Called by :func:`sievenet_tf.export.exporter.export_run` when the run has a
trained person analyzer; writes, next to the try-on graph's files::

    EXPORT_DIR/saved_model_photo/             serving_default: person, cloth -> try-on
    EXPORT_DIR/sievenet_photo_<format>.tflite  fp32, fp16, dynamic, int8 (batch 1)

Every file is parity-checked against the Keras photo graph on real examples
(:func:`.photo_model.check_photo_parity`) and checked for builtin ops only; a
variant below its thresholds fails the export like a try-on variant does.
"""

from __future__ import annotations

import os

import numpy as np
import tensorflow as tf

from sievenet_tf.export import contract as contract_lib
from sievenet_tf.export import photo_model as photo_lib
from sievenet_tf.export import tflite as tflite_lib

# Parity of the photo SavedModel against Keras: the float outputs (max abs) on
# examples whose discrete predictions agree, and the parse pixels that agree.
SAVED_MODEL_MAX_ABS = 1e-4
SAVED_MODEL_MIN_PARSE_AGREEMENT = 0.999


def write_photo_formats(
    directory, sievenet, analyzer, cloth_masker, config, formats, calibration, parity_examples,
    thresholds, photo_thresholds, num_threads, log,
) -> dict:  # fmt: skip
    """Write the photo graph in ``formats`` into ``directory`` and check it.

    Returns:
        ``{"files": format -> file of the passed variants, "report": {...}}``; the
        report has ``files`` (path, bytes), ``ops``, ``variants`` (parity) and
        ``cloth_mask`` ("learned" or "computed").
    """
    photo_batch1 = photo_lib.build_photo_model(
        sievenet, analyzer, config, cloth_masker, batch_size=1
    )
    calibration = photo_lib.photo_examples(calibration)
    parity_examples = photo_lib.photo_examples(parity_examples)
    report = {
        "cloth_mask": "learned" if cloth_masker is not None else "computed",
        "files": {}, "ops": {}, "variants": {},
        "int8_float_layers": list(photo_lib.PHOTO_FLOAT_LAYERS),
    }  # fmt: skip
    files = {}
    if "saved_model" in formats:
        any_batch = photo_lib.build_photo_model(
            sievenet, analyzer, config, cloth_masker, batch_size=None
        )
        path = photo_lib.export_photo_saved_model(
            any_batch, os.path.join(directory, photo_lib.SAVED_MODEL_DIR)
        )
        check = _check_saved_model(path, photo_batch1, parity_examples)
        report["variants"]["saved_model"] = check
        report["files"]["saved_model"] = {"path": photo_lib.SAVED_MODEL_DIR}
        log(f"photo saved_model: {photo_lib.SAVED_MODEL_DIR} ("
            f"{'ok' if check['passed'] else 'FAILED: ' + '; '.join(check['failures'])})")  # fmt: skip
        if check["passed"]:
            files["saved_model"] = photo_lib.SAVED_MODEL_DIR
    tflite_formats = [f for f in formats if f in tflite_lib.QUANTIZATIONS]
    if not tflite_formats:
        return {"files": files, "report": report}
    paths = tflite_lib.export_formats(
        photo_batch1, directory, tflite_formats, photo_lib.file_name, photo_lib.export_photo_saved_model,
        calibration, photo_lib.PHOTO_FLOAT_LAYERS, report, log, label="photo ",
    )
    parity = photo_lib.check_photo_parity(
        photo_batch1, paths, parity_examples, thresholds, photo_thresholds, num_threads
    )
    report["thresholds"] = parity["thresholds"]
    for fmt, variant in parity["variants"].items():
        variant["path"] = os.path.basename(paths[fmt])
        report["variants"][fmt] = variant
        if variant["passed"]:
            files[fmt] = photo_lib.file_name(fmt)
        log(f"photo {fmt}: parse agreement {variant['parse_agreement']:.4f}, keypoints "
            f"{variant['keypoint_agreement']:.3f} (max {variant['keypoint_max_px']:.3g} px), try-on "
            f"PSNR {variant['psnr']:.1f} dB ({'ok' if variant['passed'] else 'FAILED: ' + '; '.join(variant['failures'])})")  # fmt: skip
    return {"files": files, "report": report}


def _check_saved_model(directory, photo_model, examples) -> dict:
    """Load the photo SavedModel the way a client does and compare it with Keras."""
    serving = tf.saved_model.load(directory).signatures[contract_lib.SIGNATURE]
    worst, agreement = {}, []
    for example in examples:
        expected = {k: np.asarray(v) for k, v in photo_model(example, training=False).items()}
        got = {
            k: np.asarray(v)
            for k, v in serving(**{k: tf.constant(v) for k, v in example.items()}).items()
        }
        agreement.append(float(np.mean(got["parse"] == expected["parse"])))
        if not np.array_equal(got["parse"], expected["parse"]):
            continue
        for name, value in expected.items():
            difference = float(np.max(np.abs(got[name].astype(np.float64) - value)))
            worst[name] = max(worst.get(name, 0.0), difference)
    failures = []
    parse = float(np.mean(agreement))
    if parse < SAVED_MODEL_MIN_PARSE_AGREEMENT:
        failures.append(f"parse agrees on {parse:.4%} < {SAVED_MODEL_MIN_PARSE_AGREEMENT:.1%}")
    if worst and max(worst.values()) > SAVED_MODEL_MAX_ABS:
        failures.append(f"max abs difference {max(worst.values()):.3g} > {SAVED_MODEL_MAX_ABS:g}")
    return {
        "format": "saved_model",
        "path": directory,
        "max_abs": worst,
        "parse_agreement": parse,
        "passed": not failures,
        "failures": failures,
    }
