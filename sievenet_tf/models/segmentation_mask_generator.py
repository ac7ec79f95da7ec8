"""Stage 2: conditional segmentation mask prediction."""

from __future__ import annotations

import keras

from sievenet_tf.layers.blocks import check_divisible, unet


@keras.saving.register_keras_serializable(package="sievenet_tf")
class SegmentationMaskGenerator(keras.Model):
    """U-Net predicting ``M_exp``, the parse of the person wearing the try-on cloth.

    Paper Sec. 3.2: conditioned on the cloth-agnostic priors and the try-on cloth,
    the network predicts the segmentation the person will have once dressed, so
    the texture network knows where skin, cloth and background go.

    Inputs (dict): ``priors`` (B, H, W, prior_channels), ``cloth`` (B, H, W, 3).
    Outputs (dict): ``segmentation_logits`` (B, H, W, num_classes), float32.

    Args:
        image_size: (height, width), divisible by 2 ** len(filters).
        prior_channels: channels of ``priors``.
        num_classes: classes of the expected segmentation.
        filters: U-Net widths, one stride-2 level per entry.
        normalization: "batch", "instance" or "none".
        dropout: dropout rate in the three deepest decoder levels.
    """

    def __init__(
        self,
        image_size=(256, 192),
        prior_channels: int = 19,
        num_classes: int = 20,
        filters=(64, 128, 256, 512, 512),
        normalization: str = "instance",
        dropout: float = 0.0,
        **kwargs,
    ):
        height, width = check_divisible(image_size, 2 ** len(filters), "the segmentation U-Net")
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        priors = keras.Input((height, width, prior_channels), name="priors")
        cloth = keras.Input((height, width, 3), name="cloth")
        x = keras.layers.Concatenate(name="inputs")([priors, cloth])
        logits = unet(x, filters, num_classes, normalization, "unet", dropout)
        logits = keras.layers.Activation("linear", dtype="float32", name="segmentation_logits")(logits)
        super().__init__(
            inputs={"priors": priors, "cloth": cloth},
            outputs={"segmentation_logits": logits},
            **kwargs,
        )
        self.image_size = (height, width)
        self.prior_channels = prior_channels
        self.num_classes = num_classes
        self.filters = tuple(filters)
        self.normalization = normalization
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_size": list(self.image_size),
            "prior_channels": self.prior_channels,
            "num_classes": self.num_classes,
            "filters": list(self.filters),
            "normalization": self.normalization,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
