"""Shared fixtures: quiet TensorFlow, deterministic seeds, the tiny config."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sievenet_tf.config import get_preset  # noqa: E402
from tests.helpers import EVAL_IMAGE_SIZE, EVAL_NUM_TEST  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture
def tiny_config():
    return get_preset("tiny")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# A tiny run trained for a few steps on a tiny synthetic dataset, shared by the
# evaluation tests (tests/test_evaluation.py, tests/test_field_metrics.py).


@pytest.fixture(scope="session")
def eval_dataset(tmp_path_factory):
    from sievenet_tf.data import synthetic

    return synthetic.generate(
        tmp_path_factory.mktemp("data"), 16, EVAL_NUM_TEST, EVAL_IMAGE_SIZE, seed=0, progress=False
    )


@pytest.fixture(scope="session")
def eval_run_dir(tmp_path_factory, eval_dataset):
    from sievenet_tf.config import override
    from sievenet_tf.data.source import make_data_source
    from sievenet_tf.training.trainer import Trainer

    config = override(get_preset("tiny"), [
        "train.batch_size=4", "train.warp_steps=1", "train.segmentation_steps=1",
        "train.texture_steps=1", "train.log_every=1", "train.image_every=1000",
        "train.checkpoint_every=1000",
    ])  # fmt: skip
    run = tmp_path_factory.mktemp("run")
    Trainer(config, run, make_data_source(eval_dataset, config), log=lambda line: None).train()
    return run
