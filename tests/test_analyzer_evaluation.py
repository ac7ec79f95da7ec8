"""evaluate.py with predicted priors, the photo path's metrics, and a VITON-HD 1024 x 768 layout."""

import numpy as np
import pytest

from sievenet_tf import keys
from sievenet_tf.analyzer_metrics import AnalyzerMetrics
from tests.export.helpers import add_analyzer, make_data, make_run


def _batch(keypoints, segmentation, mask):
    return {keys.KEYPOINTS: keypoints, keys.SEGMENTATION: segmentation, keys.CLOTH_MASK: mask}


def test_keypoint_metrics_count_misses_missing_points_and_scale_to_256():
    truth = np.zeros((1, 18, 3), np.float32)
    truth[0, :4] = [[10, 10, 0.9], [20, 20, 0.8], [30, 30, 0.7], [40, 40, 0.5]]
    guess = truth.copy()
    guess[0, 0, :2] += (3.0, 0.0)  # 3 px at height 128 = 6 px at 256: within 8
    guess[0, 1, :2] += (0.0, 5.0)  # 10 px at 256: outside
    guess[0, 2] = 0.0  # a miss (predicted missing)
    guess[0, 17] = (5, 5, 0.4)  # predicted where the dataset has none
    segmentation = np.zeros((1, 128, 96), np.int32)
    segmentation[0, :64] = 5
    mask = np.ones((1, 128, 96, 1), np.float32)
    metrics = AnalyzerMetrics((128, 96))
    metrics.update(_batch(truth, segmentation, mask),
                   {"keypoints": guess, "parse": segmentation, "cloth_mask": mask})  # fmt: skip
    result = metrics.result()
    assert result["keypoint_pck"] == pytest.approx(2 / 4)  # points 0 and 3
    assert result["keypoint_median_error_px"] == pytest.approx(6.0)  # errors 6, 10, 0
    assert result["missing_recall"] == pytest.approx(13 / 14)  # 14 missing, 13 predicted missing
    assert result["missing_precision"] == pytest.approx(13 / 14)  # 14 predicted missing, 13 right
    assert result["parse_miou"] == 1.0 and result["upper_clothes_iou"] == 1.0
    assert result["cloth_mask_iou"] == 1.0 and result["parse_classes_present"] == 2


@pytest.fixture(scope="module")
def analyzed_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("analyzer_eval")
    run = add_analyzer(make_run(root / "run"))
    data = make_data(root / "data", num_train=2, num_test=4)
    return run, data


def test_evaluate_with_predicted_priors_reports_both(analyzed_run, tmp_path):
    from sievenet_tf.evaluation import evaluate_run

    run, data = analyzed_run
    results = evaluate_run(run, data, out_dir=tmp_path / "pred", priors="predicted", log=lambda s: None)
    assert results["priors"] == "predicted" and results["metrics"]["ssim"] is not None
    analyzer = results["analyzer"]
    assert 0.0 <= analyzer["parse_pixel_accuracy"] <= 1.0 and analyzer["keypoints_visible"] > 0
    assert "Photo path" in (tmp_path / "pred" / "metrics.md").read_text()
    dataset = evaluate_run(run, data, out_dir=tmp_path / "data", log=lambda s: None)
    assert "analyzer" not in dataset and dataset["priors"] == "dataset"
    assert dataset["metrics"]["ssim"] != results["metrics"]["ssim"]


def test_analyzer_only_with_perturbation_needs_no_tryon(tmp_path):
    from sievenet_tf.config import get_preset
    from sievenet_tf.evaluation import EvaluationError, evaluate_run
    from sievenet_tf.run import Run

    Run(tmp_path / "run").create(get_preset("tiny"))
    add_analyzer(tmp_path / "run")
    data = make_data(tmp_path / "data", num_train=1, num_test=3)
    results = evaluate_run(tmp_path / "run", data, analyzer_only=True, perturb=True, log=lambda s: None)
    assert results["num_examples"] == 3 and "parse_miou" in results["analyzer"]
    assert (tmp_path / "run" / "eval_analyzer_test_perturbed" / "metrics.md").is_file()
    with pytest.raises(EvaluationError, match="perturb"):
        evaluate_run(tmp_path / "run", data, perturb=True, log=lambda s: None)


def test_photo_path_runs_on_a_viton_hd_layout_at_1024x768(analyzed_run, tmp_path):
    """VITON-HD photos (1024 x 768, BODY_25 poses, CIHP-style parses): the run's
    photo path fits them and predicts at its own resolution."""
    from sievenet_tf import TryOn
    from sievenet_tf.evaluation import evaluate_run
    from tests.data.conftest import make_dataset_files

    run, _ = analyzed_run
    root = make_dataset_files(tmp_path / "viton_hd", "viton_hd", size=(1024, 768))
    results = evaluate_run(run, root, split="test", analyzer_only=True, log=lambda s: None)
    assert results["num_examples"] >= 1
    person = next((root / "test" / "image").iterdir())
    cloth = next((root / "test" / "cloth").iterdir())
    with pytest.warns(UserWarning, match="resized"):
        result = TryOn(run)(str(person), cloth=str(cloth))
    assert result.tryon.shape == (64, 48, 3) and result.predicted_keypoints.shape == (18, 3)
