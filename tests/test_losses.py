import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf import losses
from sievenet_tf.models import VggFeatures


@pytest.fixture(scope="module")
def vgg():
    return VggFeatures(weights=None)


def _images(rng, batch=2, size=(32, 32)):
    return rng.uniform(-1, 1, size=(batch, *size, 3)).astype(np.float32)


def test_l1_is_per_example_and_zero_for_equal(rng):
    a = _images(rng)
    assert losses.l1_per_example(a, a).shape == (2,)
    np.testing.assert_allclose(losses.l1_per_example(a, a), 0.0)
    np.testing.assert_allclose(losses.l1_per_example(a, a + 0.5), 0.5, rtol=1e-6)


def test_vgg_perceptual_zero_for_equal_and_positive_otherwise(vgg, rng):
    a, b = _images(rng), _images(rng)
    np.testing.assert_allclose(losses.vgg_perceptual(vgg, a, a), 0.0, atol=1e-6)
    assert np.all(losses.vgg_perceptual(vgg, a, b).numpy() > 0)


def test_vgg_rejects_missing_weights_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        VggFeatures(weights=str(tmp_path / "missing.h5"))


def test_push_prefers_fine_closer_to_target_and_moved_from_coarse(rng):
    target = _images(rng)
    coarse = target + 0.4
    good_fine = target + 0.1  # closer to the target, moved away from coarse
    lazy_fine = coarse  # no better than coarse
    assert np.all(losses.pgm_push(coarse, good_fine, target) < losses.pgm_push(coarse, lazy_fine, target))


def test_align_zero_when_residuals_are_parallel_and_larger_when_opposite(vgg, rng):
    target = _images(rng)
    direction = _images(rng) * 0.2
    parallel = losses.pgm_align(vgg, target + direction, target + 0.5 * direction, target).numpy()
    opposite = losses.pgm_align(vgg, target + direction, target - direction, target).numpy()
    assert np.all(parallel < 0.05)
    assert np.all(opposite > parallel)


def test_warp_loss_terms(vgg, rng):
    target = _images(rng)
    outputs = {"warped_cloth_coarse": target, "warped_cloth_fine": target}
    terms = losses.warp_loss(outputs, target, vgg)
    assert set(terms) == {"l1_coarse", "l1_fine", "pgm_push", "pgm_align", "mask_l1", "mask_dice", "grid_bending", "total"}
    for value in terms.values():
        assert value.shape == (2,)
    np.testing.assert_allclose(terms["l1_fine"], 0.0)


def test_class_weights_change_cross_entropy_as_expected(rng):
    logits = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    labels = rng.integers(0, 3, size=(2, 4, 4))
    base = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0, 1.0, 1.0]).numpy()
    doubled = losses.weighted_segmentation_cross_entropy(logits, labels, [2.0, 2.0, 2.0]).numpy()
    np.testing.assert_allclose(doubled, 2 * base, rtol=1e-5)
    labels[:] = 0
    only_zero = losses.weighted_segmentation_cross_entropy(logits, labels, [1.5, 1.0, 1.0]).numpy()
    other = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0, 9.0, 9.0]).numpy()
    unweighted = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0, 1.0, 1.0]).numpy()
    np.testing.assert_allclose(only_zero, 1.5 * unweighted, rtol=1e-5)
    np.testing.assert_allclose(other, unweighted, rtol=1e-5)  # weights of absent classes do nothing
    perfect = np.zeros((1, 2, 2, 3), np.float32)
    perfect[..., 0] = 50.0
    assert losses.weighted_segmentation_cross_entropy(perfect, np.zeros((1, 2, 2)), [1, 1, 1]) < 1e-6


