"""Feature correlation and L2 normalisation (CP-VTON GMM)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="sievenet_tf")
class FeatureL2Norm(keras.layers.Layer):
    """Normalise each feature vector (over channels): ``x / sqrt(sum(x^2) + epsilon)``.

    The sum of squares is written as ``sum(x * x)``: with ``square(x)`` the TFLite
    converter fuses the whole expression into ``L2_NORMALIZATION``, which
    computes ``x / max(|x|, 1e-6)`` instead (epsilon dropped), so feature vectors
    of small norm (|x| ~ 1e-3, common with untrained or sparse features) came out
    of the ``.tflite`` scaled up to unit length: theta moved by 0.02 and the warped
    cloth by up to 1.6 on a random-weight mobile model.
    """

    def __init__(self, epsilon: float = 1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, features):
        norm = ops.sqrt(ops.sum(features * features, axis=-1, keepdims=True) + self.epsilon)
        return features / norm

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config


@keras.saving.register_keras_serializable(package="sievenet_tf")
class FeatureCorrelation(keras.layers.Layer):
    """Dot product of every pair of positions of two feature maps.

    ``call(features_a, features_b)`` with both (B, h, w, C) returns (B, h, w, h*w):
    at position p of ``features_b``, channel q holds <features_b[p], features_a[q]>
    (positions q in row-major order). One batched matmul; no resolution is fixed.
    """

    def call(self, features_a, features_b):
        height, width, channels = features_b.shape[1], features_b.shape[2], features_b.shape[3]
        flat_a = ops.reshape(features_a, (-1, height * width, channels))  # (batch, hw, channels)
        flat_b = ops.reshape(features_b, (-1, height * width, channels))
        correlation = ops.matmul(flat_b, ops.transpose(flat_a, (0, 2, 1)))  # (batch, hw_b, hw_a)
        return ops.reshape(correlation, (-1, height, width, height * width))

    def compute_output_shape(self, features_a_shape, features_b_shape):
        height, width = features_b_shape[1], features_b_shape[2]
        return (features_b_shape[0], height, width, height * width)
