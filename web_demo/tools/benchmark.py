"""Try-on latency of the page in headless Chromium next to LiteRT Python, same machine.

    python web_demo/tools/benchmark.py runs/demo/export [--random-export mobile_256x192]
        [--formats int8,fp32] [--threads 1,2] [--repeats 20] [--out FILE.md]

For every export, format and thread count the page is built for the export,
served on 127.0.0.1 with the cross-origin isolation headers (so WebAssembly
threads are available), opened in headless Chromium with ``?format=F&threads=T
&repeats=R``; one "Try on" on the first bundled pair gives the first-run time
(the load-time check run) and the steady state (median of R runs of the
signature; inputs already in LiteRT.js tensors). LiteRT Python then times
``invoke()`` on the *same inputs* (read back from the page) with the same
thread count, R runs after 3 warm-up runs, as ``export/benchmark.py`` does.
The two alternate for ``--rounds`` rounds; medians are over all rounds.

``--random-export PRESET`` first makes a random-weight run of PRESET and
exports it (fp32 + int8, calibrated on synthetic examples, parity thresholds
off: a random model is for speed only) into ``runs/web_benchmark/PRESET/``,
reused when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from web_demo.tools import browser, build, serve  # noqa: E402

INPUTS = ("person", "parse", "keypoints", "cloth", "cloth_mask")


def random_export(preset: str, root=None, log=print) -> pathlib.Path:
    """A random-weight export of ``preset`` (fp32 + int8) for timing; made once."""
    root = pathlib.Path(root or REPO / "runs" / "web_benchmark" / preset)
    export_dir = root / "export"
    if (export_dir / "model_contract.json").is_file():
        return export_dir
    import keras

    from sievenet_tf.config import get_preset
    from sievenet_tf.export.exporter import export_run
    from sievenet_tf.models import build_sievenet

    config = get_preset(preset)
    keras.utils.set_random_seed(0)
    run_dir = root / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    build_sievenet(config).save(run_dir / "sievenet.keras")
    config.save(run_dir / "config.json")
    # Random weights fail the int8 quality threshold (their segmentation logits
    # are near ties); it is turned off so the int8 file is listed in the
    # contract. Speed does not depend on the weights.
    no_quality_check = {"min_psnr": 0.0, "min_ssim": -1.0}
    log(f"exporting a random-weight {preset} to {export_dir} (speed only)...")
    export_run(
        run_dir, export_dir, formats=["fp32", "int8"], num_calibration=16, num_parity=2,
        thresholds={"int8": no_quality_check}, log=lambda line: None,
    )  # fmt: skip
    return export_dir


def python_times(model_path, num_threads: int, inputs: dict, repeats: int, warmup: int = 3):
    """Milliseconds of each LiteRT Python ``invoke()`` on ``inputs`` (after ``warmup`` runs),
    timed like ``sievenet_tf.export.benchmark.time_interpreter`` (inputs set once)."""
    from sievenet_tf.export.benchmark import invoke_times
    from sievenet_tf.export.parity import make_interpreter

    interpreter = make_interpreter(model_path, num_threads)
    for detail in interpreter.get_input_details():
        # Signature inputs are named "serving_default_<name>:0" in the tensor table.
        name = next(n for n in inputs if detail["name"] in (n, f"serving_default_{n}:0"))
        interpreter.set_tensor(detail["index"], inputs[name])
    return invoke_times(interpreter, repeats, warmup)


def measure(export_dir, formats, threads, repeats, rounds=2, log=print) -> list[dict]:
    """One row per (format, threads): page first run and steady state, LiteRT Python.

    Page and Python alternate for ``rounds`` rounds of ``repeats`` runs each and
    the medians are over all rounds, so that a machine whose load changes
    (a shared one) weighs on both alike.
    """
    from sievenet_tf.export.contract import load_contract

    contract = load_contract(export_dir)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        site = pathlib.Path(tmp) / "site"
        build.build(site, export_dir, log=lambda line: None)
        server, url = serve.serve_in_thread(site, quiet=True)
        try:
            with browser.chromium() as context:
                for fmt in formats:
                    if fmt not in contract["files"]:
                        log(f"{export_dir}: no {fmt} model in the contract; skipped")
                        continue
                    model = pathlib.Path(export_dir) / contract["files"][fmt]
                    for count in threads:
                        first, page_runs, python_runs, summary = [], [], [], None
                        for _ in range(rounds):
                            page, status = browser.open_page(
                                context, f"{url}?format={fmt}&threads={count}&repeats={repeats}"
                            )
                            if status != "ready":
                                raise RuntimeError(page.evaluate("window.sievenet.error"))
                            summary = browser.try_on(page, 0, 0, timeout_s=600)
                            inputs = {n: browser.read_tensor(page, "input", n) for n in INPUTS}
                            page.close()
                            first.append(summary["latency"]["first_ms"])
                            page_runs += summary["latency"]["runs_ms"]
                            python_runs += python_times(model, count, inputs, repeats)
                        row = {
                            "export": os.fspath(export_dir),
                            "preset": contract.get("preset"),
                            "image_size": contract["image_size"],
                            "format": fmt,
                            "threads": count,
                            "page_threads": summary["runtime"]["threads"],
                            "wasm": summary["runtime"]["wasm"],
                            "page_first_ms": statistics.median(first),
                            "page_steady_ms": statistics.median(page_runs),
                            "python_ms": statistics.median(python_runs),
                            "page_runs_ms": page_runs,
                            "python_runs_ms": python_runs,
                            "litertjs": summary["runtime"]["litertjs"],
                        }
                        log(f"{contract.get('preset')} {fmt} {count} thr: page first "
                            f"{row['page_first_ms']:.1f} ms, steady {row['page_steady_ms']:.1f} ms; "
                            f"LiteRT Python {row['python_ms']:.1f} ms")  # fmt: skip
                        rows.append(row)
        finally:
            server.shutdown()
            server.server_close()
    return rows


def machine() -> dict:
    """What the numbers were measured on (CPU, cores, load, versions)."""
    from sievenet_tf.export.benchmark import _cpu_name, _version

    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "ai_edge_litert": _version("ai-edge-litert"),
        "chromium": _chromium_version(),
    }


def _chromium_version() -> str:
    executable = browser.find_chromium()
    if executable is None:
        return "?"
    result = subprocess.run([executable, "--version"], capture_output=True, text=True)
    return result.stdout.strip() or "?"


def format_table(rows, info_before, info_after, repeats, rounds) -> str:
    lines = [
        f"Machine: {info_before['cpu']} ({info_before['cores']} cores); load average "
        f"{info_before['load_average'][0]} before, {info_after['load_average'][0]} after. "
        f"{info_before['chromium']} headless, LiteRT.js {rows[0]['litertjs'] if rows else '?'} "
        f"(WebAssembly, XNNPACK); ai_edge_litert {info_before['ai_edge_litert']} (XNNPACK). "
        f"Medians of {repeats} runs x {rounds} rounds, page and Python alternating.",
        "",
        "| preset | size | format | threads | page first run ms | page steady ms | "
        "LiteRT Python ms | page / Python |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = r["page_steady_ms"] / r["python_ms"] if r["python_ms"] else float("nan")
        lines.append(
            f"| {r['preset']} | {r['image_size'][0]} x {r['image_size'][1]} | {r['format']} | "
            f"{r['page_threads']} | {r['page_first_ms']:.1f} | {r['page_steady_ms']:.1f} | "
            f"{r['python_ms']:.1f} | {ratio:.2f}x |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exports", nargs="*", type=pathlib.Path, help="export directories")
    parser.add_argument("--random-export", action="append", default=[], metavar="PRESET",
                        help="also time a random-weight export of PRESET (made once)")  # fmt: skip
    parser.add_argument("--formats", default="int8,fp32")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per round")
    parser.add_argument("--rounds", type=int, default=2,
                        help="page and Python alternate this many times (medians over all)")  # fmt: skip
    parser.add_argument("--out", type=pathlib.Path, help="also write the table (and .json) here")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    def log(line):
        print(line, file=sys.stderr, flush=True)

    try:
        exports = list(args.exports) + [random_export(p, log=log) for p in args.random_export]
        if not exports:
            parser.error("give an export directory or --random-export PRESET")
        formats = [f for f in args.formats.split(",") if f]
        threads = [int(t) for t in args.threads.split(",")]
        before = machine()
        rows = []
        for export_dir in exports:
            rows += measure(export_dir, formats, threads, args.repeats, args.rounds, log)
        after = machine()
    except (build.BuildError, browser.BrowserUnavailable, RuntimeError, ValueError) as e:
        print(f"benchmark.py: error: {e}", file=sys.stderr)
        return 2
    table = format_table(rows, before, after, args.repeats, args.rounds)
    print(table)
    if args.out:
        args.out.write_text(table + "\n")
        args.out.with_suffix(".json").write_text(
            json.dumps({"machine_before": before, "machine_after": after, "rows": rows,
                        "repeats": args.repeats, "rounds": args.rounds}, indent=2) + "\n"  # fmt: skip
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
