"""Stage 1: coarse-to-fine warping (SieveNet's two-stage STN)."""

from __future__ import annotations

import keras

from sievenet_tf.layers.blocks import check_divisible, conv_norm_act
from sievenet_tf.layers.cloth_mask import MaskHoleFill, hole_fill_closing
from sievenet_tf.layers.correlation import FeatureCorrelation, FeatureL2Norm
from sievenet_tf.layers.tps_warp import ClothWarp


def _feature_extractor(x, filters, extra_convs, norm, name):
    # CP-VTON GMM FeatureExtraction: stride-2 4x4 convs, then 3x3 convs at the last width.
    for level, width in enumerate(filters):
        x = conv_norm_act(x, width, 4, 2, norm, "relu", name=f"{name}_down{level}")
    for index in range(extra_convs):
        x = conv_norm_act(x, filters[-1], 3, 1, norm, "relu", name=f"{name}_extra{index}")
    return FeatureL2Norm(name=f"{name}_l2norm")(x)


def _regressor(x, filters, num_outputs, norm, name):
    # CP-VTON GMM FeatureRegression: two stride-2 4x4 convs, 3x3 convs, dense, tanh.
    for index, width in enumerate(filters):
        strides, kernel = (2, 4) if index < 2 else (1, 3)
        x = conv_norm_act(x, width, kernel, strides, norm, "relu", name=f"{name}_conv{index}")
    x = keras.layers.Flatten(name=f"{name}_flatten")(x)
    # Zero-initialised last layer: tanh(0) = 0, so an untrained warper is the identity.
    x = keras.layers.Dense(
        num_outputs, kernel_initializer="zeros", bias_initializer="zeros", name=f"{name}_dense"
    )(x)
    return keras.layers.Activation("tanh", dtype="float32", name=f"{name}_tanh")(x)


def _matching_network(person_priors, cloth, filters, extra_convs, regressor_filters, num_outputs, norm, name):
    """One GMM-style regressor: priors and cloth features, correlation, regression."""
    person_features = _feature_extractor(person_priors, filters, extra_convs, norm, f"{name}_person")
    cloth_features = _feature_extractor(cloth, filters, extra_convs, norm, f"{name}_cloth")
    # (batch, h, w, h * w): cloth positions x person positions.
    correlation = FeatureCorrelation(name=f"{name}_correlation")(person_features, cloth_features)
    return _regressor(correlation, regressor_filters, num_outputs, norm, f"{name}_regressor")


@keras.saving.register_keras_serializable(package="sievenet_tf")
class _ZerosLike(keras.layers.Layer):
    """delta_theta of a single-stage warper: zeros shaped like theta."""

    def call(self, inputs):
        return keras.ops.zeros_like(inputs)


