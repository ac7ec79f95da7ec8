"""SieveNet losses as pure functions returning per-example values (shape (B,)).

The train step reduces them with the global batch size, which stays right
under ``tf.distribute``. Images are in [-1, 1]; masks in [0, 1].
"""

from __future__ import annotations

import numpy as np
from keras import ops

from sievenet_tf import metrics


def _mean_per_example(x):
    x = ops.cast(x, "float32")
    return ops.mean(ops.reshape(x, (ops.shape(x)[0], -1)), axis=1)


def l1_per_example(a, b):
    """Mean absolute difference per example: (B, ...) x (B, ...) -> (B,)."""
    return _mean_per_example(ops.abs(ops.cast(a, "float32") - ops.cast(b, "float32")))


def dice_loss_per_example(masks, targets, epsilon=1.0):
    """Soft Dice loss per example, ``1 - 2 |M T| / (|M| + |T|)``: (B, H, W, 1) x 2 -> (B,).

    Scale-aware where an L1 on masks is not: a warp that covers half the worn
    garment scores 1/3 whatever the garment's size, so a small garment's shrunken
    warp costs as much as a large one's. ``epsilon`` (in pixels) keeps an empty
    mask against an empty target at 0.
    """
    masks = ops.reshape(ops.cast(masks, "float32"), (ops.shape(masks)[0], -1))
    targets = ops.reshape(ops.cast(targets, "float32"), (ops.shape(targets)[0], -1))
    overlap = ops.sum(masks * targets, axis=1)
    total = ops.sum(masks, axis=1) + ops.sum(targets, axis=1)
    return 1.0 - (2.0 * overlap + epsilon) / (total + epsilon)


def vgg_perceptual(vgg, images, targets, layer_weights=(1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)):
    """CP-VTON perceptual loss: sum_i w_i * mean |VGG_i(images) - VGG_i(targets)|.

    Both inputs go through VGG in one batched call.

    Returns:
        (B,) float32.
    """
    batch = ops.shape(images)[0]
    features = vgg(ops.concatenate([ops.cast(images, "float32"), ops.cast(targets, "float32")], 0))
    total = 0.0
    for weight, feature in zip(layer_weights, features):
        total = total + weight * l1_per_example(feature[:batch], feature[batch:])
    return total


def cosine_per_example(a, b, eps=1e-12):
    """Cosine similarity of each example's flattened ``a`` and ``b``: (B, ...) -> (B,).

    Each vector is normalised on its own (``a / max(|a|, eps)``), so the product
    ``|a|^2 |b|^2`` that underflows for small residuals is never formed. Where a
    vector is (numerically) zero the direction is undefined; the cosine is then
    1 ("nothing to align"), with a zero, finite gradient.
    """
    a = ops.reshape(ops.cast(a, "float32"), (ops.shape(a)[0], -1))
    b = ops.reshape(ops.cast(b, "float32"), (ops.shape(b)[0], -1))
    # max(., eps^2) under the square root keeps its gradient finite at zero.
    norm_a = ops.sqrt(ops.maximum(ops.sum(a * a, axis=1), eps * eps))
    norm_b = ops.sqrt(ops.maximum(ops.sum(b * b, axis=1), eps * eps))
    cosine = ops.sum((a / norm_a[:, None]) * (b / norm_b[:, None]), axis=1)
    defined = ops.logical_and(norm_a > eps, norm_b > eps)
    return ops.where(defined, cosine, ops.ones_like(cosine))


def pgm_push(warped_coarse, warped_fine, target, k=3.0, stop_gradient_coarse=False):
    """L_push = k * |I_stn^1 - I_gt|_1 - |I_stn^1 - I_stn^0|_1 (paper Eq. 2).

    Rewards a fine warp that is close to the target and has moved away from the
    coarse one; ``k`` keeps the first term dominant. With
    ``stop_gradient_coarse`` the second term moves only the fine warp (the paper
    does not say which; otherwise it also pushes the coarse warp away from the fine).
    """
    coarse = ops.stop_gradient(warped_coarse) if stop_gradient_coarse else warped_coarse
    return k * l1_per_example(warped_fine, target) - l1_per_example(warped_fine, coarse)


