"""The try-on page in a real (headless) Chromium: LiteRT.js's output against Python LiteRT's.

Tolerance: the try-on must be within max abs 2/255 of Python LiteRT's on the
[0, 1] pixel scale (``|page - python| / 2`` on the model's [-1, 1] floats),
the issue's first criterion. It holds with a wide margin: measured here, the
int8 model's outputs are bit-identical, the fp32 model's differ by ~1.5e-6 (the
WebAssembly XNNPACK kernels sum in another order). The PSNR is reported in the
failure message should it ever not hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from web_demo.tools import browser

# One xdist worker gets all of them (make test runs --dist loadgroup): the
# export, the page build and Chromium are made once per session.
pytestmark = pytest.mark.xdist_group("web")

TOLERANCE = 2 / 255  # max abs on the [0, 1] pixel scale
INPUTS = ("person", "parse", "keypoints", "cloth", "cloth_mask")


def _python_litert(model_path, inputs):
    """The same model in Python's LiteRT interpreter (XNNPACK), by signature."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model_path), num_threads=2)
    runner = interpreter.get_signature_runner("serving_default")
    return {name: np.asarray(value) for name, value in runner(**inputs).items()}


def _python_inputs(site, person, garment, model_path):
    """The inputs the Python client builds from the same sample files."""
    from sievenet_tf.inference import TryOn

    p = site / "samples" / "persons" / str(person)
    g = site / "samples" / "garments" / str(garment)
    return TryOn(str(model_path), num_threads=1).prepare(
        p / "person.jpg", p / "parse.png", p / "keypoints.json", g / "cloth.jpg",
        g / "cloth_mask.jpg",
    )


def _pixel_difference(a, b):
    """(max abs, PSNR dB) of two [-1, 1] images on the [0, 1] scale."""
    difference = (a.astype(np.float64) - b.astype(np.float64)) / 2
    mse = float(np.mean(difference**2))
    psnr = float("inf") if mse == 0 else 10 * np.log10(1 / mse)
    return float(np.abs(difference).max()), psnr


@pytest.mark.parametrize(
    "fmt, pairs",
    [("int8", [(1, 2), (0, 1)]), ("fp32", [(2, 0)])],
)
def test_tryon_in_chromium_matches_python_litert(chromium_context, page_url, site, fmt, pairs):
    from sievenet_tf.visualization import to_uint8

    model_path = site / "model" / f"sievenet_{fmt}.tflite"
    page, status = browser.open_page(chromium_context, f"{page_url}?format={fmt}&repeats=3")
    try:
        assert status == "ready", page.evaluate("window.sievenet.error")
        previous = None
        for person, garment in pairs:
            summary = browser.try_on(page, person, garment)
            assert summary["model"]["format"] == fmt
            assert summary["model"]["file"] == model_path.name

            # The page packs the sample files exactly as the Python client does.
            page_inputs = {name: browser.read_tensor(page, "input", name) for name in INPUTS}
            expected_inputs = _python_inputs(site, person, garment, model_path)
            for name in INPUTS:
                assert page_inputs[name].dtype == expected_inputs[name].dtype, name
                assert np.array_equal(page_inputs[name], expected_inputs[name]), name

            reference = _python_litert(model_path, page_inputs)
            tryon = browser.read_tensor(page, "output", "tryon")
            max_abs, psnr = _pixel_difference(tryon, reference["tryon"])
            assert max_abs <= TOLERANCE, (
                f"{fmt}, person {person}, garment {garment}: try-on max abs {max_abs:.2e} "
                f"({max_abs * 255:.2f}/255), PSNR {psnr:.1f} dB against Python LiteRT"
            )
            fine = browser.read_tensor(page, "output", "warped_cloth_fine")
            assert _pixel_difference(fine, reference["warped_cloth_fine"])[0] <= TOLERANCE
            segmentation = browser.read_tensor(page, "output", "expected_segmentation")
            agreement = np.mean(segmentation == reference["expected_segmentation"])
            assert agreement >= 0.99, f"expected segmentation agrees on {agreement:.2%}"

            # What people see: the canvas holds the try-on as 8-bit pixels.
            shown = browser.read_canvas(page, "out-tryon").astype(int)
            assert np.abs(shown - to_uint8(reference["tryon"][0]).astype(int)).max() <= 2

            # Another pair gives another try-on (the page really reran).
            if previous is not None:
                assert not np.array_equal(previous, tryon)
            previous = tryon

            latency = summary["latency"]
            assert latency["first_ms"] > 0 and latency["tryon_ms"] > 0
            assert len(latency["runs_ms"]) == 3 and latency["steady_ms"] > 0
            text = page.inner_text("#latency")
            assert "steady state" in text and "ms" in text
    finally:
        page.close()


def test_page_runs_wasm_threads_when_cross_origin_isolated(chromium_context, page_url):
    page, status = browser.open_page(chromium_context, f"{page_url}?threads=2")
    try:
        assert status == "ready", page.evaluate("window.sievenet.error")
        runtime = page.evaluate("window.sievenet.runtime")
        assert runtime["crossOriginIsolated"] is True
        assert runtime["threads"] == 2
        assert runtime["wasm"] == "litert_wasm_threaded_internal.wasm"
    finally:
        page.close()


def test_outputs_follow_the_contract(chromium_context, page_url):
    """A contract without expected_segmentation (like a baseline export): not shown, no error."""
    page, status = browser.open_page(chromium_context, f"{page_url}?model=noseg/")
    try:
        assert status == "ready", page.evaluate("window.sievenet.error")
        browser.try_on(page, 0, 0)
        shown = page.evaluate("[...document.querySelectorAll('#outputs canvas')].map(c => c.id)")
        assert "out-tryon" in shown and "out-warped_cloth_fine" in shown
        assert "out-expected_segmentation" not in shown
        assert browser.read_tensor(page, "output", "expected_segmentation") is None
        assert "Not offered" in page.inner_text("#photo")
    finally:
        page.close()


@pytest.mark.parametrize(
    "folder, expected",
    [
        ("broken", ["sievenet_int8.tflite could not be loaded by LiteRT.js", '"TFL3"']),
        ("v2", ["format_version 2 is not supported", "understands version 1"]),
        ("customop", ["does not run in LiteRT.js", "MatrixDeterminant"]),
        ("nofile", ["missing_int8.tflite could not be downloaded", "HTTP 404"]),
    ],
)
def test_errors_are_shown_on_the_page(chromium_context, page_url, folder, expected):
    page, status = browser.open_page(chromium_context, f"{page_url}?model={folder}/")
    try:
        assert status == "error"
        assert page.is_visible("#error")
        shown = page.inner_text("#error")
        for text in expected:
            assert text in shown, shown
        assert page.is_disabled("#tryon")
    finally:
        page.close()
