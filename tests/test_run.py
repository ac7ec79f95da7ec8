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


def test_derive_run_shares_the_kept_stages_and_applies_the_overrides(tmp_path):
    from sievenet_tf.models import build_segmenter, build_warper
    from sievenet_tf.run import derive_run

    config = get_preset("tiny")
    source = Run(tmp_path / "source")
    source.create(config)
    source.save_network("warp", build_warper(config))
    source.save_network("segmentation", build_segmenter(config))
    (source.checkpoint_dir("warp")).mkdir(parents=True)
    (source.checkpoint_dir("warp") / "ckpt-2.index").write_bytes(b"warp checkpoint")
    source.log_path("warp").parent.mkdir(parents=True, exist_ok=True)
    source.log_path("warp").write_text('{"step": 1}\n')

    derived = derive_run(source.directory, tmp_path / "derived", ["warp"], ["loss.texture_ssim=1.0"])
    assert derived.config.loss.texture_ssim == 1.0
    assert derived.config.texture == config.texture
    assert derived.network_path("warp").read_bytes() == source.network_path("warp").read_bytes()
    assert (derived.checkpoint_dir("warp") / "ckpt-2.index").read_bytes() == b"warp checkpoint"
    assert derived.log_path("warp").read_text() == '{"step": 1}\n'
    assert not derived.has_network("segmentation") and not derived.checkpoint_dir("segmentation").exists()

    with pytest.raises(RunExistsError, match="already exists"):
        derive_run(source.directory, derived.directory, ["warp"])
    with pytest.raises(RunError, match="texture not trained"):
        derive_run(source.directory, tmp_path / "other", ["texture"])


def test_derive_run_cli_names_a_bad_override_in_one_line(tmp_path, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("derive_cli", "training/derive_run.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    Run(tmp_path / "source").create(get_preset("tiny"))
    code = cli.main([str(tmp_path / "source"), str(tmp_path / "d"), "--keep", "warp", "--set", "loss.nope=1"])
    assert code == 2
    assert "nope" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
