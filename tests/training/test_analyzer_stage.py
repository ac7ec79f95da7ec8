"""The analyzer and cloth-mask stages in the trainer: losses, checkpoints, resume, the run."""

import numpy as np
import pytest

from sievenet_tf.config import get_preset, override
from sievenet_tf.data.source import ArrayDataSource
from sievenet_tf.run import Run, RunError
from sievenet_tf.training.trainer import Trainer
from tests.training.run_trainer import random_examples


def _config(*assignments):
    return override(get_preset("tiny"), [
        "train.batch_size=4", "train.log_every=1", "train.image_every=1000",
        "train.checkpoint_every=2", *assignments,
    ])  # fmt: skip


def _with_keypoints(examples, seed):
    rng = np.random.default_rng(seed)
    count, height, width = examples["person"].shape[:3]
    keypoints = np.stack([rng.uniform(0, width - 1, (count, 18)), rng.uniform(0, height - 1, (count, 18)),
                          rng.uniform(0, 1, (count, 18))], -1).astype("float32")  # fmt: skip
    keypoints[:, 10:] = 0.0  # some missing
    return {**examples, "keypoints": keypoints}


def _source(config):
    return ArrayDataSource(
        _with_keypoints(random_examples(config, 8, 1), 1),
        _with_keypoints(random_examples(config, 4, 2), 2),
    )


def test_analyzer_stage_trains_saves_resumes_and_the_tryon_does_not_need_it(tmp_path):
    config = _config("train.analyzer_steps=3")
    reports = Trainer(config, tmp_path, _source(config), log=lambda s: None).train(["analyzer"])
    assert reports[0].end_step == 3
    assert set(reports[0].final_terms) == {"cross_entropy", "heatmap_mse", "total"}
    assert all(np.isfinite(v) for v in reports[0].final_terms.values())
    run = Run(tmp_path)
    assert run.has_analyzer() and run.load_analyzer().image_size == (64, 48)
    assert run.load_cloth_masker() is None
    assert set(run.missing_stages()) == {"warp", "segmentation", "texture"}  # not "analyzer"
    assert not run.sievenet_path.exists()
    assert (tmp_path / "images" / "analyzer_0000003.png").is_file()
    # Longer on --resume: continues from the checkpoint (the generator's state included).
    longer = _config("train.analyzer_steps=5")
    reports = Trainer(longer, tmp_path, _source(longer), resume=True, log=lambda s: None).train(
        ["analyzer"]
    )
    assert (reports[0].start_step, reports[0].end_step) == (3, 5)


def test_analyzer_uses_its_own_optimizer_settings(tmp_path):
    from sievenet_tf.training.stages import AnalyzerStage

    config = _config("analyzer_training.learning_rate=0.005", "analyzer_training.beta_1=0.8")
    stage = AnalyzerStage(config)
    assert stage.optimizer_config.learning_rate == 0.005 and stage.optimizer_config.beta_1 == 0.8
    assert stage.optimizer_config.epsilon == config.optimizer.epsilon


def test_cloth_mask_stage_trains_and_the_run_loads_it(tmp_path):
    config = _config("train.cloth_mask_steps=2")
    reports = Trainer(config, tmp_path, _source(config), log=lambda s: None).train(["cloth_mask"])
    assert np.isfinite(reports[0].final_terms["cross_entropy"])
    assert Run(tmp_path).load_cloth_masker().image_size == (64, 48)


def test_missing_analyzer_says_how_to_train_it(tmp_path):
    config = _config()
    Run(tmp_path).create(config)
    with pytest.raises(RunError, match="--stage analyzer"):
        Run(tmp_path).load_analyzer()


def test_cli_accepts_the_analyzer_stage_and_its_steps():
    from sievenet_tf.training.cli import build_parser, resolve_config

    args = build_parser().parse_args(["--stage", "analyzer", "--steps", "7", "--preset", "tiny",
                                      "--out", "/nonexistent/run"])  # fmt: skip
    config, stages = resolve_config(args)
    assert stages == ["analyzer"] and config.train.analyzer_steps == 7
    assert config.train.warp_steps == get_preset("tiny").train.warp_steps
