"""The try-on page built for a tiny export, served on 127.0.0.1, and a headless Chromium.

Chromium comes from the system (Debian's ``chromium``), driven by Playwright for
Python; nothing is downloaded. Where it cannot start, the tests fail when the
``CI`` environment variable is set (``.ci/run`` sets it), so CI never passes
without having run the page, and are skipped with the reason elsewhere.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil

import pytest

from tests.export.helpers import TEST_THRESHOLDS, make_data, make_run
from web_demo.tools import browser, serve
from web_demo.tools.build import BuildError, build


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium_context():
    """A headless Chromium (Playwright BrowserContext), shared by the web tests."""
    try:
        manager = browser.chromium()
        context = manager.__enter__()
    except browser.BrowserUnavailable as e:
        if _in_ci():
            pytest.fail(f"CI: the browser tests cannot run: {e}", pytrace=False)
        pytest.skip(f"no usable Chromium here ({e}); CI fails instead of skipping")
    yield context
    manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def web_export(tmp_path_factory):
    """A tiny random-weight run exported as fp32 + int8 (what the page loads)."""
    from sievenet_tf.export.exporter import export_run

    root = tmp_path_factory.mktemp("web")
    run = make_run(root / "run")
    data = make_data(root / "data")
    out = root / "export"
    export_run(
        run, out, formats=["fp32", "int8"], calibration_data=data, num_calibration=12,
        num_parity=4, thresholds=TEST_THRESHOLDS, log=lambda line: None,
    )
    return out


@pytest.fixture(scope="session")
def site(web_export, tmp_path_factory):
    """The built page (a folder) with extra export folders for the error cases:

    broken/     int8 "model" that is not a flatbuffer
    v2/         a contract of format_version 2
    customop/   a model with an operator LiteRT has no kernel for
    nofile/     a contract naming a .tflite that is not there
    noseg/      the real model with a contract that lists no expected_segmentation
    """
    out = tmp_path_factory.mktemp("site") / "dist"
    try:
        build(out, web_export, log=lambda line: None)
    except BuildError as e:
        if _in_ci():
            pytest.fail(f"CI: the page cannot be built: {e}", pytrace=False)
        pytest.skip(f"the page cannot be built here ({e})")
    contract = json.loads((out / "model" / "model_contract.json").read_text())

    def variant(name, contract_changes=None, int8_bytes=None):
        folder = out / name
        folder.mkdir()
        changed = dict(contract, **(contract_changes or {}))
        (folder / "model_contract.json").write_text(json.dumps(changed))
        if int8_bytes is not None:
            (folder / "sievenet_int8.tflite").write_bytes(int8_bytes)
        return folder

    variant("broken", int8_bytes=b"this is not a flatbuffer\n" * 40)
    variant("v2", {"format_version": 2})
    variant("customop", {"files": {"int8": "sievenet_int8.tflite"}},
            int8_bytes=_custom_op_model(contract))
    variant("nofile", {"files": {"int8": "missing_int8.tflite"}})
    noseg = variant(
        "noseg",
        {"outputs": [o for o in contract["outputs"] if o["name"] != "expected_segmentation"]},
    )
    shutil.copy2(out / "model" / "sievenet_int8.tflite", noseg / "sievenet_int8.tflite")
    return pathlib.Path(out)


@pytest.fixture(scope="session")
def page_url(site):
    """Base URL of the page, served with the cross-origin isolation headers."""
    server, url = serve.serve_in_thread(site, quiet=True)
    yield url
    server.shutdown()
    server.server_close()


def _custom_op_model(contract) -> bytes:
    """A .tflite with the contract's input names and one op LiteRT has no kernel for.

    ``tf.linalg.det`` (MatrixDeterminant) has no TFLite builtin; with
    ``allow_custom_ops`` the converter writes it as a custom op, which every
    stock LiteRT runtime (Python's and LiteRT.js) fails to prepare.
    """
    import tempfile

    import tensorflow as tf

    specs = [
        tf.TensorSpec(s["shape"], getattr(tf, s["dtype"]), name=s["name"])
        for s in contract["inputs"]
    ]

    class Module(tf.Module):
        @tf.function(input_signature=specs)
        def serve(self, person, parse, keypoints, cloth, cloth_mask):
            determinant = tf.linalg.det(person[0, :3, :3, :])
            return {"tryon": person * tf.reduce_sum(determinant)}

    module = Module()
    with tempfile.TemporaryDirectory() as directory:
        tf.saved_model.save(module, directory, signatures={"serving_default": module.serve})
        converter = tf.lite.TFLiteConverter.from_saved_model(directory)
        converter.allow_custom_ops = True
        return converter.convert()