def test_class_balance_weights_follow_the_batch_frequencies():
    import keras

    labels = np.zeros((2, 10, 10), np.int64)
    labels[0, :2] = 1  # 20 pixels of class 1
    labels[1, 0, :5] = 2  # 5 pixels of class 2; class 0 has the other 175
    one_hot = keras.ops.one_hot(labels, 4)
    for power in (0.5, 1.0):
        weights = np.asarray(losses.class_balance_weights(one_hot, power))
        assert weights.shape == (2, 10, 10)
        np.testing.assert_allclose(weights.mean(), 1.0, rtol=1e-6)
        per_class = {c: np.unique(weights[labels == c]) for c in range(3)}
        assert all(len(values) == 1 for values in per_class.values())
        np.testing.assert_allclose(per_class[2] / per_class[0], (175 / 5) ** power, rtol=1e-5)
        np.testing.assert_allclose(per_class[1] / per_class[0], (175 / 20) ** power, rtol=1e-5)
    # power 1: every class present carries the same total weight
    totals = [weights[labels == c].sum() for c in range(3)]
    np.testing.assert_allclose(totals, totals[0], rtol=1e-5)
    np.testing.assert_allclose(losses.class_balance_weights(one_hot, 0.0), 1.0)


def test_balanced_cross_entropy_counts_rare_class_errors_more(rng):
    logits = rng.normal(size=(2, 10, 10, 3)).astype(np.float32)
    labels = np.zeros((2, 10, 10), np.int64)
    labels[0, 0, :4] = 1
    plain = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0, 1.0, 1.0]).numpy()
    np.testing.assert_allclose(
        losses.weighted_segmentation_cross_entropy(logits, labels, [1.0] * 3, balance=0.0), plain
    )
    # wrong only on the 4 rare pixels: the balanced loss is larger than the plain one
    logits = np.zeros((2, 10, 10, 3), np.float32)
    logits[..., 0] = 5.0
    plain = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0] * 3).numpy()
    balanced = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0] * 3, balance=0.5).numpy()
    assert balanced[0] > 2 * plain[0]
    # right only on the rare pixels: the balanced loss is smaller
    logits = np.zeros((2, 10, 10, 3), np.float32)
    logits[..., 2] = 5.0
    logits[0, 0, :4, 1] = 10.0
    plain = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0] * 3).numpy()
    balanced = losses.weighted_segmentation_cross_entropy(logits, labels, [1.0] * 3, balance=0.5).numpy()
    assert balanced[0] < plain[0]


def test_texture_loss_zero_at_perfect_output(vgg, rng):
    person = _images(rng)
    mask = (rng.uniform(size=(2, 32, 32, 1)) > 0.5).astype(np.float32)
    terms = losses.texture_loss({"tryon": person, "composition_mask": mask}, person, mask, vgg)
    np.testing.assert_allclose(terms["total"], 0.0, atol=1e-6)
    worse = losses.texture_loss({"tryon": person * 0.5, "composition_mask": 1 - mask}, person, mask, vgg)
    assert np.all(worse["total"].numpy() > 0.5)


def test_ssim_per_example_matches_the_evaluation_ssim(rng):
    from sievenet_tf import metrics

    a, b = _images(rng), _images(rng)
    b[1] = 0.7 * a[1] + 0.3 * b[1]  # one similar pair, one unrelated pair
    expected = metrics.ssim((a + 1) / 2, (b + 1) / 2)
    np.testing.assert_allclose(losses.ssim_per_example(a, b), expected, atol=1e-4)
    np.testing.assert_allclose(losses.ssim_per_example(a, a), 1.0, atol=1e-5)


def test_texture_loss_ssim_term_is_off_by_default_and_has_a_gradient(vgg, rng):

    person = _images(rng)
    mask = (rng.uniform(size=(2, 32, 32, 1)) > 0.5).astype(np.float32)
    tryon = tf.Variable(person * 0.5)
    outputs = {"tryon": tryon, "composition_mask": mask}
    off = losses.texture_loss(outputs, person, mask, None)
    np.testing.assert_allclose(off["ssim"], 0.0)
    with tf.GradientTape() as tape:
        on = losses.texture_loss(outputs, person, mask, None, ssim=2.0)
        total = tf.reduce_sum(on["total"])
    np.testing.assert_allclose(on["total"] - off["total"], 2.0 * on["ssim"], rtol=1e-5)
    assert np.all(on["ssim"].numpy() > 0.01)
    gradient = tape.gradient(total, tryon).numpy()
    assert np.all(np.isfinite(gradient)) and np.abs(gradient).max() > 0


