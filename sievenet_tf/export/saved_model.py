"""SavedModel export with a ``serving_default`` signature of named tensors.

The SavedModel holds plain TensorFlow functions and variables, so it loads with
``tf.saved_model.load`` (and runs in TF Serving) without ``sievenet_tf`` or Keras
on the loading side.
"""

from __future__ import annotations

import os
import shutil

import keras
import tensorflow as tf

from sievenet_tf.export.contract import SIGNATURE
from sievenet_tf.export.tryon_model import INPUT_NAMES


def input_signature(tryon_model) -> list:
    """``tf.TensorSpec`` per input of the try-on model, named, in ``INPUT_NAMES`` order."""
    by_name = {tensor.name.split(":")[0]: tensor for tensor in tryon_model.inputs}
    return [
        tf.TensorSpec(tuple(by_name[name].shape), by_name[name].dtype, name=name)
        for name in INPUT_NAMES
    ]


def export_saved_model(tryon_model, directory) -> str:
    """Write ``tryon_model`` as a SavedModel with a ``serving_default`` signature.

    Signature inputs are ``person``, ``parse``, ``keypoints``, ``cloth`` and
    ``cloth_mask``; outputs are the model's named outputs (no ``args_0`` /
    ``output_0``). The batch size is whatever the model's inputs say (None: any).

    Args:
        tryon_model: from :func:`sievenet_tf.export.tryon_model.build_tryon_model`.
        directory: created (replaced if it exists).

    Returns:
        The directory, as a string.
    """
    directory = os.fspath(directory)

    # Named parameters become the signature's input names.
    def serve(person, parse, keypoints, cloth, cloth_mask):
        inputs = {"person": person, "parse": parse, "keypoints": keypoints, "cloth": cloth,
                  "cloth_mask": cloth_mask}
        return tryon_model(inputs, training=False)

    archive = keras.export.ExportArchive()
    archive.track(tryon_model)
    archive.add_endpoint(SIGNATURE, serve, input_signature=input_signature(tryon_model))
    temporary = directory.rstrip("/\\") + ".partial"
    shutil.rmtree(temporary, ignore_errors=True)
    archive.write_out(temporary, verbose=False)
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(temporary, directory)
    return directory
