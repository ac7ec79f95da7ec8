"""The exported ``photo`` graph: a person photo and a cloth photo in, the try-on out.

Inputs (NHWC, batch ``B``; the TFLite export fixes ``B = 1``):

| name   | shape        | dtype   | range / meaning |
|--------|--------------|---------|-----------------|
| person | (B, H, W, 3) | float32 | [-1, 1] RGB photo of the person |
| cloth  | (B, H, W, 3) | float32 | [-1, 1] product photo of the garment (plain light background) |

Outputs: those of the try-on graph (:mod:`sievenet_tf.export.tryon_model`), plus

| name       | shape        | dtype   | meaning |
|------------|--------------|---------|---------|
| parse      | (B, H, W)    | int32   | predicted parse, **model** class ids |
| keypoints  | (B, 18, 3)   | float32 | predicted COCO-18 (x, y, confidence), pixels at H x W; missing = 0 |
| cloth_mask | (B, H, W, 1) | float32 | {0, 1} mask of the cloth photo |

Inside: :class:`~sievenet_tf.models.PersonAnalyzer` -> arg-max parse and
:class:`~sievenet_tf.layers.keypoints.KeypointDecoder` keypoints; the cloth
mask from the learned :class:`~sievenet_tf.models.ClothMasker` when the run has
one, else computed (:class:`~sievenet_tf.layers.cloth_mask.ClothMaskLayer`); then
the same :class:`~sievenet_tf.layers.priors.PriorsLayer` and
:class:`~sievenet_tf.models.SieveNet` call as the try-on graph.
"""

from __future__ import annotations

import os
import shutil

import keras
import numpy as np
import tensorflow as tf

from sievenet_tf.export.contract import SIGNATURE
from sievenet_tf.export.tflite import FLOAT_LAYERS
from sievenet_tf.export.tryon_model import output_names
from sievenet_tf.layers.cloth_mask import ClothMaskLayer, cloth_mask_options
from sievenet_tf.layers.keypoints import KeypointDecoder
from sievenet_tf.layers.priors import PriorsLayer, priors_options
from sievenet_tf.run import check_model_matches_config

PHOTO_INPUT_NAMES = ("person", "cloth")
# Outputs the photo graph adds to the try-on graph's.
PREDICTION_NAMES = ("parse", "keypoints", "cloth_mask")
# Ops of these layers stay float32 in the int8 model (beside the try-on's): the
# keypoint decoding (pixel coordinates), the parse arg-max and the cloth mask.
PHOTO_FLOAT_LAYERS = (*FLOAT_LAYERS, "keypoint_decoder", "parse_labels", "cloth_masking")
FILE_PREFIX = "sievenet_photo"
SAVED_MODEL_DIR = "saved_model_photo"


def photo_output_names(guided: bool) -> tuple[str, ...]:
    """The photo graph's outputs in contract order."""
    return (*output_names(guided), *PREDICTION_NAMES)


def file_name(quantization: str) -> str:
    """``sievenet_photo_<quantization>.tflite``."""
    return f"{FILE_PREFIX}_{quantization}.tflite"


@keras.saving.register_keras_serializable(package="sievenet_tf")
class ParseLabels(keras.layers.Layer):
    """Logits (B, H, W, C) -> class ids (B, H, W) int32 (builtin ``ARG_MAX``)."""

    def call(self, logits):
        return tf.argmax(logits, axis=-1, output_type=tf.int32)

    def compute_output_spec(self, logits):
        return keras.KerasTensor(logits.shape[:-1], dtype="int32")


@keras.saving.register_keras_serializable(package="sievenet_tf")
class MaskFromLogits(keras.layers.Layer):
    """Mask logits -> {0, 1} float mask (logit > 0, i.e. probability > 0.5)."""

    def call(self, logits):
        return tf.cast(logits > 0.0, tf.float32)


def check_analyzer_matches_config(analyzer, config, where: str) -> None:
    """Raise ``ValueError`` when the analyzer was built for another size or label set."""
    if tuple(analyzer.image_size) != tuple(config.data.image_size):
        raise ValueError(
            f"{where}: the person analyzer is {analyzer.image_size[0]}x{analyzer.image_size[1]} "
            f"but the run is {config.data.image_size[0]}x{config.data.image_size[1]}"
        )
    if analyzer.num_classes != config.segmentation.num_classes:
        raise ValueError(
            f"{where}: the person analyzer predicts {analyzer.num_classes} classes, the run "
            f"{config.segmentation.num_classes}"
        )


def predictions(analyzer, config, person, cloth, cloth_masker=None) -> dict:
    """The analyzer's parse and keypoints and the cloth mask, as functional tensors."""
    analyzed = analyzer({"person": person})
    parse = ParseLabels(name="parse_labels")(analyzed["parse_logits"])
    keypoints = KeypointDecoder(
        analyzer.heatmap_stride, config.analyzer.keypoint_threshold, name="keypoint_decoder"
    )(analyzed["keypoint_heatmaps"])
    if cloth_masker is not None:
        mask = MaskFromLogits(name="cloth_masking")(
            cloth_masker({"cloth": cloth})["cloth_mask_logits"]
        )
    else:
        mask = ClothMaskLayer(**cloth_mask_options(config), name="cloth_masking")(cloth)
    return {"parse": parse, "keypoints": keypoints, "cloth_mask": mask}