def pgm_align(vgg, warped_coarse, warped_fine, target):
    """L_align = (cos(V^0, V^1) - 1)^2 with V^i = VGG(I_stn^i) - VGG(I_gt) (paper Eq. 3).

    The residuals of the coarse and fine warps should point the same way in VGG
    space (the fine stage corrects the coarse one, it does not start over).
    Computed per VGG layer (relu1_1 .. relu5_1) and averaged over layers.
    """
    batch = ops.shape(target)[0]
    features = vgg(
        ops.concatenate(
            [ops.cast(warped_coarse, "float32"), ops.cast(warped_fine, "float32"), ops.cast(target, "float32")],
            0,
        )
    )
    total = 0.0
    for feature in features:
        residual_coarse = feature[:batch] - feature[2 * batch :]
        residual_fine = feature[batch : 2 * batch] - feature[2 * batch :]
        total = total + ops.square(cosine_per_example(residual_coarse, residual_fine) - 1.0)
    return total / len(features)


def tps_bending(theta, grid_size: int):
    """Per-example bending of a TPS's control points: mean |second difference| of the offsets.

    ``theta`` (B, 2N) holds x- then y-offsets of the regular ``grid_size`` x
    ``grid_size`` control grid (:mod:`sievenet_tf.layers.tps`). The second
    differences of the displaced points along both grid axes are zero for the
    identity and for every affine warp (the regular grid is itself affine), so
    the term charges only bending: folds, crossings and local stretch (the aim
    of CP-VTON+'s grid constraint, here on the control points).

    Returns:
        (B,) float32.
    """
    points = ops.reshape(ops.cast(theta, "float32"), (-1, 2, grid_size, grid_size))
    along_i = points[:, :, 2:, :] - 2.0 * points[:, :, 1:-1, :] + points[:, :, :-2, :]
    along_j = points[:, :, :, 2:] - 2.0 * points[:, :, :, 1:-1] + points[:, :, :, :-2]
    return 0.5 * (ops.mean(ops.abs(along_i), axis=(1, 2, 3)) + ops.mean(ops.abs(along_j), axis=(1, 2, 3)))


def warp_loss(outputs, target, vgg, *, l1_coarse=1.0, l1_fine=1.0, pgm=1.0, push=0.5, align=0.5, push_k=3.0,
              push_stop_gradient_coarse=False, target_mask=None, mask_l1=0.0, mask_dice=0.0,
              grid_bending=0.0, grid_size=None):
    """L_warp = l1_coarse * L_s^0 + l1_fine * L_s^1 + pgm * (push * L_push + align * L_align),
    plus ``mask_l1`` x (|M_stn^0 - M_gt| + |M_stn^1 - M_gt|) when ``mask_l1`` > 0 (a
    mask-aware warp term as in CP-VTON+, not in the paper), ``mask_dice`` x the
    :func:`dice_loss_per_example` of the same two mask pairs when ``mask_dice`` > 0
    (an overlap term, not in the paper either) and ``grid_bending`` x
    (:func:`tps_bending` of the coarse and of the fine TPS) when ``grid_bending`` > 0
    (a smoothness constraint on the warp, also not in the paper).

    Args:
        outputs: the warper's output dict (``warped_cloth_coarse``, ``warped_cloth_fine``).
        target: ``I_gt``, the garment as worn (B, H, W, 3).
        vgg: a :class:`~sievenet_tf.models.VggFeatures`, or None to skip L_align.
        push_stop_gradient_coarse: see :func:`pgm_push`.
        target_mask: the worn garment's mask ``M_gt`` (B, H, W, 1); needed when
            ``mask_l1`` or ``mask_dice`` > 0.
        grid_size: TPS control points per side; needed when ``grid_bending`` > 0
            (the outputs' ``theta`` and ``delta_theta`` are read).

    Returns:
        dict of per-example terms: ``l1_coarse``, ``l1_fine``, ``pgm_push``,
        ``pgm_align``, ``mask_l1``, ``mask_dice``, ``grid_bending``, ``total``.
    """
    coarse, fine = outputs["warped_cloth_coarse"], outputs["warped_cloth_fine"]
    terms = {
        "l1_coarse": l1_per_example(coarse, target),
        "l1_fine": l1_per_example(fine, target),
        "pgm_push": pgm_push(coarse, fine, target, push_k, push_stop_gradient_coarse),
    }
    terms["pgm_align"] = pgm_align(vgg, coarse, fine, target) if vgg is not None else 0.0 * terms["l1_fine"]
    for name, weight, per_example in (("mask_l1", mask_l1, l1_per_example),
                                      ("mask_dice", mask_dice, dice_loss_per_example)):
        if weight > 0:
            if target_mask is None:
                raise ValueError(f"{name} > 0 needs target_mask (the worn garment's mask)")
            terms[name] = per_example(outputs["warped_mask_coarse"], target_mask) + per_example(
                outputs["warped_mask_fine"], target_mask
            )
        else:
            terms[name] = 0.0 * terms["l1_fine"]
    if grid_bending > 0:
        if grid_size is None:
            raise ValueError("grid_bending > 0 needs grid_size (TPS control points per side)")
        theta = outputs["theta"]
        terms["grid_bending"] = tps_bending(theta, grid_size) + tps_bending(
            theta + outputs["delta_theta"], grid_size
        )
    else:
        terms["grid_bending"] = 0.0 * terms["l1_fine"]
    terms["total"] = (
        l1_coarse * terms["l1_coarse"]
        + l1_fine * terms["l1_fine"]
        + pgm * (push * terms["pgm_push"] + align * terms["pgm_align"])
        + mask_l1 * terms["mask_l1"]
        + mask_dice * terms["mask_dice"]
        + grid_bending * terms["grid_bending"]
    )
    return terms


