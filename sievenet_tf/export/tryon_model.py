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
[-1, 1]; ``expected_segmentation`` (B, H, W) int32 model class ids (only when the
texture network is segmentation-conditioned; the priors-conditioned ablation
baseline has no segmenter); ``composition_mask`` (B, H, W, 1) in [0, 1].

Inside the graph: parse ids -> model classes (constant lookup table) ->
:class:`~sievenet_tf.layers.priors.PriorsLayer` (the same code the training
pipeline uses) -> the :class:`~sievenet_tf.models.SieveNet` model itself, the same
call that Python inference makes. Nothing of the composition is repeated here.
"""

from __future__ import annotations

import keras

from sievenet_tf import labels
from sievenet_tf.layers.priors import PriorsLayer, priors_options
from sievenet_tf.run import check_model_matches_config

INPUT_NAMES = ("person", "parse", "keypoints", "cloth", "cloth_mask")
# Every output a try-on graph can have, in contract order.
OUTPUT_NAMES = (
    "tryon",
    "warped_cloth_coarse",
    "warped_cloth_fine",
    "expected_segmentation",
    "composition_mask",
)


def output_names(guided: bool) -> tuple[str, ...]:
    """The try-on graph's outputs; ``guided``: the texture network is conditioned on the
    expected segmentation (``SieveNet.guided``, ``texture.conditioning="segmentation"``)."""
    return tuple(n for n in OUTPUT_NAMES if guided or n != "expected_segmentation")


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


def build_priors_layer(config, parse_layout: str | None = None, name: str = "priors") -> PriorsLayer:
    """The in-graph priors of ``config`` for raw parses of ``parse_layout``."""
    layout = resolve_parse_layout(config, parse_layout)
    return PriorsLayer(**priors_options(config.data), parse_layout=layout, name=name)


def build_tryon_model(
    sievenet, config, parse_layout: str | None = None, batch_size: int | None = 1
):
    """Wrap a (trained) :class:`SieveNet` into the end-to-end try-on model.

    Args:
        sievenet: the composed SieveNet (e.g. ``Run(RUN_DIR).load_sievenet()``).
        config: the run's :class:`~sievenet_tf.config.SieveNetConfig`; the priors
            (keypoint style and radius, body-shape downsampling) are built from it
            exactly as in training.
        parse_layout: label set of the ``parse`` input, see :func:`resolve_parse_layout`.
        batch_size: static batch size of the inputs (1 for TFLite), or None.

    Returns:
        A functional ``keras.Model`` with the named inputs and outputs of the
        module docstring.

    Raises:
        sievenet_tf.run.RunError: the model was built for another size or variant
            than ``config`` says.
    """
    check_model_matches_config(sievenet, config, where=f"the model {sievenet.name!r}")
    inputs = {
        name: keras.Input(batch_shape=shape, dtype=dtype, name=name)
        for name, (shape, dtype) in input_specs(config, batch_size).items()
    }
    priors = build_priors_layer(config, parse_layout)(
        inputs["person"], inputs["parse"], inputs["keypoints"]
    )
    outputs = sievenet(
        {
            "cloth": inputs["cloth"],
            "cloth_mask": inputs["cloth_mask"],
            "priors": priors["priors"],
            "texture_priors": priors["texture_priors"],
        }
    )
    # Identity layers give every output its public name in the exported signatures.
    named = {
        name: keras.layers.Identity(name=name, dtype=outputs[name].dtype)(outputs[name])
        for name in output_names(sievenet.guided)
    }
    return keras.Model(inputs=inputs, outputs=named, name="sievenet_tryon")
