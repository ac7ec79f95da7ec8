"""Every model variant the config can express trains, evaluates, exports and runs
``sievenet-tryon`` end to end (tiny size, a few steps on generated data)."""

import json
import os

import keras
import numpy as np
import pytest

from sievenet_tf.config import get_preset, override
from sievenet_tf.data.source import make_data_source
from sievenet_tf.evaluation import evaluate_run
from sievenet_tf.export.exporter import export_run
from sievenet_tf.inference_cli import main as tryon_main
from sievenet_tf.run import Run
from sievenet_tf.training.trainer import Trainer
from tests.export.helpers import make_data

VARIANTS = {
    # the ablation baseline: single-stage warp, priors-conditioned texture, no segmenter
    "baseline": ["warp.fine_stage=false", 'texture.conditioning="priors"'],
    "no_fine_stage": ["warp.fine_stage=false"],
    "instance_norm_warper": ['warp.normalization="instance"'],
    "mask_input_and_hole_fill_warper": ["warp.cloth_mask_input=true", "warp.fill_mask_holes=true"],
    "batch_norm_unets": ['segmentation.normalization="batch"', 'texture.normalization="batch"'],
    # the real-photo switches: composite only inside the warped garment, SSIM term,
    # mask L1, mask Dice and grid bending of the warp, class-balanced segmentation
    "real_photo_switches": ["texture.composite_within_warp=true", "loss.texture_ssim=1.0",
                            "loss.warp_mask_l1=1.0", "loss.warp_mask_dice=1.0",
                            "loss.warp_grid_bending=1.0", "loss.segmentation_balance=0.5"],
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return make_data(tmp_path_factory.mktemp("variants") / "data", num_train=8, num_test=2)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_trains_evaluates_exports_and_tries_on(variant, data_root, tmp_path):
    config = override(get_preset("tiny"), [
        *VARIANTS[variant], "train.warp_steps=2", "train.segmentation_steps=2",
        "train.texture_steps=2", "train.batch_size=2", "train.log_every=1",
        "train.checkpoint_every=2", "train.image_every=2",
    ])
    keras.utils.set_random_seed(0)
    run_dir = tmp_path / "run"
    stages = ["warp", "texture"] if variant == "baseline" else ["warp", "segmentation", "texture"]
    Trainer(config, run_dir, make_data_source(data_root, config), log=lambda s: None).train(stages)
    run = Run(run_dir)
    assert run.missing_stages() == [] and run.sievenet_path.is_file()
    assert (run.load_sievenet().segmenter is None) == (variant == "baseline")
    if variant == "real_photo_switches":
        assert run.load_sievenet().texture_translator.composite_within_warp
        texture_log = [json.loads(line) for line in (run_dir / "logs" / "texture.jsonl").read_text().splitlines()]
        assert all(0 < record["ssim"] < 2 for record in texture_log)
        warp_log = [json.loads(line) for line in (run_dir / "logs" / "warp.jsonl").read_text().splitlines()]
        assert all(record["mask_l1"] > 0 for record in warp_log)
        assert all(0 < record["mask_dice"] <= 2 for record in warp_log)
        assert all(record["grid_bending"] >= 0 for record in warp_log) and warp_log[-1]["grid_bending"] > 0

    results = evaluate_run(run_dir, data_root, split="test", log=lambda s: None)
    assert np.isfinite(results["metrics"]["ssim"])
    assert (results["metrics"]["segmentation_miou"] is None) == (variant == "baseline")

    export_dir = tmp_path / "export"
    report = export_run(run_dir, export_dir, ["fp32"], calibration_data=data_root,
                        num_calibration=2, num_parity=2, log=lambda s: None)
    assert report["passed"], report["variants"]
    contract = json.loads((export_dir / "model_contract.json").read_text())
    outputs = [entry["name"] for entry in contract["outputs"]]
    assert ("expected_segmentation" in outputs) == (variant != "baseline")

    test = os.path.join(data_root, "test")
    out = tmp_path / "tryon.png"
    argv = ["--model", str(export_dir / "sievenet_fp32.tflite"),
            "--person", os.path.join(test, "image", "000000_0.jpg"),
            "--parse", os.path.join(test, "image-parse", "000000_0.png"),
            "--pose", os.path.join(test, "pose", "000000_0_keypoints.json"),
            "--cloth", os.path.join(test, "cloth", "000001_1.jpg"),
            "--cloth-mask", os.path.join(test, "cloth-mask", "000001_1.jpg"),
            "--out", str(out), "--grid"]
    assert tryon_main(argv) == 0
    assert out.is_file() and (tmp_path / "tryon_grid.png").is_file()
