"""Layers and geometry: the TPS grid, the bilinear sampler, blocks, priors."""

from sievenet_tf.layers.blocks import InstanceNormalization
from sievenet_tf.layers.correlation import FeatureCorrelation, FeatureL2Norm
from sievenet_tf.layers.sampling import GridSampler, grid_sample, grid_sample_many
from sievenet_tf.layers.tps import TpsGridGenerator, tps_basis, tps_grid
from sievenet_tf.layers.tps_warp import ClothWarp, TpsWarp

__all__ = [
    "ClothWarp",
    "grid_sample_many",
    "FeatureCorrelation",
    "FeatureL2Norm",
    "GridSampler",
    "InstanceNormalization",
    "TpsGridGenerator",
    "TpsWarp",
    "grid_sample",
    "tps_basis",
    "tps_grid",
]
