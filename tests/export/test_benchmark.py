"""export/benchmark.py on the tiny export: latencies, components, GMACs, the profile, the table."""

import json
import os
import shutil

from sievenet_tf.export.benchmark import COMPONENTS, format_table, run_benchmark


def test_benchmark_times_formats_components_and_profiles_int8(tiny_export, tiny_run, tmp_path):
    export_dir = tmp_path / "export"
    shutil.copytree(tiny_export[0], export_dir)  # the benchmark writes into the export folder
    lines = []
    results = run_benchmark(
        export_dir, run_dir=tiny_run, formats=["fp32", "int8"], threads=(1,), repeats=2,
        profile=True, log=lines.append,
    )
    assert results == json.loads((export_dir / "benchmark.json").read_text())
    assert results["preset"] == "tiny" and results["params"]["total"] > 0
    assert 0 < results["gmacs_executed"]["tryon"] <= results["gmacs"]["tryon"]
    assert results["matmul_gflops"]["1"] > 0
    for fmt in ("fp32", "int8"):
        entry = results["formats"][fmt]
        assert entry["latency_ms"]["1"] > 0 and entry["file_bytes"] > 0
        assert {"warper", "texture_translator"} <= set(entry["components_ms"]["1"]) <= set(COMPONENTS)
        assert all(ms > 0 for ms in entry["components_ms"]["1"].values())
    assert results["formats"]["int8"]["ratio_to_fp32"] < 1 == results["formats"]["fp32"]["ratio_to_fp32"]
    # the profile is of the int8 file only, at the largest thread count
    assert "profile" in results["formats"]["int8"] and "profile" not in results["formats"]["fp32"]
    assert results["formats"]["int8"]["profile"]["threads"] == 1
    table = (export_dir / "benchmark.md").read_text()
    assert table.strip() == format_table(results).strip() and "int8" in table
    assert any(line.startswith("int8, 1 thread(s): try-on") for line in lines)
    assert os.path.isdir(export_dir / "benchmark_models")
