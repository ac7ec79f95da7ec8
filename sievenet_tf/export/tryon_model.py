"""The exported try-on graph: what an app has in, the try-on and its intermediates out.

Inputs (NHWC, batch ``B``; the TFLite export fixes ``B = 1``):

| name       | shape        | dtype   | range / meaning |
|------------|--------------|---------|-----------------|
| person     | (B, H, W, 3) | float32 | [-1, 1] RGB photo of the person (``I_m``) |
| parse      | (B, H, W)    | int32   | raw dataset parse ids (LIP for "viton", CIHP-like for "viton_hd") |
| keypoints  | (B, 18, 3)   | float32 | COCO-18 (x, y, confidence), pixels at H x W; missing = 0 |
| cloth      | (B, H, W, 3) | float32 | [-1, 1] flat garment photo (``I_p``) |
| cloth_mask | (B, H, W, 1) | float32 | [0, 1] garment mask |

Outputs: ``tryon``, ``warped_cloth_coarse``, ``warped_cloth_fine`` (B, H, W, 3) in
[-1, 1]; ``expected_segmentation`` (B, H, W) int32 model class ids;
``composition_mask`` (B, H, W, 1) in [0, 1].

Inside the graph: parse ids -> model classes (constant lookup table) ->
:class:`~sievenet_tf.layers.priors.PriorsLayer` (the same code the training
pipeline uses) -> the three stage networks of a :class:`~sievenet_tf.models.SieveNet`,
composed as ``SieveNet`` composes them.

The composition is repeated here rather than calling the ``SieveNet`` model
because its ``SegmentationToOneHot`` uses ``keras.ops.argmax``, which the
TensorFlow backend writes with a float bitcast and a ``BitwiseAnd`` (to order
-0.0 before 0.0 like NumPy) that TFLite only has as a Flex op;
:class:`LabelsToOneHot` uses ``tf.argmax`` (``ARG_MAX``) and an ``EQUAL``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from sievenet_tf import labels
from sievenet_tf.layers.priors import PriorsLayer

INPUT_NAMES = ("person", "parse", "keypoints", "cloth", "cloth_mask")
OUTPUT_NAMES = (
    "tryon",
    "warped_cloth_coarse",
    "warped_cloth_fine",
    "expected_segmentation",
    "composition_mask",
)


@keras.saving.register_keras_serializable(package="sievenet_tf")
class LabelsToOneHot(keras.layers.Layer):
    """Logits (B, H, W, C) -> (class ids (B, H, W) int32, one-hot (B, H, W, C) float32).

    Equal to ``SegmentationToOneHot`` of :mod:`sievenet_tf.models.sievenet`, written with
    TensorFlow's ``argmax`` and an equality so that it converts to TFLite builtins
    (``ARG_MAX``, ``EQUAL``, ``CAST``).
    """

    def call(self, logits):
        num_classes = logits.shape[-1]
        class_ids = tf.argmax(logits, axis=-1, output_type=tf.int32)  # (batch, H, W)
        classes = tf.range(num_classes, dtype=tf.int32)
        one_hot = tf.cast(tf.equal(class_ids[..., None], classes), tf.float32)
        return class_ids, one_hot

    def compute_output_shape(self, shape):
        return shape[:-1], shape

    def compute_output_spec(self, logits):
        return (
            keras.KerasTensor(logits.shape[:-1], dtype="int32"),
            keras.KerasTensor(logits.shape, dtype="float32"),
        )


def resolve_parse_layout(config, parse_layout: str | None = None) -> str:
    """The dataset label set the exported ``parse`` input uses.

    An explicit ``parse_layout`` wins; otherwise the run's ``data.layout`` when it
    names one, else "viton" (LIP ids, CP-VTON's data).
    """
    if parse_layout is not None:
        return labels.check_layout(parse_layout)
    layout = getattr(config.data, "layout", "auto")
    return layout if layout in labels.LAYOUTS else "viton"


def input_specs(config, batch_size: int | None = 1) -> dict:
    """``name -> (shape, dtype)`` of the try-on inputs, batch axis included."""
    height, width = config.data.image_size
    return {
        "person": ((batch_size, height, width, 3), "float32"),
        "parse": ((batch_size, height, width), "int32"),
        "keypoints": ((batch_size, config.data.num_keypoints, 3), "float32"),
        "cloth": ((batch_size, height, width, 3), "float32"),
        "cloth_mask": ((batch_size, height, width, 1), "float32"),
    }


def build_tryon_model(
    sievenet, config, parse_layout: str | None = None, batch_size: int | None = 1
):
    """Wrap a (trained) :class:`SieveNet` into the end-to-end try-on model.

    Args:
        sievenet: the composed SieveNet (e.g. ``RUN_DIR/sievenet.keras``).
        config: the run's :class:`~sievenet_tf.config.SieveNetConfig`; the priors
            (keypoint style and radius, body-shape downsampling) are built from it
            exactly as in training.
        parse_layout: label set of the ``parse`` input, see :func:`resolve_parse_layout`.
        batch_size: static batch size of the inputs (1 for TFLite), or None.

    Returns:
        A functional ``keras.Model`` with the named inputs and outputs of the
        module docstring.
    """
    height, width = config.data.image_size
    if tuple(sievenet.warper.image_size) != (height, width):
        raise ValueError(
            f"the model was built for {tuple(sievenet.warper.image_size)} but the config "
            f"says data.image_size={tuple(config.data.image_size)}"
        )
    if sievenet.warper.prior_channels != config.data.prior_channels:
        raise ValueError(
            f"the model expects {sievenet.warper.prior_channels} prior channels but the "
            f"config builds {config.data.prior_channels}"
        )
    layout = resolve_parse_layout(config, parse_layout)
    inputs = {
        name: keras.Input(batch_shape=shape, dtype=dtype, name=name)
        for name, (shape, dtype) in input_specs(config, batch_size).items()
    }
    priors = PriorsLayer(
        image_size=(height, width),
        num_keypoints=config.data.num_keypoints,
        keypoint_style=config.data.keypoint_style,
        keypoint_radius=config.data.keypoint_radius,
        shape_downsample=config.data.shape_downsample,
        parse_layout=layout,
        name="priors",
    )(inputs["person"], inputs["parse"], inputs["keypoints"])
    warp = sievenet.warper(
        {"cloth": inputs["cloth"], "cloth_mask": inputs["cloth_mask"], "priors": priors["priors"]}
    )
    logits = sievenet.segmenter({"priors": priors["priors"], "cloth": inputs["cloth"]})[
        "segmentation_logits"
    ]
    class_ids, one_hot = LabelsToOneHot(name="labels_to_one_hot")(logits)
    texture = sievenet.texture_translator(
        {
            "warped_cloth": warp["warped_cloth_fine"],
            "expected_segmentation": one_hot,
            "texture_priors": priors["texture_priors"],
        }
    )
    outputs = {**warp, **texture, "expected_segmentation": class_ids}
    # Identity layers give every output its public name in the exported signatures.
    named = {
        name: keras.layers.Identity(name=name, dtype=outputs[name].dtype)(outputs[name])
        for name in OUTPUT_NAMES
    }
    return keras.Model(inputs=inputs, outputs=named, name="sievenet_tryon")
