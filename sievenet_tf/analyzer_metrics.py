"""How well the photo path's predictions match the dataset's labels.

* **parse** — per-class IoU over the model's classes from one confusion matrix
  over the split; mIoU over the classes present in the dataset's parses of the
  split (``miou``), and over classes in target or prediction (``miou_union``,
  the convention of :func:`sievenet_tf.metrics.segmentation_iou`).
* **keypoints** — against the dataset's OpenPose points. A dataset point is
  *visible* when its confidence is > 0. Errors are Euclidean, in pixels at the
  reference resolution (256 x 192 by default: errors at the run's resolution are
  scaled by 256 / H), so the numbers compare across presets. ``pck`` is the
  fraction of visible points predicted present within ``pck_pixels``; a visible
  point predicted missing counts as a miss. ``median_error_px`` is over visible
  points predicted present. Missing points (confidence 0) are a detection task
  of their own: precision and recall of "predicted missing" against "missing
  in the dataset".
* **cloth mask** — IoU per cloth with the dataset's ``cloth-mask`` (binarised at
  0.5), averaged; for the photo graph's mask and, when that one is learned, for
  the in-graph computation as well.
"""

from __future__ import annotations

import math

import numpy as np

from sievenet_tf import keys
from sievenet_tf import metrics as M
from sievenet_tf.labels import COCO18_KEYPOINT_NAMES, MODEL_CLASS_NAMES

REFERENCE_HEIGHT = 256
PCK_PIXELS = 8.0


class AnalyzerMetrics:
    """Accumulates the predictions of batches; :meth:`result` gives the numbers.

    Args:
        image_size: (H, W) of the run.
        reference_height: errors are reported in pixels at this height.
        pck_pixels: the PCK radius at the reference resolution.
    """

    def __init__(
        self, image_size, reference_height: int = REFERENCE_HEIGHT, pck_pixels: float = PCK_PIXELS
    ):
        self.scale = reference_height / float(image_size[0])
        self.reference_height = reference_height
        self.pck_pixels = pck_pixels
        self.num_classes = len(MODEL_CLASS_NAMES)
        self.confusion = np.zeros((self.num_classes, self.num_classes), np.int64)
        self.errors, self.visible_found, self.per_keypoint = [], 0, {}
        self.visible = 0
        self.missing_true = self.missing_predicted = self.missing_both = 0
        self.mask_iou, self.computed_mask_iou = [], []

    def update(self, batch: dict, predicted: dict, computed_mask=None) -> None:
        """Add one batch: the dataset ``batch`` (numpy, keys of :mod:`sievenet_tf.data.keys`)
        and the photo path's ``predicted`` ``parse``, ``keypoints``, ``cloth_mask``."""
        self.confusion += M.confusion_matrix(
            np.asarray(predicted["parse"]), batch[keys.SEGMENTATION], self.num_classes
        )
        truth = np.asarray(batch[keys.KEYPOINTS], np.float64)
        guess = np.asarray(predicted["keypoints"], np.float64)
        visible, found = truth[..., 2] > 0, guess[..., 2] > 0
        error = np.linalg.norm(guess[..., :2] - truth[..., :2], axis=-1) * self.scale  # (B, K)
        both = visible & found
        self.errors.append(error[both])
        self.visible += int(visible.sum())
        within = both & (error <= self.pck_pixels)
        self.visible_found += int(within.sum())
        for k, name in enumerate(COCO18_KEYPOINT_NAMES):
            hits, count = self.per_keypoint.get(name, (0, 0))
            self.per_keypoint[name] = (
                hits + int(within[:, k].sum()),
                count + int(visible[:, k].sum()),
            )
        self.missing_true += int((~visible).sum())
        self.missing_predicted += int((~found).sum())
        self.missing_both += int((~visible & ~found).sum())
        self.mask_iou.append(
            M.mask_iou(np.asarray(predicted["cloth_mask"]), batch[keys.CLOTH_MASK])
        )
        if computed_mask is not None:
            self.computed_mask_iou.append(
                M.mask_iou(np.asarray(computed_mask), batch[keys.CLOTH_MASK])
            )

    def result(self) -> dict:
        iou, miou_union = M.segmentation_iou(self.confusion)
        in_target = self.confusion.sum(axis=1) > 0
        errors = np.concatenate(self.errors) if self.errors else np.zeros(0)
        upper = MODEL_CLASS_NAMES.index("upper_clothes")
        result = {
            "parse_miou": _float(np.nanmean(iou[in_target]) if in_target.any() else math.nan),
            "parse_miou_union": _float(miou_union),
            "parse_pixel_accuracy": _float(M.pixel_accuracy(self.confusion)),
            "upper_clothes_iou": _float(iou[upper]),
            "parse_classes_present": int(in_target.sum()),
            "keypoint_pck": _ratio(self.visible_found, self.visible),
            "keypoint_pck_pixels": self.pck_pixels,
            "keypoint_reference_height": self.reference_height,
            "keypoint_median_error_px": _float(np.median(errors) if errors.size else math.nan),
            "keypoint_mean_error_px": _float(np.mean(errors) if errors.size else math.nan),
            "keypoints_visible": self.visible,
            "missing_precision": _ratio(self.missing_both, self.missing_predicted),
            "missing_recall": _ratio(self.missing_both, self.missing_true),
            "keypoints_missing_in_dataset": self.missing_true,
            "cloth_mask_iou": _float(
                np.mean(np.concatenate(self.mask_iou)) if self.mask_iou else math.nan
            ),
        }
        if self.computed_mask_iou:
            result["cloth_mask_iou_computed"] = _float(
                np.mean(np.concatenate(self.computed_mask_iou))
            )
        result["parse_iou_per_class"] = {
            name: (None if math.isnan(v) else float(v)) for name, v in zip(MODEL_CLASS_NAMES, iou)
        }
        result["parse_class_pixels"] = {
            name: int(n) for name, n in zip(MODEL_CLASS_NAMES, self.confusion.sum(axis=1))
        }
        result["keypoint_pck_per_point"] = {
            name: _ratio(hits, count) for name, (hits, count) in self.per_keypoint.items()
        }
        result["keypoint_visible_per_point"] = {
            name: count for name, (_, count) in self.per_keypoint.items()
        }
        return result


