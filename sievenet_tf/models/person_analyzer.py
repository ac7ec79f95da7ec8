"""The person analyzer: a person photo in, its human parse and 18 keypoint heatmaps out.

A try-on needs the person's parse (label map) and OpenPose COCO-18 keypoints;
nobody has those for their own photo, and no pose or parsing model installs
beside TensorFlow 2.21. The analyzer is trained on the labels the dataset
already carries (``training/train.py --stage analyzer``) and runs inside the
exported ``photo`` graph, so an app needs only the two photos.

Architecture: a narrow U-Net for phones. A stride-2 3x3 stem, then one
stride-2 level per entry of ``filters`` (MobileNet-style depthwise-separable
blocks: depthwise 3x3 -> batch norm -> ReLU -> pointwise 1x1 -> batch norm ->
ReLU), a global-context branch at the bottleneck (the mean feature, projected
and added back: whether an arm is the left or the right one depends on the
whole body), and a decoder of bilinear x2 upsampling + skip concatenation +
block up to the heads' stride. Batch norm has no op of its own after export:
its inference affine folds into the preceding convolution.

Heads:

* ``parse_logits`` (B, H, W, num_classes): predicted at ``parse_stride`` and
  upsampled bilinearly to the input resolution (float32).
* ``keypoint_heatmaps`` (B, H / s, W / s, num_keypoints), ``s = heatmap_stride``:
  regression targets are Gaussians of peak 1 (:func:`heatmap_targets`);
  heatmap pixel ``j`` stands for image coordinate ``s * j + (s - 1) / 2`` (the
  centre of the s x s pixels it covers). Decoded by
  :class:`~sievenet_tf.layers.keypoints.KeypointDecoder`.
"""

from __future__ import annotations

import keras

from sievenet_tf.layers.blocks import SyncBatchNormalization, check_divisible

BLOCKS = ("separable", "conv")


