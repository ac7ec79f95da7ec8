"""Dataset layouts and pairs files: names, byte-order marks, links leaving the dataset."""

import os

import pytest

from sievenet_tf.data import io, layouts
from sievenet_tf.data.errors import DataError
from sievenet_tf.data.folder import index_folder
from sievenet_tf.data.validate import validate_dataset


def test_names_must_stay_inside(tmp_path):
    assert io.check_inside(tmp_path, "sub/a.jpg") == str(tmp_path / "sub" / "a.jpg")
    with pytest.raises(DataError, match="escapes the dataset folder"):
        io.check_inside(tmp_path / "image", "../../etc/passwd")
    with pytest.raises(DataError, match="not a relative file name"):
        io.check_inside(tmp_path, "/etc/passwd")
    with pytest.raises(DataError, match="not a relative file name"):
        io.check_inside(tmp_path, "a\0b.jpg")


def test_links_are_resolved_before_the_containment_check(tmp_path):
    root, image = tmp_path / "root", tmp_path / "root" / "train" / "image"
    image.mkdir(parents=True)
    (tmp_path / "secret.jpg").write_bytes(b"x")
    (image / "escape.jpg").symlink_to(tmp_path / "secret.jpg")
    with pytest.raises(DataError, match="symbolic link to .*secret.jpg") as error:
        io.check_inside(image, "escape.jpg", "person image", root)
    assert error.value.path == str(image / "escape.jpg")
    # Links that stay inside the dataset, and linked folders, are fine.
    (root / "train" / "cloth").mkdir()
    (root / "train" / "cloth" / "a.jpg").write_bytes(b"x")
    (image / "sibling.jpg").symlink_to(root / "train" / "cloth" / "a.jpg")
    assert io.check_inside(image, "sibling.jpg", "person image", root) == str(image / "sibling.jpg")
    elsewhere = tmp_path / "big_disk" / "images"
    elsewhere.mkdir(parents=True)
    (elsewhere / "b.jpg").write_bytes(b"x")
    (root / "test").mkdir()
    (root / "test" / "image").symlink_to(elsewhere, target_is_directory=True)
    linked = root / "test" / "image"
    assert io.check_inside(linked, "b.jpg", "person image", root) == str(linked / "b.jpg")


def test_a_linked_file_outside_the_dataset_is_refused_by_every_reader(
    tmp_path, make_files, tiny_config
):
    """#11.10: the link used to be followed (the root check was lexical)."""
    root = make_files(tmp_path / "data", num_train=2, num_test=0)
    secret = tmp_path / "secret_keypoints.json"
    pose_file = root / "train" / "pose" / "000001_0_keypoints.json"
    secret.write_text(pose_file.read_text())
    pose_file.unlink()
    pose_file.symlink_to(secret)
    index = index_folder(root, "train", "paired")
    assert [f.person_name for f in index.examples] == ["000000_0.jpg"]
    assert len(index.problems) == 1 and index.problems[0].path == str(pose_file)
    assert "pose file is a symbolic link to" in index.problems[0].problem
    lines = validate_dataset(root).lines()
    assert any(line.startswith(str(pose_file)) and "symbolic link" in line for line in lines)


def test_pairs_file_with_a_byte_order_mark(tmp_path, make_files, tiny_config):
    """#11.10: Windows editors write a BOM; it used to become part of the first name."""
    root = make_files(tmp_path / "data", num_train=2, num_test=0)
    pairs = root / "train_pairs.txt"
    pairs.write_bytes(b"\xef\xbb\xbf" + pairs.read_text().replace("\n", "\r\n").encode())
    assert layouts.read_pairs(pairs) == [
        ("000000_0.jpg", "000000_1.jpg"),
        ("000001_0.jpg", "000001_1.jpg"),
    ]
    assert validate_dataset(root, splits=("train",)).ok


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "no pairs listed"),
        (b"\n  \n\t\n", "no pairs listed"),
        (b"a.jpg\n", "line 1: expected 'person cloth', got 'a.jpg'"),
        (b"a.jpg b.jpg\n\na b c\n", "line 3: expected"),
        (b"a.jpg \xff.jpg\n", "not a UTF-8 text file"),
        (b"x" * 500 + b"\n", "..."),
    ],
)
def test_bad_pairs_files(tmp_path, content, words):
    path = tmp_path / "train_pairs.txt"
    path.write_bytes(content)
    with pytest.raises(DataError, match=None) as error:
        layouts.read_pairs(path)
    assert words in str(error.value) and error.value.path == str(path)
    assert len(str(error.value)) < 300


def test_missing_and_unreadable_pairs_files(tmp_path):
    with pytest.raises(DataError, match="missing pairs file"):
        layouts.read_pairs(tmp_path / "nope.txt")
    os.mkdir(tmp_path / "dir_pairs.txt")
    with pytest.raises(DataError, match="missing pairs file"):
        layouts.read_pairs(tmp_path / "dir_pairs.txt")
