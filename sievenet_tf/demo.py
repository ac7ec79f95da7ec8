"""``make demo``: SieveNet end to end on the embedded synthetic dataset.

Generates the dataset, trains all stages of the ``tiny`` preset, evaluates,
exports SavedModel + TFLite fp32 + int8, runs try-ons on unpaired test pairs
with the int8 model and measures latency. Everything lands in ``OUT`` (default
``runs/demo``); a second run reuses what is already there and finishes fast.
"""

from __future__ import annotations

# isort: off
from sievenet_tf.cli_util import run_main  # first: quiets TensorFlow's start-up logs
# isort: on

import argparse
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np

from sievenet_tf import atomic
from sievenet_tf.config import get_preset
from sievenet_tf.data import io, layouts, pipeline, synthetic
from sievenet_tf.data.source import make_data_source
from sievenet_tf.evaluation import evaluate_run
from sievenet_tf.export.benchmark import run_benchmark
from sievenet_tf.export.exporter import export_run
from sievenet_tf.inference import TryOn
from sievenet_tf.run import Run
from sievenet_tf.training.progress import format_summary
from sievenet_tf.training.trainer import Trainer
from sievenet_tf.visualization import save_png, tryon_grid

NUM_TRAIN, NUM_TEST = 600, 64
STEPS = 6


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fresh(output: Path, *inputs: Path) -> bool:
    """True when ``output`` exists and is newer than every existing input."""
    if not output.exists():
        return False
    return all(not p.exists() or output.stat().st_mtime >= p.stat().st_mtime for p in inputs)


class _Step:
    def __init__(self, number, title):
        self.number, self.title = number, title

    def __enter__(self):
        self.started = time.monotonic()
        _say(f"\n[{self.number}/{STEPS}] {self.title}")
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            _say(f"[{self.number}/{STEPS}] done in {time.monotonic() - self.started:.0f} s")


def run_demo(out: Path, preset: str = "tiny", force: bool = False) -> dict:
    """Run (or complete) the demo in ``out``; return the paths it produced."""
    out = Path(out)
    if force and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    config = get_preset(preset)
    data_root = out / "data"
    run = Run(out / "run")
    run_dir = run.directory
    export_dir = out / "export"
    model_path = run.sievenet_path
    started = time.monotonic()

    with _Step(1, f"synthetic dataset ({NUM_TRAIN} train / {NUM_TEST} test, {config.data.image_size[0]}x{config.data.image_size[1]})"):
        if (data_root / ".complete").exists():
            _say(f"reusing {data_root}")
        else:
            shutil.rmtree(data_root, ignore_errors=True)
            synthetic.generate(data_root, NUM_TRAIN, NUM_TEST, config.data.image_size, seed=0)
            atomic.write_text(data_root / ".complete", "ok\n")

    with _Step(2, f"training all stages of the {preset!r} preset"):
        if model_path.exists():
            _say(f"reusing {model_path}")
        else:
            keras.utils.set_random_seed(config.train.seed)
            trainer = Trainer(
                config, run_dir, make_data_source(data_root, config), resume=run.exists(), log=_say
            )
            with pipeline.data_errors():
                reports = trainer.train()
            _say(format_summary(run_dir, reports, time.monotonic() - started))

    with _Step(3, "evaluation on the paired test split (SSIM, PSNR, warp L1/IoU, mIoU)"):
        metrics_json = out / "metrics.json"
        if _fresh(metrics_json, model_path):
            _say(f"reusing {metrics_json}")
        else:
            evaluate_run(run_dir, data_root, split="test", pairs="paired", out_dir=out / "eval")
            for name in ("metrics.json", "metrics.md"):
                shutil.copy(out / "eval" / name, out / name)
        _say((out / "metrics.md").read_text())

    with _Step(4, "export: SavedModel + TFLite fp32 + int8 (parity-checked)"):
        contract = export_dir / "model_contract.json"
        if _fresh(contract, model_path):
            _say(f"reusing {export_dir}")
        else:
            report = export_run(
                run_dir, export_dir, formats=["saved_model", "fp32", "int8"],
                calibration_data=data_root, num_calibration=100, log=_say,
            )
            if not report["passed"]:
                raise RuntimeError(
                    f"export parity failed; see {report['export_dir']}/parity_report.json"
                )

    with _Step(5, "try-ons on unpaired test pairs with the int8 model"):
        grid_path = write_unpaired_grid(data_root, export_dir / "sievenet_int8.tflite", out / "tryon_grid.png")
        _say(f"wrote {grid_path}")

    with _Step(6, "latency (LiteRT, XNNPACK, median of 20 runs)"):
        latency = out / "latency.md"
        if _fresh(latency, export_dir / "sievenet_int8.tflite"):
            _say(f"reusing {latency}")
        else:
            run_benchmark(export_dir, run_dir, threads=(1, 2), repeats=20, components=False, log=_say)
            shutil.copy(export_dir / "benchmark.md", latency)
        _say(latency.read_text())

    produced = {
        "run": str(run_dir), "export": str(export_dir), "metrics": str(out / "metrics.md"),
        "tryon_grid": str(out / "tryon_grid.png"), "latency": str(out / "latency.md"),
    }
    atomic.write_json(out / "demo.json", produced)
    _say(f"\ndemo finished in {time.monotonic() - started:.0f} s; results in {out}/:")
    for name, path in produced.items():
        _say(f"  {name:11s} {path}")
    return produced


def write_unpaired_grid(data_root: Path, model_path: Path, path: Path, count: int = 8) -> Path:
    """person | cloth | warped cloth | expected segmentation | try-on, for the
    first ``count`` unpaired test pairs, run with the model at ``model_path``."""
    tryon = TryOn(str(model_path))
    layout = layouts.detect_layout(data_root)
    dirs = layouts.split_dirs(data_root, "test", layout)
    pairs = layouts.read_pairs(layouts.pairs_path(data_root, "test"))[:count]
    columns = {"person": [], "cloth": [], "warped cloth": [], "expected segmentation": [], "try-on": []}
    for person_name, cloth_name in pairs:
        files = layouts.example_files(dirs, person_name, cloth_name, layout)
        result = tryon(files.person, files.parse, files.pose, files.cloth, files.cloth_mask)
        size = result.tryon.shape[:2]
        columns["person"].append(io.fit_image(io.read_image(files.person), size))
        columns["cloth"].append(io.fit_image(io.read_image(files.cloth), size))
        columns["warped cloth"].append(result.warped_cloth_fine)  # [-1, 1]: tryon_grid converts
        columns["expected segmentation"].append(result.expected_segmentation)
        columns["try-on"].append(result.tryon_image())
    grid = tryon_grid({name: np.stack(values) for name, values in columns.items()})
    save_png(path, grid)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/demo"))
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--force", action="store_true", help="start from scratch")
    args = parser.parse_args(argv)
    code = run_main("demo.py", lambda log: run_demo(args.out, args.preset, args.force) and 0)
    if code == 130:
        _say("run the demo again to continue where it stopped")
    return code