@keras.saving.register_keras_serializable(package="sievenet_tf")
class CoarseToFineWarper(keras.Model):
    """Coarse-to-fine TPS warping of the try-on cloth onto the person (paper Sec. 3.1).

    Coarse: ``theta = R_c(I_p, I_priors)``, ``I_stn^0 = warp(I_p, theta)``.
    Fine: ``delta_theta = R_f(I_stn^0, I_priors)``,
    ``I_stn^1 = warp(I_p, theta + delta_theta)`` — one interpolation of the
    original cloth, not a warp of the coarse result. Each R is a CP-VTON GMM
    regressor (feature extractors, L2 norm, correlation, regression to 2N TPS
    offsets with tanh). The cloth is sampled with border padding, its mask with zeros.

    Inputs (dict): ``cloth`` (B, H, W, 3) in [-1, 1], ``cloth_mask`` (B, H, W, 1)
    in {0, 1}, ``priors`` (B, H, W, prior_channels).

    Outputs (dict): ``theta`` and ``delta_theta`` (B, 2N); ``warped_cloth_coarse``,
    ``warped_cloth_fine`` (B, H, W, 3); ``warped_mask_coarse``, ``warped_mask_fine``
    (B, H, W, 1).

    Args:
        image_size: (height, width), divisible by 2 ** len(extractor_filters).
        prior_channels: channels of ``priors`` (18 keypoint maps + body shape = 19).
        grid_size: TPS control points per side.
        extractor_filters: widths of the stride-2 convs of each feature extractor.
        extractor_extra_convs: 3x3 convs after them.
        regressor_filters: widths of the regressor convs (first two stride 2).
        normalization: "batch", "instance" or "none".
        fine_stage: False builds a single-stage warper (CP-VTON's GMM, the
            ablation baseline): ``delta_theta`` is zero and the fine outputs equal
            the coarse ones.
        cloth_mask_input: True gives each cloth feature extractor the mask as a
            fourth channel (the coarse one ``cloth_mask``, the fine one the
            coarse-warped mask), so a light garment on a light background still
            shows its outline. False: the cloth image only (CP-VTON, the paper).
        fill_mask_holes: True makes ``cloth_mask`` solid first
            (:class:`~sievenet_tf.layers.cloth_mask.MaskHoleFill`: a closing,
            17 pixels at 192 wide, then what the border does not reach through
            non-mask pixels becomes mask), so the warped
            masks, the mask loss and the composite see a solid garment where a
            dataset's thresholded mask of a white garment is full of holes. The
            photo path's masks are filled already. False: the mask as given.
    """

    def __init__(
        self,
        image_size=(256, 192),
        prior_channels: int = 19,
        grid_size: int = 5,
        extractor_filters=(64, 128, 256, 512),
        extractor_extra_convs: int = 2,
        regressor_filters=(512, 256, 128, 64),
        normalization: str = "batch",
        fine_stage: bool = True,
        cloth_mask_input: bool = False,
        fill_mask_holes: bool = False,
        **kwargs,
    ):
        height, width = check_divisible(
            image_size, 2 ** len(extractor_filters), "the warper's feature extractors"
        )
        if len(regressor_filters) < 2:
            raise ValueError(f"regressor_filters needs at least 2 entries, got {regressor_filters}")
        num_theta = 2 * grid_size * grid_size

        cloth = keras.Input((height, width, 3), name="cloth")
        cloth_mask = keras.Input((height, width, 1), name="cloth_mask")
        priors = keras.Input((height, width, prior_channels), name="priors")

        def matching(cloth_input, name):
            return _matching_network(
                priors, cloth_input, extractor_filters, extractor_extra_convs,
                regressor_filters, num_theta, normalization, name,
            )  # fmt: skip

        # One grid and one gather for the cloth (border) and its mask (zeros).
        warp = ClothWarp((height, width), grid_size, name="cloth_warp")

        def with_mask(image, mask, name):
            if not cloth_mask_input:
                return image
            return keras.layers.Concatenate(name=f"{name}_cloth_and_mask")([image, mask])

        if fill_mask_holes:
            mask = MaskHoleFill(closing=hole_fill_closing(width), name="cloth_mask_fill")(cloth_mask)
        else:
            mask = cloth_mask
        theta = matching(with_mask(cloth, mask, "coarse"), "coarse")
        warped_cloth_coarse, warped_mask_coarse = warp(cloth, mask, theta)
        if fine_stage:
            delta_theta = matching(
                with_mask(warped_cloth_coarse, warped_mask_coarse, "fine"), "fine"
            )
            theta_fine = keras.layers.Add(dtype="float32", name="theta_fine")([theta, delta_theta])
            warped_cloth_fine, warped_mask_fine = warp(cloth, mask, theta_fine)
        else:
            delta_theta = _ZerosLike(name="no_fine_stage")(theta)
            warped_cloth_fine, warped_mask_fine = warped_cloth_coarse, warped_mask_coarse

        outputs = {
            "theta": keras.layers.Identity(name="theta")(theta),
            "delta_theta": keras.layers.Identity(name="delta_theta")(delta_theta),
            "warped_cloth_coarse": keras.layers.Identity(name="warped_cloth_coarse")(warped_cloth_coarse),
            "warped_cloth_fine": keras.layers.Identity(name="warped_cloth_fine")(warped_cloth_fine),
            "warped_mask_coarse": keras.layers.Identity(name="warped_mask_coarse")(warped_mask_coarse),
            "warped_mask_fine": keras.layers.Identity(name="warped_mask_fine")(warped_mask_fine),
        }  # fmt: skip
        super().__init__(
            inputs={"cloth": cloth, "cloth_mask": cloth_mask, "priors": priors},
            outputs=outputs,
            **kwargs,
        )
        self.image_size = (height, width)
        self.prior_channels = prior_channels
        self.grid_size = grid_size
        self.extractor_filters = tuple(extractor_filters)
        self.extractor_extra_convs = extractor_extra_convs
        self.regressor_filters = tuple(regressor_filters)
        self.normalization = normalization
        self.fine_stage = fine_stage
        self.cloth_mask_input = cloth_mask_input
        self.fill_mask_holes = fill_mask_holes

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "image_size": list(self.image_size),
            "prior_channels": self.prior_channels,
            "grid_size": self.grid_size,
            "extractor_filters": list(self.extractor_filters),
            "extractor_extra_convs": self.extractor_extra_convs,
            "regressor_filters": list(self.regressor_filters),
            "normalization": self.normalization,
            "fine_stage": self.fine_stage,
            "cloth_mask_input": self.cloth_mask_input,
            "fill_mask_holes": self.fill_mask_holes,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
