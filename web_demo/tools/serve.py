"""Serve a built try-on page on 127.0.0.1 (``make web`` runs this).

    python web_demo/tools/serve.py web_demo/dist [--port 8000] [--no-isolation]

A static file server (the page needs no server logic) that adds the two
headers browsers require before they give a page ``SharedArrayBuffer``, which
the multi-threaded LiteRT.js WebAssembly build needs:

    Cross-Origin-Opener-Policy: same-origin
    Cross-Origin-Embedder-Policy: require-corp

Without them (``--no-isolation``, or any plain static host) the page still
works, single-threaded. It binds to 127.0.0.1 by default: this is a demo
server, not one to expose.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import sys
import threading

# Types the page's files need; .wasm must be application/wasm for
# WebAssembly.instantiateStreaming, and Python's table lacks it on some systems.
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".json": "application/json",
    ".tflite": "application/octet-stream",
    ".npy": "application/octet-stream",
    ".map": "application/json",
}


class PageHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the cross-origin isolation headers and no caching."""

    isolation = True
    quiet = False

    def end_headers(self):
        if self.isolation:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        # A rebuilt page (another export) must not mix with cached files.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def guess_type(self, path):
        extension = os.path.splitext(path)[1].lower()
        return MIME_TYPES.get(extension) or super().guess_type(path)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        if not self.quiet:
            super().log_message(format, *args)


def make_server(root, host: str = "127.0.0.1", port: int = 0, isolation: bool = True,
                quiet: bool = False) -> http.server.ThreadingHTTPServer:  # fmt: skip
    """A server for ``root`` (not started); ``port=0`` picks a free port
    (``server.server_address[1]``)."""
    root = os.fspath(root)
    if not os.path.isfile(os.path.join(root, "index.html")):
        raise FileNotFoundError(f"{root}: no index.html (build the page first: "
                                "python web_demo/tools/build.py --export EXPORT_DIR)")  # fmt: skip
    handler = type("Handler", (PageHandler,), {"isolation": isolation, "quiet": quiet})
    return http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=root))


def serve_in_thread(root, **kwargs):
    """Start :func:`make_server` in a daemon thread; returns (server, base URL).

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = make_server(root, **kwargs)
    thread = threading.Thread(target=server.serve_forever, name="web-demo-server", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}/"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", default="web_demo/dist", help="the built page")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-isolation", action="store_true",
                        help="leave out COOP/COEP (the page then runs single-threaded)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        server = make_server(args.root, args.host, args.port, isolation=not args.no_isolation)
    except (FileNotFoundError, OSError) as e:
        print(f"serve.py: error: {e}", file=sys.stderr)
        return 2
    print(f"Serving {args.root} at http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)",
          flush=True)  # fmt: skip
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
