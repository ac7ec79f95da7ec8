"""Cloth-agnostic priors, texture priors and the worn garment, from a person photo,
its parse and its pose keypoints — the one implementation used by the tf.data
pipeline, by Python inference and inside the exported model.

Everything is float math on broadcast coordinate grids, so it runs batched in
graph mode and under XLA, and converts to TFLite with builtin ops only
(comparisons, ``exp``, ``AVERAGE_POOL_2D``, ``RESIZE_BILINEAR``, ``GATHER``):
no scatter, no ``py_function``, no antialiased resize (that one becomes a Flex op).

Conventions:

* Pixel ``(row i, column j)`` has centre ``(x, y) = (j, i)``: keypoints are in
  pixel-index units at ``image_size``, as OpenPose writes them.
* A keypoint with confidence 0 is missing and gives an empty map.
* ``"square"`` maps (CP-VTON) are 1 where ``|x - kx| <= r`` and ``|y - ky| <= r``;
  ``"gaussian"`` maps are ``exp(-d² / (2 r²))``.
* Body shape (CP-VTON): the person mask (model class not in
  ``BACKGROUND_CLASSES``) downsampled by ``shape_downsample`` and upsampled back
  bilinearly. The downsampling is an area average (CP-VTON uses PIL's
  antialiased bilinear; the area average is the closest builtin op); the
  upsampling is bilinear with half-pixel centres, like PIL.
* Values are in [0, 1] (CP-VTON rescales its priors to [-1, 1]; here they stay
  in [0, 1], see ``sievenet_tf.keys``).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from sievenet_tf import labels

KEYPOINT_STYLES = ("square", "gaussian")
# Body shape = person mask = every model class that is not background.
_PERSON_CLASSES = tuple(
    c for c in range(labels.NUM_MODEL_CLASSES) if c not in labels.BACKGROUND_CLASSES
)


def _check_size(image_size):
    if len(image_size) != 2 or int(image_size[0]) <= 0 or int(image_size[1]) <= 0:
        raise ValueError(f"image_size must be (height, width) > 0, got {image_size!r}")
    return int(image_size[0]), int(image_size[1])


def parse_to_model_classes(parse, table):
    """Map dataset parse ids to model class ids with a constant lookup table.

    Ids outside the table become background (0); the validator reports them.

    Args:
        parse: (..., H, W) integer (or integer-valued float) dataset ids.
        table: 1-D int table, e.g. ``labels.dataset_to_model_table("viton")``.

    Returns:
        int32 (..., H, W) model class ids.
    """
    table = tf.constant(np.asarray(table, np.int32))
    num_ids = int(table.shape[0])
    ids = tf.cast(parse, tf.int32)
    valid = tf.logical_and(ids >= 0, ids < num_ids)
    mapped = tf.gather(table, tf.clip_by_value(ids, 0, num_ids - 1))
    return tf.where(valid, mapped, tf.zeros_like(mapped))


def class_masks(segmentation, groups):
    """One mask per group of classes, by a single lookup (``GATHER``) per pixel.

    Args:
        segmentation: (B, H, W) int model class ids; ids outside
            ``[0, NUM_MODEL_CLASSES)`` belong to no group.
        groups: sequence of class-id sequences.

    Returns:
        float32 (B, H, W, len(groups)) in {0, 1}.
    """
    num_classes = labels.NUM_MODEL_CLASSES
    table = np.zeros((num_classes + 1, len(groups)), np.float32)  # last row: unknown ids
    for column, classes in enumerate(groups):
        table[list(classes), column] = 1.0
    ids = tf.cast(segmentation, tf.int32)
    ids = tf.where(tf.logical_and(ids >= 0, ids < num_classes), ids, num_classes)
    return tf.gather(tf.constant(table), ids)  # (batch, H, W, groups)


def keypoint_maps(keypoints, image_size, style: str = "square", radius: float = 5.0):
    """One map per keypoint, drawn by comparing coordinate grids.

    Args:
        keypoints: (B, K, 3) float, (x, y, confidence) in pixels at ``image_size``.
        image_size: (H, W).
        style: "square" (filled square of half-side ``radius``, CP-VTON) or
            "gaussian" (standard deviation ``radius``).
        radius: in pixels.

    Returns:
        float32 (B, H, W, K) in [0, 1]; all zero for missing keypoints.
    """
    if style not in KEYPOINT_STYLES:
        raise ValueError(f"keypoint style must be one of {KEYPOINT_STYLES}, got {style!r}")
    height, width = _check_size(image_size)
    keypoints = tf.cast(keypoints, tf.float32)
    kx = keypoints[:, None, None, :, 0]  # (batch, 1, 1, keypoints)
    ky = keypoints[:, None, None, :, 1]
    present = tf.cast(keypoints[:, None, None, :, 2] > 0.0, tf.float32)
    xs = tf.reshape(tf.range(width, dtype=tf.float32), (1, 1, width, 1))
    ys = tf.reshape(tf.range(height, dtype=tf.float32), (1, height, 1, 1))
    dx = xs - kx  # (batch, 1, width, keypoints)
    dy = ys - ky  # (batch, height, 1, keypoints)
    if style == "square":
        inside_x = tf.cast(tf.abs(dx) <= radius, tf.float32)
        inside_y = tf.cast(tf.abs(dy) <= radius, tf.float32)
        maps = inside_y * inside_x  # (batch, height, width, keypoints)
    else:
        inv = 1.0 / (2.0 * float(radius) ** 2)
        maps = tf.exp(-(dy * dy) * inv) * tf.exp(-(dx * dx) * inv)
    return maps * present


def _body_shape_from_mask(mask, image_size, downsample):
    """CP-VTON body shape of a (B, H, W, 1) person mask: area-downsampled by
    ``downsample`` (to ``max(1, H // downsample) x max(1, W // downsample)``),
    then upsampled back bilinearly."""
    height, width = image_size
    factor = int(downsample)
    if factor == 1:
        return mask
    low = (max(1, height // factor), max(1, width // factor))
    if (low[0] * factor, low[1] * factor) != (height, width):
        # Sizes that do not divide: resample to a multiple first (bilinear, builtin).
        mask = tf.image.resize(mask, (low[0] * factor, low[1] * factor), method="bilinear")
    small = tf.nn.avg_pool2d(mask, factor, factor, "VALID")  # (batch, H / f, W / f, 1)
    return tf.image.resize(small, (height, width), method="bilinear")


def build_priors(
    person,
    segmentation,
    keypoints,
    *,
    image_size,
    num_keypoints: int = 18,
    keypoint_style: str = "square",
    keypoint_radius: float = 5.0,
    shape_downsample: int = 16,
) -> dict:
    """Priors of SieveNet's three stages for a batch.

    ``I_priors`` = 18 keypoint maps + body shape (cloth-agnostic). The texture
    priors are the person's pixels in :data:`labels.TEXTURE_PRIOR_CLASSES` (0
    elsewhere). ``I_gt`` (``cloth_worn``) is the person's pixels in
    :data:`labels.GARMENT_CLASSES` and white (1.0) elsewhere; its mask is
    ``M_gt^cloth`` (``cloth_worn_mask``).

    Args:
        person: (B, H, W, 3) float in [-1, 1].
        segmentation: (B, H, W) int model class ids.
        keypoints: (B, num_keypoints, 3) float (x, y, confidence) in pixels at H x W.
        image_size: (H, W); must equal the inputs' spatial size.
        num_keypoints: K.
        keypoint_style: "square" or "gaussian".
        keypoint_radius: pixels.
        shape_downsample: body-shape downsampling factor.

    Returns:
        dict of float32 tensors: ``priors`` (B, H, W, K + 1), ``texture_priors``
        (B, H, W, 3), ``cloth_worn`` (B, H, W, 3), ``cloth_worn_mask`` (B, H, W, 1).
    """
    height, width = _check_size(image_size)
    person = tf.cast(person, tf.float32)
    if tuple(person.shape[1:3]) not in ((height, width), (None, None)):
        raise ValueError(f"person is {tuple(person.shape)}, expected (B, {height}, {width}, 3)")
    if keypoints.shape[1] is not None and keypoints.shape[1] != num_keypoints:
        raise ValueError(
            f"keypoints are {tuple(keypoints.shape)}, expected (B, {num_keypoints}, 3)"
        )
    if int(shape_downsample) < 1:
        raise ValueError(f"shape_downsample must be >= 1, got {shape_downsample}")
    pose = keypoint_maps(keypoints, (height, width), keypoint_style, keypoint_radius)
    regions = class_masks(
        segmentation, [_PERSON_CLASSES, labels.TEXTURE_PRIOR_CLASSES, labels.GARMENT_CLASSES]
    )  # (batch, H, W, 3): person, texture-prior region, garment
    shape = _body_shape_from_mask(regions[..., 0:1], (height, width), shape_downsample)
    texture_mask, garment_mask = regions[..., 1:2], regions[..., 2:3]
    return {
        "priors": tf.concat([pose, shape], axis=-1),  # (batch, H, W, K + 1)
        "texture_priors": person * texture_mask,
        "cloth_worn": person * garment_mask + (1.0 - garment_mask),
        "cloth_worn_mask": garment_mask,
    }


@keras.saving.register_keras_serializable(package="sievenet_tf")
class PriorsLayer(keras.layers.Layer):
    """:func:`build_priors` as a layer, so an exported model needs only the
    person photo, its parse and its keypoints.

    ``call(person, segmentation, keypoints)`` returns the dict of
    :func:`build_priors`. With ``parse_layout`` set, the second input is the raw
    parse of that dataset layout (e.g. LIP ids for "viton"); it is mapped to model
    classes in-graph and the output also holds ``segmentation`` (B, H, W) int32.
    Computation is float32 whatever the dtype policy.

    Args:
        image_size: (height, width).
        num_keypoints: keypoints per person (COCO-18).
        keypoint_style: "square" (CP-VTON) or "gaussian".
        keypoint_radius: square half-side / Gaussian sigma in pixels.
        shape_downsample: body-shape downsampling factor.
        parse_layout: None (input is model class ids), "viton" or "viton_hd".
    """

    def __init__(
        self,
        image_size,
        num_keypoints: int = 18,
        keypoint_style: str = "square",
        keypoint_radius: float = 5.0,
        shape_downsample: int = 16,
        parse_layout: str | None = None,
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if keypoint_style not in KEYPOINT_STYLES:
            raise ValueError(
                f"keypoint_style must be one of {KEYPOINT_STYLES}, got {keypoint_style!r}"
            )
        if parse_layout is not None:
            labels.check_layout(parse_layout)
        self.image_size = _check_size(image_size)
        self.num_keypoints = int(num_keypoints)
        self.keypoint_style = keypoint_style
        self.keypoint_radius = float(keypoint_radius)
        self.shape_downsample = int(shape_downsample)
        self.parse_layout = parse_layout

    def call(self, person, segmentation, keypoints):
        outputs = {}
        if self.parse_layout is not None:
            table = labels.dataset_to_model_table(self.parse_layout)
            segmentation = parse_to_model_classes(segmentation, table)
            outputs["segmentation"] = segmentation
        outputs.update(
            build_priors(
                person,
                segmentation,
                keypoints,
                image_size=self.image_size,
                num_keypoints=self.num_keypoints,
                keypoint_style=self.keypoint_style,
                keypoint_radius=self.keypoint_radius,
                shape_downsample=self.shape_downsample,
            )
        )
        return outputs

    def compute_output_shape(self, person_shape, segmentation_shape, keypoints_shape):
        batch = person_shape[0]
        height, width = self.image_size
        shapes = {
            "priors": (batch, height, width, self.num_keypoints + 1),
            "texture_priors": (batch, height, width, 3),
            "cloth_worn": (batch, height, width, 3),
            "cloth_worn_mask": (batch, height, width, 1),
        }
        if self.parse_layout is not None:
            shapes["segmentation"] = (batch, height, width)
        return shapes

    def compute_output_spec(self, person, segmentation, keypoints):
        shapes = self.compute_output_shape(person.shape, segmentation.shape, keypoints.shape)
        return {
            name: keras.KerasTensor(shape, dtype="int32" if name == "segmentation" else "float32")
            for name, shape in shapes.items()
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_size": list(self.image_size),
                "num_keypoints": self.num_keypoints,
                "keypoint_style": self.keypoint_style,
                "keypoint_radius": self.keypoint_radius,
                "shape_downsample": self.shape_downsample,
                "parse_layout": self.parse_layout,
            }
        )
        return config


def priors_options(data_config) -> dict:
    """The keyword arguments of :func:`build_priors` / :class:`PriorsLayer` that a
    :class:`~sievenet_tf.config.DataConfig` sets: the one place that unpacks it."""
    return {
        "image_size": tuple(data_config.image_size),
        "num_keypoints": data_config.num_keypoints,
        "keypoint_style": data_config.keypoint_style,
        "keypoint_radius": data_config.keypoint_radius,
        "shape_downsample": data_config.shape_downsample,
    }
