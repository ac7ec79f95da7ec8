"""Latency of the photo path, for ``export/benchmark.py`` (:mod:`.benchmark`).

When an export holds the ``photo`` graph, the benchmark also times, per format
and thread count: the whole photo graph (person + cloth photos -> try-on), and
the person analyzer alone (converted from the run's ``person_analyzer.keras``
in the same format), reported as a share of the try-on graph's latency.
"""

from __future__ import annotations

import os
import time

from sievenet_tf.export import photo_model as photo_lib
from sievenet_tf.run import Run


def benchmark_photo(
    export_dir, run_dir, formats, threads, repeats, results, log=print
) -> dict | None:
    """Time the photo graph and the analyzer; None when the export has no photo graph.

    Args:
        export_dir: the export directory.
        run_dir: its run (for the analyzer alone), or None to time the graph only.
        formats, threads, repeats: as :func:`.benchmark.run_benchmark`.
        results: the try-on results so far (``results["formats"][fmt]["latency_ms"]``).
        log: progress printer.

    Returns:
        ``{fmt: {"photo_ms": {threads: ms}, "analyzer_ms": {...}, "analyzer_share": {...},
        "file_bytes"}}`` and, with a run, ``"analyzer_gmacs"``.
    """
    from sievenet_tf.export import benchmark

    present = [
        f for f in formats if os.path.isfile(os.path.join(export_dir, photo_lib.file_name(f)))
    ]
    if not present:
        return None
    analyzer = None
    out = {"formats": {}}
    if run_dir is not None and Run(run_dir).has_analyzer():
        analyzer = benchmark._batch1(Run(run_dir).load_analyzer())
        out["analyzer_gmacs"] = round(benchmark.count_macs(analyzer) / 1e9, 3)
        out["analyzer_params"] = int(analyzer.count_params())
    work = os.path.join(export_dir, "benchmark_models")
    for fmt in present:
        path = os.path.join(export_dir, photo_lib.file_name(fmt))
        entry = {
            "file_bytes": os.path.getsize(path),
            "photo_ms": {},
            "analyzer_ms": {},
            "analyzer_share": {},
        }
        analyzer_path = None
        if analyzer is not None:
            started = time.monotonic()
            analyzer_path = benchmark._convert_component(
                analyzer, {}, fmt, os.path.join(work, fmt, "person_analyzer.tflite")
            )
            log(f"{fmt}: person_analyzer converted ({time.monotonic() - started:.0f} s)")
        for count in threads:
            key = str(count)
            entry["photo_ms"][key] = round(benchmark.time_interpreter(path, count, repeats), 2)
            if analyzer_path is not None:
                ms = round(benchmark.time_interpreter(analyzer_path, count, repeats), 2)
                entry["analyzer_ms"][key] = ms
                tryon = results["formats"].get(fmt, {}).get("latency_ms", {}).get(key)
                if tryon:
                    entry["analyzer_share"][key] = round(ms / tryon, 3)
            log(f"{fmt}, {count} thread(s): photo graph {entry['photo_ms'][key]} ms, analyzer "
                f"{entry['analyzer_ms'].get(key, '-')} ms")  # fmt: skip
        out["formats"][fmt] = entry
    return out


def format_photo(results: dict) -> list[str]:
    """Markdown lines for the photo part of the benchmark table (empty without one)."""
    photo = results.get("photo")
    if not photo:
        return []
    lines = [
        "",
        "Photo path (person + cloth photos in)"
        + (f"; analyzer {photo['analyzer_params'] / 1e3:.0f} k params, {photo['analyzer_gmacs']:.3f} GMACs"
           if "analyzer_gmacs" in photo else "")
        + ":",
        "",
        "| format | threads | photo graph MB | photo graph ms | try-on ms | analyzer ms | analyzer / try-on |",
        "|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for fmt, entry in photo["formats"].items():
        for key, ms in entry["photo_ms"].items():
            tryon = results["formats"].get(fmt, {}).get("latency_ms", {}).get(key)
            analyzer = entry["analyzer_ms"].get(key)
            share = entry["analyzer_share"].get(key)
            lines.append(
                f"| {fmt} | {key} | {entry['file_bytes'] / 1e6:.1f} | {ms:.1f} | "
                f"{'-' if tryon is None else f'{tryon:.1f}'} | {'-' if analyzer is None else f'{analyzer:.1f}'} | "
                f"{'-' if share is None else f'{100 * share:.0f} %'} |"
            )
    return lines
