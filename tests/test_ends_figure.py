"""The best-and-worst figure tool (training/ends_figure.py)."""

import json

import numpy as np
import pytest

from sievenet_tf.ends_figure import BAND, SEPARATOR, FigureError, ends_figure, main
from sievenet_tf.visualization import save_png, tryon_grid

H, W = 12, 8


def _grid(values):
    """A 2-column grid whose row i is filled with the grey level values[i]."""
    tiles = np.stack([np.full((H, W, 3), v, np.uint8) for v in values])
    return tryon_grid({"a": tiles, "b": tiles}, max_rows=len(values))


@pytest.fixture
def eval_dir(tmp_path):
    save_png(tmp_path / "best_ssim.png", _grid([10, 20, 30]))
    save_png(tmp_path / "worst_ssim.png", _grid([100, 110, 120, 130]))
    (tmp_path / "metrics.json").write_text(json.dumps({"model": {"image_size": [H, W]}}))
    return tmp_path


def _row_levels(figure):
    """The grey level at the first pixel of each image row of the figure."""
    return [int(figure[y, 0, 0]) for y in range(figure.shape[0])]


def test_best_rows_over_worst_rows_with_a_band(eval_dir):
    figure = ends_figure(eval_dir, best=2, worst=3)
    pitch = H + SEPARATOR
    assert figure.shape == (2 * pitch + BAND + 3 * pitch - SEPARATOR, 2 * (W + SEPARATOR), 3)
    levels = _row_levels(figure)
    assert levels[0] == 10 and levels[pitch] == 20 and levels[2 * pitch - 1] == 255  # separator
    start = 2 * pitch + BAND
    assert set(levels[2 * pitch:start]) == {255}  # the band
    assert [levels[start + k * pitch] for k in range(3)] == [100, 110, 120]
    assert levels[-1] == 120  # no trailing separator: the last row is image


def test_one_end_alone_and_scale(eval_dir):
    assert _row_levels(ends_figure(eval_dir, best=0, worst=1)) == [100] * H
    half = ends_figure(eval_dir, best=1, worst=0, scale=0.5)
    assert half.shape == (H // 2, W + SEPARATOR, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"best": 4}, "best_ssim.png: 3 rows, 4 asked"),
    ({"metric": "psnr"}, "best_psnr.png: no such grid"),
    ({"best": 0, "worst": 0}, "not both 0"),
    ({"scale": 0}, "scale must be in"),
])
def test_errors_name_the_problem(eval_dir, kwargs, message):
    with pytest.raises(FigureError, match=message):
        ends_figure(eval_dir, **kwargs)


def test_grid_drawn_at_another_size_is_refused(eval_dir):
    (eval_dir / "metrics.json").write_text(json.dumps({"model": {"image_size": [H + 1, W]}}))
    with pytest.raises(FigureError, match="not a multiple of 15"):
        ends_figure(eval_dir)


def test_cli_writes_the_png_and_errors_in_one_line(eval_dir, tmp_path, capsys):
    out = tmp_path / "fig" / "ends.png"
    assert main([str(eval_dir), "--best", "1", "--worst", "1", "--out", str(out)]) == 0
    assert out.is_file()
    assert main([str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "metrics.json: no such file" in capsys.readouterr().err
