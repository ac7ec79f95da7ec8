"""evaluate_run on a tiny run trained for a few steps on a tiny synthetic dataset."""

import json

import numpy as np
import pytest
from PIL import Image

from sievenet_tf import evaluation
from sievenet_tf.data.errors import DataError
from sievenet_tf.evaluation import evaluate_run
from sievenet_tf.run import RunError
from tests.helpers import EVAL_NUM_TEST

NUM_TEST = EVAL_NUM_TEST


def _quiet(line):
    pass


@pytest.fixture(scope="module")
def dataset(eval_dataset):
    return eval_dataset


@pytest.fixture(scope="module")
def run_dir(eval_run_dir):
    return eval_run_dir


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
    for key in ("warp_iou_coarse", "warp_iou_fine", "warp_iou_fine_filled", "identity_warp_iou",
                "segmentation_miou"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert metrics["fid"] is None and "FID not computed" in metrics["fid_note"]
    assert metrics["lpips"] is None and "LPIPS not computed" in metrics["lpips_note"]
    assert metrics["fid_backend"] == "pytorch-fid"
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


def test_keras_fid_is_computed_and_labelled_not_comparable(run_dir, dataset, tmp_path, monkeypatch):
    class FakeInception:  # stands in for Inception-v3: mean colour and its square per image
        def __init__(self, weights):
            self.weights = weights

        def __call__(self, images):
            images = np.asarray(images, np.float64)
            return np.concatenate([images.mean(axis=(1, 2)), (images**2).mean(axis=(1, 2))], -1)

    monkeypatch.setattr(evaluation.M, "InceptionFeatures", FakeInception)
    results = evaluate_run(
        run_dir, dataset, out_dir=tmp_path, max_examples=4, fid_backend="keras",
        fid_weights="local.h5", log=_quiet,
    )
    metrics = results["metrics"]
    assert metrics["fid"] > 0 and "local.h5" in metrics["fid_note"]
    assert metrics["fid_backend"] == "keras" and "NOT comparable with published FID" in metrics["fid_note"]
    assert "not comparable with published FID" in (tmp_path / "metrics.md").read_text()


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


def _pairs(dataset):
    """(person, cloth) file names of the unpaired test pairs, in file order."""
    return [tuple(line.split()) for line in (dataset / "test_pairs.txt").read_text().splitlines() if line.strip()]


def test_write_images_writes_the_unpaired_set_for_fid_tools(run_dir, dataset, tmp_path):
    from sievenet_tf.data import pipeline
    from sievenet_tf.run import Run
    from sievenet_tf.visualization import to_uint8

    images = tmp_path / "fid"
    out = tmp_path / "eval"
    results = evaluate_run(run_dir, dataset, pairs="unpaired", out_dir=out, write_images=images,
                           batch_size=3, log=_quiet)  # fmt: skip
    pairs = _pairs(dataset)
    persons = {p.rsplit(".", 1)[0] for p, _ in pairs}
    expected_tryons = {f"{p.rsplit('.', 1)[0]}_{c.rsplit('.', 1)[0]}.png" for p, c in pairs}
    assert {f.name for f in (images / "tryon").iterdir()} == expected_tryons
    assert {f.name for f in (images / "real").iterdir()} == {f"{p}.png" for p in persons}
    assert sorted(f.name for f in images.iterdir()) == ["real", "tryon"]  # no staging leftovers
    assert results["images"] == {
        "directory": str(images), "pairs": "unpaired", "tryon": len(expected_tryons),
        "real": len(persons),
        "fid_command": f"python -m pytorch_fid {images / 'tryon'} {images / 'real'}",
    }
    assert "python -m pytorch_fid" in (out / "metrics.md").read_text()

    # The person photos are the model's inputs at its resolution, exactly.
    config = Run(run_dir).config
    for batch in pipeline.make_dataset(dataset, config, "test", "unpaired", batch_size=8,
                                       shuffle=False).as_numpy_iterator():  # fmt: skip
        for name, person in zip(batch["person_name"], to_uint8(batch["person"])):
            written = np.asarray(Image.open(images / "real" / f"{name.decode().rsplit('.', 1)[0]}.png"))
            assert written.shape == (*config.data.image_size, 3)
            np.testing.assert_array_equal(written, person)
    # The try-ons are the grid's try-on column (person | cloth | warp | segmentation | try-on).
    grid = np.asarray(Image.open(out / "grid.png"))
    height, width = config.data.image_size
    for row, (person, cloth) in enumerate(pairs[:8]):
        tile = grid[row * (height + 2): row * (height + 2) + height, 4 * (width + 2): 4 * (width + 2) + width]
        name = f"{person.rsplit('.', 1)[0]}_{cloth.rsplit('.', 1)[0]}.png"
        np.testing.assert_array_equal(np.asarray(Image.open(images / "tryon" / name)), tile)

    # A second evaluation replaces the folders as a whole (no mix of two sets).
    evaluate_run(run_dir, dataset, pairs="unpaired", out_dir=out, write_images=images,
                 max_examples=2, log=_quiet)  # fmt: skip
    assert len(list((images / "tryon").iterdir())) == 2
    assert len(list((images / "real").iterdir())) == len({p for p, _ in pairs[:2]})


def test_image_writer_keeps_the_previous_set_when_interrupted(tmp_path, rng):
    from sievenet_tf.fid_images import FidImageWriter

    tryon, person = rng.uniform(-1, 1, (2, 2, 8, 6, 3))
    with FidImageWriter(tmp_path) as writer:
        writer.add([b"a.jpg", b"a.jpg"], [b"x.jpg", b"y.jpg"], tryon, person)
    assert (writer.tryon_count, writer.real_count) == (2, 1)  # a person in two pairs: one photo
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(KeyboardInterrupt), FidImageWriter(tmp_path) as writer:
        writer.add([b"b.jpg"], [b"z.jpg"], tryon[:1], person[:1])
        raise KeyboardInterrupt
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    with pytest.raises(ValueError, match="batch lengths differ"), FidImageWriter(tmp_path) as writer:
        writer.add([b"b.jpg"], [b"z.jpg", b"w.jpg"], tryon, person)
    with pytest.raises(ValueError, match="outside its `with` block"):
        FidImageWriter(tmp_path).add([b"b.jpg"], [b"z.jpg"], tryon[:1], person[:1])


def test_write_images_is_refused_with_analyzer_only(run_dir, dataset, tmp_path):
    with pytest.raises(evaluation.EvaluationError, match="write_images needs try-ons"):
        evaluate_run(run_dir, dataset, analyzer_only=True, write_images=tmp_path, log=_quiet)


def test_one_notice_line_when_fid_and_lpips_are_not_computed(run_dir, dataset, tmp_path):
    lines = []
    results = evaluate_run(run_dir, dataset, out_dir=tmp_path, max_examples=2, log=lines.append)
    notices = [line for line in lines if line.startswith("notice:")]
    assert len(notices) == 1, lines
    assert "FID" in notices[0] and "LPIPS" in notices[0] and "not computed" in notices[0]
    assert results["metrics"]["fid"] is None and results["metrics"]["lpips"] is None


def test_documented_evaluate_commands_parse_and_fid_commands_read_the_written_folders():
    import pathlib
    import re
    import shlex

    repo = pathlib.Path(__file__).resolve().parents[1]
    evaluate_commands = fid_commands = 0
    for name in ("README.md", "docs/evaluation.md"):
        text = (repo / name).read_text(encoding="utf-8")
        for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
            written = set()
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:2] == ["python", "training/evaluate.py"]:
                    args = evaluation.build_parser().parse_args(words[2:])  # SystemExit if misspelt
                    evaluate_commands += 1
                    if args.write_images is not None:
                        written.add(str(args.write_images))
                elif words[:3] == ["python", "-m", "pytorch_fid"]:
                    fid_commands += 1
                    tryon, real = words[3:5]
                    folder = tryon.removesuffix("/tryon")
                    assert folder in written and real == f"{folder}/real", (name, line)
    assert evaluate_commands >= 6 and fid_commands >= 3


