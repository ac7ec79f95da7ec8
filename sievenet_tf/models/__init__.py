"""SieveNet networks and builders that unpack a config into constructor arguments."""

from sievenet_tf.models.cloth_masker import ClothMasker
from sievenet_tf.models.coarse_to_fine_warper import CoarseToFineWarper
from sievenet_tf.models.person_analyzer import PersonAnalyzer
from sievenet_tf.models.segmentation_mask_generator import SegmentationMaskGenerator
from sievenet_tf.models.sievenet import SieveNet
from sievenet_tf.models.texture_translator import TextureTranslator
from sievenet_tf.models.vgg_features import VggFeatures, VggWeightsError


def build_warper(config, name="warper"):
    """:class:`CoarseToFineWarper` for a :class:`~sievenet_tf.config.SieveNetConfig`."""
    return CoarseToFineWarper(
        image_size=config.data.image_size,
        prior_channels=config.data.prior_channels,
        grid_size=config.warp.grid_size,
        extractor_filters=config.warp.extractor_filters,
        extractor_extra_convs=config.warp.extractor_extra_convs,
        regressor_filters=config.warp.regressor_filters,
        normalization=config.warp.normalization,
        fine_stage=config.warp.fine_stage,
        cloth_mask_input=config.warp.cloth_mask_input,
        fill_mask_holes=config.warp.fill_mask_holes,
        name=name,
    )


def build_segmenter(config, name="segmenter"):
    """:class:`SegmentationMaskGenerator` for a config."""
    return SegmentationMaskGenerator(
        image_size=config.data.image_size,
        prior_channels=config.data.prior_channels,
        num_classes=config.segmentation.num_classes,
        filters=config.segmentation.filters,
        normalization=config.segmentation.normalization,
        dropout=config.segmentation.dropout,
        name=name,
    )


def build_texture_translator(config, name="texture_translator"):
    """:class:`TextureTranslator` for a config."""
    return TextureTranslator(
        image_size=config.data.image_size,
        num_classes=config.segmentation.num_classes,
        filters=config.texture.filters,
        normalization=config.texture.normalization,
        dropout=config.texture.dropout,
        conditioning=config.texture.conditioning,
        prior_channels=config.data.prior_channels,
        composite_within_warp=config.texture.composite_within_warp,
        name=name,
    )


def build_person_analyzer(config, name="person_analyzer"):
    """:class:`PersonAnalyzer` for a config (``analyzer`` section, at ``data.image_size``)."""
    analyzer = config.analyzer
    return PersonAnalyzer(
        image_size=config.data.image_size,
        num_classes=config.segmentation.num_classes,
        num_keypoints=config.data.num_keypoints,
        filters=analyzer.filters,
        blocks_per_level=analyzer.blocks_per_level,
        block=analyzer.block,
        head_filters=analyzer.head_filters,
        parse_stride=analyzer.parse_stride,
        heatmap_stride=analyzer.heatmap_stride,
        name=name,
    )


def build_cloth_masker(config, name="cloth_masker"):
    """:class:`ClothMasker` for a config (``analyzer.cloth_masker_filters``)."""
    return ClothMasker(
        image_size=config.data.image_size, filters=config.analyzer.cloth_masker_filters, name=name
    )


def build_sievenet(config, warper=None, segmenter=None, texture_translator=None):
    """:class:`SieveNet` from given (trained) stage networks, building missing ones.

    With ``texture.conditioning="priors"`` (the ablation baseline) there is no
    segmentation network.
    """
    if segmenter is None and config.texture.conditioning == "segmentation":
        segmenter = build_segmenter(config)
    return SieveNet(
        warper if warper is not None else build_warper(config),
        segmenter if config.texture.conditioning == "segmentation" else None,
        texture_translator if texture_translator is not None else build_texture_translator(config),
        name="sievenet",
    )


__all__ = [
    "ClothMasker",
    "CoarseToFineWarper",
    "PersonAnalyzer",
    "SegmentationMaskGenerator",
    "SieveNet",
    "TextureTranslator",
    "VggFeatures",
    "VggWeightsError",
    "build_warper",
    "build_segmenter",
    "build_texture_translator",
    "build_sievenet",
    "build_person_analyzer",
    "build_cloth_masker",
]