@keras.saving.register_keras_serializable(package="sievenet_tf")
class PersonAnalyzer(keras.Model):
    """Person photo -> parse logits + keypoint heatmaps (see the module docstring).

    Inputs (dict): ``person`` (B, H, W, 3) float32 in [-1, 1].

    Outputs (dict): ``parse_logits`` (B, H, W, num_classes) float32;
    ``keypoint_heatmaps`` (B, H / heatmap_stride, W / heatmap_stride, num_keypoints)
    float32 (linear; about 1 at a keypoint, 0 away from it).

    Args:
        image_size: (height, width), divisible by 2 ** len(filters).
        num_classes: parse classes (the model's label set).
        num_keypoints: heatmaps (COCO-18).
        filters: widths of the stride-2 levels (the first is the stem's).
        blocks_per_level: blocks per level (the first of each level has stride 2).
        block: "separable" (depthwise 3x3 + pointwise 1x1) or "conv" (3x3).
        head_filters: width of the decoder level the heads read.
        parse_stride: stride of the parse head (upsampled to H x W), a power of 2.
        heatmap_stride: stride of the heatmaps, a power of 2.
    """

    def __init__(
        self,
        image_size=(256, 192),
        num_classes: int = 20,
        num_keypoints: int = 18,
        filters=(16, 32, 64, 96, 128),
        blocks_per_level: int = 2,
        block: str = "separable",
        head_filters: int = 32,
        parse_stride: int = 2,
        heatmap_stride: int = 2,
        **kwargs,
    ):
        filters = tuple(int(f) for f in filters)
        if not filters:
            raise ValueError("filters needs at least one level")
        height, width = check_divisible(image_size, 2 ** len(filters), "the person analyzer")
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {block!r}")
        if num_classes < 2 or num_keypoints < 1 or blocks_per_level < 1 or head_filters < 1:
            raise ValueError(
                f"need num_classes >= 2, num_keypoints >= 1, blocks_per_level >= 1 and "
                f"head_filters >= 1, got {num_classes}, {num_keypoints}, {blocks_per_level}, "
                f"{head_filters}"
            )
        for name, stride in (("parse_stride", parse_stride), ("heatmap_stride", heatmap_stride)):
            if stride < 1 or stride & (stride - 1) or stride > 2 ** len(filters):
                raise ValueError(
                    f"{name} must be a power of 2 between 1 and 2 ** len(filters) = "
                    f"{2 ** len(filters)}, got {stride}"
                )

        person = keras.Input((height, width, 3), name="person")
        # Encoder: level l has stride 2 ** (l + 1).
        x = keras.layers.Conv2D(
            filters[0], 3, strides=2, padding="same", use_bias=False, name="stem_conv"
        )(person)
        x = SyncBatchNormalization(name="stem_norm")(x)
        x = keras.layers.ReLU(name="stem_act")(x)
        skips = []
        for level, width_l in enumerate(filters):
            for index in range(blocks_per_level):
                if level == 0 and index == 0:
                    continue  # the stem is level 0's stride-2 block
                stride = 2 if index == 0 else 1
                x = block_layers(x, width_l, stride, block, f"down{level}_{index}")
            skips.append(x)
        # Global context: the mean feature, projected, added everywhere.
        context = keras.layers.GlobalAveragePooling2D(keepdims=True, name="context_pool")(x)
        context = keras.layers.Conv2D(filters[-1], 1, name="context_proj")(context)
        context = keras.layers.ReLU(name="context_act")(context)
        x = keras.layers.Add(name="context_add")([x, context])

        # Decoder up to the finer of the two head strides, 2 ** k: bilinear x2,
        # the encoder skip of that stride, a block; level l is at stride 2 ** (l + 1).
        k = min(parse_stride, heatmap_stride).bit_length() - 1
        features = {2 ** len(filters): x}
        for level in range(len(filters) - 2, max(k - 1, 0) - 1, -1):
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}_resize")(x)
            x = keras.layers.Concatenate(name=f"up{level}_skip")([x, skips[level]])
            x = block_layers(
                x, head_filters if level == k - 1 else filters[level], 1, block, f"up{level}"
            )
            features[2 ** (level + 1)] = x
        if k == 0:  # heads at full resolution: one more step, no skip
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", name="up_full_resize")(x)
            x = block_layers(x, head_filters, 1, block, "up_full")
            features[1] = x

        parse = keras.layers.Conv2D(num_classes, 1, name="parse_head")(features[parse_stride])
        if parse_stride > 1:
            parse = keras.layers.UpSampling2D(
                parse_stride, interpolation="bilinear", name="parse_resize"
            )(parse)
        parse = keras.layers.Activation("linear", dtype="float32", name="parse_logits")(parse)
        heat = block_layers(features[heatmap_stride], head_filters, 1, block, "heatmap")
        heat = keras.layers.Conv2D(num_keypoints, 1, name="heatmap_head")(heat)
        heat = keras.layers.Activation("linear", dtype="float32", name="keypoint_heatmaps")(heat)
        super().__init__(
            inputs={"person": person},
            outputs={"parse_logits": parse, "keypoint_heatmaps": heat},
            **kwargs,
        )
        self.image_size = (height, width)
        self.num_classes = int(num_classes)
        self.num_keypoints = int(num_keypoints)
        self.filters = filters
        self.blocks_per_level = int(blocks_per_level)
        self.block = block
        self.head_filters = int(head_filters)
        self.parse_stride = int(parse_stride)
        self.heatmap_stride = int(heatmap_stride)

    @property
    def heatmap_size(self) -> tuple[int, int]:
        """(h, w) of the keypoint heatmaps."""
        return self.image_size[0] // self.heatmap_stride, self.image_size[1] // self.heatmap_stride

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_size": list(self.image_size),
            "num_classes": self.num_classes,
            "num_keypoints": self.num_keypoints,
            "filters": list(self.filters),
            "blocks_per_level": self.blocks_per_level,
            "block": self.block,
            "head_filters": self.head_filters,
            "parse_stride": self.parse_stride,
            "heatmap_stride": self.heatmap_stride,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def block_layers(x, filters: int, stride: int, kind: str, name: str):
    """One encoder/decoder block, functional style: "separable" (depthwise 3x3 -> norm
    -> ReLU -> pointwise 1x1) or "conv" (3x3), then batch norm (folded into the
    convolution at export) and ReLU."""
    if kind == "separable":
        x = keras.layers.DepthwiseConv2D(
            3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw"
        )(x)
        x = SyncBatchNormalization(name=f"{name}_dw_norm")(x)
        x = keras.layers.ReLU(name=f"{name}_dw_act")(x)
        x = keras.layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    else:
        x = keras.layers.Conv2D(
            filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv"
        )(x)
    x = SyncBatchNormalization(name=f"{name}_norm")(x)
    return keras.layers.ReLU(name=f"{name}_act")(x)
