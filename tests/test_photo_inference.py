"""Try-on from a photo alone: TryOn and sievenet-tryon without parse, pose or cloth mask."""

import os

import numpy as np
import pytest

from sievenet_tf.inference_cli import main
from tests.export.helpers import add_analyzer, make_data, make_run


@pytest.fixture(scope="module")
def photo_setup(tmp_path_factory):
    """(run with a confident analyzer, its fp32 + SavedModel export, a run that finds nobody, data)."""
    from sievenet_tf.export.exporter import export_run

    root = tmp_path_factory.mktemp("photo_inference")
    run = add_analyzer(make_run(root / "run"))
    nobody = add_analyzer(make_run(root / "nobody"), confident=False)
    data = make_data(root / "data", num_train=2, num_test=2)
    out = root / "export"
    report = export_run(run, out, ["saved_model", "fp32"], calibration_data=data, num_calibration=2,
                        num_parity=2, log=lambda line: None)  # fmt: skip
    assert report["passed"]
    return run, str(out), nobody, data


def _photos(data):
    test = os.path.join(data, "test")
    return {
        "person": os.path.join(test, "image", "000000_0.jpg"),
        "parse": os.path.join(test, "image-parse", "000000_0.png"),
        "pose": os.path.join(test, "pose", "000000_0_keypoints.json"),
        "cloth": os.path.join(test, "cloth", "000001_1.jpg"),
        "cloth_mask": os.path.join(test, "cloth-mask", "000001_1.jpg"),
    }


def test_every_backend_tries_on_from_the_two_photos_alike(photo_setup):
    from sievenet_tf import TryOn

    run, out, _, data = photo_setup
    files = _photos(data)
    results = {}
    for label, model in (("keras", run), ("saved_model", out),
                         ("tflite", os.path.join(out, "sievenet_fp32.tflite"))):  # fmt: skip
        tryon = TryOn(model)
        assert tryon.has_photo_graph
        results[label] = tryon(files["person"], cloth=files["cloth"])
        assert results[label].predicted_keypoints.shape == (18, 3)
        assert results[label].predicted_parse.shape == (64, 48)
    for label in ("saved_model", "tflite"):
        np.testing.assert_allclose(results[label].tryon, results["keras"].tryon, atol=1e-4)
        np.testing.assert_array_equal(
            results[label].predicted_parse, results["keras"].predicted_parse
        )


def test_given_inputs_take_precedence_over_predictions(photo_setup):
    from sievenet_tf import TryOn

    run, _, _, data = photo_setup
    files = _photos(data)
    tryon = TryOn(run)
    full = tryon.prepare(
        files["person"], files["parse"], files["pose"], files["cloth"], files["cloth_mask"]
    )
    assert "predicted" not in full
    mixed = tryon.prepare(files["person"], parse=files["parse"], cloth=files["cloth"])
    assert sorted(mixed["predicted"]) == ["cloth_mask", "keypoints"]
    np.testing.assert_array_equal(mixed["parse"], full["parse"])
    assert not np.array_equal(mixed["keypoints"], full["keypoints"])
    result = tryon.run(mixed)
    assert result.predicted_parse is None and result.predicted_keypoints is not None


def test_any_photo_size_is_fitted(photo_setup, tmp_path):
    from PIL import Image

    from sievenet_tf import TryOn

    run, _, _, data = photo_setup
    files = _photos(data)
    big = tmp_path / "big.png"
    Image.open(files["person"]).resize((300, 500)).save(big)
    with pytest.warns(UserWarning, match="resized"):
        result = TryOn(run)(str(big), cloth=files["cloth"])
    assert result.tryon.shape == (64, 48, 3)


def test_command_without_parse_pose_or_mask_writes_the_tryon(photo_setup, tmp_path, capsys):
    _, out, _, data = photo_setup
    files = _photos(data)
    target = tmp_path / "tryon.png"
    code = main(["--model", os.path.join(out, "sievenet_fp32.tflite"), "--person", files["person"],
                 "--cloth", files["cloth"], "--out", str(target), "--grid"])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert target.is_file() and (tmp_path / "tryon_grid.png").is_file()
    assert "predicted parse, keypoints, cloth_mask" in captured.err


def test_no_person_found_is_one_line_and_writes_nothing(photo_setup, tmp_path, capsys):
    _, _, nobody, data = photo_setup
    files = _photos(data)
    target = tmp_path / "tryon.png"
    code = main(["--model", nobody, "--person", files["person"], "--cloth", files["cloth"],
                 "--out", str(target)])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "no person found" in err, err
    assert not target.exists()


def test_a_model_without_photo_graph_asks_for_parse_and_pose(tmp_path, capsys):
    run = make_run(tmp_path / "run")
    data = make_data(tmp_path / "data", num_train=1, num_test=2)
    files = _photos(data)
    code = main(["--model", run, "--person", files["person"], "--cloth", files["cloth"],
                 "--out", str(tmp_path / "t.png")])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no photo graph" in err and "--stage analyzer" in err, err
