"""Stage 3: segmentation-assisted texture translation (SATT)."""

from __future__ import annotations

import keras
from keras import ops

from sievenet_tf.layers.blocks import check_divisible, unet


@keras.saving.register_keras_serializable(package="sievenet_tf")
class Composite(keras.layers.Layer):
    """``tryon = M_cm * warped_cloth + (1 - M_cm) * rendered_person`` (paper Sec. 3.3)."""

    def call(self, composition_mask, warped_cloth, rendered_person):
        return composition_mask * warped_cloth + (1.0 - composition_mask) * rendered_person

    def compute_output_shape(self, composition_mask_shape, warped_cloth_shape, rendered_person_shape):
        return rendered_person_shape


@keras.saving.register_keras_serializable(package="sievenet_tf")
class TextureTranslator(keras.Model):
    """U-Net rendering the person and a composition mask (SATT, paper Sec. 3.3).

    Inputs (dict): ``warped_cloth`` (B, H, W, 3) in [-1, 1] (the fine warp
    ``I_stn^1``), ``expected_segmentation`` (B, H, W, num_classes) one-hot
    ``M_exp``, ``texture_priors`` (B, H, W, 3) in [-1, 1].

    Outputs (dict): ``rendered_person`` (tanh, [-1, 1]), ``composition_mask``
    (sigmoid, (B, H, W, 1)), ``tryon`` = M_cm * warped_cloth + (1 - M_cm) * rendered_person.

    Args:
        image_size: (height, width), divisible by 2 ** len(filters).
        num_classes: channels of ``expected_segmentation``.
        filters: U-Net widths, one stride-2 level per entry (6 in the paper-scale preset).
        normalization: "batch", "instance" or "none".
        dropout: dropout rate in the three deepest decoder levels.
        conditioning: "segmentation" (SATT) or "priors": the CP-VTON TOM-style
            ablation baseline, which reads the ``priors`` (B, H, W, prior_channels)
            input instead of ``expected_segmentation``.
        prior_channels: channels of ``priors`` when ``conditioning="priors"``.
        composite_within_warp: add a ``warped_mask`` (B, H, W, 1) input (the fine
            warp's mask) and multiply the composition mask by it, so only garment
            pixels of the warped cloth are composited; ``composition_mask`` is
            then the product.
    """

    def __init__(
        self,
        image_size=(256, 192),
        num_classes: int = 20,
        filters=(64, 128, 256, 512, 512, 512),
        normalization: str = "instance",
        dropout: float = 0.0,
        conditioning: str = "segmentation",
        prior_channels: int = 19,
        composite_within_warp: bool = False,
        **kwargs,
    ):
        height, width = check_divisible(image_size, 2 ** len(filters), "the texture U-Net")
        if conditioning not in ("segmentation", "priors"):
            raise ValueError(f"conditioning must be 'segmentation' or 'priors', got {conditioning!r}")
        warped_cloth = keras.Input((height, width, 3), name="warped_cloth")
        if conditioning == "segmentation":
            condition_name, condition_channels = "expected_segmentation", num_classes
        else:
            condition_name, condition_channels = "priors", prior_channels
        condition = keras.Input((height, width, condition_channels), name=condition_name)
        texture_priors = keras.Input((height, width, 3), name="texture_priors")
        x = keras.layers.Concatenate(name="inputs")([warped_cloth, condition, texture_priors])
        x = unet(x, filters, 4, normalization, "unet", dropout)
        x = keras.layers.Activation("linear", dtype="float32", name="head")(x)
        rendered_person = keras.layers.Activation("tanh", dtype="float32", name="rendered_person")(
            x[..., :3]
        )
        inputs = {"warped_cloth": warped_cloth, condition_name: condition, "texture_priors": texture_priors}
        composition_mask = keras.layers.Activation(
            "sigmoid", dtype="float32", name="composition_mask"
        )(x[..., 3:])
        if composite_within_warp:
            inputs["warped_mask"] = keras.Input((height, width, 1), name="warped_mask")
            composition_mask = keras.layers.Multiply(dtype="float32", name="composition_within_warp")(
                [composition_mask, ops.cast(inputs["warped_mask"], "float32")]
            )
        tryon = Composite(dtype="float32", name="tryon")(
            composition_mask, ops.cast(warped_cloth, "float32"), rendered_person
        )
        super().__init__(
            inputs=inputs,
            outputs={
                "rendered_person": rendered_person,
                "composition_mask": composition_mask,
                "tryon": tryon,
            },
            **kwargs,
        )
        self.image_size = (height, width)
        self.num_classes = num_classes
        self.filters = tuple(filters)
        self.normalization = normalization
        self.dropout = dropout
        self.conditioning = conditioning
        self.prior_channels = prior_channels
        self.composite_within_warp = bool(composite_within_warp)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_size": list(self.image_size),
            "num_classes": self.num_classes,
            "filters": list(self.filters),
            "normalization": self.normalization,
            "dropout": self.dropout,
            "conditioning": self.conditioning,
            "prior_channels": self.prior_channels,
            "composite_within_warp": self.composite_within_warp,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
