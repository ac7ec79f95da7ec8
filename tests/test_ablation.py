"""The ablation runner, end to end at a couple of steps per stage, and its configs."""

import json

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
    out = tmp_path / "ablation"
    lines = []
    report = ablation.run_ablation(
        out, steps_scale=0.001, data_root=data, log=lines.append, trainer_log=lambda s: None
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
    (main_table,) = [b.splitlines() for b in markdown.split("\n\n") if b.startswith("| variant")]
    assert len(main_table) == 2 + 3 and "SSIM" in main_table[0]  # header, rule, 3 variants
    assert [row["variant"] for row in rows if "vs_previous" in row] == ["c2f_satt", "sievenet"]
    assert "| c2f_satt → sievenet |" in markdown
    assert any("sievenet: SSIM" in line for line in lines)
    for variant in ("baseline", "c2f_satt", "sievenet"):
        assert (out / variant / "eval_test_paired" / "metrics.json").exists()
    with pytest.raises(FileExistsError, match="--overwrite"):
        ablation.run_ablation(out, steps_scale=0.001, data_root=data, log=lines.append)