def build_photo_model(sievenet, analyzer, config, cloth_masker=None, batch_size: int | None = 1):
    """The end-to-end photo -> try-on model (see the module docstring).

    Args:
        sievenet: the composed, trained :class:`~sievenet_tf.models.SieveNet`.
        analyzer: the trained :class:`~sievenet_tf.models.PersonAnalyzer`.
        config: the run's config (priors, keypoint threshold, cloth-mask settings).
        cloth_masker: a trained :class:`~sievenet_tf.models.ClothMasker`, or None to
            compute the cloth mask in-graph.
        batch_size: static batch size (1 for TFLite) or None.

    Returns:
        A functional ``keras.Model`` with inputs ``person``, ``cloth`` and the
        outputs of :func:`photo_output_names`.
    """
    check_model_matches_config(sievenet, config, where=f"the model {sievenet.name!r}")
    check_analyzer_matches_config(analyzer, config, where=f"the model {analyzer.name!r}")
    height, width = config.data.image_size
    person = keras.Input(batch_shape=(batch_size, height, width, 3), name="person")
    cloth = keras.Input(batch_shape=(batch_size, height, width, 3), name="cloth")
    predicted = predictions(analyzer, config, person, cloth, cloth_masker)
    priors = PriorsLayer(**priors_options(config.data), name="priors")(
        person, predicted["parse"], predicted["keypoints"]
    )
    outputs = dict(sievenet({
        "cloth": cloth,
        "cloth_mask": predicted["cloth_mask"],
        "priors": priors["priors"],
        "texture_priors": priors["texture_priors"],
    }))  # fmt: skip
    outputs.update(predicted)
    named = {
        name: keras.layers.Identity(name=name, dtype=outputs[name].dtype)(outputs[name])
        for name in photo_output_names(sievenet.guided)
    }
    return keras.Model(
        inputs={"person": person, "cloth": cloth}, outputs=named, name="sievenet_photo"
    )


def build_analysis_model(analyzer, config, cloth_masker=None, batch_size: int | None = 1):
    """Only the predictions (``parse``, ``keypoints``, ``cloth_mask``) of the photo graph,
    for Python inference with given priors and for the analyzer's evaluation."""
    check_analyzer_matches_config(analyzer, config, where=f"the model {analyzer.name!r}")
    height, width = config.data.image_size
    person = keras.Input(batch_shape=(batch_size, height, width, 3), name="person")
    cloth = keras.Input(batch_shape=(batch_size, height, width, 3), name="cloth")
    predicted = predictions(analyzer, config, person, cloth, cloth_masker)
    return keras.Model(
        inputs={"person": person, "cloth": cloth}, outputs=predicted, name="analysis"
    )


def export_photo_saved_model(photo_model, directory) -> str:
    """Write the photo graph as a SavedModel with a ``serving_default`` signature
    (inputs ``person``, ``cloth``; the model's named outputs)."""
    directory = os.fspath(directory)
    by_name = {tensor.name.split(":")[0]: tensor for tensor in photo_model.inputs}
    signature = [
        tf.TensorSpec(tuple(by_name[name].shape), by_name[name].dtype, name=name)
        for name in PHOTO_INPUT_NAMES
    ]

    def serve(person, cloth):
        return photo_model({"person": person, "cloth": cloth}, training=False)

    archive = keras.export.ExportArchive()
    archive.track(photo_model)
    archive.add_endpoint(SIGNATURE, serve, input_signature=signature)
    temporary = directory.rstrip("/\\") + ".partial"
    shutil.rmtree(temporary, ignore_errors=True)
    archive.write_out(temporary, verbose=False)
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(temporary, directory)
    return directory


def photo_examples(examples) -> list[dict]:
    """Try-on input dicts -> photo-graph input dicts (the person and cloth photos)."""
    return [{name: example[name] for name in PHOTO_INPUT_NAMES} for example in examples]


# ---------------------------------------------------------------------- parity

# Thresholds of the photo graph's own outputs, per format: the share of parse
# pixels with the Keras class, of keypoints whose presence agrees, and the
# largest keypoint distance (pixels) where both have the point. The float
# try-on outputs follow the try-on graph's thresholds (fp32: max abs; others:
# try-on PSNR / SSIM), measured on the examples whose discrete outputs agree
# (fp32) or on all examples (quantized).
PHOTO_THRESHOLDS = {
    "fp32": {"min_parse_agreement": 0.999, "min_keypoint_agreement": 0.99, "max_keypoint_px": 0.01},
    "fp16": {"min_parse_agreement": 0.99, "min_keypoint_agreement": 0.97, "max_keypoint_px": 1.0},
    "dynamic": {"min_parse_agreement": 0.95, "min_keypoint_agreement": 0.9},
    "int8": {"min_parse_agreement": 0.95, "min_keypoint_agreement": 0.9},
}


