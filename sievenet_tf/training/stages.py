"""The three training stages: which networks train, on what, with which losses.

A stage owns the networks it trains and holds the earlier stages' networks
frozen (loaded from the run directory). ``terms(batch, training)`` returns the
stage's named per-example loss terms (each (B,)), ``total`` among them; the
trainer reduces them with the global batch size.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf

from sievenet_tf import keys, labels, losses
from sievenet_tf.layers.keypoints import heatmap_targets
from sievenet_tf.models import (
    build_cloth_masker,
    build_person_analyzer,
    build_segmenter,
    build_texture_translator,
    build_warper,
)
from sievenet_tf.training.augment import augment_cloth_batch, augment_person_batch


def _warp_inputs(batch):
    return {
        "cloth": batch[keys.CLOTH],
        "cloth_mask": batch[keys.CLOTH_MASK],
        "priors": batch[keys.PRIORS],
    }


class WarpStage:
    """Stage 1: coarse-to-fine warper with L_warp (L1 terms + PGM push/align)."""

    name = "warp"

    def __init__(self, config, vgg, frozen=None):
        self.config = config
        self.vgg = vgg
        self.warper = build_warper(config)
        self.networks = {"warper": self.warper}

    @property
    def steps(self):
        return self.config.train.warp_steps

    def terms(self, batch, training=True, use_triplet=False):
        weights = self.config.loss
        outputs = self.warper(_warp_inputs(batch), training=training)
        terms = losses.warp_loss(
            outputs,
            batch[keys.CLOTH_WORN],
            self.vgg if weights.pgm_align > 0 and weights.warp_pgm > 0 else None,
            l1_coarse=weights.warp_l1_coarse,
            l1_fine=weights.warp_l1_fine,
            pgm=weights.warp_pgm,
            push=weights.pgm_push,
            align=weights.pgm_align,
            push_k=weights.push_k,
            push_stop_gradient_coarse=weights.push_stop_gradient_coarse,
            target_mask=batch[keys.CLOTH_WORN_MASK],
            mask_l1=weights.warp_mask_l1,
            mask_dice=weights.warp_mask_dice,
            grid_bending=weights.warp_grid_bending,
            grid_size=self.config.warp.grid_size,
        )
        return terms, outputs


class SegmentationStage:
    """Stage 2: conditional segmentation with the weighted cross-entropy."""

    name = "segmentation"

    def __init__(self, config, vgg, frozen=None):
        self.config = config
        self.segmenter = build_segmenter(config)
        self.networks = {"segmenter": self.segmenter}
        weights = labels.class_weights(
            config.loss.segmentation_background_weight, config.loss.segmentation_skin_weight
        )
        if len(weights) != config.segmentation.num_classes:
            raise ValueError(
                f"segmentation.num_classes={config.segmentation.num_classes} but the model's "
                f"label set has {len(weights)} classes"
            )
        self.class_weights = tf.constant(weights, tf.float32)

    @property
    def steps(self):
        return self.config.train.segmentation_steps

    def terms(self, batch, training=True, use_triplet=False):
        outputs = self.segmenter(
            {"priors": batch[keys.PRIORS], "cloth": batch[keys.CLOTH]}, training=training
        )
        cross_entropy = losses.weighted_segmentation_cross_entropy(
            outputs["segmentation_logits"], batch[keys.SEGMENTATION], self.class_weights,
            balance=self.config.loss.segmentation_balance,
        )
        return {"cross_entropy": cross_entropy, "total": cross_entropy}, outputs


class TextureStage:
    """Stage 3: SATT with L_tt, plus the duelling triplet term after K steps.

    The warper (and, unless ``train.texture_on_gt_segmentation``, the segmenter)
    run frozen, in inference mode, on the fly. ``snapshot`` is the frozen earlier
    copy of the texture network that provides the triplet negative.
    """

    name = "texture"

    def __init__(self, config, vgg, frozen):
        self.config = config
        self.vgg = vgg
        self.warper = frozen["warper"]
        self.conditioning = config.texture.conditioning
        uses_prediction = self.conditioning == "segmentation" and not config.train.texture_on_gt_segmentation
        self.segmenter = frozen["segmenter"] if uses_prediction else None
        self.texture = build_texture_translator(config)
        self.snapshot = build_texture_translator(config, name="texture_snapshot")
        self.snapshot.trainable = False
        self.networks = {"texture_translator": self.texture}

    @property
    def steps(self):
        return self.config.train.texture_steps

    def refresh_snapshot(self):
        """Copy the current texture network into the frozen negative snapshot."""
        for target, source in zip(self.snapshot.weights, self.texture.weights):
            target.assign(source)

    def texture_inputs(self, batch):
        warped = self.warper(_warp_inputs(batch), training=False)
        inputs = {
            "warped_cloth": tf.stop_gradient(warped["warped_cloth_fine"]),
            "texture_priors": batch[keys.TEXTURE_PRIORS],
        }
        if self.config.texture.composite_within_warp:
            inputs["warped_mask"] = tf.stop_gradient(warped["warped_mask_fine"])
        if self.conditioning == "priors":
            inputs["priors"] = batch[keys.PRIORS]
            return inputs, warped
        if self.segmenter is None:
            labels = batch[keys.SEGMENTATION]
        else:
            logits = self.segmenter(
                {"priors": batch[keys.PRIORS], "cloth": batch[keys.CLOTH]}, training=False
            )["segmentation_logits"]
            labels = tf.argmax(logits, axis=-1, output_type=tf.int32)
        num_classes = self.config.segmentation.num_classes
        inputs["expected_segmentation"] = tf.one_hot(labels, num_classes, dtype=tf.float32)
        return inputs, warped

    def terms(self, batch, training=True, use_triplet=False):
        weights = self.config.loss
        inputs, warped = self.texture_inputs(batch)
        outputs = self.texture(inputs, training=training)
        terms = losses.texture_loss(
            outputs,
            batch[keys.PERSON],
            batch[keys.CLOTH_WORN_MASK],
            self.vgg if weights.texture_vgg > 0 else None,
            l1=weights.texture_l1,
            perceptual=weights.texture_vgg,
            mask=weights.texture_mask,
            ssim=weights.texture_ssim,
            vgg_layer_weights=weights.vgg_layer_weights,
        )
        if use_triplet:
            negative = self.snapshot(inputs, training=False)["tryon"]
            triplet = losses.duelling_triplet_loss(
                outputs["tryon"],
                batch[keys.PERSON],
                negative,
                self.config.triplet.margin,
                self.config.triplet.distance,
            )
        else:
            triplet = 0.0 * terms["total"]
        terms["triplet"] = triplet
        terms["total"] = terms["total"] + self.config.triplet.weight * triplet
        outputs = dict(outputs)
        outputs.update(warped)
        return terms, outputs


class AnalyzerStage:
    """The person analyzer: photo -> parse + keypoint heatmaps, from the dataset's labels.

    Loss: ``parse_weight * CE_w(parse) + heatmap_weight * MSE(heatmaps, Gaussians)``,
    the cross-entropy weighted as the segmentation stage's. In training the batch
    is augmented first (:func:`~sievenet_tf.training.augment.augment_person_batch`);
    held-out numbers and images use the photos as they are. The augmentation's
    random generator is checkpointed with the network (``trackables``).
    """

    name = "analyzer"

    def __init__(self, config, vgg=None, frozen=None):
        self.config = config
        self.options = config.analyzer_training
        self.analyzer = build_person_analyzer(config)
        self.networks = {"person_analyzer": self.analyzer}
        weights = labels.class_weights(self.options.background_weight, self.options.skin_weight)
        if len(weights) != config.segmentation.num_classes:
            raise ValueError(
                f"segmentation.num_classes={config.segmentation.num_classes} but the model's "
                f"label set has {len(weights)} classes"
            )
        self.class_weights = tf.constant(weights, tf.float32)
        self.generator = tf.random.Generator.from_seed(config.train.seed)
        self.trackables = {"augmentation_generator": self.generator}

    @property
    def steps(self):
        return self.config.train.analyzer_steps

    @property
    def optimizer_config(self):
        """The stage's Adam settings (a plain segmentation/pose net wants more than the
        try-on's GAN-style ``beta_1 = 0.5``, 1e-4)."""
        return dataclasses.replace(
            self.config.optimizer,
            learning_rate=self.options.learning_rate,
            beta_1=self.options.beta_1,
            beta_2=self.options.beta_2,
        )

    def terms(self, batch, training=True, use_triplet=False):
        person = batch[keys.PERSON]
        segmentation = batch[keys.SEGMENTATION]
        keypoints = batch[keys.KEYPOINTS]
        if training:
            person, segmentation, keypoints = augment_person_batch(
                person, segmentation, keypoints, self.generator, self.options
            )
        outputs = self.analyzer({"person": person}, training=training)
        cross_entropy = losses.weighted_segmentation_cross_entropy(
            outputs["parse_logits"], segmentation, self.class_weights
        )
        targets = heatmap_targets(
            keypoints, self.analyzer.heatmap_size, self.analyzer.heatmap_stride,
            self.config.analyzer.heatmap_sigma,
        )  # fmt: skip
        heatmap = losses.heatmap_mse(outputs["keypoint_heatmaps"], targets)
        total = self.options.parse_weight * cross_entropy + self.options.heatmap_weight * heatmap
        outputs = dict(outputs)
        outputs.update({"heatmap_targets": targets, keys.PERSON: person})
        return {"cross_entropy": cross_entropy, "heatmap_mse": heatmap, "total": total}, outputs


