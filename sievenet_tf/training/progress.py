"""A dependency-free progress line: step, steps/s, ETA and the main loss terms."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def format_duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


class Progress:
    """Redraws one line on a terminal; prints a line per update otherwise."""

    def __init__(self, label: str, total: int, start: int = 0, stream=None, width: int = 24):
        self.label, self.total, self.start = label, total, start
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, step: int, values: dict[str, float]) -> None:
        elapsed = time.monotonic() - self.started
        done = max(step - self.start, 0)
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - step) / rate if rate > 0 else 0.0
        filled = int(self.width * step / max(self.total, 1))
        bar = "=" * filled + ">" * (filled < self.width) + " " * (self.width - filled - 1)
        terms = " ".join(f"{k}={v:.4f}" for k, v in values.items())
        line = (
            f"{self.label} {step}/{self.total} [{bar[: self.width]}] "
            f"{rate:.2f} step/s ETA {format_duration(eta)} {terms}"
        )
        if self.interactive:
            self.stream.write("\r" + line[:200] + "\033[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()


def format_summary(run_dir, reports, seconds) -> str:
    """The end-of-training summary: steps and held-out totals per stage, where things are."""
    lines = [f"\ndone in {format_duration(seconds)} — run directory {run_dir}"]
    for report in reports:
        final = ", ".join(f"{k}={v:.4f}" for k, v in report.final_terms.items())
        before = report.heldout_before.get("total")
        after = report.heldout_after.get("total")
        heldout = (
            f"; held-out total {before:.4f} -> {after:.4f}"
            if before is not None and after is not None
            else ""
        )
        lines.append(f"  {report.stage}: steps {report.start_step}->{report.end_step}{heldout}")
        if final:
            lines.append(f"    final: {final}")
    lines.append(
        f"  checkpoints: {run_dir}/checkpoints/  models: {run_dir}/models/  images: {run_dir}/images/"
    )
    if (Path(run_dir) / "sievenet.keras").exists():
        lines.append(
            f"  try-on model: {run_dir}/sievenet.keras (export with export/export.py --run {run_dir})"
        )
    lines.append(f"  TensorBoard: tensorboard --logdir {run_dir}/tensorboard")
    return "\n".join(lines)
