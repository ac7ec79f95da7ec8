import json

import pytest

from sievenet_tf.config import PRESETS, SieveNetConfig, get_preset, override


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_json(name, tmp_path):
    config = get_preset(name)
    assert SieveNetConfig.from_json(config.to_json()) == config
    path = tmp_path / "config.json"
    config.save(path)
    assert SieveNetConfig.load(path) == config
    assert isinstance(json.loads(path.read_text())["data"]["image_size"], list)


def test_configs_are_frozen():
    config = get_preset("tiny")
    with pytest.raises(AttributeError):
        config.train.batch_size = 3


def test_override_parses_values_and_rejects_unknown_keys():
    config = override(get_preset("tiny"), ["loss.push_k=2", "train.jit=true", "data.image_size=[128,96]"])
    assert config.loss.push_k == 2.0 and config.train.jit is True
    assert config.data.image_size == (128, 96)
    with pytest.raises(ValueError, match="unknown key 'nope'"):
        override(config, ["loss.nope=1"])
    with pytest.raises(ValueError, match="unknown section"):
        override(config, ["nosuch.key=1"])
    with pytest.raises(ValueError, match="key=value"):
        override(config, ["loss.push_k"])


def test_bad_values_are_named():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        get_preset("huge")
    with pytest.raises(ValueError, match="normalization"):
        override(get_preset("tiny"), ["texture.normalization=layer"])
    with pytest.raises(ValueError, match=r"config\.train\.batch_size: expected int"):
        override(get_preset("tiny"), ["train.batch_size=abc"])
    with pytest.raises(ValueError, match="divisible by 16"):
        override(get_preset("tiny"), ["data.image_size=[70,48]"])


@pytest.mark.parametrize("field", [
    "triplet.refresh_every", "train.log_every", "train.checkpoint_every", "train.image_every",
    "train.warp_steps", "train.batch_size", "data.shape_downsample",
])
def test_fields_that_fail_late_are_refused_up_front(field):
    from sievenet_tf.config import get_preset, override

    with pytest.raises(ValueError, match=field.replace(".", r"\.") + " must be an integer >= 1"):
        override(get_preset("tiny"), [f"{field}=0"])


@pytest.mark.parametrize("field", ["loss.segmentation_balance", "optimizer.constant_fraction"])
@pytest.mark.parametrize("value", ["-0.5", "1.5", "NaN"])
def test_fractions_outside_zero_to_one_are_refused(field, value):
    from sievenet_tf.config import get_preset, override

    with pytest.raises(ValueError, match=field.replace(".", r"\.") + " must be"):
        override(get_preset("tiny"), [f"{field}={value}"])
    section, key = field.split(".")
    assert getattr(getattr(override(get_preset("tiny"), [f"{field}=1"]), section), key) == 1


def _assignments():
    from hypothesis import strategies as st

    from sievenet_tf.config import get_preset

    fields = [f"{section}.{key}" for section, values in get_preset("tiny").to_dict().items()
              if isinstance(values, dict) for key in values] + ["name", "nope.x", "train.nope", ""]
    values = st.one_of(
        st.integers(-10**6, 10**6).map(str), st.floats(allow_nan=True).map(str),
        st.sampled_from(["true", "null", "[]", "[64, 48]", '"x"', "{}", "1e999", "-0"]),
        st.text(max_size=12),
    )
    return st.lists(st.tuples(st.sampled_from(fields), values).map("=".join), max_size=4)


def test_generated_overrides_give_a_config_or_a_value_error():
    from hypothesis import given, settings

    from sievenet_tf.config import SieveNetConfig, get_preset, override

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(_assignments())
    def check(assignments):
        try:
            config = override(get_preset("tiny"), assignments)
        except ValueError:
            return
        assert SieveNetConfig.from_json(config.to_json()) == config

    check()


def test_an_infinite_count_is_a_value_error():
    from sievenet_tf.config import get_preset, override

    with pytest.raises(ValueError, match="expected int"):
        override(get_preset("tiny"), ["data.num_keypoints=1e999"])


PAPER_SWITCHES_OFF = [
    "loss.warp_mask_l1=0", "loss.texture_ssim=0", "texture.composite_within_warp=false",
]


def _switches(config):
    return (config.loss.warp_mask_l1, config.loss.texture_ssim, config.texture.composite_within_warp)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_the_real_photo_switches_are_on_only_in_the_presets_measured_on_real_photos(name):
    config = get_preset(name)
    if name in ("small_128x96", "mobile_256x192"):
        assert _switches(config) == (1.0, 1.0, True)
    else:  # the paper's presets and the synthetic-data preset keep the paper's losses
        assert _switches(config) == (0.0, 0.0, False)
    # the README's `--set` triple gives any preset the paper's losses, nothing else changes
    paper = override(config, PAPER_SWITCHES_OFF)
    assert _switches(paper) == (0.0, 0.0, False)
    assert override(paper, [f"loss.warp_mask_l1={config.loss.warp_mask_l1}",
                            f"loss.texture_ssim={config.loss.texture_ssim}",
                            f"texture.composite_within_warp={str(config.texture.composite_within_warp).lower()}"]) == config


@pytest.mark.parametrize("field", ["loss.warp_mask_l1", "loss.warp_mask_dice", "loss.warp_grid_bending"])
def test_negative_warp_regulariser_weights_are_refused(field):
    from sievenet_tf.config import get_preset, override

    with pytest.raises(ValueError, match=field.replace(".", r"\.") + " must be a number >= 0"):
        override(get_preset("tiny"), [f"{field}=-1"])
