"""Convolution blocks and normalisation shared by the networks."""

from __future__ import annotations

import keras
import numpy as np
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

    ``y = (x - mean) * gamma / sqrt(variance + epsilon) + beta`` with the mean and
    the (biased) variance over H and W of each example and channel.

    Written for the TFLite lowering (the function is the same however it is written):

    * rank-4 reductions (``GroupNormalization(groups=-1)`` reshapes to rank 5);
    * the centred input is computed once and squared with a multiplication:
      ``ops.square(x - mean)`` is fused by the converter into one
      ``SQUARED_DIFFERENCE``, which XNNPACK does not take in int8 (the reference
      kernel cost 46 ms of a 67 ms mobile try-on at 256 x 192 x 16);
    * gamma is folded into the per-channel ``rsqrt`` (a (B, 1, 1, C) tensor), so
      the full-resolution work is SUB, MUL (square), MUL (scale), ADD (beta) and
      two MEANs, all XNNPACK ops.
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
        mean = ops.mean(x, axis=(1, 2), keepdims=True)  # (batch, 1, 1, channels)
        centered = x - mean
        variance = ops.mean(centered * centered, axis=(1, 2), keepdims=True)
        scale = ops.cast(self.gamma, "float32") * ops.rsqrt(variance + self.epsilon)
        x = centered * scale + ops.cast(self.beta, "float32")
        return ops.cast(x, self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config


# Nearest x2 upsampling followed by a 3x3 "same" conv, seen from the low-resolution
# input: output row 2h + dy reads, through the upsampling, low-resolution rows
# h - 1 .. h + 1, and taps that land on the same low-resolution row add up.
# _PHASE_TAPS_2[dy, a, i]: tap i of the 3x3 kernel adds to tap a of the 2x2 kernel
# of phase dy (phase 0 reads rows h - 1, h; phase 1 reads rows h, h + 1).
_PHASE_TAPS_2 = np.array([[[1, 0, 0], [0, 1, 1]], [[1, 1, 0], [0, 0, 1]]], np.float32)
# _PHASE_TAPS_3[dy, t, i]: the same, placed in a 3x3 window over rows h - 1 .. h + 1.
_PHASE_TAPS_3 = np.array(
    [[[1, 0, 0], [0, 1, 1], [0, 0, 0]], [[0, 0, 0], [1, 1, 0], [0, 0, 1]]], np.float32
)
# Output widths from which UpsampleConv2D runs four 2x2 convs (16 MACs per
# output quadruple and input channel) instead of one 3x3 conv with 4x the outputs
# (36, the MACs of the upsampled conv): measured in int8 XNNPACK, the 2x2 form
# is 1.6-2.5x faster from 64 output channels on and slower below (its GEMMs
# are too narrow), where the 3x3 form is 2.5-4.5x faster than upsampling.
PHASE_CONV_MIN_FILTERS = 64


@keras.saving.register_keras_serializable(package="sievenet_tf", name="UpsampleConv2D")
class UpsampleConv2D(keras.layers.Conv2D):
    """``Conv2D(filters, 3, padding="same")`` applied to the nearest x2 upsampling of the input.

    The same function as ``UpSampling2D(2, interpolation="nearest")`` followed by
    the 3x3 convolution (same kernel and bias variables, so checkpoints of that
    pair load), computed without materialising the upsampled input: every output
    pixel (2h + dy, 2w + dx) is a 2x2 convolution of the input around (h, w)
    with a kernel made of sums of the 3x3 taps (sub-pixel convolution). The four
    phases are interleaved with ``DEPTH_TO_SPACE``. In TFLite this replaces the
    upsampling's ``TILE`` + ``RESHAPE`` (not XNNPACK ops) and a convolution over
    4x the pixels by convolutions at the input resolution: 16/36 of the MACs
    with four 2x2 convs (from :data:`PHASE_CONV_MIN_FILTERS` output channels on),
    or the same MACs with one 3x3 conv of 4 x filters outputs, whose wider GEMM
    runs faster for narrow layers. Results equal the upsample-then-convolve pair
    up to float rounding (taps are summed before multiplying).

    Only the configuration the U-Net uses is accepted: kernel 3, stride 1,
    "same" padding, no dilation, channels last.
    """

    def __init__(self, filters, kernel_size=3, **kwargs):
        super().__init__(filters, kernel_size, **kwargs)
        if (
            tuple(self.kernel_size) != (3, 3)
            or tuple(self.strides) != (1, 1)
            or self.padding != "same"
            or tuple(self.dilation_rate) != (1, 1)
            or self.data_format != "channels_last"
            or self.groups != 1
        ):
            raise ValueError(
                "UpsampleConv2D supports kernel_size 3, strides 1, padding 'same', no dilation, "
                f"channels_last; got kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, dilation_rate={self.dilation_rate}, "
                f"data_format={self.data_format!r}, groups={self.groups}"
            )

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        return (
            batch,
            None if height is None else 2 * height,
            None if width is None else 2 * width,
            self.filters,
        )

    def call(self, inputs):
        kernel = self.kernel  # (3, 3, in_channels, filters)
        if self.filters >= PHASE_CONV_MIN_FILTERS:
            taps = ops.cast(_PHASE_TAPS_2, kernel.dtype)
            # (dy, dx, 2, 2, in_channels, filters): the 2x2 kernel of each phase.
            phase_kernels = ops.einsum("yai,xbj,ijco->yxabco", taps, taps, kernel)
            phases = []
            for dy in (0, 1):
                for dx in (0, 1):
                    # Phase dy reads rows h - 1 + dy .. h + dy: pad 1 - dy above, dy below.
                    padded = ops.pad(inputs, ((0, 0), (1 - dy, dy), (1 - dx, dx), (0, 0)))
                    phases.append(ops.conv(padded, phase_kernels[dy, dx], padding="valid"))
            outputs = ops.concatenate(phases, axis=-1)  # (batch, h, w, 4 * filters)
        else:
            taps = ops.cast(_PHASE_TAPS_3, kernel.dtype)
            # (3, 3, in_channels, dy, dx, filters) -> 3x3 kernel with 4 * filters outputs.
            phase_kernel = ops.einsum("yai,xbj,ijco->abcyxo", taps, taps, kernel)
            phase_kernel = ops.reshape(phase_kernel, (3, 3, kernel.shape[2], 4 * self.filters))
            outputs = ops.conv(inputs, phase_kernel, padding="same")  # (batch, h, w, 4 * filters)
        # Channel (2 * dy + dx) * filters + c -> pixel (2h + dy, 2w + dx), channel c.
        outputs = tf.nn.depth_to_space(outputs, 2)  # (batch, 2h, 2w, filters)
        if self.use_bias:
            outputs = outputs + ops.reshape(self.bias, (1, 1, 1, self.filters))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs


# A ``.keras`` file keys each layer's variables by its class name and its rank
# among the layers of that class ("layers/conv2d_5/vars/0"), not by layer name.
# Keeping the class name of the Conv2D this layer replaces keeps those keys, so
# models saved with UpSampling2D + Conv2D load into the sub-pixel form unchanged.
UpsampleConv2D.__name__ = "Conv2D"


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
    upsample: bool = False,
):
    """Conv2D (same padding) -> normalisation -> activation, functional style.

    ``upsample``: the conv reads the nearest x2 upsampling of ``x``
    (:class:`UpsampleConv2D`; kernel 3, stride 1).
    """
    conv = UpsampleConv2D if upsample else keras.layers.Conv2D
    x = conv(
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
    convs: no checkerboard artefacts), computed as one sub-pixel convolution at
    the lower resolution (:class:`UpsampleConv2D`, layer ``{name}_up{level}_conv``).
    Returns the pre-activation output with ``out_channels`` channels at the input
    resolution.
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
        x = conv_norm_act(x, width, 3, 1, norm, "relu", name=f"{name}_up{level}", upsample=True)
        if dropout and level >= len(filters) - 3:
            x = keras.layers.Dropout(dropout, name=f"{name}_up{level}_dropout")(x)
        if level > 0:
            x = keras.layers.Concatenate(name=f"{name}_skip{level - 1}")([x, skips[level - 1]])
    x = keras.layers.Concatenate(name=f"{name}_skip_input")([x, inputs])
    return keras.layers.Conv2D(out_channels, 3, padding="same", name=f"{name}_out")(x)
