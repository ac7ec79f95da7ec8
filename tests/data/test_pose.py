"""The one pose-file reader: COCO-18 and BODY_25, and every bad content as a DataError."""

import json

import numpy as np
import pytest

from sievenet_tf import labels
from sievenet_tf.data import pose
from sievenet_tf.data.errors import DataError
from tests.data.conftest import to_body25

COCO = np.tile([[20.0, 30.0, 0.9]], (18, 1))  # every keypoint at (20, 30)


def write_pose(path, people):
    path.write_text(json.dumps({"version": 1.0, "people": people}))
    return path


def pose_text(values, key="pose_keypoints"):
    return '{"people": [{"' + key + '": [' + ", ".join(values) + "]}]}"


def coco_values(replace=None):
    """COCO values as JSON number texts, with ``replace = {index: text}`` substituted."""
    values = [repr(float(v)) for v in COCO.ravel()]
    for index, text in (replace or {}).items():
        values[index] = text
    return values


def test_keypoints_coco18_and_body25(tmp_path, rng):
    coco = np.concatenate([rng.uniform(1, 50, (18, 2)), rng.uniform(0.1, 1, (18, 1))], -1)
    coco[4] = 0.0
    path = write_pose(tmp_path / "a.json", [{"pose_keypoints": coco.ravel().tolist()}])
    np.testing.assert_allclose(pose.read_keypoints(path, "viton"), coco, rtol=1e-6)
    body25 = to_body25(coco.astype(np.float32))
    path = write_pose(tmp_path / "b.json", [{"pose_keypoints_2d": body25.ravel().tolist()}])
    np.testing.assert_allclose(pose.read_keypoints(path, "viton_hd"), coco, rtol=1e-6)
    # BODY_25 indices: COCO r_hip (8) is BODY_25 9, COCO r_eye (14) is BODY_25 15.
    assert labels.BODY25_TO_COCO18[8] == 9 and labels.BODY25_TO_COCO18[14] == 15
    assert labels.BODY25_TO_COCO18[:8] == tuple(range(8))


def test_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom_keypoints.json"
    path.write_bytes(b"\xef\xbb\xbf" + pose_text(coco_values()).encode())
    np.testing.assert_allclose(pose.read_keypoints(path), COCO, rtol=1e-6)


@pytest.mark.parametrize(
    "content, words",
    [
        ('{"people": [', "malformed JSON"),
        ("[1, 2]", "no 'people' list"),
        ('{"people": []}', "no person in the pose file"),
        ('{"people": [{"face_keypoints": []}]}', "no 'pose_keypoints'"),
        ('{"people": [{"pose_keypoints": [1, 2, 3]}]}', "got 3 values"),
        ('{"people": [{"pose_keypoints": ["a"]}]}', "finite numbers"),
        ('{"people": [{"pose_keypoints": {"x": 1}}]}', "must be a list"),
        ('{"people": [{"pose_keypoints": ' + json.dumps([0] * 54) + "}]}", "no person"),
        # The defects of issue #11.4: each escaped as a traceback before.
        (pose_text(coco_values({12: "9" * 400})), r"keypoint 4 \(r_wrist\) x = 9999.* float32"),
        (pose_text(coco_values({13: "9" * 5000})), "malformed JSON.*digits"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"people": [' * 50_000 + "]}" * 50_000, "nested too deeply"),
        (pose_text(coco_values({0: "NaN"})), "malformed JSON.*NaN"),
        (pose_text(coco_values({1: "-Infinity"})), "malformed JSON.*Infinity"),
        (pose_text(coco_values({3: "1e999"})), r"keypoint 1 \(neck\) x = inf"),
        (
            pose_text(coco_values({4: "1e39"})),
            r"keypoint 1 \(neck\) y = 1e\+39 is not a finite float32",
        ),
        (pose_text(coco_values({5: "true"})), r"keypoint 1 \(neck\) confidence is a bool"),
        (pose_text(coco_values({6: "null"})), r"keypoint 2 \(r_shoulder\) x is null"),
        (pose_text(coco_values({6: "[1]"})), r"keypoint 2 \(r_shoulder\) x is a list"),
    ],
)
def test_bad_pose_files(tmp_path, content, words):
    path = tmp_path / "pose.json"
    path.write_text(content)
    with pytest.raises(DataError, match=words) as error:
        pose.read_keypoints(path)
    assert error.value.path == str(path)
    assert len(str(error.value)) < 400  # one readable line, not the content


def test_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "latin1_keypoints.json"
    path.write_bytes(b'{"people": [{"pose_keypoints": [\xff]}]}')
    with pytest.raises(DataError, match="not UTF-8") as error:
        pose.read_keypoints(path)
    assert error.value.path == str(path)


def test_missing_directory_and_huge_files(tmp_path):
    with pytest.raises(DataError, match="missing file"):
        pose.read_keypoints(tmp_path / "nope.json")
    with pytest.raises(DataError, match="not a regular file"):
        pose.read_keypoints(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (pose.MAX_POSE_FILE_BYTES + 1))
    with pytest.raises(DataError, match="larger than"):
        pose.read_keypoints(big)


def test_keypoints_far_outside_the_photo_are_named(tmp_path):
    """+-1e6 used to become a silently missing keypoint; now it is refused, naming it."""
    values = COCO.copy()
    values[7] = (-1e6, 30.0, 0.8)  # l_wrist
    path = write_pose(tmp_path / "far.json", [{"pose_keypoints": values.ravel().tolist()}])
    keypoints = pose.read_keypoints(path)  # without the photo's size it cannot tell
    with pytest.raises(DataError, match=r"keypoint 7 \(l_wrist\) at \(-1e\+06, 30\).*256x192"):
        pose.read_keypoints(path, image_size=(192, 256))
    with pytest.raises(DataError, match="l_wrist") as error:
        pose.check_in_image(keypoints, (192, 256), path)
    assert error.value.path == str(path)
    # Just outside the frame (OpenPose's own clipping, a resized photo) is fine,
    # and a missing keypoint (confidence 0) may hold anything.
    values[7] = (-300.0, 2000.0, 0.8)
    values[8] = (5e6, 5e6, 0.0)
    path = write_pose(tmp_path / "near.json", [{"pose_keypoints": values.ravel().tolist()}])
    result = pose.read_keypoints(path, image_size=(256, 192))
    np.testing.assert_array_equal(result[8], 0.0)


def test_parse_keypoints_accepts_text_and_bytes():
    text = pose_text(coco_values())
    np.testing.assert_allclose(pose.parse_keypoints(text, "p.json"), COCO, rtol=1e-6)
    np.testing.assert_allclose(pose.parse_keypoints("\ufeff" + text, "p.json"), COCO, rtol=1e-6)
    np.testing.assert_allclose(pose.parse_keypoints(text.encode(), "p.json"), COCO, rtol=1e-6)
