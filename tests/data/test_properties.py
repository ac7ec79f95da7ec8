"""Property-based: whatever the content of a pose file or a pairs file, the
readers return a valid result or raise the project's DataError, nothing else (#11)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sievenet_tf.data import layouts, pose
from sievenet_tf.data.errors import DataError
from sievenet_tf.data.folder import index_folder
from tests.data.conftest import make_dataset_files

# No example database: nothing is written into the repository.
SETTINGS = settings(
    max_examples=150, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

# ------------------------------------------------------------------ pose files

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
# Number tokens JSON allows, and some it does not (NaN, huge, > 4300 digits).
_number_tokens = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text("0123456789", min_size=1, max_size=5000),
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e39", "-1e400", "true", "null", '"7"', "[]"]
    ),
)


@st.composite
def _near_valid_pose(draw) -> str:
    """A pose file that is valid or almost: right key, a plausible count, odd numbers."""
    count = draw(st.sampled_from([54, 75, 54, 75, 0, 3, 53, 76]))
    key = draw(st.sampled_from(["pose_keypoints", "pose_keypoints_2d", "face_keypoints"]))
    values = draw(st.lists(_number_tokens, min_size=count, max_size=count))
    text = '{"people": [{"' + key + '": [' + ", ".join(values) + "]}]}"
    return draw(st.sampled_from(["", "\ufeff", " "])) + text


_pose_texts = st.one_of(
    _near_valid_pose(),
    _json_values.map(lambda value: json.dumps({"people": [{"pose_keypoints": value}]})),
    _json_values.map(json.dumps),
    st.text(max_size=200),
    st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth),
)


def _check_pose(keypoints):
    assert keypoints.shape == (18, 3) and keypoints.dtype == np.float32
    assert np.all(np.isfinite(keypoints))
    assert (keypoints[:, 2] > 0).any()
    assert np.all(keypoints[keypoints[:, 2] <= 0] == 0)


@SETTINGS
@given(text=_pose_texts, layout=st.sampled_from(["viton", "viton_hd"]))
def test_pose_text_gives_a_pose_or_a_data_error(text, layout):
    try:
        keypoints = pose.parse_keypoints(text, "p_keypoints.json", layout)
    except DataError as e:
        assert e.path == "p_keypoints.json" and e.problem
    else:
        _check_pose(keypoints)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("properties")


@SETTINGS
@given(
    data=st.one_of(_pose_texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary()),
    size=st.tuples(st.integers(1, 2000), st.integers(1, 2000)),
)
def test_pose_file_gives_a_pose_or_a_data_error(scratch, data, size):
    path = scratch / "any_keypoints.json"
    path.write_bytes(data)
    try:
        keypoints = pose.read_keypoints(path, "viton", image_size=size)
    except DataError as e:
        assert e.path == str(path) and e.problem
    else:
        _check_pose(keypoints)
        present = keypoints[:, 2] > 0
        assert np.all(np.abs(keypoints[present, 0]) <= pose.MAX_OUTSIDE_FACTOR * size[1])
        assert np.all(np.abs(keypoints[present, 1]) <= pose.MAX_OUTSIDE_FACTOR * size[0])


# ------------------------------------------------------------------ pairs files

_names = st.one_of(
    st.sampled_from(
        [
            "000000_0.jpg",
            "000000_1.jpg",
            "000001_0.jpg",
            "../x.jpg",
            "/etc/passwd",
            "a/../../b.jpg",
            ".",
            "..",
            "image",
            "sub/000000_0.jpg",
            "x" * 300,
        ]
    ),
    st.text(min_size=1, max_size=20),
)
_pairs_lines = st.lists(st.lists(_names, min_size=0, max_size=3).map(" ".join), max_size=6)
_separators = st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\x0b", "\u2028"])


@st.composite
def _pairs_texts(draw) -> str:
    separator = draw(_separators)
    return draw(st.sampled_from(["", "\ufeff"])) + separator.join(draw(_pairs_lines))


@SETTINGS
@given(data=st.one_of(_pairs_texts(), st.text(max_size=100)))
def test_pairs_text_gives_pairs_or_a_data_error(data):
    try:
        pairs = layouts.parse_pairs(data, "train_pairs.txt")
    except DataError as e:
        assert e.path == "train_pairs.txt" and e.problem
    else:
        assert pairs and all(len(pair) == 2 for pair in pairs)
        assert all(name and not any(c.isspace() for c in name) for pair in pairs for name in pair)
        assert all("\ufeff" not in pair[0] for pair in pairs)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset_files(tmp_path_factory.mktemp("pairs") / "data", num_train=2, num_test=0)


@SETTINGS
@given(
    data=st.one_of(_pairs_texts().map(str.encode), st.binary(max_size=200)),
    pairs=st.sampled_from(layouts.PAIRS),
)
def test_pairs_file_gives_examples_or_data_errors(dataset, data, pairs):
    """Listing the pairs (names checked against the folders) never fails otherwise."""
    (dataset / "train_pairs.txt").write_bytes(data)
    try:
        index = index_folder(dataset, "train", pairs, "viton")
    except DataError as e:
        assert e.path and e.problem
        return
    assert all(isinstance(problem, DataError) for problem in index.problems)
    for files in index.examples:
        for path in (files.person, files.parse, files.pose, files.cloth, files.cloth_mask):
            real = os.path.realpath(path)
            assert real.startswith(os.path.realpath(dataset) + os.sep) and os.path.isfile(real)
    assert index.keypoints.shape == (len(index.examples), 18, 3)
