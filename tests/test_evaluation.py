"""evaluate_run on a tiny run trained for a few steps on a tiny synthetic dataset."""

import json

import numpy as np
import pytest
from PIL import Image

from sievenet_tf import evaluation
from sievenet_tf.config import get_preset, override
from sievenet_tf.data import synthetic
from sievenet_tf.data.errors import DataError
from sievenet_tf.evaluation import evaluate_run
from sievenet_tf.run import RunError

NUM_TEST = 8


def _quiet(line):
    pass


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return synthetic.generate(
        tmp_path_factory.mktemp("data"), 16, NUM_TEST, (64, 48), seed=0, progress=False
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, dataset):
    from sievenet_tf.data.source import make_data_source
    from sievenet_tf.training.trainer import Trainer

    config = override(get_preset("tiny"), [
        "train.batch_size=4", "train.warp_steps=1", "train.segmentation_steps=1",
        "train.texture_steps=1", "train.log_every=1", "train.image_every=1000",
        "train.checkpoint_every=1000",
    ])
    run = tmp_path_factory.mktemp("run")
    Trainer(config, run, make_data_source(dataset, config), log=_quiet).train()
    return run


@pytest.fixture(scope="module")
def paired(run_dir, dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval")
    return out, evaluate_run(run_dir, dataset, out_dir=out, batch_size=3, log=_quiet)


def test_writes_report_files_with_metrics_in_range(paired):
    out, results = paired
    assert results["num_examples"] == NUM_TEST
    metrics = results["metrics"]
    assert 0.0 < metrics["ssim"] <= 1.0 and metrics["psnr"] > 0
    for key in ("warp_l1_coarse", "warp_l1_fine", "identity_warp_l1"):
        assert 0.0 <= metrics[key] <= 1.0, key
    for key in ("warp_iou_coarse", "warp_iou_fine", "identity_warp_iou", "segmentation_miou"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics["fid"] is None and "FID not computed" in metrics["fid_note"]
    assert metrics["lpips"] is None and "not available" in metrics["lpips_note"]
    assert results["segmentation_iou_per_class"]["background"] is not None

    assert json.loads((out / "metrics.json").read_text()) == results
    markdown = (out / "metrics.md").read_text()
    assert (
        "| SSIM (try-on vs person) | ↑ |" in markdown and "Segmentation IoU per class" in markdown
    )
    assert len((out / "per_example.csv").read_text().splitlines()) == 1 + NUM_TEST
    grid = np.asarray(Image.open(out / "grid.png"))
    # person | cloth | warped cloth | expected segmentation | try-on | target, 8 rows
    assert grid.shape == (NUM_TEST * (64 + 2), 6 * (48 + 2), 3)


def test_is_deterministic_and_independent_of_batch_size(paired, run_dir, dataset, tmp_path):
    first = evaluate_run(run_dir, dataset, out_dir=tmp_path / "a", batch_size=8, log=_quiet)
    second = evaluate_run(run_dir, dataset, out_dir=tmp_path / "b", batch_size=8, log=_quiet)
    assert (tmp_path / "a" / "metrics.json").read_text() == (
        tmp_path / "b" / "metrics.json"
    ).read_text()
    assert second == first
    batch_of_3 = paired[1]["metrics"]
    for key, value in first["metrics"].items():
        if isinstance(value, float):
            assert batch_of_3[key] == pytest.approx(value, abs=1e-5), key


def test_default_out_dir_max_examples_and_unpaired(run_dir, dataset):
    results = evaluate_run(run_dir, dataset, max_examples=3, log=_quiet)
    assert results["num_examples"] == 3
    assert (run_dir / "eval_test_paired" / "metrics.json").exists()
    unpaired = evaluate_run(run_dir, dataset, pairs="unpaired", log=_quiet)
    assert unpaired["metrics"]["ssim"] is None and unpaired["metrics"]["segmentation_miou"] is None
    assert any("unpaired" in note for note in unpaired["notes"])
    grid = np.asarray(Image.open(run_dir / "eval_test_unpaired" / "grid.png"))
    assert grid.shape[1] == 5 * (48 + 2)  # no target column
    assert not (run_dir / "eval_test_unpaired" / "per_example.csv").exists()


def test_fid_is_computed_when_features_are_available(run_dir, dataset, tmp_path, monkeypatch):
    class FakeInception:  # stands in for Inception-v3: mean colour and its square per image
        def __init__(self, weights):
            self.weights = weights

        def __call__(self, images):
            images = np.asarray(images, np.float64)
            return np.concatenate([images.mean(axis=(1, 2)), (images**2).mean(axis=(1, 2))], -1)

    monkeypatch.setattr(evaluation.M, "InceptionFeatures", FakeInception)
    results = evaluate_run(
        run_dir, dataset, out_dir=tmp_path, max_examples=4, inception_weights="local.h5", log=_quiet
    )
    assert results["metrics"]["fid"] > 0 and "local.h5" in results["metrics"]["fid_note"]


def test_clear_errors(run_dir, dataset, tmp_path):
    with pytest.raises(RunError, match="does not exist"):
        evaluate_run(tmp_path / "nope", dataset, log=_quiet)
    partial = tmp_path / "partial"
    (partial / "models").mkdir(parents=True)
    (partial / "config.json").write_text((run_dir / "config.json").read_text())
    (partial / "models" / "warper.keras").write_bytes(b"")
    with pytest.raises(RunError, match=r"stage\(s\) segmentation, texture not trained"):
        evaluate_run(partial, dataset, log=_quiet)
    with pytest.raises(DataError):
        evaluate_run(run_dir, tmp_path / "no_dataset", out_dir=tmp_path / "x", log=_quiet)


def test_cli_defaults_to_the_synthetic_dataset(run_dir, dataset, tmp_path, monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(
        evaluation, "synthetic_root", lambda config, cache_dir=None, log=None: asked.append(config.name) or dataset
    )
    assert (
        evaluation.main(["--run", str(run_dir), "--out", str(tmp_path), "--max-examples", "4"]) == 0
    )
    assert asked == ["tiny"]
    assert "| SSIM (try-on vs person)" in capsys.readouterr().out
    assert evaluation.main(["--run", str(tmp_path / "missing")]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f"evaluate.py: error: run directory {tmp_path / 'missing'} does not exist"]


def test_zero_batch_size_is_refused_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        evaluation.main(["--run", str(tmp_path), "--batch-size", "0"])
    assert exit_info.value.code == 2
    assert "--batch-size: must be >= 1, got 0" in capsys.readouterr().err
