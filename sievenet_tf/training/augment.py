"""Augmentation of person batches for the analyzer stage, in the train step.

What a photo from a phone differs in from a VITON studio photo: framing (scale,
shift), a slight tilt (rotation), colour and exposure, and the person facing
either way (a horizontal flip, which also swaps the left/right parse classes and
keypoints). One random affine map per example moves the photo, its parse and its
keypoints together; the flip is folded into it. Pixels that come from outside
the photo are white (the studio background) and labelled background; keypoints
that leave the image become missing (0, 0, 0).

Randomness comes from a ``tf.random.Generator`` the stage checkpoints, so a
resumed run draws what an uninterrupted one would have.
"""

from __future__ import annotations

import math

import tensorflow as tf

from sievenet_tf.layers.keypoints import FLIP_CLASSES, FLIP_KEYPOINTS

# The studio background, in [-1, 1].
FILL_VALUE = 1.0


def _uniform(generator, batch, amplitude, centre=0.0):
    """(batch,) uniform in [centre - amplitude, centre + amplitude]."""
    return generator.uniform((batch,), centre - amplitude, centre + amplitude)


def jitter_colors(person, generator, brightness, contrast, saturation, gain):
    """Per-example channel gain, brightness, contrast and saturation of [-1, 1] images."""
    batch = tf.shape(person)[0]
    image = (person + 1.0) * 0.5  # (batch, H, W, 3) in [0, 1]
    gains = generator.uniform(tf.stack([batch, 1, 1, 3]), 1.0 - gain, 1.0 + gain)
    image = image * gains
    image = image + _uniform(generator, batch, brightness)[:, None, None, None]
    mean = tf.reduce_mean(image, axis=(1, 2, 3), keepdims=True)
    image = (image - mean) * _uniform(generator, batch, contrast, 1.0)[:, None, None, None] + mean
    gray = tf.reduce_mean(image, axis=-1, keepdims=True)
    image = gray + (image - gray) * _uniform(generator, batch, saturation, 1.0)[:, None, None, None]
    return tf.clip_by_value(image, 0.0, 1.0) * 2.0 - 1.0


def random_affine(generator, batch, image_size, flip, scale, shift, rotation_degrees):
    """Per-example forward maps ``p_out = c + M (p_in - c) + t`` in pixel coordinates.

    Returns:
        ``matrix`` (batch, 2, 2), ``translation`` (batch, 2) and ``flipped`` (batch,)
        bool; ``c`` is the image centre ((W - 1) / 2, (H - 1) / 2).
    """
    height, width = image_size
    flipped = generator.uniform((batch,)) < flip
    zoom = _uniform(generator, batch, scale, 1.0)
    angle = _uniform(generator, batch, rotation_degrees * math.pi / 180.0)
    translation = tf.stack(
        [_uniform(generator, batch, shift * width), _uniform(generator, batch, shift * height)],
        axis=-1,
    )
    cos, sin = tf.cos(angle) * zoom, tf.sin(angle) * zoom
    mirror = tf.where(flipped, -1.0, 1.0)  # x -> -x about the centre
    matrix = tf.stack(
        [tf.stack([cos * mirror, -sin], -1), tf.stack([sin * mirror, cos], -1)], axis=1
    )  # (batch, 2, 2)
    return matrix, translation, flipped


def _inverse_transforms(matrix, translation, image_size):
    """The (batch, 8) output -> input maps of ``ImageProjectiveTransformV3``."""
    height, width = image_size
    centre = tf.constant([(width - 1) / 2.0, (height - 1) / 2.0])
    inverse = tf.linalg.inv(matrix)  # (batch, 2, 2)
    # p_in = c + M^-1 (p_out - c - t) = M^-1 p_out + (c - M^-1 (c + t))
    offset = centre - tf.linalg.matvec(inverse, centre + translation)
    zeros = tf.zeros_like(offset[:, :1])
    return tf.concat(
        [inverse[:, 0, :], offset[:, 0:1], inverse[:, 1, :], offset[:, 1:2], zeros, zeros], axis=-1
    )


