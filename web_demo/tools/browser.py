"""Drive the try-on page in headless Chromium (Playwright for Python, the
system's Chromium: no browser download). Used by the tests and the benchmark.

Chromium is found at ``$SIEVENET_CHROMIUM``, else ``/usr/bin/chromium`` (Debian's
``chromium`` package), else ``chromium`` / ``chromium-browser`` on ``PATH``.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import tempfile

import numpy as np

# Headless, as root, on a machine without network: without these Chromium
# either refuses to start (sandbox as root) or stalls trying to reach Google's
# services (sync, component updates, QUIC probes) on first run.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

_DTYPES = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8}


class BrowserUnavailable(RuntimeError):
    """Playwright or Chromium is missing, or Chromium does not start."""


def find_chromium() -> str | None:
    """Path of the Chromium executable, or None."""
    candidates = [os.environ.get("SIEVENET_CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser")]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


@contextlib.contextmanager
def chromium(viewport=(1200, 900)):
    """A headless Chromium context with a fresh profile (yields a Playwright BrowserContext)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        raise BrowserUnavailable(
            f"Playwright for Python is not installed ({e}); pip install -e '.[dev]'"
        ) from None
    executable = find_chromium()
    if executable is None:
        raise BrowserUnavailable(
            "no Chromium found (apt-get install chromium, or set SIEVENET_CHROMIUM)"
        )
    profile = tempfile.mkdtemp(prefix="sievenet-chromium-")
    try:
        with sync_playwright() as playwright:
            try:
                context = playwright.chromium.launch_persistent_context(
                    profile,
                    executable_path=executable,
                    headless=True,
                    args=list(CHROMIUM_ARGS),
                    viewport={"width": viewport[0], "height": viewport[1]},
                    timeout=60_000,
                )
            except PlaywrightError as e:
                raise BrowserUnavailable(f"{executable} did not start: {e}") from None
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_page(context, url: str, timeout_s: float = 120.0):
    """Open ``url`` and wait until the page is ready or has failed.

    Returns:
        (page, status): status is "ready" or "error" (``window.sievenet.status``).
    """
    page = context.new_page()
    page.goto(url)
    page.wait_for_function(
        "() => window.sievenet && ['ready', 'error'].includes(window.sievenet.status)",
        timeout=timeout_s * 1000,
    )
    return page, page.evaluate("window.sievenet.status")


def try_on(page, person: int = 0, garment: int = 0, timeout_s: float = 300.0) -> dict:
    """Pick a sample pair, press "Try on" and wait for it; returns the page's state summary.

    Raises:
        RuntimeError: the page shows an error instead (its text is the message).
    """
    runs = page.evaluate("window.sievenet.runs")
    page.check(f'#persons input[value="{person}"]')
    page.check(f'#garments input[value="{garment}"]')
    page.click("#tryon")
    page.wait_for_function(
        f"() => window.sievenet.status === 'error' || window.sievenet.runs > {runs}",
        timeout=timeout_s * 1000,
    )
    summary = page.evaluate(
        "({status: window.sievenet.status, error: window.sievenet.error,"
        " latency: window.sievenet.latency, runtime: window.sievenet.runtime,"
        " model: window.sievenet.model})"
    )
    if summary["status"] == "error":
        raise RuntimeError(f"the page shows an error: {summary['error']}")
    return summary


def read_tensor(page, kind: str, name: str) -> np.ndarray | None:
    """An input or output of the page's last try-on, bit-exact (``window.sievenet.dump``)."""
    dumped = page.evaluate("([kind, name]) => window.sievenet.dump(kind, name)", [kind, name])
    if dumped is None:
        return None
    array = np.frombuffer(base64.b64decode(dumped["base64"]), dtype=_DTYPES[dumped["dtype"]])
    return array.reshape(dumped["shape"])


def read_canvas(page, element_id: str) -> np.ndarray:
    """RGB uint8 pixels of one of the page's output canvases (what people see)."""
    data = page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            return {width: canvas.width, height: canvas.height,
                    pixels: Array.from(image.data)};
        }""",
        element_id,
    )
    rgba = np.asarray(data["pixels"], np.uint8).reshape(data["height"], data["width"], 4)
    return rgba[..., :3]
