"""Convolution blocks and normalisation shared by the networks."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops

from sievenet_tf.config import NORMALIZATIONS


@keras.saving.register_keras_serializable(package="sievenet_tf")
class SyncBatchNormalization(keras.layers.Layer):
    """Batch normalisation whose training statistics are those of the global batch.

    Under ``tf.distribute`` the per-channel mean and variance are all-reduced
    over replicas in two passes (the mean, then the mean squared deviation from
    it), so N replicas compute what one device computes on the same global
    batch, up to summation order. Keras's ``BatchNormalization(synchronized=True)``
    uses E[x^2] - E[x]^2 instead, which cancels badly when a channel has few
    values (a 1 x 1 feature map) and made 2-replica training drift from
    single-device training by several percent per gradient. Inference uses the
    moving statistics, a per-channel affine map that folds into the preceding
    convolution at export. (TensorFlow backend: uses ``tf.distribute`` directly.)

    Args:
        momentum: moving-average momentum.
        epsilon: added to the variance.
    """

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")
        self.moving_mean = self.add_weight(
            shape=(channels,), initializer="zeros", trainable=False, name="moving_mean",
            autocast=False, aggregation="only_first_replica",
        )  # fmt: skip
        self.moving_variance = self.add_weight(
            shape=(channels,), initializer="ones", trainable=False, name="moving_variance",
            autocast=False, aggregation="only_first_replica",
        )  # fmt: skip

    def _global_moments(self, x):
        axes = list(range(len(x.shape) - 1))
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return tf.nn.moments(x, axes)
        count = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), tf.float32)
        count = context.all_reduce(tf.distribute.ReduceOp.SUM, count)
        mean = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(x, axes)) / count
        squared = tf.reduce_sum(tf.square(x - mean), axes)
        variance = context.all_reduce(tf.distribute.ReduceOp.SUM, squared) / count
        return mean, variance

    def call(self, inputs, training=None):
        x = ops.cast(inputs, "float32")
        if training:
            mean, variance = self._global_moments(x)
            decay = 1.0 - self.momentum
            self.moving_mean.assign(self.moving_mean + decay * (mean - self.moving_mean))
            self.moving_variance.assign(
                self.moving_variance + decay * (variance - self.moving_variance)
            )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        scale = ops.cast(self.gamma, "float32") * ops.rsqrt(variance + self.epsilon)
        x = (x - mean) * scale + ops.cast(self.beta, "float32")
        return ops.cast(x, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"momentum": self.momentum, "epsilon": self.epsilon})
        return config


@keras.saving.register_keras_serializable(package="sievenet_tf")
class InstanceNormalization(keras.layers.Layer):
    """Per-example, per-channel normalisation over H and W, with a learned affine.

    Written with rank-4 reductions (instead of ``GroupNormalization(groups=-1)``,
    which reshapes to rank 5) so that it lowers to a handful of TFLite builtins.
    """

    def __init__(self, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, inputs):
        # Statistics in float32 even under mixed precision.
        x = ops.cast(inputs, "float32")
        mean = ops.mean(x, axis=(1, 2), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2), keepdims=True)
        x = (x - mean) * ops.rsqrt(variance + self.epsilon)
        x = x * ops.cast(self.gamma, "float32") + ops.cast(self.beta, "float32")
        return ops.cast(x, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config


def normalization(kind: str, name: str):
    """A normalisation layer: "batch", "instance", or "none" (identity)."""
    if kind == "batch":
        # Global-batch statistics: N replicas train like one device.
        return SyncBatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "instance":
        return InstanceNormalization(name=name)
    if kind == "none":
        return keras.layers.Identity(name=name)
    raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {kind!r}")


def conv_norm_act(
    x,
    filters: int,
    kernel_size: int,
    strides: int,
    norm: str,
    activation: str | None,
    name: str,
    negative_slope: float = 0.2,
):
    """Conv2D (same padding) -> normalisation -> activation, functional style."""
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=norm == "none",
        kernel_initializer=keras.initializers.HeNormal(),
        name=f"{name}_conv",
    )(x)
    x = normalization(norm, f"{name}_norm")(x)
    if activation == "leaky_relu":
        x = keras.layers.LeakyReLU(negative_slope=negative_slope, name=f"{name}_act")(x)
    elif activation is not None:
        x = keras.layers.Activation(activation, name=f"{name}_act")(x)
    return x


def check_divisible(image_size, stride: int, what: str) -> tuple[int, int]:
    """Return (H, W) or raise ``ValueError`` naming the size and the stride."""
    try:
        height, width = (int(v) for v in image_size)
    except (TypeError, ValueError) as e:
        raise ValueError(f"image_size must be (height, width), got {image_size!r}") from e
    if height <= 0 or width <= 0 or height % stride or width % stride:
        raise ValueError(
            f"image_size {height}x{width} must be positive and divisible by {stride}, "
            f"the total stride of {what}"
        )
    return height, width


def unet(
    inputs,
    filters,
    out_channels: int,
    norm: str,
    name: str,
    dropout: float = 0.0,
):
    """A U-Net body: len(filters) stride-2 4x4 convs down, mirrored back up.

    Upsampling is nearest-neighbour x2 followed by a 3x3 conv (no transposed
    convs: no checkerboard artefacts, and cheap builtins in TFLite). Returns the
    pre-activation output with ``out_channels`` channels at the input resolution.
    """
    x = inputs
    skips = []
    for level, width in enumerate(filters):
        x = conv_norm_act(
            x,
            width,
            4,
            2,
            "none" if level == 0 else norm,
            "leaky_relu",
            name=f"{name}_down{level}",
        )
        skips.append(x)
    for level in reversed(range(len(filters))):
        width = filters[level - 1] if level > 0 else filters[0]
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_up{level}_resize")(x)
        x = conv_norm_act(x, width, 3, 1, norm, "relu", name=f"{name}_up{level}")
        if dropout and level >= len(filters) - 3:
            x = keras.layers.Dropout(dropout, name=f"{name}_up{level}_dropout")(x)
        if level > 0:
            x = keras.layers.Concatenate(name=f"{name}_skip{level - 1}")([x, skips[level - 1]])
    x = keras.layers.Concatenate(name=f"{name}_skip_input")([x, inputs])
    return keras.layers.Conv2D(out_channels, 3, padding="same", name=f"{name}_out")(x)