def test_worst_grids_show_the_lowest_pairs_of_per_example_csv(run_dir, dataset, tmp_path):
    import csv

    from sievenet_tf.worst_cases import worst_pairs

    out = tmp_path / "eval"
    logged = []
    evaluate_run(run_dir, dataset, out_dir=out, batch_size=3, worst=2, best=1, log=logged.append)
    rows = list(csv.DictReader(open(out / "per_example.csv")))
    by_ssim = sorted(rows, key=lambda r: float(r["ssim"]))
    lowest, highest = by_ssim[:2], by_ssim[-1]
    assert [(p, c) for p, c, _ in worst_pairs(out / "per_example.csv", "ssim", 2)] == [
        (r["person"], r["cloth"]) for r in lowest
    ]
    assert [(p, c) for p, c, _ in worst_pairs(out / "per_example.csv", "ssim", 1, best=True)] == [
        (highest["person"], highest["cloth"])
    ]
    for metric in ("ssim", "warp_iou_fine"):
        worst_height = np.asarray(Image.open(out / f"worst_{metric}.png")).shape[0]
        best_height = np.asarray(Image.open(out / f"best_{metric}.png")).shape[0]
        assert worst_height > 2 * 60 > best_height > 60  # two rows / one row of 64 x 48 tiles
    assert any(lowest[0]["person"] in line for line in logged if "worst_ssim" in line)
    assert any(highest["person"] in line for line in logged if "best_ssim" in line)
    with pytest.raises(evaluation.EvaluationError, match="worst / best need paired"):
        evaluate_run(run_dir, dataset, pairs="unpaired", worst=2, out_dir=tmp_path / "u", log=_quiet)
    with pytest.raises(ValueError, match="metric must be one of"):
        worst_pairs(out / "per_example.csv", "fid", 2)


