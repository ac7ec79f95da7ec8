"""The garment-type breakdown of an evaluation (sievenet_tf.failure_analysis)."""

import csv
import json

import numpy as np
import pytest
from PIL import Image

from sievenet_tf import failure_analysis
from sievenet_tf.data import layouts, synthetic

NUM_TEST = 20
COLUMNS = ["person", "cloth", "ssim", "psnr", "warp_iou_fine"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A synthetic test split whose first pair's garment is near-white and whose
    second pair's cloth mask is full of enclosed holes."""
    root = tmp_path_factory.mktemp("synthetic")
    synthetic.generate(root, 0, NUM_TEST, (64, 48), seed=0, progress=False)
    pairs = layouts.read_pairs(root / "test_pairs.txt")
    light, lacy = pairs[0][1], pairs[1][1]
    cloth = root / "test" / "cloth" / light
    photo = np.asarray(Image.open(cloth).convert("RGB")).copy()
    photo[:] = 250
    Image.fromarray(photo).save(cloth, format="JPEG", quality=100)
    mask = np.zeros((64, 48), np.uint8)
    mask[8:56, 8:40] = 255
    for y in range(10, 54, 3):
        for x in range(10, 38, 3):
            mask[y : y + 2, x : x + 2] = 0  # 150 holes of 2 x 2: 600 of the 1536 pixels
    Image.fromarray(mask).save(root / "test" / "cloth-mask" / lacy, format="JPEG", quality=100)
    return root, pairs


def write_csv(path, rows, columns=COLUMNS):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)


@pytest.fixture
def eval_dir(dataset, tmp_path):
    """per_example.csv: the light pair has the lowest SSIM and IoU 0.3, the lacy one
    IoU 0.45, the third pair the second-lowest SSIM and IoU 0.2, the rest IoU 0.8."""
    _, pairs = dataset
    rows = []
    for i, (person, cloth) in enumerate(pairs):
        ssim, iou = {0: (0.40, 0.30), 1: (0.70, 0.45), 2: (0.50, 0.20)}.get(i, (0.80 + i / 200, 0.80))
        rows.append([person, cloth, ssim, 20.0 + i, iou])
    write_csv(tmp_path / "per_example.csv", rows)
    return tmp_path


def test_rows_are_grouped_by_garment_and_counted(dataset, eval_dir):
    root, pairs = dataset
    result = failure_analysis.breakdown(eval_dir / "per_example.csv", root)
    groups = result["groups"]
    assert [groups[g]["n"] for g in ("all", "light garment", "lacy mask", "other")] == [20, 1, 1, 18]
    assert "broken mask" not in groups
    assert groups["light garment"]["share"] == pytest.approx(0.05)
    assert groups["light garment"]["ssim"] == pytest.approx(0.40)
    assert groups["light garment"]["psnr"] == pytest.approx(20.0)
    assert (groups["light garment"]["low_iou"], groups["light garment"]["low_iou_rate"]) == (1, 1.0)
    assert (groups["lacy mask"]["low_iou"], groups["lacy mask"]["warp_iou_fine"]) == (1, pytest.approx(0.45))
    assert groups["other"]["low_iou"] == 1
    assert groups["other"]["low_iou_rate"] == pytest.approx(1 / 18)
    assert groups["all"]["low_iou"] == 3
    # The worst tenth by SSIM: 2 rows, the light pair's and the third pair's.
    assert result["worst_tenth_count"] == 2
    assert [groups[g]["worst_tenth"] for g in ("all", "light garment", "lacy mask", "other")] == [2, 1, 0, 1]
    lowest = result["lowest_iou"]
    assert len(lowest) == 10
    assert [(r["person"], r["group"]) for r in lowest[:3]] == [
        (pairs[2][0], "other"), (pairs[0][0], "light garment"), (pairs[1][0], "lacy mask")]  # fmt: skip
    assert lowest[2]["mask_holes"] > 0.2 and lowest[1]["brightness"] > 0.8


def test_descriptors_of_the_altered_garments(dataset):
    root, pairs = dataset
    names = [pairs[0][1], pairs[1][1], pairs[3][1]]
    d = failure_analysis.garment_descriptors(root, "test", names)
    assert d["brightness"][0] > 0.95 and d["brightness"][2] < 0.8
    assert d["mask_holes"][1] == pytest.approx(600 / 936, abs=0.1)
    assert d["mask_holes"][2] < 0.2
    assert d["mask_share"][1] == pytest.approx(936 / (64 * 48), abs=0.05)


def test_cli_prints_the_table_and_writes_json(dataset, eval_dir, capsys):
    root, _ = dataset
    assert failure_analysis.main([str(eval_dir), "--data", str(root)]) == 0
    out = capsys.readouterr().out
    assert "| light garment | 1 | 5.0% | 0.400 |" in out and "| lacy mask | 1 |" in out
    written = json.loads((eval_dir / "failure_breakdown.json").read_text())
    assert written["groups"]["other"]["n"] == 18
    assert written["thresholds"]["light"] == 0.8


def test_errors_are_one_line_naming_the_file(dataset, tmp_path, capsys):
    root, pairs = dataset
    missing = tmp_path / "nothing"
    missing.mkdir()
    assert failure_analysis.main([str(missing), "--data", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(missing / "per_example.csv") in err

    no_column = tmp_path / "no_column"
    no_column.mkdir()
    write_csv(no_column / "per_example.csv", [[*pairs[0], 0.5, 20.0]], COLUMNS[:4])
    assert failure_analysis.main([str(no_column), "--data", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "per_example.csv" in err and "warp_iou_fine" in err

    bad_cloth = tmp_path / "bad_cloth"
    bad_cloth.mkdir()
    write_csv(bad_cloth / "per_example.csv", [[pairs[0][0], "nope_1.jpg", 0.5, 20.0, 0.5]])
    assert failure_analysis.main([str(bad_cloth), "--data", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(root / "test" / "cloth" / "nope_1.jpg") in err
