import json

import pytest

from sievenet_tf.data import synthetic
from sievenet_tf.training.cli import main


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    synthetic.generate(root, 16, 8, (64, 48), seed=0, progress=False)
    return root


def test_train_all_stages_from_the_command_line(dataset, tmp_path, capsys):
    out = tmp_path / "run"
    code = main([
        "--data", str(dataset), "--out", str(out), "--preset", "tiny", "--steps", "2",
        "--batch-size", "4", "--set", "train.log_every=1", "--set", "triplet.start_step=1",
        "--set", "triplet.refresh_every=1",
    ])
    assert code == 0, capsys.readouterr().err[-2000:]
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["warp_steps"] == 2 and config["train"]["batch_size"] == 4
    for stage in ("warp", "segmentation", "texture"):
        lines = (out / "logs" / f"{stage}.jsonl").read_text().splitlines()
        assert [json.loads(line)["step"] for line in lines] == [1, 2]
        assert (out / "checkpoints" / stage / "checkpoint").exists()
        assert list((out / "images").glob(f"{stage}_*.png"))
    assert (out / "sievenet.keras").exists()
    assert list((out / "tensorboard" / "texture").glob("events.out.tfevents.*"))
    captured = capsys.readouterr()
    assert "try-on model" in captured.out and "held-out" in captured.out
    assert "texture 2/2" in captured.err  # progress line


def test_bad_dataset_fails_before_training_with_the_file_named(dataset, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    victim = sorted((broken / "train" / "cloth-mask").iterdir())[0]
    victim.unlink()
    out = tmp_path / "run"
    code = main(["--data", str(broken), "--out", str(out), "--preset", "tiny", "--steps", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert victim.name in err and "missing file" in err
    assert not (out / "checkpoints").exists()


def test_corrupt_image_is_named_before_training_when_loading_into_memory(dataset, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    victim = sorted((broken / "train" / "image").iterdir())[3]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated JPEG
    code = main(["--data", str(broken), "--out", str(tmp_path / "run"), "--preset", "tiny",
                 "--steps", "1", "--in-memory", "yes"])
    err = capsys.readouterr().err
    assert code == 2 and victim.name in err
    assert "Traceback" not in err


def test_bad_arguments_are_reported_in_one_line(tmp_path, capsys):
    assert main(["--out", str(tmp_path), "--set", "loss.nope=1"]) == 2
    assert "unknown key 'nope'" in capsys.readouterr().err
    assert main(["--out", str(tmp_path), "--config", str(tmp_path / "missing.json")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("flags, message", [
    (["--steps", "-5"], "argument --steps: must be >= 1, got -5"),
    (["--steps", "0"], "argument --steps: must be >= 1, got 0"),
    (["--batch-size", "0"], "argument --batch-size: must be >= 1, got 0"),
])
def test_bad_numbers_are_refused_before_the_run_directory_exists(flags, message, tmp_path, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(out), *flags])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("field", ["train.log_every", "train.checkpoint_every", "train.image_every"])
def test_zero_cadences_are_refused_before_the_run_directory_exists(field, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--out", str(out), "--set", f"{field}=0"]) == 2
    assert f"{field} must be an integer >= 1" in capsys.readouterr().err
    assert not out.exists()


def test_out_on_a_file_is_one_line_before_the_data_loads(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert main(["--data", str(tmp_path / "no-data"), "--out", str(blocker)]) == 2
    err = capsys.readouterr().err
    assert "exists and is not a directory" in err and "Traceback" not in err
    assert main(["--data", str(tmp_path / "no-data"), "--out", str(blocker / "run")]) == 2
    assert "cannot write there" in capsys.readouterr().err


def test_resume_with_another_preset_keeps_the_run_intact(dataset, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--data", str(dataset), "--out", str(out), "--preset", "tiny", "--stage", "warp",
                 "--steps", "1", "--batch-size", "4"]) == 0
    before = (out / "config.json").read_bytes()
    code = main(["--data", str(dataset), "--out", str(out), "--preset", "small_128x96", "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "data.image_size: [64, 48] -> [128, 96]" in err
    assert (out / "config.json").read_bytes() == before
    # A plain --resume continues with the run's own config.
    assert main(["--data", str(dataset), "--out", str(out), "--stage", "warp", "--resume"]) == 0
    assert "already complete" in capsys.readouterr().err


def test_unreachable_vgg_weights_are_one_line_and_leave_the_run_as_it_was(dataset, tmp_path, capsys,
                                                                          monkeypatch):
    import keras

    out = tmp_path / "run"
    assert main(["--data", str(dataset), "--out", str(out), "--preset", "tiny", "--stage", "warp",
                 "--steps", "1", "--batch-size", "4"]) == 0
    before = (out / "config.json").read_bytes()
    capsys.readouterr()

    def offline(*args, weights=None, **kwargs):
        if weights == "imagenet":  # what Keras raises when the download fails
            raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- "
                            "[Errno -2] Name or service not known")
        raise AssertionError("only the ImageNet weights are fetched here")

    monkeypatch.setattr(keras.applications, "VGG19", offline)
    code = main(["--data", str(dataset), "--out", str(out), "--stage", "warp", "--resume",
                 "--steps", "2", "--set", "loss.vgg_weights=imagenet", "--set", "loss.pgm_align=0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "cannot get VGG19's ImageNet weights" in err and "Name or service not known" in err
    assert "--set loss.vgg_weights=null" in err
    assert (out / "config.json").read_bytes() == before
    assert [int(json.loads(line)["step"]) for line in (out / "logs" / "warp.jsonl").read_text().splitlines()] == [1]
