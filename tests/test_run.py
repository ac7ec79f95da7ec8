"""The run directory: one owner of its layout, loading, saving and checks."""

import json

import pytest

from sievenet_tf.config import get_preset, override
from sievenet_tf.models import build_sievenet, build_warper
from sievenet_tf.run import Run, RunError, RunExistsError, required_stages


def test_required_stages_follow_the_texture_conditioning():
    config = get_preset("tiny")
    assert required_stages(config) == ["warp", "segmentation", "texture"]
    assert required_stages(override(config, ['texture.conditioning="priors"'])) == ["warp", "texture"]


def test_missing_stage_is_named_with_the_command(tmp_path):
    run = Run(tmp_path)
    run.create(get_preset("tiny"))
    run.save_network("warp", build_warper(get_preset("tiny")))
    assert run.missing_stages() == ["segmentation", "texture"]
    with pytest.raises(RunError, match=r"segmentation, texture not trained yet.*--stage segmentation"):
        run.load_sievenet()


def test_resume_with_another_architecture_is_refused_before_anything_is_written(tmp_path):
    run = Run(tmp_path)
    run.create(get_preset("tiny"))
    (tmp_path / "checkpoints" / "warp").mkdir(parents=True)
    before = (tmp_path / "config.json").read_bytes()
    with pytest.raises(RunError, match=r"data.image_size: \[64, 48\] -> \[128, 96\]"):
        Run(tmp_path).create(get_preset("small_128x96"), resume=True)
    assert (tmp_path / "config.json").read_bytes() == before
    with pytest.raises(RunExistsError, match="--resume"):
        Run(tmp_path).create(get_preset("tiny"))


def test_resume_may_change_the_schedule(tmp_path):
    Run(tmp_path).create(get_preset("tiny"))
    longer = override(get_preset("tiny"), ["train.warp_steps=3000"])
    changed = Run(tmp_path).create(longer, resume=True)
    assert changed == ["train.warp_steps: 1500 -> 3000"]
    assert json.loads((tmp_path / "config.json").read_text())["train"]["warp_steps"] == 3000


def test_truncated_keras_file_is_reported_as_such(tmp_path):
    config = get_preset("tiny")
    run = Run(tmp_path)
    run.create(config)
    build_sievenet(config).save(run.sievenet_path)
    data = run.sievenet_path.read_bytes()
    run.sievenet_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="truncated or not a .keras file"):
        run.load_sievenet()


def test_model_of_another_size_is_refused(tmp_path):
    run = Run(tmp_path)
    run.create(get_preset("tiny"))
    build_sievenet(get_preset("small_128x96")).save(run.sievenet_path)
    with pytest.raises(RunError, match="built for 128x96 but the run's config says data.image_size=64x48"):
        run.load_sievenet()


def test_unwritable_output_is_refused(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(RunError, match="cannot write there"):
        Run(blocker / "run").check_writable()
    with pytest.raises(RunError, match="not a directory"):
        Run(blocker).create(get_preset("tiny"))