def _transform(images, transforms, interpolation, fill_value):
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=fill_value,
        interpolation=interpolation,
        fill_mode="CONSTANT",
    )


def transform_keypoints(keypoints, matrix, translation, flipped, image_size):
    """Apply the forward maps to (B, K, 3) keypoints; points outside become missing."""
    height, width = image_size
    centre = tf.constant([(width - 1) / 2.0, (height - 1) / 2.0])
    xy = (
        tf.linalg.matvec(matrix[:, None], keypoints[..., :2] - centre)
        + centre
        + translation[:, None]
    )
    inside = (
        (xy[..., 0] >= 0.0)
        & (xy[..., 0] <= width - 1)
        & (xy[..., 1] >= 0.0)
        & (xy[..., 1] <= height - 1)
    )
    present = tf.cast(tf.logical_and(keypoints[..., 2] > 0.0, inside), tf.float32)[..., None]
    moved = tf.concat([xy, keypoints[..., 2:3]], axis=-1) * present
    # A mirrored person's right shoulder is the left one of the new image.
    return tf.where(flipped[:, None, None], tf.gather(moved, FLIP_KEYPOINTS, axis=1), moved)


def augment_person_batch(person, segmentation, keypoints, generator, options):
    """Augment a batch (see the module docstring).

    Args:
        person: (B, H, W, 3) float32 in [-1, 1].
        segmentation: (B, H, W) int32 model class ids.
        keypoints: (B, K, 3) float32, image pixels, confidence 0 = missing.
        generator: a ``tf.random.Generator``.
        options: an :class:`~sievenet_tf.config.AnalyzerTrainingConfig`.

    Returns:
        (person, segmentation, keypoints) of the same shapes and dtypes.
    """
    image_size = tuple(int(v) for v in person.shape[1:3])
    batch = tf.shape(person)[0]
    matrix, translation, flipped = random_affine(
        generator, batch, image_size, options.flip, options.scale, options.shift, options.rotation
    )
    transforms = _inverse_transforms(matrix, translation, image_size)
    person = _transform(person, transforms, "BILINEAR", FILL_VALUE)
    # Colours after the move: the white fill gets the same cast as the photo's background.
    person = jitter_colors(
        person, generator, options.brightness, options.contrast, options.saturation,
        options.color_gain,
    )  # fmt: skip
    labels = _transform(tf.cast(segmentation, tf.float32)[..., None], transforms, "NEAREST", 0.0)
    labels = tf.cast(tf.round(labels[..., 0]), tf.int32)
    labels = tf.where(flipped[:, None, None], tf.gather(tf.constant(FLIP_CLASSES), labels), labels)
    keypoints = transform_keypoints(
        tf.cast(keypoints, tf.float32), matrix, translation, flipped, image_size
    )
    return person, labels, keypoints


def augment_cloth_batch(cloth, cloth_mask, generator, options):
    """Augment product photos and their masks: the same moves and colours as
    :func:`augment_person_batch` (a mirrored garment needs no label swap).

    Args:
        cloth: (B, H, W, 3) float32 in [-1, 1].
        cloth_mask: (B, H, W, 1) float32 in {0, 1}.
        generator: a ``tf.random.Generator``.
        options: an :class:`~sievenet_tf.config.AnalyzerTrainingConfig`.

    Returns:
        (cloth, cloth_mask) of the same shapes.
    """
    image_size = tuple(int(v) for v in cloth.shape[1:3])
    batch = tf.shape(cloth)[0]
    matrix, translation, _ = random_affine(
        generator, batch, image_size, options.flip, options.scale, options.shift, options.rotation
    )
    transforms = _inverse_transforms(matrix, translation, image_size)
    cloth = _transform(cloth, transforms, "BILINEAR", FILL_VALUE)
    mask = _transform(tf.cast(cloth_mask, tf.float32), transforms, "BILINEAR", 0.0)
    cloth = jitter_colors(
        cloth, generator, options.brightness, options.contrast, options.saturation,
        options.color_gain,
    )  # fmt: skip
    return cloth, tf.cast(mask > 0.5, tf.float32)
