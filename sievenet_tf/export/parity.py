"""Parity of exported models against the Keras model, on real examples.

Every ``.tflite`` is RUN in the LiteRT interpreter (``ai_edge_litert``, XNNPACK
on) — "it converted" proves nothing — and compared with the Keras try-on model
on the same inputs:

* ``fp32``: the max abs difference of every float output must be <= ``max_abs``
  (1e-4), and the expected segmentation must agree on nearly every pixel.
* ``fp16``, ``dynamic``, ``int8``: PSNR and SSIM of their try-on against the
  float try-on (images in [0, 1]) must reach ``min_psnr`` / ``min_ssim``.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

# Threshold per format. fp32 is checked by max abs difference; the others by the
# PSNR (dB) and SSIM of their try-on against the float try-on.
DEFAULT_THRESHOLDS = {
    "fp32": {"max_abs": 1e-4, "min_segmentation_agreement": 0.999},
    "fp16": {"min_psnr": 40.0, "min_ssim": 0.98},
    "dynamic": {"min_psnr": 30.0, "min_ssim": 0.9},
    "int8": {"min_psnr": 30.0, "min_ssim": 0.9},
}


PSNR_CAP = 999.0


class ParityError(RuntimeError):
    """An exported model disagrees with the Keras model beyond its threshold."""


def make_interpreter(model_path, num_threads: int = 2):
    """A LiteRT interpreter (XNNPACK delegate on by default) with tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=os.fspath(model_path), num_threads=num_threads)
    interpreter.allocate_tensors()
    return interpreter


def run_tflite(model_path, examples, num_threads: int = 2, signature: str = "serving_default"):
    """Run a ``.tflite`` try-on on input dicts; returns a list of output dicts."""
    runner = make_interpreter(model_path, num_threads).get_signature_runner(signature)
    return [
        {name: np.array(value) for name, value in runner(**example).items()} for example in examples
    ]


def run_keras(tryon_model, examples):
    """Run the Keras try-on model on input dicts (batch 1 each)."""
    results = []
    for example in examples:
        outputs = tryon_model(example, training=False)
        results.append({name: np.asarray(value) for name, value in outputs.items()})
    return results


def psnr(images, reference) -> float:
    """PSNR in dB of [-1, 1] images, the protocol of :func:`sievenet_tf.metrics.psnr`."""
    from sievenet_tf import metrics

    value = metrics.psnr(_unit(images), _unit(reference))
    return float(np.mean(value))


def ssim(image, reference) -> float:
    """Mean SSIM of [-1, 1] images, the protocol of :func:`sievenet_tf.metrics.ssim`
    (11 x 11 Gaussian window, sigma 1.5, channels averaged)."""
    from sievenet_tf import metrics

    return float(np.mean(metrics.ssim(_unit(image), _unit(reference))))


def _unit(images):
    """[-1, 1] -> [0, 1], as (B, H, W, C)."""
    images = (np.asarray(images, np.float64) + 1.0) / 2.0
    return images if images.ndim == 4 else images[None]


@dataclasses.dataclass
class VariantParity:
    """Parity of one exported file against the Keras model."""

    format: str
    path: str
    file_bytes: int
    max_abs: (
        dict  # output name -> max abs difference against Keras, examples whose segmentation agrees
    )
    max_abs_all: dict  # the same over every example
    examples_segmentation_equal: int  # examples whose expected segmentation is identical
    segmentation_agreement: float | None  # fraction of pixels with the same class; None: no segmenter
    psnr: float  # try-on vs the float try-on, dB (mean over examples)
    ssim: float
    passed: bool
    failures: list


