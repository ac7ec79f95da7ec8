"""What every command-line entry point of the project shares: its opening and its errors.

Every ``main()`` is ``return run_main(PROG, body)`` where ``body(log)`` does the
work. ``run_main``

* quiets TensorFlow's C++ start-up logging: ``TF_CPP_MIN_LOG_LEVEL=2`` is set
  (unless the user set it) when this module is imported, because TensorFlow reads
  it once, at its own first import. CLI modules therefore import ``cli_util``
  before anything that imports TensorFlow (it sorts first among ``sievenet_tf``
  imports);
* gives ``body`` a ``log`` that prints one line to stderr, flushed;
* turns the project's errors (``ValueError`` subclasses such as ``DataError``,
  ``RunError``, ``TryOnError``; ``ExportError``) and any ``OSError`` into one
  line ``PROG: error: ...`` and exit code 2, never a traceback; Ctrl-C into exit 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def log(line: str) -> None:
    """Print one line for the user on stderr (stdout is for results)."""
    print(line, file=sys.stderr, flush=True)


def describe_os_error(error: OSError) -> str:
    """``path: reason`` of an ``OSError``, naming every path it carries."""
    paths = [p for p in (error.filename, error.filename2) if p is not None]
    reason = error.strerror or str(error)
    return f"{' -> '.join(map(str, paths))}: {reason}" if paths else reason


def run_main(prog: str, body: Callable[[Callable[[str], None]], int | None]) -> int:
    """Run ``body(log)`` with the shared opening; return the process exit code."""
    try:
        code = body(log)
    except KeyboardInterrupt:
        log(f"{prog}: interrupted")
        return EXIT_INTERRUPTED
    except OSError as e:
        log(f"{prog}: error: {describe_os_error(e)}")
        return EXIT_USAGE
    except (ValueError, RuntimeError) as e:
        if not _is_project_error(e):
            raise
        log(f"{prog}: error: {e}")
        return EXIT_USAGE
    return 0 if code is None else int(code)


def _is_project_error(error: BaseException) -> bool:
    """Errors whose message is written for the user: every ``ValueError`` (the
    project's error types derive from it) and the project's ``RuntimeError``s."""
    if isinstance(error, ValueError):
        return True
    return type(error).__module__.startswith("sievenet_tf.")


def positive_int(text: str) -> int:
    """``argparse`` type: an integer >= 1 (``--steps``, ``--batch-size``, ``--threads``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value
