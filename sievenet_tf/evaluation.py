"""Evaluate a trained run on a dataset split: metrics, a markdown table and an image grid.

``evaluate_run`` loads ``RUN_DIR/sievenet.keras`` and ``RUN_DIR/config.json``,
runs every pair of the split in file order (no shuffling: the same run and
data give the same numbers) and writes into ``out_dir``
(default ``RUN_DIR/eval_<split>_<pairs>/``):

* ``metrics.json`` — the numbers (see :func:`evaluate_run` for the keys),
* ``metrics.md`` — the same as markdown tables,
* ``per_example.csv`` — per-pair SSIM / PSNR / LPIPS / warp numbers (paired mode),
* ``grid.png`` — person | cloth | warped cloth | expected segmentation |
  try-on | target, one row per example (the first ``grid_rows``),
* with ``write_images``: the try-ons and person photos as PNG files in the layout
  FID tools read (:mod:`sievenet_tf.fid_images`).

Metric protocols are in :mod:`sievenet_tf.metrics` and ``docs/evaluation.md``. FID
and LPIPS come from the field's reference packages (pytorch-fid, lpips) through
:mod:`sievenet_tf.field_metrics`, which needs an optional extra
(``pip install -e .[metrics]``) and imports torch only when FID or LPIPS weights
are given: an evaluation without them never loads torch.

Example:
    >>> from sievenet_tf.evaluation import evaluate_run
    >>> results = evaluate_run("runs/default", "data/viton", split="test")
    >>> results["metrics"]["ssim"]
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import positive_int, run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import contextlib
import csv
import io
import math
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from sievenet_tf import atomic, keys
from sievenet_tf import metrics as M
from sievenet_tf.analyzer_metrics import AnalyzerMetrics, analyzer_markdown
from sievenet_tf.data import layouts, pipeline
from sievenet_tf.data.default_dataset import synthetic_root
from sievenet_tf.fid_images import FidImageWriter
from sievenet_tf.labels import MODEL_CLASS_NAMES
from sievenet_tf.layers.priors import build_priors, priors_options
from sievenet_tf.run import Run
from sievenet_tf.visualization import save_png, tryon_grid

MODEL_INPUTS = (keys.CLOTH, keys.CLOTH_MASK, keys.PRIORS, keys.TEXTURE_PRIORS)
FID_BACKENDS = ("pytorch-fid", "keras")
LPIPS_NETS = ("alex", "vgg")  # = field_metrics.LPIPS_NETS (that module is imported lazily)
KERAS_FID_CAVEAT = (
    "NOT comparable with published FID: Keras' ImageNet InceptionV3 is not the TF FID "
    "graph that pytorch-fid ports and papers use; compare runs only with this backend"
)
UNPAIRED_NOTE = (
    "unpaired: each person wears another garment, so there is no ground-truth image, "
    "garment region or segmentation; SSIM, PSNR, LPIPS, warp L1/IoU and mIoU are not "
    "computed. FID (a distribution distance, the paper's unpaired metric) is computed when "
    "the metrics extra and Inception weights are available"
)
LPIPS_UNPAIRED = "LPIPS not computed: unpaired try-ons have no ground-truth image"
# Metric key -> (label, better direction, protocol) for metrics.md; order = table order.
METRIC_ROWS = {
    "ssim": (
        "SSIM (try-on vs person)",
        "↑",
        "Gaussian 11x11, σ 1.5, K1 0.01, K2 0.03, [0, 1], valid region",
    ),
    "psnr": ("PSNR dB (try-on vs person)", "↑", "data range 1, per image, averaged"),
    "psnr_shift_free": (
        "PSNR dB, global shift removed",
        "↑",
        "try-on minus its per-channel mean offset from the person; PSNR − this = the shift's cost",
    ),
    "tryon_bias": ("mean signed error (try-on − person)", "→ 0", "[0, 1]; > 0: try-on brighter"),
    "fid": ("FID (try-ons vs persons)", "↓", "pytorch-fid InceptionV3 pool3, 299x299, 8-bit"),
    "lpips": ("LPIPS (try-on vs person)", "↓", "lpips v0.1 on [-1, 1], 8-bit, per image"),
    "warp_l1_coarse": ("warp L1 coarse (vs cloth_worn)", "↓", "mean |I_stn^0 − I_gt| on [0, 1]"),
    "warp_l1_fine": ("warp L1 fine (vs cloth_worn)", "↓", "mean |I_stn^1 − I_gt| on [0, 1]"),
    "warp_iou_coarse": (
        "warp IoU coarse (mask vs cloth_worn_mask)",
        "↑",
        "threshold 0.5, per image",
    ),
    "warp_iou_fine": ("warp IoU fine (mask vs cloth_worn_mask)", "↑", "threshold 0.5, per image"),
    "warp_iou_fine_filled": (
        "warp IoU fine, hole-filled cloth mask",
        "↑",
        "the fine TPS on the cloth mask filled as by warp.fill_mask_holes; threshold 0.5",
    ),
    "identity_warp_l1": ("identity-warp L1 (unwarped cloth)", "↓", "baseline: θ = 0"),
    "identity_warp_iou": ("identity-warp IoU (unwarped mask)", "↑", "baseline: θ = 0"),
    "segmentation_miou": (
        "segmentation mIoU",
        "↑",
        "dataset confusion; classes in target ∪ prediction",
    ),
    "segmentation_pixel_accuracy": ("segmentation pixel accuracy", "↑", "dataset confusion"),
}


class EvaluationError(ValueError):
    """A run or dataset cannot be evaluated; the message says what is missing."""


# ----------------------------------------------------------------- loading


def fid_features(backend: str = "pytorch-fid", weights=None):
    """The Inception feature extractor for FID: ``(features, None)`` or ``(None, note)``.

    Args:
        backend: "pytorch-fid" (:class:`~sievenet_tf.field_metrics.FidInception`,
            the network published FIDs use) or "keras"
            (:class:`~sievenet_tf.metrics.InceptionFeatures`, not comparable with
            published FID).
        weights: pytorch-fid: its ``pt_inception-2015-12-05-6726825d.pth``, a folder
            holding it, or "download"; keras: a no-top ``.h5`` file or "imagenet"
            ("download" means "imagenet"). None: no FID, with a note.

    Returns:
        ``(features, None)``: ``features(images)`` maps (B, H, W, 3) [-1, 1] images to
        (B, 2048) and has a ``description``; or ``(None, "FID not computed: ...")``
        when the extra or the weights are missing.

    Raises:
        EvaluationError: an unknown backend.
        sievenet_tf.field_metrics.WeightsError: a pytorch-fid weights path that
            cannot be used (one line naming the file).
    """
    if backend not in FID_BACKENDS:
        raise EvaluationError(f"fid_backend must be one of {FID_BACKENDS}, got {backend!r}")
    if backend == "keras":
        weights = "imagenet" if weights == "download" else weights
        try:
            features = M.InceptionFeatures(weights)
        except M.FeaturesUnavailable as e:
            return None, f"FID not computed: {e}"
        features.description = f"Keras InceptionV3 avg-pool ({weights})"
        return features, None
    from sievenet_tf import field_metrics

    reason = field_metrics.unavailable_reason()
    if reason is None and weights is None:
        reason = (
            "no Inception weights given (--fid-weights: pytorch-fid's "
            "pt_inception-2015-12-05-6726825d.pth, a folder holding it, or 'download')"
        )
    if reason is not None:
        return None, f"FID not computed: {reason}"
    return field_metrics.FidInception(weights), None


def lpips_distance(weights=None, net: str = "alex"):
    """The LPIPS metric: ``(distance, None)`` or ``(None, note)``.

    Args:
        weights: the backbone (and optionally heads) for
            :class:`~sievenet_tf.field_metrics.LpipsDistance`: a file, a folder, or
            "download". None: no LPIPS, with a note.
        net: "alex" or "vgg".

    Returns:
        ``(distance, None)``: ``distance(a, b)`` maps two (B, H, W, 3) [-1, 1] batches
        to (B,) and has a ``description``; or ``(None, "LPIPS not computed: ...")``.

    Raises:
        EvaluationError: an unknown ``net``.
        sievenet_tf.field_metrics.WeightsError: a weights path that cannot be used.
    """
    if net not in LPIPS_NETS:
        raise EvaluationError(f"lpips_net must be one of {LPIPS_NETS}, got {net!r}")
    from sievenet_tf import field_metrics

    reason = field_metrics.unavailable_reason()
    if reason is None and weights is None:
        reason = (
            f"no LPIPS backbone weights given (--lpips-weights: torchvision's "
            f"{'alexnet-owt-7be5be79.pth' if net == 'alex' else 'vgg16-397923af.pth'}, "
            "a folder holding it, or 'download'; the heads ship with lpips)"
        )
    if reason is not None:
        return None, f"LPIPS not computed: {reason}"
    return field_metrics.LpipsDistance(weights, net=net), None


def _notice(notes) -> str | None:
    """One notice line for the metrics that are not computed (None when all are)."""
    notes = [n for n in notes if n]
    if not notes:
        return None
    prefixes = [n.split(" not computed: ", 1) for n in notes]
    if len(notes) > 1 and all(len(p) == 2 for p in prefixes) and len({p[1] for p in prefixes}) == 1:
        return f"notice: {' and '.join(p[0] for p in prefixes)} not computed: {prefixes[0][1]}"
    return "notice: " + "; ".join(notes)


# ------------------------------------------------------------------ running


def evaluate_run(
    run_dir,
    data_root,
    split: str = "test",
    pairs: str = "paired",
    batch_size: int = 8,
    max_examples: int | None = None,
    out_dir=None,
    fid_weights=None,
    grid_rows: int = 8,
    log=print,
    priors: str = "dataset",
    analyzer_only: bool = False,
    perturb: bool = False,
    fid_backend: str = "pytorch-fid",
    lpips_weights=None,
    lpips_net: str = "alex",
    write_images=None,
    worst: int = 0,
    best: int = 0,
) -> dict:
    """Evaluate ``RUN_DIR/sievenet.keras`` on a split and write the report files.

    Paired mode (each test person with their own garment) compares the try-on
    with the person photo (SSIM, PSNR, LPIPS) and the warps with the garment as
    worn. Unpaired mode has no ground truth: only FID (if available) and the grid;
    the paper's FID is the unpaired one.

    Args:
        run_dir: a run directory with ``config.json`` and ``sievenet.keras``.
        data_root: dataset root (VITON / VITON-HD layout or TFRecord folder).
        split: "train" or "test".
        pairs: "paired" or "unpaired".
        batch_size: inference batch size (does not change the numbers).
        max_examples: evaluate only the first N pairs (file order).
        out_dir: where the files go (default ``RUN_DIR/eval_<split>_<pairs>``).
        fid_weights: Inception weights for FID (see :func:`fid_features`); None
            skips FID with a notice and a note.
        grid_rows: examples in ``grid.png``.
        log: prints one line for the user.
        priors: "dataset" (the dataset's parse, keypoints and cloth mask) or
            "predicted": the run's person analyzer and cloth mask
            (:mod:`sievenet_tf.export.photo_model`) provide them, as the photo graph
            does, and their own accuracy is reported under ``analyzer``
            (:mod:`sievenet_tf.analyzer_metrics`); the targets stay the dataset's.
        analyzer_only: evaluate only the predictions (no try-on model needed).
        perturb: with ``analyzer_only``, move and recolour each person photo (and its
            labels) with the training augmentation of ``analyzer_training``, seeded: a
            proxy for framings and colours that studio photos do not have.
        fid_backend: "pytorch-fid" (default; comparable with papers) or "keras"
            (not comparable with published FID).
        lpips_weights: LPIPS backbone weights (see :func:`lpips_distance`); None
            skips LPIPS with a notice and a note. Paired mode only.
        lpips_net: LPIPS backbone, "alex" or "vgg".
        write_images: a folder: write ``tryon/<person>_<cloth>.png`` and
            ``real/<person>.png`` of the evaluated pairs for FID tools
            (:class:`~sievenet_tf.fid_images.FidImageWriter`; ``pairs="unpaired"``
            gives the paper's protocol).

    Returns:
        The content of ``metrics.json``: ``run``, ``data``, ``split``, ``pairs``,
        ``num_examples``, ``model`` (name, warp fine stage, texture conditioning),
        ``metrics`` (keys of :data:`METRIC_ROWS`, each a float or None, plus
        ``fid_note`` / ``lpips_note`` and ``fid_backend``), ``segmentation_iou_per_class``
        (class name -> IoU or None when absent), ``notes``, ``priors``, ``analyzer``
        with predicted priors, and ``images`` (folders, counts, the FID command)
        with ``write_images``.

    Raises:
        sievenet_tf.run.RunError: missing run, config or stage model.
        EvaluationError: bad arguments, or no examples to evaluate.
        DataError: a missing or malformed dataset.
        sievenet_tf.field_metrics.WeightsError: FID or LPIPS weights that cannot be used.
    """
    if pairs not in layouts.PAIRS:
        raise EvaluationError(f"pairs must be one of {layouts.PAIRS}, got {pairs!r}")
    if max_examples is not None and max_examples < 1:
        raise EvaluationError(f"max_examples must be >= 1, got {max_examples}")
    if batch_size < 1:
        raise EvaluationError(f"batch_size must be >= 1, got {batch_size}")
    if priors not in ("dataset", "predicted"):
        raise EvaluationError(f"priors must be 'dataset' or 'predicted', got {priors!r}")
    predicted_priors = priors == "predicted" or analyzer_only
    if perturb and not analyzer_only:
        raise EvaluationError("perturb needs analyzer_only (the try-on targets would not move)")
    if (worst or best) and (pairs != "paired" or priors != "dataset" or analyzer_only):
        raise EvaluationError("worst / best need paired pairs and the dataset's priors")
    if worst < 0 or best < 0:
        raise EvaluationError(f"worst and best must be >= 0, got {worst} and {best}")
    if write_images is not None and analyzer_only:
        raise EvaluationError("write_images needs try-ons; it cannot be used with analyzer_only")
    if fid_backend not in FID_BACKENDS:
        raise EvaluationError(f"fid_backend must be one of {FID_BACKENDS}, got {fid_backend!r}")
    if lpips_net not in LPIPS_NETS:
        raise EvaluationError(f"lpips_net must be one of {LPIPS_NETS}, got {lpips_net!r}")
    run = Run(run_dir)
    run_dir = run.directory
    config = run.config
    if not analyzer_only:
        run.check_complete()  # a missing stage fails before the dataset is read
    if predicted_priors and not run.has_analyzer():
        run.load_analyzer()  # raises, saying how to train it
    # The dataset first: a bad dataset fails before the (slower) model load.
    dataset = pipeline.make_dataset(
        data_root, config, split, pairs, batch_size=batch_size, shuffle=False
    )
    paired = pairs == "paired"
    inception = lpips = fid_note = lpips_note = None
    if not analyzer_only:  # bad weights fail here, before the model load
        inception, fid_note = fid_features(fid_backend, fid_weights)
        lpips, lpips_note = lpips_distance(lpips_weights, lpips_net) if paired else (None, LPIPS_UNPAIRED)
        notice = _notice([fid_note, lpips_note if paired else None])
        if notice:
            log(notice)
    model = None if analyzer_only else run.load_sievenet()
    analyze = analyzer_metrics = None
    perturbation = _perturbation(config) if perturb else None
    if predicted_priors:
        analyze = _analysis_function(run, config)
        analyzer_metrics = AnalyzerMetrics(config.data.image_size)
    default_name = (
        f"eval_analyzer_{split}" + ("_perturbed" if perturb else "") if analyzer_only
        else f"eval_{split}_{pairs}" + ("_predicted" if priors == "predicted" else "")
    )  # fmt: skip
    out_dir = Path(out_dir) if out_dir is not None else run_dir / default_name

    infer = None if model is None else _compiled_inference(model, dataset)  # None: analyzer only
    collected = _Collected(config.segmentation.num_classes, paired, inception, grid_rows, lpips)
    started = last_log = time.monotonic()
    count = 0
    with contextlib.ExitStack() as stack:
        stack.enter_context(pipeline.data_errors())
        writer = None
        if write_images is not None:
            writer = stack.enter_context(FidImageWriter(write_images))
        for batch in dataset.as_numpy_iterator():
            if max_examples is not None:
                take = min(len(batch[keys.PERSON]), max_examples - count)
                batch = {k: v[:take] for k, v in batch.items()}
            model_inputs = {k: batch[k] for k in MODEL_INPUTS}
            if perturbation is not None:
                batch = perturbation(batch)
            if analyze is not None:
                predicted, computed_mask, model_priors = analyze(batch[keys.PERSON], batch[keys.CLOTH])
                analyzer_metrics.update(batch, predicted, computed_mask)
                model_inputs.update(model_priors)
                model_inputs[keys.CLOTH_MASK] = predicted["cloth_mask"]
            if not analyzer_only:
                outputs = {k: v.numpy() for k, v in infer(model_inputs).items()}
                collected.add(batch, outputs)
                if writer is not None:
                    writer.add(batch[keys.PERSON_NAME], batch[keys.CLOTH_NAME], outputs["tryon"],
                               batch[keys.PERSON])  # fmt: skip
            count += len(batch[keys.PERSON])
            if time.monotonic() - last_log > 10:
                last_log = time.monotonic()
                log(f"evaluated {count} examples ...")
            if max_examples is not None and count >= max_examples:
                break
        if count == 0:  # raised inside: the image writer keeps any earlier folders
            raise EvaluationError(f"no {pairs} examples in split {split!r} of {data_root}")
    seconds = time.monotonic() - started
    if analyzer_only:
        return _write_analyzer_only(run_dir, data_root, split, count, config,
                                    analyzer_metrics.result(), out_dir, seconds, log)  # fmt: skip

    result_metrics, per_class, values = collected.metrics()
    result_metrics.update(_fid(collected, inception, fid_note, fid_backend, pairs))
    result_metrics["lpips_note"] = (
        lpips_note if lpips is None
        else f"{lpips.description}; try-on vs person photo per pair ({collected.count} pairs), "
        "8-bit images on [-1, 1]"
    )  # fmt: skip
    notes = []
    if not paired:
        notes.append(UNPAIRED_NOTE)
    if collected.guided is False and paired:
        notes.append("texture.conditioning='priors': no segmentation network, so no mIoU")
    results = {
        "run": str(run_dir),
        "data": str(data_root),
        "split": split,
        "pairs": pairs,
        "num_examples": collected.count,
        "model": {
            "config_name": config.name,
            "image_size": list(config.data.image_size),
            "warp_fine_stage": config.warp.fine_stage,
            "texture_conditioning": config.texture.conditioning,
        },
        "metrics": _clean(result_metrics),
        "segmentation_iou_per_class": _clean(per_class),
        "notes": notes,
        "priors": priors,
    }
    if writer is not None:
        results["images"] = {
            "directory": str(writer.directory),
            "pairs": pairs,
            "tryon": writer.tryon_count,
            "real": writer.real_count,
            "fid_command": writer.command(),
        }
    if analyzer_metrics is not None:
        results["analyzer"] = analyzer_metrics.result()
        notes.append(
            "priors predicted: the try-on reads the person analyzer's parse and keypoints and "
            "the photo path's cloth mask; the targets (person, garment as worn) are the dataset's"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out_dir / "metrics.json", results)
    atomic.write_text(out_dir / "metrics.md", metrics_markdown(results))
    if paired:
        _write_per_example(out_dir / "per_example.csv", collected.names, values)
        if worst or best:
            from sievenet_tf.worst_cases import write_worst_grids

            write_worst_grids(model, config, data_root, split, out_dir, count=worst, best=best,
                              batch_size=batch_size, log=log)  # fmt: skip
    grid = tryon_grid(
        {k: np.concatenate(v) for k, v in collected.grid_columns.items()}, max_rows=grid_rows
    )
    save_png(out_dir / "grid.png", grid)
    log(f"evaluated {collected.count} {pairs} pairs of {split!r} in {seconds:.1f} s; wrote "
        f"{out_dir}/metrics.json, metrics.md, grid.png")
    if writer is not None:
        log(f"wrote {writer.tryon_count} {pairs} try-ons to {writer.directory / 'tryon'} and "
            f"{writer.real_count} person photos to {writer.directory / 'real'}; FID from the files: "
            f"{writer.command()}" + ("" if not paired else " (the paper's FID uses --pairs unpaired)"))
    return results


def _compiled_inference(model, dataset):
    """``model`` in inference mode, traced once for every batch size (the last
    batch is usually smaller)."""
    signature = {
        name: tf.TensorSpec((None, *spec.shape[1:]), spec.dtype)
        for name, spec in dataset.element_spec.items()
        if name in MODEL_INPUTS
    }

    from sievenet_tf.layers.cloth_mask import MaskHoleFill, hole_fill_closing

    warp = model.warper.get_layer("cloth_warp")
    fill = MaskHoleFill(closing=hole_fill_closing(model.warper.image_size[1]))

    @tf.function(input_signature=[signature])
    def infer(inputs):
        outputs = model(inputs, training=False)
        # The fine TPS applied to the hole-filled cloth mask: the warp's geometry scored
        # apart from the holes of a dataset's thresholded masks (warp_iou_fine_filled).
        theta_fine = outputs["theta"] + outputs["delta_theta"]
        _, filled = warp(inputs["cloth"], fill(inputs["cloth_mask"]), theta_fine)
        return {**outputs, "warped_filled_mask_fine": filled}

    return infer


class _Collected:
    """What the evaluation keeps of each batch: per-example metrics, the confusion
    matrix, Inception features (each person photo once, as the FID image folders
    hold it) and the first ``grid_rows`` rows of the grid."""

    def __init__(self, num_classes, paired, inception, grid_rows, lpips=None):
        self.paired, self.inception, self.grid_rows, self.lpips = paired, inception, grid_rows, lpips
        self.per_example = {name: [] for name in (*PER_EXAMPLE_METRICS, "lpips")}
        self.real_seen = set()
        self.names = []
        self.confusion = np.zeros((num_classes, num_classes), np.int64)
        self.guided = None
        self.fake_features, self.real_features = [], []
        self.grid_columns = {}
        self.count = 0

    def add(self, batch, outputs):
        self.guided = "expected_segmentation" in outputs
        person, tryon = batch[keys.PERSON], outputs["tryon"]
        self.names += [
            (p.decode(), c.decode()) for p, c in zip(batch[keys.PERSON_NAME], batch[keys.CLOTH_NAME])
        ]
        if self.paired:
            for name, value in paired_metrics(batch, outputs).items():
                self.per_example[name].append(value)
            if self.lpips is not None:
                self.per_example["lpips"].append(self.lpips(tryon, person))
            if self.guided:
                self.confusion += M.confusion_matrix(
                    outputs["expected_segmentation"], batch[keys.SEGMENTATION], len(self.confusion)
                )
        if self.inception is not None:
            self.fake_features.append(self.inception(tryon))
            first = []  # the batch's persons not seen before (a person may be in several pairs)
            for i, name in enumerate(batch[keys.PERSON_NAME]):
                if name not in self.real_seen:
                    self.real_seen.add(name)
                    first.append(i)
            if first:
                self.real_features.append(self.inception(person[first]))
        if self.count < self.grid_rows:
            self._add_grid_rows(batch, outputs)
        self.count += len(person)

    def _add_grid_rows(self, batch, outputs):
        person = batch[keys.PERSON]
        columns = {"person": person, "cloth": batch[keys.CLOTH], "warped cloth": outputs["warped_cloth_fine"]}
        if self.guided:
            columns["expected segmentation"] = outputs["expected_segmentation"]
        columns["try-on"] = outputs["tryon"]
        if self.paired:
            columns["target"] = person
        for name, values in columns.items():
            self.grid_columns.setdefault(name, []).append(values[: self.grid_rows - self.count])

    def metrics(self):
        """(metric -> mean or None, class name -> IoU, metric -> per-example values)."""
        values = {name: (np.concatenate(v) if v else None) for name, v in self.per_example.items()}
        result = {name: (float(np.mean(v)) if v is not None else None) for name, v in values.items()}
        per_class = {}
        result["segmentation_miou"] = result["segmentation_pixel_accuracy"] = None
        if self.paired and self.guided:
            iou, miou = M.segmentation_iou(self.confusion)
            result["segmentation_miou"] = miou
            result["segmentation_pixel_accuracy"] = M.pixel_accuracy(self.confusion)
            per_class = {
                MODEL_CLASS_NAMES[i]: (None if math.isnan(v) else float(v)) for i, v in enumerate(iou)
            }
        return result, per_class, values


def _fid(collected, inception, note, backend, pairs) -> dict:
    """``fid``, ``fid_note`` and ``fid_backend`` of the collected Inception features."""
    result = {"fid": None, "fid_note": note, "fid_backend": backend}
    if inception is None:
        return result
    fake = np.concatenate(collected.fake_features)
    real = np.concatenate(collected.real_features)
    if min(len(fake), len(real)) < 2:
        result["fid_note"] = (
            f"FID not computed: needs at least 2 try-ons and 2 person photos, got {len(fake)} "
            f"and {len(real)}"
        )
        return result
    caveat = (
        KERAS_FID_CAVEAT if backend == "keras"
        else "the paper's protocol is unpaired try-ons vs the test person photos"
        + (" (these are paired try-ons)" if pairs == "paired" else "")
    )  # fmt: skip
    result["fid"] = M.frechet_distance_of_features(fake, real)
    result["fid_note"] = (
        f"{inception.description} on {len(fake)} {pairs} try-ons vs {len(real)} person photos, "
        f"8-bit images; {caveat}; FID is biased upward for small N (rank-deficient covariance "
        "below 2048 images): compare values only at equal N"
    )
    return result


def _analysis_function(run, config):
    """(person, cloth) numpy batches -> (predictions, in-graph cloth mask or None,
    the try-on's priors built from the predictions), as the photo graph computes them."""
    from sievenet_tf.export.photo_model import build_analysis_model
    from sievenet_tf.layers.cloth_mask import ClothMaskLayer, cloth_mask_options

    masker = run.load_cloth_masker()
    analysis = build_analysis_model(run.load_analyzer(), config, masker, batch_size=None)
    computed = ClothMaskLayer(**cloth_mask_options(config)) if masker is not None else None
    height, width = config.data.image_size
    spec = tf.TensorSpec((None, height, width, 3), tf.float32)

    @tf.function(input_signature=[spec, spec])
    def analyze(person, cloth):
        predicted = analysis({"person": person, "cloth": cloth}, training=False)
        priors = build_priors(person, predicted["parse"], predicted["keypoints"],
                              **priors_options(config.data))  # fmt: skip
        model_priors = {keys.PRIORS: priors["priors"], keys.TEXTURE_PRIORS: priors["texture_priors"]}
        computed_mask = computed(cloth) if computed is not None else tf.zeros((0,))
        return predicted, computed_mask, model_priors

    def run_analysis(person, cloth):
        predicted, computed_mask, model_priors = analyze(person, cloth)
        return (
            {k: v.numpy() for k, v in predicted.items()},
            computed_mask.numpy() if computed is not None else None,
            {k: v.numpy() for k, v in model_priors.items()},
        )

    return run_analysis


def _perturbation(config):
    """batch -> batch with person, segmentation and keypoints augmented (seeded)."""
    from sievenet_tf.training.augment import augment_person_batch

    generator = tf.random.Generator.from_seed(config.train.seed + 12345)

    def perturb(batch):
        person, segmentation, keypoints = augment_person_batch(
            tf.constant(batch[keys.PERSON]),
            tf.constant(batch[keys.SEGMENTATION]),
            tf.constant(batch[keys.KEYPOINTS]),
            generator,
            config.analyzer_training,
        )
        return {**batch, keys.PERSON: person.numpy(), keys.SEGMENTATION: segmentation.numpy(),
                keys.KEYPOINTS: keypoints.numpy()}  # fmt: skip

    return perturb


def _write_analyzer_only(run_dir, data_root, split, count, config, analyzer, out_dir, seconds, log):
    results = {
        "run": str(run_dir),
        "data": str(data_root),
        "split": split,
        "num_examples": count,
        "model": {"config_name": config.name, "image_size": list(config.data.image_size)},
        "priors": "predicted",
        "analyzer": analyzer,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic.write_json(out_dir / "metrics.json", results)
    atomic.write_text(out_dir / "metrics.md", metrics_markdown(results))
    log(f"evaluated the photo path on {count} examples of {split!r} in {seconds:.1f} s; wrote "
        f"{out_dir}/metrics.json, metrics.md")  # fmt: skip
    return results


# Computed by paired_metrics; "lpips" joins them when LPIPS weights are given.
PER_EXAMPLE_METRICS = (
    "ssim", "psnr", "psnr_shift_free", "tryon_bias",
    "warp_l1_coarse", "warp_l1_fine", "warp_iou_coarse", "warp_iou_fine", "warp_iou_fine_filled",
    "identity_warp_l1", "identity_warp_iou",
)


def paired_metrics(batch: dict, outputs: dict) -> dict:
    """Per-example reference metrics of one paired batch (see the module docstring).

    Args:
        batch: numpy example dict (:mod:`sievenet_tf.keys`).
        outputs: numpy outputs of :class:`~sievenet_tf.models.SieveNet` for it.

    Returns:
        dict :data:`PER_EXAMPLE_METRICS` key -> float64 (B,).
    """
    person = M.to_unit_range(batch[keys.PERSON])
    tryon = M.to_unit_range(outputs["tryon"])
    worn, worn_mask = M.to_unit_range(batch[keys.CLOTH_WORN]), batch[keys.CLOTH_WORN_MASK]
    values = {
        "ssim": M.ssim(tryon, person),
        "psnr": M.psnr(tryon, person),
        "psnr_shift_free": M.psnr_shift_free(tryon, person),
        "tryon_bias": M.mean_signed_error(tryon, person),
    }
    for level in ("coarse", "fine"):
        warped = M.to_unit_range(outputs[f"warped_cloth_{level}"])
        values[f"warp_l1_{level}"] = M.l1_distance(warped, worn)
        values[f"warp_iou_{level}"] = M.mask_iou(outputs[f"warped_mask_{level}"], worn_mask)
    if "warped_filled_mask_fine" in outputs:
        values["warp_iou_fine_filled"] = M.mask_iou(outputs["warped_filled_mask_fine"], worn_mask)
    # What an untrained (identity, theta = 0) warper scores: the unwarped cloth.
    values["identity_warp_l1"] = M.l1_distance(M.to_unit_range(batch[keys.CLOTH]), worn)
    values["identity_warp_iou"] = M.mask_iou(batch[keys.CLOTH_MASK], worn_mask)
    return values


def _clean(values):
    """JSON-safe, rounded floats (NaN -> None) so reports are stable and readable."""
    if isinstance(values, dict):
        return {k: _clean(v) for k, v in values.items()}
    if isinstance(values, float):
        if math.isnan(values):
            return None
        if math.isinf(values):
            return "inf" if values > 0 else "-inf"
        return round(values, 6)
    return values


def _write_per_example(path, names, values):
    columns = [k for k, v in values.items() if v is not None]
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["person", "cloth", *columns])
    for i, (person, cloth) in enumerate(names):
        writer.writerow([person, cloth, *(f"{values[c][i]:.6f}" for c in columns)])
    atomic.write_text(path, text.getvalue())


def format_value(value, digits=4):
    """A table cell: "—" for a missing value, strings as they are, numbers rounded."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def metrics_markdown(results: dict) -> str:
    """The ``metrics.md`` text of an :func:`evaluate_run` result."""
    if "metrics" not in results:  # analyzer only
        return (
            f"# Photo path of `{results['run']}`\n\n{results['num_examples']} examples of split "
            f"`{results['split']}` of `{results['data']}`, model `{results['model']['config_name']}` "
            f"({results['model']['image_size'][0]}x{results['model']['image_size'][1]}).\n\n"
            + analyzer_markdown(results["analyzer"])
        )
    model = results["model"]
    lines = [
        f"# Evaluation of `{results['run']}`",
        "",
        f"{results['num_examples']} {results['pairs']} pairs of split `{results['split']}` of "
        f"`{results['data']}`; model `{model['config_name']}` "
        f"({model['image_size'][0]}x{model['image_size'][1]}, warp fine stage: "
        f"{model['warp_fine_stage']}, texture conditioning: {model['texture_conditioning']}).",
        "",
        "| metric | | value | protocol |",
        "|---|---|---|---|",
    ]
    metric_values = results["metrics"]
    for key, (label, direction, protocol) in METRIC_ROWS.items():
        if key == "fid" and metric_values.get("fid_backend") == "keras":
            protocol = "Keras InceptionV3 avg-pool, 299x299: **not comparable with published FID**"
        lines.append(f"| {label} | {direction} | {format_value(metric_values.get(key))} | {protocol} |")
    lines += ["", "Image metrics on [0, 1]; warp L1 on [0, 1] (half the [-1, 1] loss value).", ""]
    for note_key in ("fid_note", "lpips_note"):
        if metric_values.get(note_key):
            lines.append(f"- {metric_values[note_key]}")
    for note in results["notes"]:
        lines.append(f"- {note}")
    per_class = results["segmentation_iou_per_class"]
    if per_class:
        lines += ["", "## Segmentation IoU per class", "", "| class | IoU |", "|---|---|"]
        lines += [f"| {name} | {format_value(value)} |" for name, value in per_class.items()]
        lines.append("")
        lines.append("— : class absent from targets and predictions (not in the mIoU).")
    if "images" in results:
        images = results["images"]
        lines += ["", f"Images for FID tools: {images['tryon']} {images['pairs']} try-ons and "
                  f"{images['real']} person photos in `{images['directory']}`; "
                  f"`{images['fid_command']}`."]  # fmt: skip
    if "analyzer" in results:
        lines += ["", f"Priors: {results.get('priors')}.", "", analyzer_markdown(results["analyzer"])]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evaluate.py",
        description="Evaluate a trained SieveNet run: SSIM, PSNR, LPIPS, warp L1/IoU, mIoU "
        "(paired), FID (the paper's: --pairs unpaired). LPIPS and FID need the metrics extra "
        "(pip install -e .[metrics]) and local weights.",
    )
    parser.add_argument(
        "--run", type=Path, required=True, help="run directory (with sievenet.keras)"
    )
    parser.add_argument("--data", type=Path,
                        help="dataset root; default: the run's synthetic dataset")
    parser.add_argument("--split", choices=["train", "test"], default="test")
    parser.add_argument("--pairs", choices=["paired", "unpaired"], default="paired")
    parser.add_argument("--batch-size", type=positive_int, default=8)
    parser.add_argument("--max-examples", type=positive_int, help="evaluate only the first N pairs")
    parser.add_argument("--out", type=Path, help="output folder (default RUN/eval_<split>_<pairs>)")
    parser.add_argument("--fid-weights", metavar="PATH|download",
                        help="Inception weights for FID. pytorch-fid backend: its "
                        "pt_inception-2015-12-05-6726825d.pth or a folder holding it; 'download' "
                        "lets pytorch-fid fetch it. keras backend: a no-top .h5 or 'imagenet'. "
                        "Without it FID is skipped with a notice")  # fmt: skip
    parser.add_argument("--fid-backend", choices=FID_BACKENDS, default="pytorch-fid",
                        help="pytorch-fid (default: the network published FIDs use) or keras "
                        "(Keras' InceptionV3: not comparable with published FID)")  # fmt: skip
    parser.add_argument("--lpips-weights", metavar="PATH|download",
                        help="LPIPS backbone: torchvision's alexnet-owt-7be5be79.pth / "
                        "vgg16-397923af.pth, a full lpips.LPIPS state dict, or a folder holding "
                        "the torchvision file (and optionally heads alex.pth / vgg.pth); "
                        "'download' lets torchvision fetch it. The heads ship with lpips. "
                        "Paired mode; without it LPIPS is skipped with a notice")  # fmt: skip
    parser.add_argument("--lpips-net", choices=LPIPS_NETS, default="alex",
                        help="LPIPS backbone (default alex)")
    parser.add_argument("--write-images", type=Path, metavar="DIR",
                        help="also write DIR/tryon/<person>_<cloth>.png and DIR/real/<person>.png "
                        "for FID tools; with --pairs unpaired: python -m pytorch_fid DIR/tryon "
                        "DIR/real is the paper's FID")  # fmt: skip
    parser.add_argument("--worst", type=positive_int, default=0, metavar="K",
                        help="paired: also write worst_ssim.png and worst_warp_iou_fine.png, the K "
                        "pairs with the lowest SSIM / fine-warp IoU (where to look for failures)")  # fmt: skip
    parser.add_argument("--best", type=positive_int, default=0, metavar="K",
                        help="paired: also write best_ssim.png and best_warp_iou_fine.png, the K "
                        "pairs with the highest SSIM / fine-warp IoU")  # fmt: skip
    parser.add_argument(
        "--cache-dir", type=Path, help="synthetic dataset cache (default ~/.cache/sievenet-tf)"
    )
    parser.add_argument("--priors", choices=["dataset", "predicted"], default="dataset",
                        help="predicted: the run's person analyzer and cloth mask give the parse, "
                        "keypoints and cloth mask (the photo path), and their accuracy is "
                        "reported too")  # fmt: skip
    parser.add_argument("--analyzer-only", action="store_true",
                        help="evaluate only the photo path's predictions (no try-on needed)")
    parser.add_argument("--perturb", action="store_true",
                        help="with --analyzer-only: move, flip and recolour the photos (and their "
                        "labels) with the analyzer's training augmentation first")  # fmt: skip
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_main("evaluate.py", lambda log: _evaluate(args, log))


def _evaluate(args, log) -> int:
    run = Run(args.run)
    data_root = args.data
    if data_root is None:
        data_root = synthetic_root(run.config, args.cache_dir, log=log)
        log(f"no --data: using the synthetic dataset {data_root}")
    results = evaluate_run(
        args.run, data_root, split=args.split, pairs=args.pairs, batch_size=args.batch_size,
        max_examples=args.max_examples, out_dir=args.out, fid_weights=args.fid_weights,
        fid_backend=args.fid_backend, lpips_weights=args.lpips_weights, lpips_net=args.lpips_net,
        write_images=args.write_images, log=log, priors=args.priors, worst=args.worst, best=args.best,
        analyzer_only=args.analyzer_only, perturb=args.perturb,
    )
    print(metrics_markdown(results))
    return 0