class ClothMaskStage:
    """The learned cloth-mask head: product photo -> mask, sigmoid cross-entropy
    against the dataset's ``cloth-mask`` files, with the analyzer's augmentation
    (moves and colours) and its Adam settings."""

    name = "cloth_mask"

    def __init__(self, config, vgg=None, frozen=None):
        self.config = config
        self.options = config.analyzer_training
        self.masker = build_cloth_masker(config)
        self.networks = {"cloth_masker": self.masker}
        self.generator = tf.random.Generator.from_seed(config.train.seed + 1)
        self.trackables = {"augmentation_generator": self.generator}

    @property
    def steps(self):
        return self.config.train.cloth_mask_steps

    optimizer_config = AnalyzerStage.optimizer_config

    def terms(self, batch, training=True, use_triplet=False):
        cloth, mask = batch[keys.CLOTH], batch[keys.CLOTH_MASK]
        if training:
            cloth, mask = augment_cloth_batch(cloth, mask, self.generator, self.options)
        outputs = dict(self.masker({"cloth": cloth}, training=training))
        cross_entropy = losses.mask_binary_cross_entropy(outputs["cloth_mask_logits"], mask)
        outputs.update({keys.CLOTH: cloth, "target_mask": mask})
        return {"cross_entropy": cross_entropy, "total": cross_entropy}, outputs


STAGE_CLASSES = {
    "warp": WarpStage,
    "segmentation": SegmentationStage,
    "texture": TextureStage,
    "analyzer": AnalyzerStage,
    "cloth_mask": ClothMaskStage,
}


def stage_requirements(config, stage: str) -> list[str]:
    """Earlier stages whose trained networks ``stage`` needs."""
    if stage == "texture":
        if config.train.texture_on_gt_segmentation or config.texture.conditioning == "priors":
            return ["warp"]
        return ["warp", "segmentation"]
    return []