def _mask_warp_outputs(rng):
    """Cloth, a worn mask, and warp outputs whose coarse mask matches it and whose fine
    mask is its complement."""
    cloth = _images(rng)
    mask = (rng.uniform(size=(2, 32, 32, 1)) > 0.5).astype(np.float32)
    outputs = {"warped_cloth_coarse": cloth, "warped_cloth_fine": cloth,
               "warped_mask_coarse": mask, "warped_mask_fine": 1 - mask}
    return cloth, mask, outputs


def test_warp_mask_term_scores_the_warped_masks_against_the_worn_mask(rng):
    cloth, mask, outputs = _mask_warp_outputs(rng)
    off = losses.warp_loss(outputs, cloth, None)
    np.testing.assert_allclose(off["mask_l1"], 0.0)
    on = losses.warp_loss(outputs, cloth, None, target_mask=mask, mask_l1=0.5)
    # coarse matches (0), fine is the complement (1): the term is 1, weighted 0.5
    np.testing.assert_allclose(on["mask_l1"], 1.0, atol=1e-6)
    np.testing.assert_allclose(on["total"] - off["total"], 0.5, atol=1e-6)
    with pytest.raises(ValueError, match="target_mask"):
        losses.warp_loss(outputs, cloth, None, mask_l1=1.0)


def test_dice_loss_scores_overlap_relative_to_the_garment_size():
    def box(height, width, rows, cols):
        mask = np.zeros((1, height, width, 1), np.float32)
        mask[0, :rows, :cols] = 1
        return mask

    large, small = box(64, 64, 40, 40), box(64, 64, 8, 8)
    half_large, half_small = box(64, 64, 40, 20), box(64, 64, 8, 4)
    dice = losses.dice_loss_per_example
    np.testing.assert_allclose(dice(large, large), 0.0, atol=1e-6)
    np.testing.assert_allclose(dice(np.zeros_like(large), np.zeros_like(large)), 0.0, atol=1e-6)
    np.testing.assert_allclose(dice(1 - large, large), 1.0, atol=1e-3)  # no overlap
    # half covered: 1 - 2 * (n / 2) / (n / 2 + n) = 1/3, for a large and a small garment alike,
    # where the mask L1 charges the small garment's half 25x less
    np.testing.assert_allclose(dice(half_large, large), 1 / 3, atol=1e-3)
    np.testing.assert_allclose(dice(half_small, small), 1 / 3, atol=0.02)
    l1_ratio = losses.l1_per_example(half_large, large) / losses.l1_per_example(half_small, small)
    np.testing.assert_allclose(l1_ratio, 25.0, rtol=1e-5)


def test_warp_mask_dice_term_is_added_with_its_weight(rng):
    cloth, mask, outputs = _mask_warp_outputs(rng)
    off = losses.warp_loss(outputs, cloth, None)
    np.testing.assert_allclose(off["mask_dice"], 0.0)
    with tf.GradientTape() as tape:
        fine = tf.Variable(np.full_like(mask, 0.5))
        on = losses.warp_loss({**outputs, "warped_mask_fine": fine}, cloth, None, target_mask=mask,
                              mask_dice=2.0)
        total = tf.reduce_sum(on["total"])
    # coarse matches (0); fine is 0.5 everywhere: 1 - 2 * 0.5 n / (0.5 N + n), n ~ N / 2
    share = mask.reshape(2, -1).mean(axis=1)
    expected = 1 - share / (0.5 + share)
    np.testing.assert_allclose(on["mask_dice"], expected, atol=2e-3)
    np.testing.assert_allclose(on["total"] - off["total"], 2.0 * on["mask_dice"], rtol=1e-5)
    # the gradient grows the fine mask inside the worn garment and shrinks it outside
    gradient = tape.gradient(total, fine).numpy()
    assert np.all(gradient[mask > 0] < 0) and np.all(gradient[mask == 0] > 0)
    with pytest.raises(ValueError, match="mask_dice > 0 needs target_mask"):
        losses.warp_loss(outputs, cloth, None, mask_dice=1.0)