def weighted_segmentation_cross_entropy(logits, labels, class_weights, balance=0.0):
    """Per-example mean over pixels of ``w[label] * CE(logits, label)`` (paper Sec. 3.2).

    Unnormalised weighting: a pixel of a class with weight 1.5 counts 1.5 times.
    With ``balance`` > 0 each pixel's weight is also multiplied by
    :func:`class_balance_weights` (rare classes of the batch count more).

    Args:
        logits: (B, H, W, C).
        labels: (B, H, W) int class ids.
        class_weights: (C,) weights.
        balance: exponent of the batch's inverse class frequency, in [0, 1];
            0 is the paper's loss.

    Returns:
        (B,) float32.
    """
    logits = ops.cast(logits, "float32")
    labels = ops.cast(labels, "int32")
    log_probs = ops.log_softmax(logits, axis=-1)
    one_hot = ops.one_hot(labels, logits.shape[-1], dtype="float32")
    cross_entropy = -ops.sum(one_hot * log_probs, axis=-1)  # (batch, height, width)
    weights = ops.take(ops.convert_to_tensor(class_weights, dtype="float32"), labels)
    if balance:
        weights = weights * class_balance_weights(one_hot, balance)
    return _mean_per_example(weights * cross_entropy)


def class_balance_weights(one_hot, power):
    """Per-pixel weights ``f_c ** -power`` from the batch's class pixel frequencies.

    ``f_c`` is the share of the batch's pixels (all examples together) labelled
    ``c``. The weights are rescaled so that their mean over the batch's pixels
    is 1: the loss keeps its scale, and only the split between classes moves.
    With ``power`` 1 every class present in the batch carries the same total
    weight; with 0.5 (inverse square-root frequency) a class 100x rarer than
    another counts 10x more per pixel. Computed from the labels only, so no
    gradient flows through it; under a distribution strategy the frequencies
    are each replica's.

    Args:
        one_hot: (B, H, W, C) float one-hot labels.
        power: exponent in [0, 1].

    Returns:
        (B, H, W) float32.
    """
    counts = ops.sum(one_hot, axis=(0, 1, 2))  # (C,)
    frequency = counts / ops.maximum(ops.sum(counts), 1.0)
    # Absent classes get no pixel, so their weight is irrelevant; 1 keeps it finite.
    per_class = ops.where(counts > 0, ops.power(ops.maximum(frequency, 1e-12), -power), 1.0)
    weights = ops.sum(one_hot * per_class, axis=-1)
    return weights / ops.maximum(ops.mean(weights), 1e-12)


def heatmap_mse(heatmaps, targets):
    """Per-example mean over pixels and keypoints of ``(heatmap - target)^2``.

    Args:
        heatmaps: (B, h, w, K) predicted keypoint heatmaps.
        targets: (B, h, w, K) Gaussian targets (zero for missing keypoints).

    Returns:
        (B,) float32.
    """
    difference = ops.cast(heatmaps, "float32") - ops.cast(targets, "float32")
    return _mean_per_example(ops.square(difference))


