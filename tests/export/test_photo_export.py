"""The photo graph: person + cloth photos in, try-on + predictions out; export and parity."""

import json
import os

import numpy as np
import pytest

from tests.export.helpers import (
    PHOTO_TEST_THRESHOLDS,
    TEST_THRESHOLDS,
    add_analyzer,
    make_data,
    make_run,
)


@pytest.fixture(scope="module")
def photo_export(tmp_path_factory):
    """(run_dir, export_dir, data_root, report) of a tiny run with an analyzer."""
    from sievenet_tf.export.exporter import export_run

    root = tmp_path_factory.mktemp("photo")
    run = add_analyzer(make_run(root / "run"))
    data = make_data(root / "data", num_train=6, num_test=3)
    out = root / "export"
    report = export_run(
        run, out, ["saved_model", "fp32", "int8"], calibration_data=data, num_calibration=6,
        num_parity=3, thresholds=TEST_THRESHOLDS, photo_thresholds=PHOTO_TEST_THRESHOLDS,
        log=lambda line: None,
    )  # fmt: skip
    return run, str(out), data, report


def test_photo_graph_is_exported_builtin_only_and_passes_parity(photo_export):
    _, out, _, report = photo_export
    assert report["passed"], report["photo"]["variants"]
    photo = report["photo"]
    assert set(photo["variants"]) == {"saved_model", "fp32", "int8"}
    for fmt in ("fp32", "int8"):
        assert os.path.isfile(os.path.join(out, f"sievenet_photo_{fmt}.tflite"))
        ops = photo["ops"][fmt]
        assert not [op for op in ops if op.startswith("CUSTOM") or "Flex" in op], ops
        assert "ARG_MAX" in ops and "MAX_POOL_2D" in ops  # parse arg-max, cloth-mask morphology
    fp32 = photo["variants"]["fp32"]
    assert fp32["parse_agreement"] > 0.999 and fp32["keypoint_max_px"] <= 0.01
    assert fp32["examples_predictions_equal"] >= 1
    assert photo["cloth_mask"] == "computed"
    assert "Photo graph" in open(os.path.join(out, "parity_report.md")).read()


def test_contract_describes_the_photo_graph_and_keeps_the_tryon_keys(photo_export):
    from sievenet_tf.export.contract import load_contract

    _, out, _, _ = photo_export
    contract = load_contract(out)
    assert contract["format_version"] == 1
    assert [i["name"] for i in contract["inputs"]] == [
        "person",
        "parse",
        "keypoints",
        "cloth",
        "cloth_mask",
    ]
    assert contract["files"]["fp32"] == "sievenet_fp32.tflite"
    photo = contract["graphs"]["photo"]
    assert [i["name"] for i in photo["inputs"]] == ["person", "cloth"]
    names = [o["name"] for o in photo["outputs"]]
    assert names[:2] == ["tryon", "warped_cloth_coarse"] and names[-3:] == [
        "parse",
        "keypoints",
        "cloth_mask",
    ]
    parse = next(o for o in photo["outputs"] if o["name"] == "parse")
    assert parse["label_set"] == "model" and parse["dtype"] == "int32"
    assert photo["files"] == {"saved_model": "saved_model_photo", "fp32": "sievenet_photo_fp32.tflite",
                              "int8": "sievenet_photo_int8.tflite"}  # fmt: skip
    assert photo["min_keypoints"] >= 1 and 0 < photo["keypoint_threshold"] <= 1


def test_photo_tflite_runs_like_keras_on_a_real_example(photo_export):
    from sievenet_tf.export import photo_model
    from sievenet_tf.export.examples import load_examples
    from sievenet_tf.export.parity import run_tflite
    from sievenet_tf.run import Run

    run_dir, out, data, _ = photo_export
    run = Run(run_dir)
    model = photo_model.build_photo_model(run.load_sievenet(), run.load_analyzer(), run.config)
    examples, _ = load_examples(data, run.config, 1, "test")
    example = photo_model.photo_examples(examples)[0]
    expected = {k: np.asarray(v) for k, v in model(example).items()}
    got = run_tflite(os.path.join(out, "sievenet_photo_fp32.tflite"), [example])[0]
    np.testing.assert_array_equal(got["parse"], expected["parse"])
    np.testing.assert_allclose(got["keypoints"], expected["keypoints"], atol=1e-3)
    np.testing.assert_allclose(got["tryon"], expected["tryon"], atol=1e-4)
    assert np.all(got["keypoints"][0, :, 2] > 0)  # the "confident" test analyzer finds every point


def test_photo_saved_model_serves_person_and_cloth(photo_export, tmp_path):
    import tensorflow as tf

    _, out, _, _ = photo_export
    serving = tf.saved_model.load(os.path.join(out, "saved_model_photo")).signatures[
        "serving_default"
    ]
    person = np.zeros((2, 64, 48, 3), np.float32)
    outputs = serving(person=tf.constant(person), cloth=tf.constant(person))
    assert tuple(outputs["tryon"].shape) == (2, 64, 48, 3)
    assert tuple(outputs["keypoints"].shape) == (2, 18, 3) and outputs["parse"].dtype == tf.int32
    json.dumps(sorted(outputs))  # named outputs


def test_export_of_a_run_without_analyzer_has_no_photo_graph_unless_asked(tmp_path):
    from sievenet_tf.export.exporter import export_run
    from sievenet_tf.run import RunError

    run = make_run(tmp_path / "run")
    data = make_data(tmp_path / "data", num_train=2, num_test=1)
    with pytest.raises(RunError, match="--stage analyzer"):
        export_run(run, tmp_path / "out", ["saved_model"], calibration_data=data, num_calibration=1,
                   num_parity=1, photo=True, log=lambda line: None)  # fmt: skip
    report = export_run(run, tmp_path / "out", ["saved_model"], calibration_data=data,
                        num_calibration=1, num_parity=1, log=lambda line: None)  # fmt: skip
    assert "photo" not in report
    assert "graphs" not in json.load(open(tmp_path / "out" / "model_contract.json"))
