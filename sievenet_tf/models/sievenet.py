"""The inference composition of the three SieveNet stages."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="sievenet_tf")
class SegmentationToOneHot(keras.layers.Layer):
    """Logits (B, H, W, C) -> (class ids (B, H, W) int32, one-hot (B, H, W, C) float32).

    Written with TensorFlow's ``argmax`` (int32 output) so that it lowers to the
    TFLite builtin ``ARG_MAX``: ``keras.ops.argmax`` on the TensorFlow backend adds a
    float bitcast and a ``BitwiseAnd`` (to order -0.0 before 0.0 like NumPy) that
    TFLite has only as a Flex op. The one-hot is a row lookup in the identity
    matrix (``GATHER``, a copy of 20 floats per pixel): ``equal`` + ``cast`` lowers
    to ``ONE_HOT``, whose kernel took 29 ms at 256 x 192 x 20 against 0.4 ms for
    the lookup.
    """

    def call(self, logits):
        labels = tf.argmax(logits, axis=-1, output_type=tf.int32)
        identity = tf.eye(logits.shape[-1], dtype=tf.float32)  # (classes, classes)
        return labels, tf.gather(identity, labels)

    def compute_output_shape(self, shape):
        return shape[:-1], shape

    def compute_output_spec(self, logits):
        return (
            keras.KerasTensor(logits.shape[:-1], dtype="int32"),
            keras.KerasTensor(logits.shape, dtype="float32"),
        )


@keras.saving.register_keras_serializable(package="sievenet_tf")
class SieveNet(keras.Model):
    """SieveNet try-on: coarse-to-fine warp -> expected segmentation -> SATT.

    Composes already-built (usually trained) stage networks into one model,
    the object that is saved as ``.keras`` and exported.

    Inputs (dict): ``cloth`` (B, H, W, 3) in [-1, 1], ``cloth_mask`` (B, H, W, 1),
    ``priors`` (B, H, W, P), ``texture_priors`` (B, H, W, 3).

    Outputs (dict): everything of the warper (``theta``, ``delta_theta``,
    ``warped_cloth_coarse``, ``warped_cloth_fine``, ``warped_mask_coarse``,
    ``warped_mask_fine``), ``segmentation_logits``, ``expected_segmentation``
    (B, H, W) int32 class ids, ``rendered_person``, ``composition_mask`` and ``tryon``.

    Args:
        warper: a :class:`CoarseToFineWarper`.
        segmenter: a :class:`SegmentationMaskGenerator`.
        texture_translator: a :class:`TextureTranslator`.

    Attributes:
        guided: True when the texture network reads the expected segmentation
            (SATT); False for the priors-conditioned ablation baseline, which has
            no segmenter and no ``expected_segmentation`` output.
    """

    def __init__(self, warper, segmenter, texture_translator, **kwargs):
        if isinstance(warper, dict):
            warper = keras.saving.deserialize_keras_object(warper)
        if isinstance(segmenter, dict):  # None for the priors-conditioned baseline
            segmenter = keras.saving.deserialize_keras_object(segmenter)
        if isinstance(texture_translator, dict):
            texture_translator = keras.saving.deserialize_keras_object(texture_translator)
        height, width = warper.image_size
        prior_channels = warper.prior_channels
        guided = texture_translator.conditioning == "segmentation"
        if guided and segmenter is None:
            raise ValueError("a segmentation-conditioned texture translator needs a segmenter")
        sizes = [tuple(net.image_size) for net in (warper, segmenter, texture_translator) if net is not None]
        if len(set(sizes)) != 1:
            raise ValueError(f"stage networks disagree on image_size: {sizes}")
        if guided and segmenter.num_classes != texture_translator.num_classes:
            raise ValueError(
                f"segmenter has {segmenter.num_classes} classes but the texture "
                f"translator expects {texture_translator.num_classes}"
            )
        cloth = keras.Input((height, width, 3), name="cloth")
        cloth_mask = keras.Input((height, width, 1), name="cloth_mask")
        priors = keras.Input((height, width, prior_channels), name="priors")
        texture_priors = keras.Input((height, width, 3), name="texture_priors")

        warp = warper({"cloth": cloth, "cloth_mask": cloth_mask, "priors": priors})
        outputs = dict(warp)
        texture_inputs = {"warped_cloth": warp["warped_cloth_fine"], "texture_priors": texture_priors}
        if texture_translator.composite_within_warp:
            texture_inputs["warped_mask"] = warp["warped_mask_fine"]
        if guided:
            logits = segmenter({"priors": priors, "cloth": cloth})["segmentation_logits"]
            labels, one_hot = SegmentationToOneHot(name="segmentation_one_hot")(logits)
            texture_inputs["expected_segmentation"] = one_hot
            outputs["segmentation_logits"] = logits
            outputs["expected_segmentation"] = labels
        else:
            texture_inputs["priors"] = priors
        outputs.update(texture_translator(texture_inputs))
        super().__init__(
            inputs={
                "cloth": cloth,
                "cloth_mask": cloth_mask,
                "priors": priors,
                "texture_priors": texture_priors,
            },
            outputs=outputs,
            **kwargs,
        )
        self.warper = warper
        self.segmenter = segmenter
        self.texture_translator = texture_translator
        self.guided = guided

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "warper": keras.saving.serialize_keras_object(self.warper),
            "segmenter": (
                keras.saving.serialize_keras_object(self.segmenter) if self.segmenter is not None else None
            ),
            "texture_translator": keras.saving.serialize_keras_object(self.texture_translator),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
