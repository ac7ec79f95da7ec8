"""Real pipeline examples as exported-model inputs: int8 calibration and parity.

The files are decoded by the dataset readers (:mod:`sievenet_tf.data.folder`,
which use :mod:`sievenet_tf.data.io`), so the exported model is calibrated and
checked on exactly what training saw, converted to the try-on inputs of
:mod:`sievenet_tf.export.tryon_model` (``person``, ``parse``, ``keypoints``,
``cloth``, ``cloth_mask``) with a batch axis of 1.
"""

from __future__ import annotations

import numpy as np

from sievenet_tf import keys
from sievenet_tf.data import folder
from sievenet_tf.data.errors import DataError


def to_model_inputs(raw: dict) -> dict:
    """uint8 arrays of ``folder.load_example`` -> float32 / int32 inputs with batch 1.

    Images become ``pixel / 127.5 - 1`` (the contract's normalisation).
    """
    return {
        "person": (raw[keys.PERSON].astype(np.float32) / 127.5 - 1.0)[None],
        "parse": raw[keys.PARSE].astype(np.int32)[None],
        "keypoints": raw[keys.KEYPOINTS].astype(np.float32)[None],
        "cloth": (raw[keys.CLOTH].astype(np.float32) / 127.5 - 1.0)[None],
        "cloth_mask": raw[keys.CLOTH_MASK]
        .astype(np.float32)
        .reshape(raw[keys.CLOTH].shape[:2] + (1,))[None],
    }


def load_examples(
    root, config, count: int, split: str = "train", layout: str = "auto", offset: int = 0
):
    """Decode up to ``count`` paired examples of ``split`` as model inputs.

    Examples with a bad file are skipped (their problem is counted); the order is
    the pairs file's, so the same arguments give the same examples.

    Args:
        root: dataset root (VITON or VITON-HD layout).
        config: the run's ``SieveNetConfig`` (image size).
        count: how many examples at most.
        split: "train" or "test".
        layout: "auto", "viton" or "viton_hd".
        offset: skip this many usable pairs first.

    Returns:
        (list of input dicts, resolved layout).

    Raises:
        DataError: the dataset cannot be read at all, or has no usable example.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    index = folder.index_folder(root, split, "paired", layout)
    examples, problems = [], list(index.problems)
    for files, keypoints in zip(index.examples[offset:], index.keypoints[offset:]):
        if len(examples) == count:
            break
        try:
            raw = folder.load_example(files, config.data.image_size, index.layout, keypoints)
        except DataError as e:
            problems.append(e)
            continue
        examples.append(to_model_inputs(raw))
    if not examples:
        detail = f" (first problem: {problems[0]})" if problems else ""
        raise DataError(root, f"no usable {split} example{detail}")
    return examples, index.layout
