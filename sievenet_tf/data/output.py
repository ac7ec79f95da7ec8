"""The folders the data writers (``sievenet-data synth``, ``to-tfrecord``) write to:
checked before the long work, so a bad output path fails at once with one line."""

from __future__ import annotations

import os
import tempfile


def check_writable_folder(path) -> str:
    """Refuse an output folder that cannot be created or written.

    ``path`` must be a folder or not exist; the nearest existing folder on its
    way (``path`` itself, or the parent it would be created in) must accept a
    new file, which is tried for real (permission bits do not tell for root, a
    read-only mount or a full disk).

    Returns:
        ``path`` as an absolute path.

    Raises:
        NotADirectoryError: ``path`` or a parent on its way is a file.
        PermissionError: nothing can be written there (any other ``OSError``
            of the trial write is reported the same way).
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.lexists(path) and not os.path.isdir(path):
        raise NotADirectoryError(f"{path} exists and is not a folder")
    existing = path
    while not os.path.isdir(existing):
        if os.path.lexists(existing):
            raise NotADirectoryError(f"{existing} is not a folder, so {path} cannot be created")
        existing = os.path.dirname(existing)
    try:
        descriptor, trial = tempfile.mkstemp(prefix=".sievenet-write-check-", dir=existing)
        os.close(descriptor)
        os.remove(trial)
    except OSError as e:
        where = "" if existing == path else f" (in {existing})"
        raise PermissionError(f"{path}: cannot write here{where}: {e.strerror or e}") from None
    return path
