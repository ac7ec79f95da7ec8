"""Atomic writes: a reader sees the old file or folder, or the complete new one.

Every artifact the project writes (config, logs' side files, models, exports,
try-on images, generated datasets) goes through these helpers: the content is
written to a temporary name in the same folder (same file system, so the final
``os.replace`` is atomic) and swapped in only when complete. A crash, SIGKILL or
full disk in between leaves at most a ``*.tmp*`` leftover, never a torn file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator

__all__ = ["write_bytes", "write_text", "write_json", "replace_file", "replace_directory"]


def _temporary_name(path: str, suffix: str = "") -> str:
    directory, name = os.path.split(os.path.abspath(path))
    return os.path.join(directory, f".{name}.{uuid.uuid4().hex[:8]}.tmp{suffix}")


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (fsync'd before the swap)."""
    path = os.fspath(path)
    temporary = _temporary_name(path)
    try:
        with open(temporary, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def write_text(path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path, value, indent: int = 2) -> None:
    """Write ``value`` as JSON (trailing newline) to ``path`` atomically."""
    write_text(path, json.dumps(value, indent=indent) + "\n")


@contextlib.contextmanager
def replace_file(path, suffix: str = "") -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``.

    For writers that need a file name rather than bytes (``model.save``,
    ``cv2.imwrite``): write to the yielded path. ``suffix`` keeps an extension
    that such writers check (``".keras"``, ``".png"``). On an exception the
    temporary file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    temporary = _temporary_name(path, suffix)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


@contextlib.contextmanager
def replace_directory(path) -> Iterator[str]:
    """Yield a new empty folder beside ``path``; on success it becomes ``path``.

    The previous ``path`` (if any) is moved aside and deleted only after the new
    folder is in place, so at every moment ``path`` is either the complete old
    folder or the complete new one (between the two renames it briefly does not
    exist; a crash there leaves the old folder under ``.<name>.*.old``). On an
    exception the new folder is deleted and ``path`` is untouched.
    """
    path = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=parent)
    # mkdtemp makes a private (0700) folder; the result is an ordinary folder.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = None
    if os.path.lexists(path):
        old = os.path.join(parent, f".{name}.{uuid.uuid4().hex[:8]}.old")
        os.replace(path, old)
    os.replace(staging, path)
    if old is not None:
        try:
            shutil.rmtree(old)
        except OSError as e:  # the new folder is in place; only the cleanup failed
            warnings.warn(f"{path} was replaced, but its old copy {old} could not be deleted: {e}", stacklevel=2)