def mask_binary_cross_entropy(logits, targets):
    """Per-example mean over pixels of the sigmoid cross-entropy of mask logits.

    Args:
        logits: (B, H, W, 1) mask logits.
        targets: (B, H, W, 1) in {0, 1}.

    Returns:
        (B,) float32.
    """
    logits = ops.cast(logits, "float32")
    targets = ops.cast(targets, "float32")
    # max(x, 0) - x * z + log(1 + exp(-|x|)): stable for large |x|.
    loss = ops.relu(logits) - logits * targets + ops.log1p(ops.exp(-ops.abs(logits)))
    return _mean_per_example(loss)


def texture_loss(outputs, person, cloth_worn_mask, vgg, *, l1=1.0, perceptual=1.0, mask=1.0,
                 ssim=0.0, vgg_layer_weights=(1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)):
    """L_tt = |I_try-on - I_m|_1 + |VGG(I_try-on) - VGG(I_m)|_1 + |M_cm - M_gt^cloth|_1,
    plus ``ssim`` x (1 - SSIM(I_try-on, I_m)) when ``ssim`` > 0 (not in the paper).

    Args:
        outputs: the texture translator's output dict (``tryon``, ``composition_mask``).
        person: ``I_m`` (B, H, W, 3).
        cloth_worn_mask: ``M_gt^cloth`` (B, H, W, 1).
        vgg: :class:`~sievenet_tf.models.VggFeatures` or None to skip the perceptual term.

    Returns:
        dict of per-example terms: ``l1``, ``vgg``, ``mask``, ``ssim``, ``total``.
    """
    tryon = outputs["tryon"]
    terms = {
        "l1": l1_per_example(tryon, person),
        "mask": l1_per_example(outputs["composition_mask"], cloth_worn_mask),
    }
    if vgg is not None:
        terms["vgg"] = vgg_perceptual(vgg, tryon, person, vgg_layer_weights)
    else:
        terms["vgg"] = 0.0 * terms["l1"]
    terms["ssim"] = (1.0 - ssim_per_example(tryon, person)) if ssim > 0 else 0.0 * terms["l1"]
    terms["total"] = (
        l1 * terms["l1"] + perceptual * terms["vgg"] + mask * terms["mask"] + ssim * terms["ssim"]
    )
    return terms


def ssim_per_example(a, b, size=metrics.SSIM_WINDOW, sigma=metrics.SSIM_SIGMA):
    """Mean SSIM of two image batches in [-1, 1], computed on [0, 1] as
    :func:`sievenet_tf.metrics.ssim` computes it (the evaluation's protocol):
    (B, H, W, C) x2 -> (B,).

    Valid-window only (no padding); images smaller than ``size`` use a window
    of their smaller side. Differentiable, so usable as a loss (``1 - SSIM``).
    """
    a = (ops.cast(a, "float32") + 1.0) / 2.0
    b = (ops.cast(b, "float32") + 1.0) / 2.0
    size = min(size, a.shape[1], a.shape[2])
    channels = a.shape[-1]
    taps = metrics.gaussian_window(size, sigma)
    window = np.tile(np.outer(taps, taps)[:, :, None, None], (1, 1, channels, 1)).astype("float32")

    def blur(x):
        return ops.depthwise_conv(x, window, strides=1, padding="valid")

    c1, c2 = metrics.SSIM_K1**2, metrics.SSIM_K2**2
    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return _mean_per_example(ssim_map)


def triplet_distance(a, b, distance="l1"):
    """Per-example distance for the duelling triplet: mean L1 or mean squared L2 over pixels."""
    if distance == "l1":
        return l1_per_example(a, b)
    if distance == "l2":
        return _mean_per_example(ops.square(ops.cast(a, "float32") - ops.cast(b, "float32")))
    raise ValueError(f"distance must be 'l1' or 'l2', got {distance!r}")


def duelling_triplet_loss(anchor, positive, negative, margin=0.0, distance="l1"):
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0) per example (paper Sec. 3.4).

    anchor: the current texture network's try-on; positive: ``I_m``; negative:
    the try-on of a frozen earlier snapshot of the same network on the same input.
    The negative carries no gradient.
    """
    negative = ops.stop_gradient(negative)
    return ops.relu(
        triplet_distance(anchor, positive, distance) - triplet_distance(anchor, negative, distance) + margin
    )