def test_the_filled_mask_iou_warps_the_solid_mask_with_the_fine_tps(run_dir):
    import tensorflow as tf

    from sievenet_tf.run import Run

    model = Run(run_dir).load_sievenet()
    height, width = model.warper.image_size
    rng = np.random.default_rng(0)
    solid = np.zeros((2, height, width, 1), np.float32)
    solid[:, 8:56, 8:40] = 1.0
    holed = solid.copy()
    holed[:, 20:30, 16:24] = 0.0
    inputs = {
        "cloth": rng.uniform(-1, 1, (2, height, width, 3)).astype(np.float32),
        "cloth_mask": holed,
        "priors": rng.uniform(0, 1, (2, height, width, model.warper.prior_channels)).astype(np.float32),
        "texture_priors": rng.uniform(-1, 1, (2, height, width, 3)).astype(np.float32),
    }
    infer = evaluation._compiled_inference(model, tf.data.Dataset.from_tensor_slices(inputs).batch(2))
    outputs = {k: np.asarray(v) for k, v in infer(inputs).items()}
    on_solid = {k: np.asarray(v) for k, v in model({**inputs, "cloth_mask": solid}, training=False).items()}
    np.testing.assert_allclose(outputs["warped_filled_mask_fine"], on_solid["warped_mask_fine"], atol=1e-5)
    assert outputs["warped_mask_fine"].sum() < outputs["warped_filled_mask_fine"].sum() - 50
    worn = (on_solid["warped_mask_fine"] > 0.5).astype(np.float32)  # a worn mask the warp matches
    values = evaluation.paired_metrics({**inputs, "person": inputs["cloth"], "cloth_worn": inputs["cloth"],
                                        "cloth_worn_mask": worn}, outputs)
    np.testing.assert_allclose(values["warp_iou_fine_filled"], 1.0, atol=1e-6)
    assert np.all(values["warp_iou_fine"] < 0.97)
