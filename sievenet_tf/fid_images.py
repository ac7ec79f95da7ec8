"""Try-ons and person photos written in the layout FID tools read.

The paper's FID protocol compares the try-ons of the unpaired test pairs
(``test_pairs.txt``: each person with another garment) with the test person
photos. :class:`FidImageWriter` writes both sets as PNG files::

    DIR/tryon/<person>_<cloth>.png   one per evaluated pair (file stems of the pair)
    DIR/real/<person>.png            one per person, at the model's resolution

so that one command gives the FID the papers report::

    python -m pytorch_fid DIR/tryon DIR/real

(or clean-fid's ``fid.compute_fid("DIR/tryon", "DIR/real")``). Every file is
written atomically, and the two folders replace any earlier ``tryon`` / ``real``
folders of ``DIR`` as a whole, only when the writer closes without an error: an
interrupted evaluation leaves the previous set (or none), never a mix of two.
"""

from __future__ import annotations

import contextlib
import errno
import io
from pathlib import Path, PurePath

import numpy as np
from PIL import Image

from sievenet_tf import atomic
from sievenet_tf.visualization import to_uint8

TRYON, REAL = "tryon", "real"


def _stem(name) -> str:
    """The file stem of a dataset file name (bytes or str), e.g. ``000001_0``."""
    if isinstance(name, bytes):
        name = name.decode()
    return PurePath(name).stem


def _png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


class FidImageWriter:
    """Writes ``DIR/tryon/<person>_<cloth>.png`` and ``DIR/real/<person>.png``.

    Use as a context manager; the folders appear when it exits without an error::

        with FidImageWriter("runs/viton/fid_images") as writer:
            writer.add(person_names, cloth_names, tryons, persons)

    Args:
        directory: the output folder (created if needed).

    Attributes (after :meth:`add`): ``tryon_count``, ``real_count``: files written.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self._stack = None
        self._staging = {}
        self._written = {TRYON: set(), REAL: set()}  # file stems

    def __enter__(self) -> FidImageWriter:
        if self.directory.exists() and not self.directory.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(self.directory))
        with contextlib.ExitStack() as stack:
            for name in (TRYON, REAL):
                self._staging[name] = Path(
                    stack.enter_context(atomic.replace_directory(self.directory / name))
                )
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc_info):
        stack, self._stack = self._stack, None
        return stack.__exit__(*exc_info)

    def add(self, person_names, cloth_names, tryon, person) -> None:
        """Write one batch.

        Args:
            person_names, cloth_names: (B,) dataset file names (bytes or str).
            tryon: (B, H, W, 3) try-ons in [-1, 1].
            person: (B, H, W, 3) person photos in [-1, 1] (the model's input size).

        Raises:
            ValueError: mismatched batch lengths, or a writer not entered.
        """
        if self._stack is None:
            raise ValueError("FidImageWriter.add outside its `with` block")
        lengths = {len(person_names), len(cloth_names), len(tryon), len(person)}
        if len(lengths) != 1:
            raise ValueError(f"batch lengths differ: names, try-ons and photos have {sorted(lengths)}")
        tryon, person = to_uint8(np.asarray(tryon)), to_uint8(np.asarray(person))
        for i, (person_name, cloth_name) in enumerate(zip(person_names, cloth_names)):
            person_stem = _stem(person_name)
            self._write(TRYON, f"{person_stem}_{_stem(cloth_name)}", tryon[i])
            if person_stem not in self._written[REAL]:  # a person in several pairs: one photo
                self._write(REAL, person_stem, person[i])

    def _write(self, folder, stem, image):
        atomic.write_bytes(self._staging[folder] / f"{stem}.png", _png_bytes(image))
        self._written[folder].add(stem)

    @property
    def tryon_count(self) -> int:
        return len(self._written[TRYON])

    @property
    def real_count(self) -> int:
        return len(self._written[REAL])

    def command(self) -> str:
        """The one command that computes the paper's FID from the written folders."""
        return f"python -m pytorch_fid {self.directory / TRYON} {self.directory / REAL}"
