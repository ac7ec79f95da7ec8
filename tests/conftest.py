"""Shared fixtures: quiet TensorFlow, deterministic seeds, the tiny config."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sievenet_tf.config import get_preset  # noqa: E402


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
