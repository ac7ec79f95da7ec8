import keras
import numpy as np
import pytest

from sievenet_tf.config import get_preset, override
from sievenet_tf.models import (
    CoarseToFineWarper,
    SegmentationMaskGenerator,
    TextureTranslator,
    build_segmenter,
    build_sievenet,
    build_texture_translator,
    build_warper,
)
from tests.helpers import check_model_contract, random_inputs


@pytest.mark.parametrize("cloth_mask_input, fill_mask_holes", [(False, False), (True, False), (False, True)])
def test_warper_contract(tiny_config, tmp_path, cloth_mask_input, fill_mask_holes):
    config = override(tiny_config, [f"warp.cloth_mask_input={str(cloth_mask_input).lower()}",
                                    f"warp.fill_mask_holes={str(fill_mask_holes).lower()}"])
    warper = build_warper(config)
    assert warper.cloth_mask_input is cloth_mask_input and warper.fill_mask_holes is fill_mask_holes
    inputs = random_inputs(warper)
    inputs["cloth_mask"] = (inputs["cloth_mask"] > 0).astype("float32")
    h, w = tiny_config.data.image_size
    check_model_contract(
        warper, inputs, tmp_path,
        {"theta": (2, 50), "delta_theta": (2, 50), "warped_cloth_coarse": (2, h, w, 3),
         "warped_cloth_fine": (2, h, w, 3), "warped_mask_coarse": (2, h, w, 1),
         "warped_mask_fine": (2, h, w, 1)},
        loss_fn=lambda out: keras.ops.mean(keras.ops.abs(out["warped_cloth_fine"] - 0.3))
        + keras.ops.mean(keras.ops.abs(out["warped_cloth_coarse"] - 0.3)),
    )


def test_untrained_warper_is_identity(tiny_config):
    warper = build_warper(tiny_config)
    inputs = random_inputs(warper, batch=1)
    out = warper(inputs)
    np.testing.assert_allclose(out["theta"], 0.0)
    np.testing.assert_allclose(out["warped_cloth_fine"], inputs["cloth"], atol=1e-5)
    np.testing.assert_allclose(out["warped_mask_coarse"], inputs["cloth_mask"], atol=1e-5)


def _warper_with_random_regressors(config):
    """A warper whose regressors are not at the identity (untrained: theta = 0)."""
    warper = build_warper(config)
    rng = np.random.default_rng(0)
    for name in ("coarse_regressor_dense", "fine_regressor_dense"):
        layer = warper.get_layer(name)
        layer.kernel.assign(rng.normal(0, 0.05, layer.kernel.shape).astype("float32"))
    return warper


@pytest.mark.parametrize("cloth_mask_input", [False, True])
def test_warper_reads_the_cloth_mask_only_with_cloth_mask_input(tiny_config, cloth_mask_input):
    config = override(tiny_config, [f"warp.cloth_mask_input={str(cloth_mask_input).lower()}"])
    warper = _warper_with_random_regressors(config)
    inputs = random_inputs(warper, batch=1)
    inputs["cloth_mask"] = np.zeros_like(inputs["cloth_mask"])
    inputs["cloth_mask"][:, 8:40, 10:30] = 1.0
    other = dict(inputs, cloth_mask=np.zeros_like(inputs["cloth_mask"]))
    theta, theta_other = (np.asarray(warper(x, training=False)["theta"]) for x in (inputs, other))
    if cloth_mask_input:
        assert np.abs(theta - theta_other).max() > 1e-4
    else:
        np.testing.assert_allclose(theta, theta_other)


