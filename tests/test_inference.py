"""sievenet_tf.TryOn and the sievenet-tryon command on synthetic data."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from sievenet_tf.inference_cli import main
from tests.export.helpers import make_data, make_run


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """(run_dir, export_dir, data_root) with a SavedModel and an fp32 .tflite."""
    from sievenet_tf.export.exporter import export_run

    root = tmp_path_factory.mktemp("inference")
    run = make_run(root / "run")
    data = make_data(root / "data", num_train=2, num_test=2)
    out = root / "export"
    report = export_run(run, out, ["saved_model", "fp32"], calibration_data=data,
                        num_calibration=2, num_parity=2, log=lambda line: None)
    assert report["passed"]
    return run, str(out), data


def _files(data, name="000000"):
    test = os.path.join(data, "test")
    return {
        "person": os.path.join(test, "image", f"{name}_0.jpg"),
        "parse": os.path.join(test, "image-parse", f"{name}_0.png"),
        "pose": os.path.join(test, "pose", f"{name}_0_keypoints.json"),
        "cloth": os.path.join(test, "cloth", "000001_1.jpg"),
        "cloth_mask": os.path.join(test, "cloth-mask", "000001_1.jpg"),
    }


def _argv(model, files, out, *extra):
    return ["--model", model, "--person", files["person"], "--parse", files["parse"], "--pose", files["pose"],
            "--cloth", files["cloth"], "--cloth-mask", files["cloth_mask"], "--out", str(out), *extra]


def test_every_backend_gives_the_same_tryon(exported):
    from sievenet_tf import TryOn

    run, out, data = exported
    files = _files(data)
    args = (files["person"], files["parse"], files["pose"], files["cloth"], files["cloth_mask"])
    results = {}
    for label, model in (("tflite", os.path.join(out, "sievenet_fp32.tflite")),
                         ("saved_model", os.path.join(out, "saved_model")),
                         ("keras", run), ("keras_file", os.path.join(run, "sievenet.keras"))):
        tryon = TryOn(model)
        assert tryon.image_size == (64, 48)
        results[label] = tryon(*args)
    assert results["tflite"].tryon.shape == (64, 48, 3)
    assert results["tflite"].expected_segmentation.dtype == np.int32
    for label, result in results.items():
        np.testing.assert_allclose(result.tryon, results["keras"].tryon, atol=1e-4, err_msg=label)
    image = results["tflite"].tryon_image()
    assert image.dtype == np.uint8 and image.shape == (64, 48, 3)


def test_arrays_work_like_files(exported):
    from sievenet_tf import TryOn
    from sievenet_tf.data import io, pose

    _, out, data = exported
    files = _files(data)
    tryon = TryOn(out)  # an export directory: its SavedModel
    assert tryon.kind == "saved_model"
    from_files = tryon(
        files["person"], files["parse"], files["pose"], files["cloth"], files["cloth_mask"]
    )
    from_arrays = tryon(io.read_image(files["person"]), io.read_parse(files["parse"]),
                        pose.read_keypoints(files["pose"]), io.read_image(files["cloth"]),
                        io.read_mask(files["cloth_mask"]))
    np.testing.assert_allclose(from_arrays.tryon, from_files.tryon, atol=1e-5)


def test_command_writes_the_tryon_and_the_grid(exported, tmp_path, capsys):
    _, out, data = exported
    target = tmp_path / "result.png"
    assert (
        main(_argv(os.path.join(out, "sievenet_fp32.tflite"), _files(data), target, "--grid")) == 0
    )
    assert Image.open(target).size == (48, 64)
    grid = Image.open(tmp_path / "result_grid.png")
    assert grid.size[0] > 6 * 48 and grid.size[1] >= 64
    assert sorted(os.listdir(tmp_path)) == ["result.png", "result_grid.png"]


def test_wrong_size_inputs_are_resized_with_a_notice(exported, tmp_path, capsys):
    _, out, data = exported
    files = _files(data)
    big = {}
    for key in ("person", "parse", "cloth", "cloth_mask"):
        image = Image.open(files[key])
        resample = Image.NEAREST if key == "parse" else Image.BILINEAR
        path = tmp_path / f"{key}{'.png' if key in ('parse', 'cloth_mask') else '.jpg'}"
        image.resize((96, 128), resample).save(path)
        big[key] = str(path)
    pose = json.load(open(files["pose"]))
    pose["people"][0]["pose_keypoints"] = [v * 2 if i % 3 != 2 else v for i, v in
                                           enumerate(pose["people"][0]["pose_keypoints"])]
    big["pose"] = str(tmp_path / "pose.json")
    json.dump(pose, open(big["pose"], "w"))
    target = tmp_path / "out.png"
    assert main(_argv(os.path.join(out, "sievenet_fp32.tflite"), big, target)) == 0
    err = capsys.readouterr().err
    assert "notice: person" in err and "96x128" in err and "resized" in err
    assert Image.open(target).size == (48, 64)


def _broken_inputs(tmp_path, files):
    """name -> (files with one problem, expected words in the error)."""
    cases = {}
    cases["missing file"] = ({**files, "person": str(tmp_path / "nope.jpg")}, "no such file")
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"this is not a jpeg")
    cases["unreadable image"] = ({**files, "cloth": str(garbage)}, "not a readable image")
    gray = tmp_path / "gray.png"
    Image.open(files["person"]).convert("L").save(gray)
    cases["grayscale"] = ({**files, "person": str(gray)}, "grayscale")
    rgba = tmp_path / "rgba.png"
    Image.open(files["cloth"]).convert("RGBA").save(rgba)
    cases["rgba"] = ({**files, "cloth": str(rgba)}, "alpha channel")
    nobody = tmp_path / "nobody_keypoints.json"
    nobody.write_text(json.dumps({"version": 1.0, "people": []}))
    cases["no person"] = ({**files, "pose": str(nobody)}, "no person")
    # Pose files that used to escape as a traceback (#11.4) or be silently dropped.
    values = json.load(open(files["pose"]))["people"][0]["pose_keypoints"]
    for label, index, text, words in (
        ("huge integer", 3, "9" * 400, "keypoint 1 (neck) x = 9999"),
        ("too many digits", 3, "9" * 5000, "malformed JSON"),
        ("beyond float32", 4, "1e39", "keypoint 1 (neck) y = 1e+39"),
        ("far outside", 3, "1000000.0", "keypoint 1 (neck) at (1e+06"),
    ):
        numbers = [json.dumps(v) for v in values]
        numbers[index] = text
        path = tmp_path / f"{label.replace(' ', '_')}_keypoints.json"
        path.write_text('{"people": [{"pose_keypoints": [' + ", ".join(numbers) + "]}]}")
        cases[label] = ({**files, "pose": str(path)}, words)
    nested = tmp_path / "nested_keypoints.json"
    nested.write_text("[" * 100_000 + "]" * 100_000)
    cases["deep nesting"] = ({**files, "pose": str(nested)}, "nested too deeply")
    return cases


def test_bad_inputs_get_one_line_errors_and_write_nothing(exported, tmp_path, capsys):
    _, out, data = exported
    model = os.path.join(out, "sievenet_fp32.tflite")
    cases = _broken_inputs(tmp_path, _files(data))
    for label, (files, words) in cases.items():
        target = tmp_path / f"out_{label.replace(' ', '_')}.png"
        code = main(_argv(model, files, target, "--grid"))
        err = capsys.readouterr().err.strip()
        assert code != 0, label
        assert len(err.splitlines()) == 1 and err.startswith("sievenet-tryon: error:"), (label, err)
        assert words in err, (label, err)
        assert not target.exists() and not os.path.exists(str(target)[:-4] + "_grid.png"), label


def test_a_file_that_is_not_a_model(exported, tmp_path, capsys):
    _, out, data = exported
    for name, content in (("fake.tflite", b"\x00" * 64), ("fake.keras", b"not a zip")):
        fake = tmp_path / name
        fake.write_bytes(content)
        if name.endswith(".keras"):
            (tmp_path / "config.json").write_text(
                open(os.path.join(exported[0], "config.json")).read()
            )
        target = tmp_path / "out.png"
        assert main(_argv(str(fake), _files(data), target)) != 0
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "error:" in err, err
        assert str(fake) in err and "not a" in err or "cannot load" in err, err
        assert not target.exists()


def test_import_is_cheap_and_tryon_is_lazy():
    code = ("import sys, sievenet_tf; assert 'tensorflow' not in sys.modules, 'TF imported'; "
            "assert 'TryOn' in dir(sievenet_tf); print('ok')")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_outputs_that_are_inputs_are_refused(exported, tmp_path, capsys):
    _, out, data = exported
    files = _files(data)
    before = open(files["parse"], "rb").read()
    # --out X.png --grid writes X_grid.png: refuse when that is the parse input.
    parse_as_grid = tmp_path / "p_grid.png"
    parse_as_grid.write_bytes(before)
    files = {**files, "parse": str(parse_as_grid)}
    assert main(_argv(os.path.join(out, "sievenet_fp32.tflite"), files, tmp_path / "p.png", "--grid")) == 2
    assert "is the --parse input" in capsys.readouterr().err
    assert parse_as_grid.read_bytes() == before


def test_threads_zero_and_a_model_of_another_size_get_one_line_errors(exported, tmp_path, capsys):
    import shutil

    _, out, data = exported
    files = _files(data)
    with pytest.raises(SystemExit):
        main(_argv(os.path.join(out, "sievenet_fp32.tflite"), files, tmp_path / "t.png", "--threads", "0"))
    assert "--threads: must be >= 1, got 0" in capsys.readouterr().err
    # The .tflite of one export beside the contract of another (here: a 128 x 96 one).
    other = tmp_path / "mixed"
    other.mkdir()
    shutil.copy(os.path.join(out, "sievenet_fp32.tflite"), other)
    contract = json.loads(open(os.path.join(out, "model_contract.json")).read())
    contract["image_size"] = [128, 96]
    for entry in contract["inputs"]:
        if entry["name"] in ("person", "parse", "cloth", "cloth_mask"):
            entry["shape"][1:3] = [128, 96]
    (other / "model_contract.json").write_text(json.dumps(contract))
    assert main(_argv(str(other / "sievenet_fp32.tflite"), files, tmp_path / "t.png")) == 2
    err = capsys.readouterr().err
    assert "come from different exports" in err and "Traceback" not in err
