"""Hold out training persons as a second test set, without copying a file.

``sievenet-data holdout ROOT OUT --count 1000`` writes a dataset root ``OUT``
whose ``train`` split is ROOT's training pairs except the last ``count`` and
whose ``test`` split is those last ``count`` pairs (each person with their own
garment, so paired evaluation works)::

    OUT/train            -> ROOT/train      (a symbolic link)
    OUT/test             -> ROOT/train      (a symbolic link)
    OUT/train_pairs.txt     ROOT's train pairs 1 .. n - count
    OUT/test_pairs.txt      ROOT's train pairs n - count + 1 .. n
    OUT/README.md           what OUT is and how it was made

A model trained on ``OUT`` has never seen the held-out persons, so evaluating it
on ``OUT``'s test split (``evaluate.py --data OUT --split test``) checks a result
on persons outside the dataset's own test list: a gain that holds only on one
test set does not count. The dataset's files stay where they are (links only),
so a licensed dataset is never duplicated.
"""

from __future__ import annotations

import os

from sievenet_tf import atomic
from sievenet_tf.data import layouts
from sievenet_tf.data.errors import DataError


def make_holdout(root, out, count: int) -> dict:
    """Write the held-out dataset root ``out`` from ``root`` (see the module docstring).

    Args:
        root: a dataset root in the VITON or VITON-HD layout.
        out: the new root; must not exist or be an empty folder.
        count: the last ``count`` training pairs become the test split.

    Returns:
        ``{"root", "out", "train", "test"}``: paths and the two pair counts.

    Raises:
        DataError: ``root`` has no training split or pairs file, ``count`` leaves
            no training pair, or ``out`` is not empty.
    """
    root, out = os.path.abspath(os.fspath(root)), os.path.abspath(os.fspath(out))
    train_dir = os.path.join(root, "train")
    if not os.path.isdir(train_dir):
        raise DataError(train_dir, "no training split folder (a VITON / VITON-HD root has train/)")
    pairs = layouts.read_pairs(layouts.pairs_path(root, "train"))
    if not 0 < count < len(pairs):
        raise DataError(
            layouts.pairs_path(root, "train"),
            f"--count {count}: must be between 1 and {len(pairs) - 1} (the file lists {len(pairs)} pairs)",
        )
    if os.path.lexists(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise DataError(out, "output exists and is not an empty folder; choose another")
    if os.path.commonpath([root, out]) == root:
        raise DataError(out, f"output lies inside the dataset root {root}; choose a folder outside it")
    kept, held_out = pairs[: len(pairs) - count], pairs[len(pairs) - count :]
    os.makedirs(out, exist_ok=True)
    try:
        for split in ("train", "test"):
            os.symlink(train_dir, os.path.join(out, split), target_is_directory=True)
    except OSError as e:
        raise DataError(out, f"cannot create a symbolic link there ({e.strerror or e})") from None
    for split, listed in (("train", kept), ("test", held_out)):
        atomic.write_text(
            layouts.pairs_path(out, split), "".join(f"{person} {cloth}\n" for person, cloth in listed)
        )
    first, last = held_out[0][0], held_out[-1][0]
    atomic.write_text(
        os.path.join(out, "README.md"),
        f"# Held-out split of {root}\n\n"
        f"Made by `sievenet-data holdout {root} {out} --count {count}`.\n\n"
        f"- `train_pairs.txt`: the first {len(kept)} training pairs of the source.\n"
        f"- `test_pairs.txt`: its last {count} training pairs ({first} .. {last}), persons a model "
        "trained on this root has never seen; evaluate them paired.\n"
        "- `train/` and `test/` are symbolic links to the source's `train/`: no file is copied, "
        "and the source's licence applies unchanged.\n",
    )
    return {"root": root, "out": out, "train": len(kept), "test": count}