def compare(fmt: str, path, reference: list, outputs: list, thresholds: dict) -> VariantParity:
    """Compare one variant's outputs with the Keras outputs on the same examples."""
    # An argmax is discontinuous: where two segmentation logits nearly tie, float
    # round-off alone can flip a class, and the texture network then renders that
    # neighbourhood differently. The max abs differences are therefore taken over
    # the examples whose expected segmentation agrees exactly ("max_abs"); flips are
    # measured by "segmentation_agreement", and "max_abs_all" covers every example.
    segmented = "expected_segmentation" in reference[0]
    same = [
        not segmented or bool(np.array_equal(out["expected_segmentation"], ref["expected_segmentation"]))
        for out, ref in zip(outputs, reference)
    ]
    float_names = [name for name in reference[0] if name != "expected_segmentation"]
    missing = [name for name in reference[0] if name not in outputs[0]]
    if missing:
        raise ParityError(f"{fmt} {path}: outputs {missing} missing from the exported model")

    def worst(pairs):
        return {
            name: float(
                max(
                    (np.max(np.abs(o[name].astype(np.float64) - r[name])) for o, r in pairs),
                    default=0.0,
                )
            )
            for name in float_names
        }

    pairs = list(zip(outputs, reference))
    max_abs_all = worst(pairs)
    max_abs = worst([pair for pair, equal in zip(pairs, same) if equal])
    # None: the model has no segmenter (priors-conditioned texture network).
    agreement = (
        float(np.mean([np.mean(o["expected_segmentation"] == r["expected_segmentation"])
                       for o, r in pairs]))
        if segmented
        else None
    )
    psnrs = [psnr(out["tryon"], ref["tryon"]) for out, ref in zip(outputs, reference)]
    finite = [p for p in psnrs if np.isfinite(p)]
    # Identical images have an infinite PSNR; reports cap it (JSON has no infinity).
    mean_psnr = min(float(np.mean(finite)), PSNR_CAP) if finite else PSNR_CAP
    mean_ssim = float(
        np.mean([ssim(out["tryon"], ref["tryon"]) for out, ref in zip(outputs, reference)])
    )
    failures = []
    limit = thresholds.get("max_abs")
    if limit is not None:
        checked = max_abs
        if not any(same):
            # A near-tied segmenter (random or barely trained) can flip a pixel on
            # every example. The outputs computed before the segmentation (the
            # warps) must then still match on every example; what follows the
            # argmax is left to the agreement threshold below.
            checked = {name: value for name, value in max_abs_all.items() if name.startswith("warped_")}
            if not checked:
                failures.append("the expected segmentation differs on every example")
        if checked:
            name = max(checked, key=checked.get)
            if checked[name] > limit:
                failures.append(f"max abs difference {checked[name]:.3g} on {name!r} > {limit:g}")
    limit = thresholds.get("min_segmentation_agreement")
    if limit is not None and agreement is not None and agreement < limit:
        failures.append(f"expected_segmentation agrees on {agreement:.4%} of pixels < {limit:.2%}")
    limit = thresholds.get("min_psnr")
    if limit is not None and mean_psnr < limit:
        failures.append(f"try-on PSNR {mean_psnr:.2f} dB < {limit:g} dB")
    limit = thresholds.get("min_ssim")
    if limit is not None and mean_ssim < limit:
        failures.append(f"try-on SSIM {mean_ssim:.4f} < {limit:g}")
    return VariantParity(
        format=fmt,
        path=os.fspath(path),
        file_bytes=os.path.getsize(path),
        max_abs=max_abs,
        max_abs_all=max_abs_all,
        examples_segmentation_equal=int(sum(same)),
        segmentation_agreement=agreement,
        psnr=mean_psnr,
        ssim=mean_ssim,
        passed=not failures,
        failures=failures,
    )


def check_parity(
    tryon_model, files: dict, examples, thresholds: dict | None = None, num_threads: int = 2
) -> dict:
    """Run every ``.tflite`` on ``examples`` and compare with the Keras model.

    Args:
        tryon_model: the Keras try-on model (batch 1).
        files: format -> ``.tflite`` path.
        examples: input dicts (real pipeline examples, batch 1).
        thresholds: format -> threshold dict (see :data:`DEFAULT_THRESHOLDS`).
        num_threads: interpreter threads.

    Returns:
        The parity report: ``{"num_examples", "thresholds", "variants": {format: {...}},
        "passed"}``. Nothing is raised here; see :func:`raise_on_failure`.
    """
    thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    reference = run_keras(tryon_model, examples)
    variants = {}
    for fmt, path in files.items():
        outputs = run_tflite(path, examples, num_threads)
        variants[fmt] = dataclasses.asdict(
            compare(fmt, path, reference, outputs, thresholds.get(fmt, {}))
        )
    return {
        "num_examples": len(examples),
        "thresholds": {fmt: thresholds.get(fmt, {}) for fmt in files},
        "variants": variants,
        "passed": all(v["passed"] for v in variants.values()),
    }


def raise_on_failure(report: dict) -> None:
    """Raise :class:`ParityError` listing every variant below its threshold."""
    failed = [
        f"{fmt}: " + "; ".join(variant["failures"])
        for fmt, variant in report["variants"].items()
        if not variant["passed"]
    ]
    if failed:
        raise ParityError("parity check failed: " + " | ".join(failed))


def format_report(report: dict) -> str:
    """A markdown table of a parity report."""
    lines = [
        f"Parity against the Keras model on {report['num_examples']} real examples "
        "(PSNR/SSIM: try-on vs the float try-on)",
        "",
        "| format | file MB | max abs (try-on) | max abs (any output) | max abs (all examples) "
        "| segmentation agreement | PSNR dB | SSIM | passed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt, v in report["variants"].items():
        worst = max(v["max_abs"].values())
        lines.append(
            f"| {fmt} | {v['file_bytes'] / 1e6:.2f} | {v['max_abs']['tryon']:.3g} | {worst:.3g} | "
            f"{max(v['max_abs_all'].values()):.3g} ({v['examples_segmentation_equal']}/{report['num_examples']} "
            f"equal) | {_agreement(v['segmentation_agreement'])} | {v['psnr']:.2f} | {v['ssim']:.4f} | "
            f"{'yes' if v['passed'] else 'NO: ' + '; '.join(v['failures'])} |"
        )
    return "\n".join(lines)


def _agreement(value) -> str:
    return "— (no segmenter)" if value is None else f"{value:.5f}"
