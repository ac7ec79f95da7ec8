"""A tiny learned cloth-mask head: product photo -> garment mask logits.

The threshold + morphology + hole-filling mask
(:mod:`sievenet_tf.layers.cloth_mask`) needs no training but fails on garments
of the background's colour (a white shirt on white: 12 % of VITON's test cloths
score below 0.9 IoU with it). This network learns the mask from the dataset's
``cloth-mask`` files (``training/train.py --stage cloth_mask``); the photo graph
uses it when the run has it and the in-graph computation otherwise.
"""

from __future__ import annotations

import keras

from sievenet_tf.layers.blocks import SyncBatchNormalization, check_divisible
from sievenet_tf.models.person_analyzer import BLOCKS, block_layers


@keras.saving.register_keras_serializable(package="sievenet_tf")
class ClothMasker(keras.Model):
    """U-Net from the cloth photo to its mask's logits.

    Inputs (dict): ``cloth`` (B, H, W, 3) float32 in [-1, 1].
    Outputs (dict): ``cloth_mask_logits`` (B, H, W, 1) float32 (mask = logits > 0).

    Args:
        image_size: (height, width), divisible by 2 ** len(filters).
        filters: widths of the stride-2 levels (the first is the stem's).
        block: "separable" or "conv" (see :func:`block_layers`).
    """

    def __init__(
        self, image_size=(256, 192), filters=(8, 16, 32, 32), block: str = "conv", **kwargs
    ):
        filters = tuple(int(f) for f in filters)
        if not filters or min(filters) < 1:
            raise ValueError(f"filters must be positive widths, got {filters}")
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {block!r}")
        height, width = check_divisible(image_size, 2 ** len(filters), "the cloth masker")
        cloth = keras.Input((height, width, 3), name="cloth")
        x = keras.layers.Conv2D(filters[0], 3, strides=2, padding="same", use_bias=False,
                                name="stem_conv")(cloth)  # fmt: skip
        x = SyncBatchNormalization(name="stem_norm")(x)
        x = keras.layers.ReLU(name="stem_act")(x)
        skips = [x]
        for level, width_l in enumerate(filters[1:], start=1):
            x = block_layers(x, width_l, 2, block, f"down{level}")
            skips.append(x)
        for level in range(len(filters) - 2, -1, -1):
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}_resize")(x)
            x = keras.layers.Concatenate(name=f"up{level}_skip")([x, skips[level]])
            x = block_layers(x, filters[level], 1, block, f"up{level}")
        x = keras.layers.UpSampling2D(2, interpolation="bilinear", name="up_full_resize")(x)
        x = keras.layers.Concatenate(name="up_full_skip")([x, cloth])
        x = keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu", name="head_conv")(
            x
        )
        logits = keras.layers.Conv2D(1, 1, name="head_out")(x)
        logits = keras.layers.Activation("linear", dtype="float32", name="cloth_mask_logits")(
            logits
        )
        super().__init__(inputs={"cloth": cloth}, outputs={"cloth_mask_logits": logits}, **kwargs)
        self.image_size = (height, width)
        self.filters = filters
        self.block = block

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_size": list(self.image_size),
            "filters": list(self.filters),
            "block": self.block,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