def prediction_parity(reference: list, outputs: list, thresholds: dict) -> dict:
    """Agreement of the exported graph's parse, keypoints and cloth mask with Keras's.

    Returns:
        ``{"parse_agreement", "cloth_mask_agreement", "keypoint_agreement",
        "keypoint_median_px", "keypoint_max_px", "failures"}``.
    """
    parse = float(np.mean([np.mean(o["parse"] == r["parse"]) for o, r in zip(outputs, reference)]))
    mask = float(
        np.mean(
            [
                np.mean((o["cloth_mask"] > 0.5) == (r["cloth_mask"] > 0.5))
                for o, r in zip(outputs, reference)
            ]
        )
    )
    got = np.concatenate([o["keypoints"].reshape(-1, 3) for o in outputs])
    want = np.concatenate([r["keypoints"].reshape(-1, 3) for r in reference])
    present_got, present_want = got[:, 2] > 0, want[:, 2] > 0
    agreement = float(np.mean(present_got == present_want))
    both = present_got & present_want
    distance = np.linalg.norm(got[both, :2].astype(np.float64) - want[both, :2], axis=-1)
    median = float(np.median(distance)) if distance.size else 0.0
    largest = float(np.max(distance)) if distance.size else 0.0
    failures = []
    limit = thresholds.get("min_parse_agreement")
    if limit is not None and parse < limit:
        failures.append(f"parse agrees on {parse:.4%} of pixels < {limit:.2%}")
    limit = thresholds.get("min_keypoint_agreement")
    if limit is not None and agreement < limit:
        failures.append(f"keypoint presence agrees on {agreement:.2%} < {limit:.0%}")
    limit = thresholds.get("max_keypoint_px")
    if limit is not None and largest > limit:
        failures.append(f"keypoints differ by up to {largest:.3g} px > {limit:g}")
    return {
        "parse_agreement": parse,
        "cloth_mask_agreement": mask,
        "keypoint_agreement": agreement,
        "keypoint_median_px": median,
        "keypoint_max_px": largest,
        "failures": failures,
    }


def check_photo_parity(
    photo_model, files: dict, examples, thresholds: dict | None = None,
    photo_thresholds: dict | None = None, num_threads: int = 2,
) -> dict:  # fmt: skip
    """Run every photo ``.tflite`` on ``examples`` and compare with the Keras photo graph.

    The try-on outputs are compared as the try-on graph's are
    (:func:`sievenet_tf.export.parity.compare`); for fp32 only on the examples whose
    predicted parse, cloth mask and keypoint presence are identical (an arg-max or
    a threshold is discontinuous: round-off at a near tie flips it, and the try-on
    then differs there by design). The predictions themselves are compared by
    :func:`prediction_parity`.

    Returns:
        ``{"num_examples", "thresholds", "variants": {format: {...}}, "passed"}``.
    """
    from sievenet_tf.export import parity as parity_lib

    thresholds = {**parity_lib.DEFAULT_THRESHOLDS, **(thresholds or {})}
    photo_thresholds = {**PHOTO_THRESHOLDS, **(photo_thresholds or {})}
    reference = parity_lib.run_keras(photo_model, examples)
    variants = {}
    for fmt, path in files.items():
        outputs = parity_lib.run_tflite(path, examples, num_threads)
        predicted = prediction_parity(reference, outputs, photo_thresholds.get(fmt, {}))
        keep = list(range(len(examples)))
        if fmt == "fp32":
            keep = [
                i for i, (o, r) in enumerate(zip(outputs, reference))
                if np.array_equal(o["parse"], r["parse"])
                and np.array_equal(o["cloth_mask"] > 0.5, r["cloth_mask"] > 0.5)
                and np.array_equal(o["keypoints"][..., 2] > 0, r["keypoints"][..., 2] > 0)
            ]  # fmt: skip
        failures = list(predicted.pop("failures"))
        if keep:
            tryon_names = [n for n in reference[0] if n not in PREDICTION_NAMES]
            variant = parity_lib.compare(
                fmt, path,
                [{n: reference[i][n] for n in tryon_names} for i in keep],
                [{n: outputs[i][n] for n in tryon_names} for i in keep],
                thresholds.get(fmt, {}),
            ).__dict__  # fmt: skip
        else:
            variant = {"format": fmt, "path": os.fspath(path), "passed": False, "failures": [],
                       "psnr": 0.0, "ssim": 0.0, "max_abs": {}}  # fmt: skip
            failures.append("the predictions differ on every example")
        variant = dict(variant)
        variant["examples_predictions_equal"] = len(keep)
        variant["failures"] = list(variant["failures"]) + failures
        variant["passed"] = not variant["failures"]
        variant.update(predicted)
        variants[fmt] = variant
    return {
        "num_examples": len(examples),
        "thresholds": {
            fmt: {**thresholds.get(fmt, {}), **photo_thresholds.get(fmt, {})} for fmt in files
        },
        "variants": variants,
        "passed": all(v["passed"] for v in variants.values()),
    }