@pytest.mark.parametrize("cloth_mask_input", [False, True])
def test_fill_mask_holes_warps_a_holed_mask_as_the_solid_one(tiny_config, cloth_mask_input):
    config = override(tiny_config, ["warp.fill_mask_holes=true",
                                    f"warp.cloth_mask_input={str(cloth_mask_input).lower()}"])
    warper = _warper_with_random_regressors(config)
    solid = random_inputs(warper, batch=1)
    solid["cloth_mask"] = np.zeros_like(solid["cloth_mask"])
    solid["cloth_mask"][:, 8:56, 8:40] = 1.0
    holed = dict(solid, cloth_mask=solid["cloth_mask"].copy())
    holed["cloth_mask"][:, 20:30, 16:24] = 0.0  # a white print, say
    holed["cloth_mask"][:, 40:44, 30:32] = 0.0
    out_solid, out_holed = (warper(x, training=False) for x in (solid, holed))
    assert np.abs(np.asarray(out_solid["theta"])).max() > 1e-3  # a real warp, not the identity
    for key in ("theta", "delta_theta", "warped_mask_coarse", "warped_mask_fine", "warped_cloth_fine"):
        np.testing.assert_allclose(out_holed[key], out_solid[key], atol=1e-6, err_msg=key)
    # without the switch the hole is warped along
    plain = build_warper(override(config, ["warp.fill_mask_holes=false"]))
    plain.set_weights(warper.get_weights())
    unfilled = plain(holed, training=False)["warped_mask_coarse"]
    assert np.asarray(out_solid["warped_mask_coarse"]).sum() - np.asarray(unfilled).sum() > 50


def test_segmenter_contract(tiny_config, tmp_path):
    model = build_segmenter(tiny_config)
    h, w = tiny_config.data.image_size
    check_model_contract(model, random_inputs(model), tmp_path, {"segmentation_logits": (2, h, w, 20)})


def test_texture_translator_contract_and_composition(tiny_config, tmp_path):
    model = build_texture_translator(tiny_config)
    h, w = tiny_config.data.image_size
    inputs = random_inputs(model)
    out = check_model_contract(
        model, inputs, tmp_path,
        {"rendered_person": (2, h, w, 3), "composition_mask": (2, h, w, 1), "tryon": (2, h, w, 3)},
    )
    mask = out["composition_mask"].numpy()
    assert mask.min() >= 0 and mask.max() <= 1
    expected = mask * inputs["warped_cloth"] + (1 - mask) * out["rendered_person"].numpy()
    np.testing.assert_allclose(out["tryon"], expected, atol=1e-6)


