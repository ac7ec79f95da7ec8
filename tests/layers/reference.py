"""Independent NumPy implementations of CP-VTON's TpsGridGen and PyTorch's
bilinear grid_sample(align_corners=True), written from their definitions
(solve for the spline coefficients per example; sample with per-corner bounds
checks), deliberately unlike the library's precomputed-basis / padded-quad code."""

import numpy as np


def cpvton_tps_grid(theta, height, width, grid_size=5):
    lin = np.linspace(-1.0, 1.0, grid_size)
    points_y, points_x = np.meshgrid(lin, lin)  # CP-VTON: P_Y, P_X = np.meshgrid(lin, lin)
    points_x, points_y = points_x.reshape(-1), points_y.reshape(-1)
    n = grid_size * grid_size
    d2 = (points_x[:, None] - points_x[None]) ** 2 + (points_y[:, None] - points_y[None]) ** 2
    d2[d2 == 0] = 1.0
    system = np.zeros((n + 3, n + 3))
    system[:n, :n] = d2 * np.log(d2)
    p = np.stack([np.ones(n), points_x, points_y], axis=1)
    system[:n, n:] = p
    system[n:, :n] = p.T
    inverse = np.linalg.inv(system)
    grid_x, grid_y = np.meshgrid(np.linspace(-1, 1, width), np.linspace(-1, 1, height))
    d2 = (grid_x[..., None] - points_x) ** 2 + (grid_y[..., None] - points_y) ** 2
    d2[d2 == 0] = 1.0
    kernel = d2 * np.log(d2)  # (H, W, N)
    grids = []
    for t in np.asarray(theta, dtype=np.float64):
        coords = []
        for target in (t[:n] + points_x, t[n:] + points_y):
            w = inverse[:n, :n] @ target
            a = inverse[n:, :n] @ target
            coords.append(a[0] + a[1] * grid_x + a[2] * grid_y + kernel @ w)
        grids.append(np.stack(coords, axis=-1))
    return np.stack(grids).astype(np.float32)


def torch_grid_sample(images, grid, padding_mode="border"):
    images = np.asarray(images, np.float64)
    grid = np.asarray(grid, np.float64)
    batch, height, width, _ = images.shape
    ix = (grid[..., 0] + 1) / 2 * (width - 1)
    iy = (grid[..., 1] + 1) / 2 * (height - 1)
    if padding_mode == "border":
        ix = np.clip(ix, 0, width - 1)
        iy = np.clip(iy, 0, height - 1)
    x0, y0 = np.floor(ix), np.floor(iy)
    x1, y1 = x0 + 1, y0 + 1
    b = np.arange(batch).reshape(-1, 1, 1)

    def corner(y, x):
        valid = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
        xi = np.clip(x, 0, width - 1).astype(int)
        yi = np.clip(y, 0, height - 1).astype(int)
        return images[b, yi, xi] * valid[..., None]

    out = (
        corner(y0, x0) * ((x1 - ix) * (y1 - iy))[..., None]
        + corner(y0, x1) * ((ix - x0) * (y1 - iy))[..., None]
        + corner(y1, x0) * ((x1 - ix) * (iy - y0))[..., None]
        + corner(y1, x1) * ((ix - x0) * (iy - y0))[..., None]
    )
    return out.astype(np.float32)