def test_tps_bending_is_zero_for_affine_warps_and_positive_for_a_fold(rng):
    from sievenet_tf.layers.tps import control_points

    points_x, points_y = (tf.constant(v, tf.float32) for v in control_points(5))
    # theta holds offsets: an affine map of the regular grid minus the grid is affine too
    affine = tf.stack([0.1 + 0.2 * points_x - 0.3 * points_y, -0.2 + 0.1 * points_x + 0.4 * points_y])
    theta = tf.reshape(tf.stack([tf.zeros(50), tf.reshape(affine, [-1])]), (2, 50))
    np.testing.assert_allclose(losses.tps_bending(theta, 5), [0.0, 0.0], atol=1e-6)
    # one control point pushed by 0.3 in x: second differences -0.6 at it, +0.3 at two
    # neighbours along each axis -> mean |.| over (2 coords x 3 x 5) = 1.2 / 30 per axis
    folded = np.zeros((1, 50), np.float32)
    folded[0, 2 * 5 + 2] = 0.3
    np.testing.assert_allclose(losses.tps_bending(folded, 5), [1.2 / 30], rtol=1e-5)
    variable = tf.Variable(rng.normal(size=(2, 50)).astype(np.float32) * 0.1)
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(losses.tps_bending(variable, 5))
    assert np.abs(tape.gradient(value, variable).numpy()).max() > 0


def test_warp_grid_bending_term_reads_both_tps(rng):
    cloth = _images(rng)
    theta = rng.normal(size=(2, 50)).astype(np.float32) * 0.1
    delta = rng.normal(size=(2, 50)).astype(np.float32) * 0.1
    outputs = {"warped_cloth_coarse": cloth, "warped_cloth_fine": cloth, "theta": theta, "delta_theta": delta}
    off = losses.warp_loss(outputs, cloth, None)
    np.testing.assert_allclose(off["grid_bending"], 0.0)
    on = losses.warp_loss(outputs, cloth, None, grid_bending=2.0, grid_size=5)
    expected = losses.tps_bending(theta, 5) + losses.tps_bending(theta + delta, 5)
    np.testing.assert_allclose(on["grid_bending"], expected, rtol=1e-6)
    np.testing.assert_allclose(on["total"] - off["total"], 2.0 * expected, rtol=1e-5)
    with pytest.raises(ValueError, match="grid_size"):
        losses.warp_loss(outputs, cloth, None, grid_bending=1.0)


def test_triplet_zero_when_anchor_closer_to_positive_by_margin(rng):
    positive = _images(rng)
    anchor = positive + 0.1
    negative = positive + 0.5  # d(a, n) = 0.4, d(a, p) = 0.1
    np.testing.assert_allclose(losses.duelling_triplet_loss(anchor, positive, negative, 0.2), 0.0)
    np.testing.assert_allclose(
        losses.duelling_triplet_loss(anchor, positive, negative, 0.5), 0.2, atol=1e-5
    )
    # anchor that matches the negative is penalised by d(a, p) + margin
    np.testing.assert_allclose(losses.duelling_triplet_loss(negative, positive, negative, 0.0), 0.5, atol=1e-5)
    with pytest.raises(ValueError, match="distance"):
        losses.duelling_triplet_loss(anchor, positive, negative, distance="cos")