def _float(value):
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def _ratio(numerator, denominator):
    return round(numerator / denominator, 6) if denominator else None


def analyzer_markdown(result: dict) -> str:
    """The analyzer section of ``metrics.md``."""

    def cell(value, digits=4):
        return "—" if value is None else f"{value:.{digits}f}"

    size = result["keypoint_reference_height"]
    lines = [
        "## Photo path: predicted parse, keypoints and cloth mask",
        "",
        "| metric | value |",
        "|---|---|",
        f"| parse mIoU (classes in the dataset's parses: {result['parse_classes_present']}) | {cell(result['parse_miou'])} |",
        f"| parse mIoU (classes in target or prediction) | {cell(result['parse_miou_union'])} |",
        f"| parse pixel accuracy | {cell(result['parse_pixel_accuracy'])} |",
        f"| upper-clothes IoU | {cell(result['upper_clothes_iou'])} |",
        f"| keypoint PCK@{result['keypoint_pck_pixels']:g}px at height {size} ({result['keypoints_visible']} visible points) | {cell(result['keypoint_pck'])} |",
        f"| keypoint median error, px at height {size} | {cell(result['keypoint_median_error_px'], 2)} |",
        f"| keypoint mean error, px at height {size} | {cell(result['keypoint_mean_error_px'], 2)} |",
        f"| missing-point precision ({result['keypoints_missing_in_dataset']} missing in the dataset) | {cell(result['missing_precision'])} |",
        f"| missing-point recall | {cell(result['missing_recall'])} |",
        f"| cloth mask IoU | {cell(result['cloth_mask_iou'])} |",
    ]  # fmt: skip
    if "cloth_mask_iou_computed" in result:
        lines.append(
            f"| cloth mask IoU, in-graph computation | {cell(result['cloth_mask_iou_computed'])} |"
        )
    lines += ["", "| class | IoU | target pixels |", "|---|---|---|"]
    for name, value in result["parse_iou_per_class"].items():
        lines.append(f"| {name} | {cell(value)} | {result['parse_class_pixels'][name]} |")
    lines += ["", f"| keypoint | PCK@{result['keypoint_pck_pixels']:g}px | visible in the dataset |",
              "|---|---|---|"]  # fmt: skip
    for name, value in result["keypoint_pck_per_point"].items():
        lines.append(f"| {name} | {cell(value)} | {result['keypoint_visible_per_point'][name]} |")
    return "\n".join(lines) + "\n"
