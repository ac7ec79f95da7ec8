"""The exported graph: named inputs/outputs, priors from the training code, the
same composition as SieveNet."""

import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf import labels
from sievenet_tf.export.tryon_model import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    build_tryon_model,
    resolve_parse_layout,
)
from sievenet_tf.layers.priors import build_priors, parse_to_model_classes
from sievenet_tf.models import build_sievenet
from sievenet_tf.models.sievenet import SegmentationToOneHot


def _inputs(config, rng, batch=1):
    height, width = config.data.image_size
    xy = rng.uniform(0, min(height, width), size=(batch, 18, 2))
    return {
        "person": rng.uniform(-1, 1, (batch, height, width, 3)).astype("float32"),
        "parse": rng.integers(0, 20, (batch, height, width)).astype("int32"),
        "keypoints": np.concatenate([xy, np.ones((batch, 18, 1))], -1).astype("float32"),
        "cloth": rng.uniform(-1, 1, (batch, height, width, 3)).astype("float32"),
        "cloth_mask": (rng.uniform(size=(batch, height, width, 1)) > 0.5).astype("float32"),
    }


def test_names_shapes_and_dtypes(tiny_config, rng):
    model = build_tryon_model(build_sievenet(tiny_config), tiny_config, batch_size=1)
    assert sorted(t.name.split(":")[0] for t in model.inputs) == sorted(INPUT_NAMES)
    outputs = model(_inputs(tiny_config, rng))
    assert sorted(outputs) == sorted(OUTPUT_NAMES)
    assert outputs["tryon"].shape == (1, 64, 48, 3)
    assert outputs["expected_segmentation"].dtype == tf.int32
    assert outputs["expected_segmentation"].shape == (1, 64, 48)
    assert outputs["composition_mask"].shape == (1, 64, 48, 1)


def test_matches_sievenet_on_pipeline_priors(tiny_config, rng):
    """Same numbers as SieveNet fed with the training pipeline's priors."""
    sievenet = build_sievenet(tiny_config)
    model = build_tryon_model(sievenet, tiny_config, batch_size=None)
    inputs = _inputs(tiny_config, rng, batch=2)
    segmentation = parse_to_model_classes(inputs["parse"], labels.dataset_to_model_table("viton"))
    data = tiny_config.data
    priors = build_priors(
        inputs["person"], segmentation, inputs["keypoints"], image_size=data.image_size,
        keypoint_style=data.keypoint_style, keypoint_radius=data.keypoint_radius,
        shape_downsample=data.shape_downsample,
    )
    inputs = {name: tf.constant(value) for name, value in inputs.items()}
    expected = sievenet({"cloth": inputs["cloth"], "cloth_mask": inputs["cloth_mask"],
                         "priors": priors["priors"], "texture_priors": priors["texture_priors"]})
    got = model(inputs)
    assert sorted(got) == sorted(OUTPUT_NAMES)
    for name in OUTPUT_NAMES:
        np.testing.assert_allclose(
            np.asarray(got[name]), np.asarray(expected[name]), atol=1e-5, err_msg=name
        )


def test_one_hot_layer_matches_numpy(rng):
    logits = rng.normal(size=(2, 8, 6, 5)).astype("float32")
    ids, one_hot = SegmentationToOneHot()(logits)
    expected_ids = np.argmax(logits, axis=-1)
    np.testing.assert_array_equal(np.asarray(ids), expected_ids)
    np.testing.assert_array_equal(np.asarray(one_hot), np.eye(5, dtype="float32")[expected_ids])


def test_priors_conditioned_model_has_no_segmentation_output(tiny_config, rng):
    from sievenet_tf.config import override

    config = override(tiny_config, ['texture.conditioning="priors"', "warp.fine_stage=false"])
    sievenet = build_sievenet(config)
    assert sievenet.segmenter is None and not sievenet.guided
    outputs = build_tryon_model(sievenet, config, batch_size=1)(_inputs(config, rng))
    assert sorted(outputs) == sorted(n for n in OUTPUT_NAMES if n != "expected_segmentation")


def test_parse_layout_and_size_checks(tiny_config):
    assert resolve_parse_layout(tiny_config) == "viton"
    assert resolve_parse_layout(tiny_config, "viton_hd") == "viton_hd"
    with pytest.raises(ValueError, match="unknown layout"):
        resolve_parse_layout(tiny_config, "coco")
    from sievenet_tf.config import override

    other = override(tiny_config, ["data.image_size=[128, 96]"])
    with pytest.raises(ValueError, match="image_size"):
        build_tryon_model(build_sievenet(tiny_config), other)
