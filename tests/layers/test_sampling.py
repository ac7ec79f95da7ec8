import numpy as np
import pytest
import tensorflow as tf

from sievenet_tf.layers import GridSampler, grid_sample
from tests.layers.reference import torch_grid_sample


@pytest.mark.parametrize("padding_mode", ["border", "zeros"])
def test_matches_reference_including_out_of_range(padding_mode, rng):
    images = rng.uniform(-1, 1, size=(2, 7, 9, 3)).astype(np.float32)
    grid = rng.uniform(-1.4, 1.4, size=(2, 5, 6, 2)).astype(np.float32)
    grid[0, 0, 0] = [-1.0, -1.0]  # exact corners
    grid[0, 0, 1] = [1.0, 1.0]
    grid[1, 0, 0] = [3.0, -5.0]  # far outside
    ours = grid_sample(images, grid, padding_mode).numpy()
    np.testing.assert_allclose(ours, torch_grid_sample(images, grid, padding_mode), atol=1e-5)


def test_identity_grid_reproduces_image(rng):
    images = rng.uniform(size=(1, 6, 5, 2)).astype(np.float32)
    ys, xs = np.meshgrid(np.linspace(-1, 1, 6), np.linspace(-1, 1, 5), indexing="ij")
    grid = np.stack([xs, ys], -1)[None].astype(np.float32)
    for mode in ("border", "zeros"):
        np.testing.assert_allclose(grid_sample(images, grid, mode).numpy(), images, atol=1e-6)


def test_border_vs_zeros_at_the_edges():
    images = np.full((1, 4, 4, 1), 2.0, np.float32)
    # half a pixel left of the first pixel centre, and far beyond the right edge
    half_pixel = 2.0 / 3 / 2
    grid = np.array([[[[-1.0 - half_pixel, 0.0], [5.0, 0.0]]]], np.float32)
    border = grid_sample(images, grid, "border").numpy().ravel()
    zeros = grid_sample(images, grid, "zeros").numpy().ravel()
    np.testing.assert_allclose(border, [2.0, 2.0], atol=1e-6)  # edge repeated
    np.testing.assert_allclose(zeros, [1.0, 0.0], atol=1e-6)  # fades to zero, then zero


@pytest.mark.parametrize("padding_mode", ["border", "zeros"])
def test_gradients_wrt_images_and_grid(padding_mode, rng):
    images = rng.uniform(-1, 1, size=(1, 5, 4, 2))
    # keep sample points away from pixel centres, where bilinear has kinks
    pixels = rng.uniform(0.1, 0.9, size=(1, 3, 3, 2)) + rng.integers(-1, 4, size=(1, 3, 3, 2))
    grid = np.stack([pixels[..., 0] / 3 * 2 - 1, pixels[..., 1] / 4 * 2 - 1], -1)

    def sample(images, grid):
        return grid_sample(images, grid, padding_mode)

    theoretical, numerical = tf.test.compute_gradient(
        sample, [tf.constant(images, tf.float32), tf.constant(grid, tf.float32)], delta=1e-3
    )
    np.testing.assert_allclose(theoretical[0], numerical[0], atol=1e-2)
    np.testing.assert_allclose(theoretical[1], numerical[1], atol=2e-2)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="padding_mode"):
        grid_sample(np.zeros((1, 2, 2, 1), np.float32), np.zeros((1, 2, 2, 2), np.float32), "reflect")
    with pytest.raises(ValueError, match="grid"):
        grid_sample(np.zeros((1, 2, 2, 1), np.float32), np.zeros((1, 2, 2, 3), np.float32))
    assert GridSampler("zeros").get_config()["padding_mode"] == "zeros"


def test_against_pytorch_when_installed(rng):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: reference comparison skipped")
    images = rng.uniform(-1, 1, size=(2, 7, 9, 3)).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, size=(2, 5, 6, 2)).astype(np.float32)
    for mode in ("border", "zeros"):
        expected = torch.nn.functional.grid_sample(
            torch.from_numpy(images).permute(0, 3, 1, 2), torch.from_numpy(grid),
            mode="bilinear", padding_mode=mode, align_corners=True,
        ).permute(0, 2, 3, 1).numpy()
        np.testing.assert_allclose(grid_sample(images, grid, mode).numpy(), expected, atol=1e-5)


def test_sampling_several_images_in_one_pass_equals_separate_calls(rng):
    from sievenet_tf.layers import ClothWarp, TpsWarp, grid_sample_many

    cloth = rng.uniform(-1, 1, size=(2, 9, 7, 3)).astype(np.float32)
    mask = (rng.uniform(size=(2, 9, 7, 1)) > 0.5).astype(np.float32)
    grid = rng.uniform(-1.3, 1.3, size=(2, 9, 7, 2)).astype(np.float32)
    together = grid_sample_many([cloth, mask], grid, ["border", "zeros"])
    np.testing.assert_allclose(together[0], grid_sample(cloth, grid, "border"), atol=1e-6)
    np.testing.assert_allclose(together[1], grid_sample(mask, grid, "zeros"), atol=1e-6)
    theta = rng.normal(scale=0.2, size=(2, 50)).astype(np.float32)
    warped_cloth, warped_mask = ClothWarp((9, 7))(cloth, mask, theta)
    np.testing.assert_allclose(warped_cloth, TpsWarp((9, 7), 5, "border")(cloth, theta), atol=1e-6)
    np.testing.assert_allclose(warped_mask, TpsWarp((9, 7), 5, "zeros")(mask, theta), atol=1e-6)
    with pytest.raises(ValueError, match="one padding mode per image"):
        grid_sample_many([cloth, mask], grid, ["border"])
