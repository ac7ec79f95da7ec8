"""Frozen VGG19 features for the perceptual and PGM losses."""

from __future__ import annotations

import os

import keras
from keras import ops

# Keras VGG19 conv layers include their ReLU, so these outputs are relu1_1 .. relu5_1.
VGG_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
# Caffe-style preprocessing used by keras.applications.vgg19 (BGR means).
_BGR_MEAN = (103.939, 116.779, 123.68)
# The file Keras downloads for weights="imagenet" (and looks for in ~/.keras/models/).
IMAGENET_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"


class VggWeightsError(ValueError):
    """VGG19's ImageNet weights could not be fetched (no network, blocked host)."""


@keras.saving.register_keras_serializable(package="sievenet_tf")
class VggFeatures(keras.layers.Layer):
    """VGG19 relu1_1 ... relu5_1 of images in the project's [-1, 1] RGB range.

    Built once and passed to the losses; never trained. The conversion to what
    Keras's VGG19 expects (RGB [0, 255] -> BGR, ImageNet mean subtracted) is
    done here, so callers pass project images unchanged.

    Args:
        weights: "imagenet" (Keras downloads them on first use), a path to a local
            weights file for ``keras.applications.VGG19(include_top=False)``, or
            ``None`` for random weights (tests; CI has no internet).

    Raises:
        ValueError: ``weights`` is a path that does not exist.
        VggWeightsError: ``weights="imagenet"`` and Keras cannot download them;
            the message says how to train without network access.
    """

    def __init__(self, weights: str | None = "imagenet", **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if weights not in (None, "imagenet") and not os.path.exists(weights):
            raise ValueError(
                f"VGG weights file {weights!r} does not exist; pass 'imagenet', a "
                "local weights path, or None"
            )
        self.weights_source = weights
        try:
            vgg = keras.applications.VGG19(include_top=False, weights=weights, input_shape=(None, None, 3))
        except Exception as error:  # Keras reports a failed download as a bare Exception
            if weights != "imagenet":
                raise
            raise VggWeightsError(
                f"loss.vgg_weights='imagenet': cannot get VGG19's ImageNet weights ({error}). "
                f"Without network access, copy {IMAGENET_WEIGHTS_FILE} from a machine that has "
                "it (~/.keras/models/) and pass --set loss.vgg_weights=/path/to/it, or train "
                "without the perceptual terms: --set loss.vgg_weights=null --set "
                "loss.texture_vgg=0 --set loss.pgm_align=0"
            ) from error
        self.extractor = keras.Model(
            vgg.input, [vgg.get_layer(name).output for name in VGG_LAYERS], name="vgg19_features"
        )
        self.extractor.trainable = False
        self.trainable = False

    def call(self, images):
        x = (ops.cast(images, "float32") + 1.0) * 127.5  # RGB in [0, 255]
        x = ops.flip(x, axis=-1)  # BGR
        x = x - ops.convert_to_tensor(_BGR_MEAN, dtype="float32")
        return self.extractor(x, training=False)

    def get_config(self):
        config = super().get_config()
        config.update({"weights": self.weights_source})
        return config