def test_composite_within_warp_keeps_the_cloth_background_out(tiny_config, tmp_path):
    config = override(tiny_config, ["texture.composite_within_warp=true"])
    model = build_texture_translator(config)
    assert "warped_mask" in model.input
    h, w = config.data.image_size
    inputs = random_inputs(model)
    inputs["warped_mask"] = np.zeros((2, h, w, 1), np.float32)
    inputs["warped_mask"][:, : h // 2] = 1.0
    out = check_model_contract(
        model, inputs, tmp_path,
        {"rendered_person": (2, h, w, 3), "composition_mask": (2, h, w, 1), "tryon": (2, h, w, 3)},
    )
    mask = out["composition_mask"].numpy()
    rendered = out["rendered_person"].numpy()
    # Outside the warped garment the try-on is the rendered person, whatever the cloth is there.
    np.testing.assert_allclose(mask[:, h // 2 :], 0.0)
    np.testing.assert_allclose(out["tryon"].numpy()[:, h // 2 :], rendered[:, h // 2 :], atol=1e-6)
    assert mask[:, : h // 2].min() > 0
    expected = mask * inputs["warped_cloth"] + (1 - mask) * rendered
    np.testing.assert_allclose(out["tryon"], expected, atol=1e-6)
    # The same weights without the switch composite the whole warped cloth.
    plain = build_texture_translator(tiny_config)
    plain.set_weights(model.get_weights())
    plain_out = plain({k: v for k, v in inputs.items() if k != "warped_mask"})
    gated_out = model(inputs)
    assert plain_out["composition_mask"].numpy()[:, h // 2 :].min() > 0
    np.testing.assert_allclose(plain_out["rendered_person"], gated_out["rendered_person"], atol=1e-5)
    np.testing.assert_allclose(
        plain_out["composition_mask"].numpy() * inputs["warped_mask"], gated_out["composition_mask"], atol=1e-6
    )


def test_sievenet_passes_the_fine_warp_mask_to_a_composite_within_warp(tiny_config):
    config = override(tiny_config, ["texture.composite_within_warp=true"])
    model = build_sievenet(config)
    inputs = random_inputs(model)
    inputs["cloth_mask"] = (inputs["cloth_mask"] > 0).astype(np.float32)
    out = model(inputs)
    warped = out["warped_mask_fine"].numpy()
    # composition_mask = sigmoid(...) * warped mask: zero where the warp put no garment.
    assert np.all(out["composition_mask"].numpy()[warped == 0] == 0)
    assert np.all(out["composition_mask"].numpy() <= warped + 1e-6)


def test_sievenet_composition(tiny_config, tmp_path):
    model = build_sievenet(tiny_config)
    h, w = tiny_config.data.image_size
    inputs = random_inputs(model)
    out = check_model_contract(
        model, inputs, tmp_path,
        {"tryon": (2, h, w, 3), "expected_segmentation": (2, h, w), "warped_cloth_fine": (2, h, w, 3)},
        loss_fn=lambda o: keras.ops.mean(o["tryon"]) + keras.ops.mean(o["warped_cloth_fine"])
        + keras.ops.mean(o["segmentation_logits"]),
    )
    assert out["expected_segmentation"].dtype == "int32"


@pytest.mark.parametrize("normalization", ["batch", "instance", "none"])
def test_normalization_choices(normalization):
    model = TextureTranslator((32, 32), num_classes=4, filters=(4, 8), normalization=normalization)
    out = model(random_inputs(model, batch=1))
    assert out["tryon"].shape == (1, 32, 32, 3)


def test_bad_sizes_raise_value_errors_naming_the_value():
    with pytest.raises(ValueError, match="60x48.*divisible by 16"):
        CoarseToFineWarper((60, 48), extractor_filters=(8, 8, 8, 8), regressor_filters=(8, 8))
    with pytest.raises(ValueError, match="divisible by 32"):
        SegmentationMaskGenerator((64, 48), filters=(4, 4, 4, 4, 4))
    with pytest.raises(ValueError, match="image_size"):
        get_preset("tiny").__class__.from_dict(
            {**get_preset("tiny").to_dict(), "data": {**get_preset("tiny").to_dict()["data"], "image_size": [65, 48]}}
        )


def test_warper_builds_at_other_resolutions():
    # nothing hard-codes 256 x 192: the dense layer is sized from the correlation map
    for size in [(128, 96), (96, 128)]:
        warper = CoarseToFineWarper(size, extractor_filters=(4, 8, 8, 8), extractor_extra_convs=0,
                                    regressor_filters=(8, 8))
        assert warper(random_inputs(warper, batch=1))["warped_cloth_fine"].shape == (1, *size, 3)


@pytest.mark.large
def test_paper_scale_builds_and_reports_parameters():
    config = get_preset("viton_256x192")
    model = build_sievenet(config)
    assert model.count_params() > 50_000_000
    out = model(random_inputs(model, batch=1))
    assert out["tryon"].shape == (1, 256, 192, 3)


def test_ablation_baseline_single_stage_warp_and_priors_conditioning(tmp_path):
    from sievenet_tf.config import override

    config = override(get_preset("tiny"), ["warp.fine_stage=false", 'texture.conditioning="priors"'])
    model = build_sievenet(config)
    assert model.segmenter is None
    inputs = random_inputs(model, batch=1)
    out = model(inputs)
    np.testing.assert_allclose(out["warped_cloth_fine"], out["warped_cloth_coarse"])
    np.testing.assert_allclose(out["delta_theta"], 0.0)
    assert "expected_segmentation" not in out
    model.save(tmp_path / "baseline.keras")
    loaded = keras.saving.load_model(tmp_path / "baseline.keras")
    np.testing.assert_allclose(loaded(inputs)["tryon"], out["tryon"], atol=1e-5)
    assert model.count_params() < build_sievenet(get_preset("tiny")).count_params()
