"""The validator: every bad-input case of issue 6, from Python and the command line."""

import numpy as np
import pytest
from PIL import Image

from sievenet_tf.data.cli import main
from sievenet_tf.data.validate import validate_dataset
from tests.data.conftest import CORRUPTIONS, save_parse


def test_clean_datasets_of_both_layouts(viton_root, viton_hd_root):
    for root, layout in ((viton_root, "viton"), (viton_hd_root, "viton_hd")):
        report = validate_dataset(root, paired=True)
        assert report.ok, report.lines()
        assert report.layout == layout
        assert report.num_pairs == 5
        assert "no problems" in report.summary()


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_each_problem_is_reported_with_its_file(tmp_path, make_files, case):
    root = make_files(tmp_path / "data", "viton", num_train=2, num_test=2)
    bad_path, words = CORRUPTIONS[case](root)
    report = validate_dataset(root, workers=1)
    assert not report.ok
    lines = report.lines()
    matching = [line for line in lines if str(bad_path) in line and words in line]
    assert matching, (case, lines)
    assert len(report.problems) == 1, lines  # nothing else is blamed


def test_malformed_pose_files_do_not_stop_the_check_of_the_others(tmp_path, make_files, capsys):
    """#11.4: a RecursionError / OverflowError used to abort ``validate`` before
    it reported anything."""
    root = make_files(tmp_path / "data", "viton", num_train=3, num_test=2)
    pose = root / "train" / "pose"
    (pose / "000000_0_keypoints.json").write_text("[" * 100_000 + "]" * 100_000)
    (pose / "000001_0_keypoints.json").write_text(
        '{"people": [{"pose_keypoints": [' + "9" * 400 + ", 1, 1" + ", 1.0" * 51 + "]}]}"
    )
    (root / "test" / "image" / "000003_0.jpg").write_bytes(b"broken")
    assert main(["validate", str(root)]) == 1
    out, err = capsys.readouterr()
    assert "000000_0_keypoints.json: malformed JSON (nested too deeply)" in out
    assert "000001_0_keypoints.json: keypoint 0 (nose) x = 9999" in out
    assert "000003_0.jpg: not a readable image" in out
    assert "3 problem(s) in 3 file(s)" in err and "Traceback" not in err


def test_converted_not_rejected(tmp_path, make_files):
    """Grayscale, RGBA and palette photos; palette, 'L' and LIP-colour RGB parses."""
    root = make_files(tmp_path / "data", "viton", num_train=3, num_test=2)
    image_dir = root / "train" / "image"
    Image.open(image_dir / "000000_0.jpg").convert("L").save(image_dir / "000000_0.jpg")
    rgba = Image.open(image_dir / "000001_0.jpg").convert("RGBA")
    rgba.save(image_dir / "000001_0.jpg", format="PNG")  # PNG content, .jpg name
    Image.open(image_dir / "000002_0.jpg").convert("P").save(image_dir / "000002_0.jpg", "PNG")
    parse_dir = root / "train" / "image-parse"
    save_parse(parse_dir / "000000_0.png", np.asarray(Image.open(parse_dir / "000000_0.png")), "L")
    save_parse(
        parse_dir / "000001_0.png", np.asarray(Image.open(parse_dir / "000001_0.png")), "RGB"
    )
    report = validate_dataset(root)
    assert report.ok, report.lines()


def test_missing_root_and_unknown_layout(tmp_path):
    assert "missing dataset folder" in validate_dataset(tmp_path / "nope").lines()[0]
    (tmp_path / "empty" / "train").mkdir(parents=True)
    assert "cannot detect the dataset layout" in validate_dataset(tmp_path / "empty").lines()[0]


def test_malformed_pairs_file(viton_root):
    (viton_root / "test_pairs.txt").write_text("000003_0.jpg\n")
    lines = validate_dataset(viton_root).lines()
    assert any("test_pairs.txt: line 1: expected 'person cloth'" in line for line in lines)


def test_command_line(viton_root, capsys):
    assert main(["validate", str(viton_root)]) == 0
    assert "no problems" in capsys.readouterr().out

    bad_path, words = CORRUPTIONS["truncated_image"](viton_root)
    (viton_root / "train" / "pose" / "000001_0_keypoints.json").write_text("{")
    assert main(["validate", str(viton_root), "--split", "train"]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(str(bad_path)) and words in lines[0]
    assert "000001_0_keypoints.json: malformed JSON" in lines[1]
    assert "2 problem(s) in 2 file(s)" in captured.err


@pytest.mark.realdata
def test_real_sample_is_clean(viton_sample):
    report = validate_dataset(viton_sample, splits=("test",), paired=True)
    assert report.ok, report.lines()[:10]
    assert report.layout == "viton" and report.num_pairs == 200