def _triplet_gradient(anchor, positive, negative, distance):
    anchor = tf.Variable(anchor)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(losses.duelling_triplet_loss(anchor, positive, negative, 0.0, distance))
    return tape.gradient(loss, anchor).numpy()


def test_l1_triplet_reweights_toward_the_last_move_and_l2_follows_the_snapshot_residual(rng):
    """Why d = L1 can drift and d = L2 cannot (docs/evaluation.md, the duelling triplet).

    Shortly after a snapshot refresh the anchor is the negative plus the last step. With
    L1 the term's pixel gradient is then -2 / N where the target lies beyond the anchor in
    the direction of that step and 0 elsewhere: L1 + triplet weighs those targets 3:1, so
    its optimum is a quantile past the median, in the direction the network last moved.
    With squared L2 the gradient is 2 (n - p) / N whatever the anchor: the snapshot's own
    residual, whose optimum is the mean."""
    positive = _images(rng)
    negative = _images(rng)
    count = np.prod(positive.shape[1:])
    anchor = negative + 1e-3  # one small step up since the refresh
    gradient = _triplet_gradient(anchor, positive, negative, "l1")
    beyond = positive > anchor  # targets further up than the anchor
    np.testing.assert_allclose(gradient[beyond], -2.0 / count, rtol=1e-5)
    np.testing.assert_allclose(gradient[~beyond], 0.0, atol=1e-12)
    for anchor in (negative + 1e-3, _images(rng)):
        gradient = _triplet_gradient(anchor, positive, negative, "l2")
        active = (np.mean((anchor - positive) ** 2, axis=(1, 2, 3))
                  > np.mean((anchor - negative) ** 2, axis=(1, 2, 3)))
        expected = 2.0 * (negative - positive) / count * active[:, None, None, None]
        np.testing.assert_allclose(gradient, expected, rtol=1e-4, atol=1e-9)


def test_cosine_is_one_for_zero_residuals_and_scale_free_for_small_ones():
    zeros = np.zeros((2, 4, 4, 3), np.float32)
    np.testing.assert_allclose(losses.cosine_per_example(zeros, zeros), 1.0)
    small = np.full((2, 4, 4, 3), 1e-6, np.float32)
    np.testing.assert_allclose(losses.cosine_per_example(small, 2 * small), 1.0, rtol=1e-6)
    np.testing.assert_allclose(losses.cosine_per_example(small, -small), -1.0, rtol=1e-6)
    # Values whose squared norms underflow float32 products.
    tiny = np.full((2, 4, 4, 3), 1e-20, np.float32)
    assert np.all(np.isfinite(losses.cosine_per_example(tiny, 3 * tiny).numpy()))


def test_align_is_zero_for_a_perfect_warp_and_its_gradient_is_finite(vgg, rng):

    target = tf.constant(_images(rng))
    np.testing.assert_allclose(losses.pgm_align(vgg, target, target, target), 0.0, atol=1e-6)
    warped = tf.Variable(target)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(losses.pgm_align(vgg, warped, warped, target))
    gradient = tape.gradient(loss, warped)
    assert np.all(np.isfinite(gradient.numpy()))


def test_push_stop_gradient_keeps_the_coarse_warp_out_of_the_second_term(rng):

    target = tf.constant(_images(rng))
    coarse = tf.Variable(target + 0.3)
    fine = tf.Variable(target + 0.1)
    gradients = {}
    for stop in (False, True):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(losses.pgm_push(coarse, fine, target, 3.0, stop_gradient_coarse=stop))
        gradients[stop] = tape.gradient(loss, [coarse, fine])
    assert np.any(gradients[False][0].numpy() != 0)  # pushes coarse away from fine
    assert gradients[True][0] is None or np.all(gradients[True][0].numpy() == 0)
    np.testing.assert_allclose(gradients[True][1], gradients[False][1])
