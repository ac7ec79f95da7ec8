"""End to end: export the tiny preset in every format, then check what was written."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from sievenet_tf.export import tflite as tflite_lib
from sievenet_tf.export.contract import load_contract
from sievenet_tf.export.exporter import FORMATS, parse_formats
from sievenet_tf.export.parity import run_tflite
from tests.export.helpers import TEST_THRESHOLDS


def test_every_format_is_written_and_passes_parity(tiny_export):
    out, report = tiny_export
    assert report["passed"], report
    for fmt in tflite_lib.QUANTIZATIONS:
        assert os.path.isfile(os.path.join(out, tflite_lib.file_name(fmt)))
    assert os.path.isfile(os.path.join(out, "saved_model", "saved_model.pb"))
    variants = report["variants"]
    assert max(variants["fp32"]["max_abs"].values()) <= 1e-4
    assert max(variants["saved_model"]["max_abs"].values()) <= 1e-4
    assert variants["fp32"]["segmentation_agreement"] >= 0.999
    for fmt in ("fp16", "dynamic", "int8"):
        assert variants[fmt]["psnr"] >= TEST_THRESHOLDS[fmt]["min_psnr"], fmt
        assert 0.0 < variants[fmt]["ssim"] <= 1.0
    # Written reports agree with the returned one.
    written = json.load(open(os.path.join(out, "parity_report.json")))
    assert written["variants"]["int8"]["psnr"] == pytest.approx(variants["int8"]["psnr"])
    assert "| int8 |" in open(os.path.join(out, "parity_report.md")).read()
    # Quantised files are smaller.
    sizes = {fmt: report["files"][fmt]["bytes"] for fmt in tflite_lib.QUANTIZATIONS}
    assert sizes["fp16"] < 0.6 * sizes["fp32"]
    assert sizes["dynamic"] < 0.5 * sizes["fp32"]
    assert sizes["int8"] < 0.5 * sizes["fp32"]


def test_contract_lists_every_file(tiny_export):
    out, _ = tiny_export
    contract = load_contract(out)
    assert contract["files"] == {
        "saved_model": "saved_model",
        "fp32": "sievenet_fp32.tflite",
        "fp16": "sievenet_fp16.tflite",
        "dynamic": "sievenet_dynamic.tflite",
        "int8": "sievenet_int8.tflite",
    }


@pytest.mark.parametrize("fmt", tflite_lib.QUANTIZATIONS)
def test_tflite_files_hold_builtin_ops_and_named_io(tiny_export, fmt):
    from ai_edge_litert.interpreter import Interpreter

    out, report = tiny_export
    path = os.path.join(out, tflite_lib.file_name(fmt))
    data = open(path, "rb").read()
    ops = tflite_lib.check_builtin_ops(data, fmt)
    assert "CONV_2D" in ops and "GATHER" in ops
    assert report["ops"][fmt] == ops
    interpreter = Interpreter(model_path=path)
    signature = interpreter.get_signature_list()["serving_default"]
    assert sorted(signature["inputs"]) == sorted(
        ["person", "parse", "keypoints", "cloth", "cloth_mask"]
    )
    assert sorted(signature["outputs"]) == sorted(
        [
            "tryon",
            "warped_cloth_coarse",
            "warped_cloth_fine",
            "expected_segmentation",
            "composition_mask",
        ]
    )
    runner = interpreter.get_signature_runner("serving_default")
    details = runner.get_input_details()
    assert details["person"]["shape"].tolist() == [1, 64, 48, 3]
    assert details["person"]["dtype"] == np.float32  # int8 keeps float32 inputs
    assert details["parse"]["dtype"] == np.int32
    assert runner.get_output_details()["tryon"]["dtype"] == np.float32


def test_int8_quantises_convolutions_and_keeps_the_warp_float(tiny_export):
    from ai_edge_litert.interpreter import Interpreter

    out, _ = tiny_export
    interpreter = Interpreter(model_path=os.path.join(out, "sievenet_int8.tflite"))
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()
    conv_inputs = [tensors[op["inputs"][0]]["dtype"] for op in ops if op["op_name"] == "CONV_2D"]
    assert sum(dtype == np.int8 for dtype in conv_inputs) >= 0.8 * len(conv_inputs)
    # Coordinates stay float: every FLOOR (the sampler's corner index) reads float32,
    # and no tensor of the priors or of the TPS grid is int8. (The gathered pixel
    # values may be int8: that is the precision of the image anyway.)
    floors = [op for op in ops if op["op_name"] == "FLOOR"]
    assert floors and all(tensors[op["inputs"][0]]["dtype"] == np.float32 for op in floors)
    # The keypoint maps' distance tests (ABS, LESS_EQUAL; only in the priors) read float32.
    distance_ops = [op for op in ops if op["op_name"] in ("ABS", "LESS_EQUAL")]
    assert distance_ops and all(
        tensors[op["inputs"][0]]["dtype"] == np.float32 for op in distance_ops
    )
    # (What float coordinates buy is tested on the warp alone in test_tflite.py.)


def test_fp32_runs_on_real_examples_like_keras(tiny_export, tiny_run, synthetic_root):
    from sievenet_tf.export.examples import load_examples
    from sievenet_tf.export.exporter import load_run
    from sievenet_tf.export.tryon_model import build_tryon_model

    out, _ = tiny_export
    config, sievenet = load_run(tiny_run)
    examples, _ = load_examples(synthetic_root, config, 2, "test")
    model = build_tryon_model(sievenet, config)
    for got, example in zip(
        run_tflite(os.path.join(out, "sievenet_fp32.tflite"), examples), examples
    ):
        expected = model(example)
        np.testing.assert_allclose(got["tryon"], np.asarray(expected["tryon"]), atol=1e-4)
        assert np.abs(got["tryon"]).max() <= 1.0
        assert got["tryon"].std() > 0.01  # not a constant image


def test_saved_model_loads_without_the_package(tiny_export, tmp_path):
    """A fresh interpreter that cannot import sievenet_tf runs serving_default."""
    out, _ = tiny_export
    script = textwrap.dedent(
        f"""
        import os, sys
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        try:
            import sievenet_tf
        except ImportError:
            pass
        else:
            raise SystemExit("sievenet_tf is importable: " + str(sievenet_tf.__file__))
        import numpy as np, tensorflow as tf
        serving = tf.saved_model.load({os.path.join(out, "saved_model")!r}).signatures["serving_default"]
        rng = np.random.default_rng(0)
        batch = 2  # the SavedModel takes any batch size
        inputs = dict(
            person=tf.constant(rng.uniform(-1, 1, (batch, 64, 48, 3)), tf.float32),
            parse=tf.constant(rng.integers(0, 20, (batch, 64, 48)), tf.int32),
            keypoints=tf.constant(rng.uniform(0, 40, (batch, 18, 3)), tf.float32),
            cloth=tf.constant(rng.uniform(-1, 1, (batch, 64, 48, 3)), tf.float32),
            cloth_mask=tf.ones((batch, 64, 48, 1)),
        )
        outputs = serving(**inputs)
        assert sorted(outputs) == sorted(["tryon", "warped_cloth_coarse", "warped_cloth_fine",
                                           "expected_segmentation", "composition_mask"]), sorted(outputs)
        assert outputs["tryon"].shape == (batch, 64, 48, 3)
        assert outputs["expected_segmentation"].dtype == tf.int32
        print("OK")
        """
    )
    # -I: isolated (no PYTHONPATH, no user site, no cwd on sys.path); -S: no site
    # processing, so the editable install's .pth finder is not loaded; the
    # environment's site-packages (TensorFlow) is added back by hand.
    import sysconfig

    site_packages = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    code = f"import sys; sys.path.extend({site_packages!r})\n" + script
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-2000:]
    assert result.stdout.strip().endswith("OK")


def test_format_list_parsing():
    assert parse_formats("fp32,int8") == ["fp32", "int8"]
    assert parse_formats("all") == list(FORMATS)
    with pytest.raises(ValueError, match="unknown"):
        parse_formats("fp32,onnx")


def test_a_failed_export_leaves_the_previous_one_untouched(tmp_path):
    from sievenet_tf.export.exporter import export_run
    from tests.export.helpers import make_data, make_run

    run = make_run(tmp_path / "run")
    data = make_data(tmp_path / "data", num_train=2, num_test=2)
    out = tmp_path / "export"
    first = export_run(run, out, ["fp32"], calibration_data=data, num_calibration=2, num_parity=2,
                       log=lambda line: None)
    assert first["passed"] and first["export_dir"] == str(out)
    contract = (out / "model_contract.json").read_bytes()
    failed = export_run(run, out, ["fp32"], calibration_data=data, num_calibration=2, num_parity=2,
                        thresholds={"fp32": {"max_abs": -1.0}}, log=lambda line: None)
    assert not failed["passed"]
    assert failed["export_dir"] == str(out) + ".rejected"
    assert (out / "model_contract.json").read_bytes() == contract
    assert (tmp_path / "export.rejected" / "parity_report.md").is_file()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")]
    assert leftovers == []
