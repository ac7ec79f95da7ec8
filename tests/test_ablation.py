"""The ablation runner, end to end at a couple of steps per stage, and its configs."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sievenet_tf import ablation
from sievenet_tf.config import get_preset
from sievenet_tf.data import synthetic


def test_variant_configs_follow_the_paper_rows():
    base = get_preset("tiny")
    baseline = ablation.variant_config(base, "baseline")
    assert not baseline.warp.fine_stage and baseline.texture.conditioning == "priors"
    assert baseline.loss.warp_pgm == 0 and baseline.loss.warp_l1_fine == 0
    c2f_satt = ablation.variant_config(base, "c2f_satt")
    assert c2f_satt.warp == base.warp and c2f_satt.texture == base.texture
    for config in (baseline, c2f_satt):
        assert config.triplet.start_step > config.train.texture_steps  # no triplet
    sievenet = ablation.variant_config(base, "sievenet")
    assert sievenet.triplet == base.triplet and sievenet.train == base.train
    # the shared warp and segmentation stages see identical settings
    for section in ("data", "warp", "segmentation", "loss", "optimizer", "train"):
        assert getattr(c2f_satt, section) == getattr(sievenet, section), section
    with pytest.raises(ValueError, match="unknown variant"):
        ablation.variant_config(base, "gmm")


def test_scaled_config_scales_every_step_count():
    scaled = ablation.scaled_config(get_preset("tiny"), 0.1)
    assert (
        scaled.train.warp_steps,
        scaled.train.segmentation_steps,
        scaled.train.texture_steps,
    ) == (150, 100, 150)
    assert (scaled.triplet.start_step, scaled.triplet.refresh_every) == (100, 10)
    assert ablation.scaled_config(get_preset("tiny"), 1e-6).train.log_every == 1
    with pytest.raises(ValueError, match="steps_scale"):
        ablation.scaled_config(get_preset("tiny"), 0)


def test_runs_three_variants_with_equal_budgets_and_writes_the_table(tmp_path):
    data = synthetic.generate(tmp_path / "data", 16, 8, (64, 48), seed=0, progress=False)
    other = synthetic.generate(tmp_path / "other_persons", 4, 6, (64, 48), seed=5, progress=False)
    out = tmp_path / "ablation"
    lines = []
    report = ablation.run_ablation(
        out, steps_scale=0.001, data_root=data, log=lines.append, trainer_log=lambda s: None,
        also_test=[other],
    )
    rows = report["rows"]
    assert [row["variant"] for row in rows] == ["baseline", "c2f_satt", "sievenet"]
    assert rows[0]["steps"] == {"warp": 2, "texture": 2}
    assert rows[1]["steps"] == rows[2]["steps"] == {"warp": 2, "segmentation": 1, "texture": 2}
    assert rows[0]["metrics"]["segmentation_miou"] is None
    assert rows[2]["metrics"]["segmentation_miou"] == rows[1]["metrics"]["segmentation_miou"]
    assert rows[2]["shared_stages"] == {"warp": "c2f_satt", "segmentation": "c2f_satt"}
    assert all(0 < row["metrics"]["ssim"] <= 1 for row in rows)
    assert (rows[0]["triplet_start_step"], rows[2]["triplet_start_step"]) == (None, 1)

    # the triplet term is on only in the sievenet variant's texture stage
    def triplet_terms(variant):
        log = (out / variant / "logs" / "texture.jsonl").read_text().splitlines()
        return [json.loads(line)["triplet"] for line in log]

    assert all(value == 0 for value in triplet_terms("c2f_satt"))
    assert triplet_terms("sievenet")[-1] > 0

    assert json.loads((out / "ablation.json").read_text())["rows"] == rows
    markdown = (out / "ablation.md").read_text()
    main_table, other_table = [b.splitlines() for b in markdown.split("\n\n") if b.startswith("| variant")]
    assert len(main_table) == len(other_table) == 2 + 3 and "SSIM" in main_table[0]  # header, rule, 3 variants
    assert [row["variant"] for row in rows if "vs_previous" in row] == ["c2f_satt", "sievenet"]
    assert "| c2f_satt → sievenet |" in markdown
    # the whole method against the baseline (the paper's claim): its own paired step
    whole = ablation.paired_differences(out / "baseline", out / "sievenet")
    assert rows[2]["vs_first"]["psnr"]["mean_difference"] == whole["psnr"]["mean_difference"]
    assert "vs_first" not in rows[1] and "| baseline → sievenet |" in markdown
    assert any("sievenet: SSIM" in line for line in lines)
    for variant in ("baseline", "c2f_satt", "sievenet"):
        assert (out / variant / "eval_test_paired" / "metrics.json").exists()
    # --also-test: every run evaluated on the other root's 6 test pairs too, with its own table
    (tested,) = report["other_tests"]
    assert tested["data"] == str(other) and tested["eval_dir"] == "eval_test_paired_other_persons"
    assert [row["variant"] for row in tested["rows"]] == ["baseline", "c2f_satt", "sievenet"]
    for row, main_row in zip(tested["rows"], rows):
        assert row["num_test_examples"] == 6 and main_row["num_test_examples"] == 8
        assert row["metrics"]["ssim"] != main_row["metrics"]["ssim"]
        per_example = Path(row["runs"][0]["run_dir"]) / tested["eval_dir"] / "per_example.csv"
        assert len(per_example.read_text().splitlines()) == 1 + 6
    step = tested["rows"][2]["vs_previous"]["ssim"]
    plain = ablation.paired_differences(out / "c2f_satt", out / "sievenet", eval_dir=tested["eval_dir"])
    assert (step["mean_difference"], step["standard_error"]) == (
        plain["ssim"]["mean_difference"], plain["ssim"]["standard_error"]
    )
    assert f"## The same runs on the test split of `{other}` (paired)" in markdown
    assert "| c2f_satt → sievenet |" in markdown.split("## The same runs")[1]
    assert "| baseline → sievenet |" in markdown.split("## The same runs")[1]
    with pytest.raises(FileExistsError, match="--overwrite"):
        ablation.run_ablation(out, steps_scale=0.001, data_root=data, log=lines.append)


def test_also_test_refuses_a_missing_root_and_two_roots_of_one_name(tmp_path):
    with pytest.raises(FileNotFoundError, match="--also-test .*nowhere"):
        ablation.run_ablation(tmp_path / "out", also_test=[tmp_path / "nowhere"])
    (tmp_path / "a" / "viton").mkdir(parents=True)
    (tmp_path / "b" / "viton").mkdir(parents=True)
    with pytest.raises(ValueError, match="same folder name"):
        ablation.run_ablation(tmp_path / "out", also_test=[tmp_path / "a" / "viton", tmp_path / "b" / "viton"])
    assert not (tmp_path / "out").exists()


def _write_per_example(run_dir, ssim, psnr):
    folder = run_dir / "eval_test_paired"
    folder.mkdir(parents=True)
    lines = ["person,cloth,ssim,psnr"] + [
        f"p{i}.jpg,c{i}.jpg,{s},{p}" for i, (s, p) in enumerate(zip(ssim, psnr))
    ]
    (folder / "per_example.csv").write_text("\n".join(lines) + "\n")


def test_seeded_paired_differences_average_pairs_over_seeds(tmp_path):
    # two seeds, three test pairs; after - before per seed: seed 0 (+0.1, +0.2, +0.3), seed 1 (+0.3, 0, -0.4)
    runs = {}
    for name, seed, ssim in [
        ("a", 0, [0.5, 0.5, 0.5]), ("b", 0, [0.6, 0.7, 0.8]),
        ("a", 1, [0.4, 0.5, 0.6]), ("b", 1, [0.7, 0.5, 0.2]),
    ]:
        runs[name, seed] = tmp_path / f"{name}{seed}"
        _write_per_example(runs[name, seed], ssim, [20.0, 20.0, 20.0])
    result = ablation.seeded_paired_differences([runs["a", 0], runs["a", 1]], [runs["b", 0], runs["b", 1]])
    ssim = result["ssim"]
    # per pair, averaged over seeds: (+0.2, +0.1, -0.05); SE over the three pairs
    averaged = np.array([0.2, 0.1, -0.05])
    assert ssim["mean_difference"] == pytest.approx(averaged.mean(), abs=1e-6)
    assert ssim["standard_error"] == pytest.approx(averaged.std(ddof=1) / 3**0.5, abs=1e-6)
    # per seed means +0.2 and -0.1/3 -> SE over the two seeds = half their gap
    assert ssim["per_seed"] == pytest.approx([0.2, -0.1 / 3], abs=1e-6)
    assert ssim["seed_standard_error"] == pytest.approx((0.2 + 0.1 / 3) / 2, abs=1e-6)
    assert ssim["improved_fraction"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["psnr"]["mean_difference"] == 0 and result["psnr"]["improved_fraction"] == 0
    # one seed: no seed standard error, the same numbers as paired_differences
    one = ablation.seeded_paired_differences([runs["a", 0]], [runs["b", 0]])
    assert one["ssim"]["seed_standard_error"] is None
    plain = ablation.paired_differences(runs["a", 0], runs["b", 0])
    assert one["ssim"]["mean_difference"] == plain["ssim"]["mean_difference"]
    assert one["ssim"]["standard_error"] == plain["ssim"]["standard_error"]
    _write_per_example(tmp_path / "other", [0.5, 0.5], [20.0, 20.0])
    with pytest.raises(ValueError, match="different pairs"):
        ablation.seeded_paired_differences([runs["a", 0]], [tmp_path / "other"])


def test_parse_seeds_names_the_bad_value():
    assert ablation.parse_seeds("0,1, 2") == (0, 1, 2)
    with pytest.raises(ValueError, match="'x' is not an integer"):
        ablation.parse_seeds("0,x")
    with pytest.raises(ValueError, match="repeats"):
        ablation.parse_seeds("1,1")


def test_two_seeds_mean_and_error_over_seeds_and_resume_keeps_finished_work(tmp_path):
    data = synthetic.generate(tmp_path / "data", 16, 8, (64, 48), seed=0, progress=False)
    out = tmp_path / "ablation"
    quiet = dict(log=lambda s: None, trainer_log=lambda s: None)
    report = ablation.run_ablation(out, steps_scale=0.001, data_root=data, seeds=(0, 1), **quiet)
    assert report["seeds"] == [0, 1] and not report["resumed"]
    for row in report["rows"]:
        assert [run["seed"] for run in row["runs"]] == [0, 1]
        assert [Path(run["run_dir"]) for run in row["runs"]] == [
            out / "seed_0" / row["variant"], out / "seed_1" / row["variant"]
        ]
        ssims = [run["metrics"]["ssim"] for run in row["runs"]]
        assert ssims[0] != ssims[1]  # the seed changes initial weights and data order
        assert row["metrics"]["ssim"] == pytest.approx(np.mean(ssims))
        assert row["metrics_standard_error"]["ssim"] == pytest.approx(abs(ssims[0] - ssims[1]) / 2)
    for seed in (0, 1):
        config = json.loads((out / f"seed_{seed}" / "sievenet" / "config.json").read_text())
        assert config["train"]["seed"] == seed
    step = report["rows"][2]["vs_previous"]["ssim"]
    assert len(step["per_seed"]) == 2 and step["seed_standard_error"] is not None
    whole = report["rows"][2]["vs_first"]["ssim"]
    assert whole["per_seed"] == [
        ablation.paired_differences(out / f"seed_{s}" / "baseline", out / f"seed_{s}" / "sievenet")[
            "ssim"]["mean_difference"] for s in (0, 1)
    ]
    markdown = (out / "ablation.md").read_text()
    assert "mean ± standard error over the 2 seeds" in markdown and "SE pairs / seeds" in markdown

    # an ablation cut short: seed 1's last variant is missing; --resume trains only it
    kept = out / "seed_0" / "c2f_satt" / "eval_test_paired" / "per_example.csv"
    kept_time = kept.stat().st_mtime_ns
    shutil.rmtree(out / "seed_1" / "sievenet")
    lines = []
    resumed = ablation.run_ablation(out, steps_scale=0.001, data_root=data, seeds=(0, 1), resume=True,
                                    log=lines.append, trainer_log=lines.append)
    assert kept.stat().st_mtime_ns == kept_time
    assert sum("reusing the evaluation" in line for line in lines) == 5
    # every texture stage is visited again; only seed 1's sievenet trains one
    assert sum("[texture] already complete" in line for line in lines) == 5
    assert resumed["resumed"]
    for before, after in zip(report["rows"], resumed["rows"]):
        assert after["runs"][0]["metrics"] == before["runs"][0]["metrics"]
    assert (out / "seed_1" / "sievenet" / "eval_test_paired" / "metrics.json").exists()
    with pytest.raises(FileExistsError, match="--resume"):
        ablation.run_ablation(out, steps_scale=0.001, data_root=data, seeds=(0, 1), **quiet)


def test_an_interrupted_ablation_says_how_to_continue(monkeypatch, tmp_path, capsys):
    from sievenet_tf.training.trainer import TrainingInterrupted

    def interrupted(*args, **kwargs):
        raise TrainingInterrupted("[warp] interrupted at step 3; checkpoint saved to X.")

    monkeypatch.setattr(ablation, "run_ablation", interrupted)
    assert ablation.main(["--out", str(tmp_path / "a")]) == 130
    output = capsys.readouterr()
    assert "interrupted at step 3" in output.out + output.err
    assert "--resume" in output.out + output.err and "Traceback" not in output.err


def test_documented_ablation_commands_parse():
    import re
    import shlex

    repo = Path(__file__).resolve().parents[1]
    found = 0
    for name in ("README.md", "docs/evaluation.md"):
        text = (repo / name).read_text(encoding="utf-8")
        for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words[:2] == ["python", "training/ablation.py"]:
                    ablation.build_parser().parse_args(words[2:])  # SystemExit if misspelt
                    found += 1
    assert found >= 2
