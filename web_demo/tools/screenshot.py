"""Screenshot of the page after a try-on (the README's docs/images/web_demo.png).

    python web_demo/tools/screenshot.py http://127.0.0.1:8000/ docs/images/web_demo.png \
        [--person 2] [--garment 1]

Serve the page first (``make web``); headless Chromium opens it, tries on the
chosen bundled pair and saves the whole page as PNG.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from web_demo.tools import browser  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the served page, e.g. http://127.0.0.1:8000/")
    parser.add_argument("out", type=pathlib.Path, help="PNG file to write")
    parser.add_argument("--person", type=int, default=2)
    parser.add_argument("--garment", type=int, default=1)
    parser.add_argument("--width", type=int, default=1280, help="viewport width in CSS pixels")
    args = parser.parse_args(argv)
    try:
        with browser.chromium(viewport=(args.width, 700)) as context:
            page, status = browser.open_page(context, args.url)
            if status != "ready":
                raise RuntimeError(page.evaluate("window.sievenet.error"))
            browser.try_on(page, args.person, args.garment)
            page.screenshot(path=str(args.out), full_page=True)
    except (browser.BrowserUnavailable, RuntimeError) as e:
        print(f"screenshot.py: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
