"""The person analyzer and the learned cloth-mask head: the shared model contract."""

import numpy as np
import pytest

from sievenet_tf.config import get_preset, override
from sievenet_tf.models import PersonAnalyzer, build_cloth_masker, build_person_analyzer
from tests.helpers import check_model_contract, random_inputs


def test_analyzer_contract(tiny_config, tmp_path):
    model = build_person_analyzer(tiny_config)
    h, w = tiny_config.data.image_size
    s = tiny_config.analyzer.heatmap_stride
    outputs = check_model_contract(
        model, random_inputs(model), tmp_path,
        {"parse_logits": (2, h, w, 20), "keypoint_heatmaps": (2, h // s, w // s, 18)},
    )  # fmt: skip
    assert outputs["parse_logits"].dtype == "float32"
    assert model.heatmap_size == (h // s, w // s)


@pytest.mark.parametrize("overrides", [
    ["analyzer.block=\"separable\"", "analyzer.heatmap_stride=4", "analyzer.parse_stride=1"],
    ["analyzer.heatmap_stride=1", "analyzer.parse_stride=1", "analyzer.blocks_per_level=1"],
    ["analyzer.heatmap_stride=16", "analyzer.parse_stride=8"],
])  # fmt: skip
def test_analyzer_variants_build_with_the_configured_strides(tiny_config, overrides):
    config = override(tiny_config, overrides)
    model = build_person_analyzer(config)
    out = model(random_inputs(model, batch=1))
    h, w = config.data.image_size
    stride = config.analyzer.heatmap_stride
    assert tuple(out["parse_logits"].shape) == (1, h, w, 20)
    assert tuple(out["keypoint_heatmaps"].shape) == (1, h // stride, w // stride, 18)


def test_presets_build_analyzers_and_the_mobile_one_is_small():
    for name in ("mobile_256x192", "small_128x96"):
        config = get_preset(name)
        model = build_person_analyzer(config)
        assert model.image_size == tuple(config.data.image_size)
    assert build_person_analyzer(get_preset("mobile_256x192")).count_params() < 300_000


def test_bad_analyzer_arguments_name_the_problem():
    with pytest.raises(ValueError, match="divisible by 32"):
        PersonAnalyzer(image_size=(48, 40))
    with pytest.raises(ValueError, match="heatmap_stride"):
        PersonAnalyzer(image_size=(64, 48), filters=(8, 8, 8, 8), heatmap_stride=3)
    with pytest.raises(ValueError, match="block"):
        PersonAnalyzer(image_size=(64, 48), filters=(8, 8), block="resnet")
    with pytest.raises(ValueError, match="analyzer.keypoint_threshold"):
        override(get_preset("tiny"), ["analyzer.keypoint_threshold=0"])
    with pytest.raises(ValueError, match="analyzer.parse_stride"):
        override(get_preset("tiny"), ["analyzer.parse_stride=32"])


def test_cloth_masker_contract(tiny_config, tmp_path):
    model = build_cloth_masker(tiny_config)
    h, w = tiny_config.data.image_size
    outputs = check_model_contract(
        model, random_inputs(model), tmp_path, {"cloth_mask_logits": (2, h, w, 1)}
    )
    assert np.all(np.isfinite(np.asarray(outputs["cloth_mask_logits"])))
