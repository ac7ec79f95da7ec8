"""The warp that puts a flat garment on a body: named garment anchors pinned to
body points by a moving-least-squares similarity deformation, plus a small
random smooth displacement, evaluated as one backward map."""

from __future__ import annotations

import cv2
import numpy as np

from sievenet_tf.data.synthetic.bodies import Body
from sievenet_tf.data.synthetic.drawing import edge_shading, smooth_noise
from sievenet_tf.data.synthetic.frame import Frame
from sievenet_tf.data.synthetic.garments import SLEEVE_FRACTIONS, FlatGarment, GarmentShape


def body_anchors(body: Body, shape: GarmentShape) -> dict:
    """Where each flat-garment anchor lands on this body (reference units)."""
    h, cx = body.head, body.centre_x
    # Worn scale: the garment's shoulders (armpits for a tank top) match the body's.
    shoulder_half = (body.joints["l_shoulder"][0] - body.joints["r_shoulder"][0]) / 2
    worn_unit = shoulder_half / (shape.armpit[0] if shape.kind == "tank_top" else shape.shoulder[0])
    # Long enough to cover the waistband of the bottoms.
    length = max(shape.hem[1] * worn_unit, body.hip_y - 0.15 * h - body.collar_y)
    hem_y = body.collar_y + length
    anchors = {
        "neck_front": (cx, body.collar_y + shape.front_depth * worn_unit),
        "neck_back": (cx, body.collar_y + shape.back_depth * worn_unit),
        "chest": (cx, body.collar_y + 0.4 * length),
        "belly": (cx, body.collar_y + 0.75 * length),
        "hem_centre": (cx, hem_y + shape.hem_curve * worn_unit),
    }
    for side, sign in (("r", -1.0), ("l", 1.0)):
        lift = body.joints[f"{side}_shoulder"][1] - body.shoulder_y  # shoulders are not level
        anchors[f"collar_{side}"] = (
            cx + sign * body.neck_half_width * 1.2,
            body.collar_y + lift * 0.3,
        )
        waist_y = body.collar_y + shape.waist[1] / shape.hem[1] * length
        anchors[f"waist_{side}"] = (cx + sign * body.waist_half * 1.08, waist_y)
        hem_half = max(body.hip_outer * 1.04, shape.hem[0] * worn_unit * 0.9)
        anchors[f"hem_{side}"] = (cx + sign * hem_half, hem_y)
        if shape.kind == "tank_top":
            strap = (shape.shoulder[0] - shape.neck_half_width) * worn_unit
            strap_x = cx + sign * (body.neck_half_width * 1.2 + strap)
            anchors[f"shoulder_{side}"] = (strap_x, body.collar_y + lift * 0.5 + 0.03 * h)
            anchors[f"armpit_{side}"] = (
                cx + sign * body.chest_half * 1.03,
                body.shoulder_y + lift + 0.75 * h,
            )
        else:
            anchors.update(_sleeve_anchors(body, shape, side, sign, worn_unit))
        # Mid shoulder line, a little raised so the garment covers the top of the shoulder.
        collar, shoulder = (
            np.asarray(anchors[f"collar_{side}"]),
            np.asarray(anchors[f"shoulder_{side}"]),
        )
        anchors[f"top_{side}"] = (collar + shoulder) / 2 - [0.0, 0.04 * h]
    return anchors


def _sleeve_anchors(
    body: Body, shape: GarmentShape, side: str, sign: float, worn_unit: float
) -> dict:
    """Shoulder, armpit and sleeve anchors laid along one arm.

    The sleeve follows the upper arm (and the forearm for long sleeves), a little
    looser than the arm. The armpit sits on the arm's inner contour and the
    sleeve's inner edge runs down the arm from it, as on the flat garment:
    keeping the anchors in the same order on both sides keeps the warp from
    folding over.
    """
    h = body.head
    shoulder = body.joints[f"{side}_shoulder"]
    elbow = body.joints[f"{side}_elbow"]
    wrist = body.joints[f"{side}_wrist"]
    r_shoulder, r_elbow, r_wrist = body.arm_radii
    upper = float(np.linalg.norm(elbow - shoulder))
    fore = float(np.linalg.norm(wrist - elbow))
    looseness = 1.3

    def contour(distance: float, outward: float) -> np.ndarray:
        """The point ``distance`` down the arm's axis, moved to the outer (+1) or
        inner (-1) contour of a sleeve around the arm."""
        if distance <= upper:
            direction = (elbow - shoulder) / upper
            point = shoulder + distance * direction
            radius = r_shoulder + distance / upper * (r_elbow - r_shoulder)
        else:
            t = min((distance - upper) / fore, 1.0)
            direction = (wrist - elbow) / fore
            point, radius = elbow + t * fore * direction, r_elbow + t * (r_wrist - r_elbow)
        normal = sign * np.array([direction[1], -direction[0]])  # towards the arm's outer side
        return point + outward * looseness * radius * normal

    armpit_depth = 0.5 * h  # along the arm: where its inner contour leaves the torso
    if shape.kind == "tshirt":
        end = float(np.clip(shape.sleeve_length * worn_unit, armpit_depth + 0.3 * h, 0.85 * upper))
    else:
        end = 0.97 * (upper + fore)
    anchors = {
        # Just outside the top of the shoulder, so the sleeve covers the arm's cap.
        f"shoulder_{side}": shoulder + [sign * 0.1 * h, -0.22 * h],
        f"armpit_{side}": contour(armpit_depth, -1.0),
    }
    anchors[f"seam_{side}"] = (anchors[f"shoulder_{side}"] + anchors[f"armpit_{side}"]) / 2
    outer_fractions, inner_fractions = SLEEVE_FRACTIONS[shape.kind]
    for t in outer_fractions:
        anchors[f"sleeve_out_{side}_{t}"] = contour(t * end, 1.0)
    for t in inner_fractions:
        anchors[f"sleeve_in_{side}_{t}"] = contour(armpit_depth + t * (end - armpit_depth), -1.0)
    return anchors


def mls_similarity(points: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Moving-least-squares similarity deformation (Schaefer et al., SIGGRAPH 2006).

    Maps each of ``points`` (G, 2) by the similarity transform that best carries
    the ``source`` control points (N, 2) to ``target`` (N, 2), weighting control
    point i by 1 / |point - source_i|^2. The map is smooth, interpolates the
    control points and, unlike an affine fit, follows rotations: a sleeve swings
    from its flat angle to the arm's without shearing.

    With complex numbers a 2D similarity is ``z -> a (z - p*) + q*`` and the fit
    is ``a = sum w conj(p - p*) (q - q*) / sum w |p - p*|^2``; both sums expand
    into weighted sums over the control points, one (G, N) @ (N, 8) product.
    """
    dx = points[:, None, 0] - source[None, :, 0]  # (G, N)
    dy = points[:, None, 1] - source[None, :, 1]
    weights = 1.0 / (dx * dx + dy * dy + 1e-3)  # (G, N)
    p = source[:, 0] + 1j * source[:, 1]  # (N,)
    q = target[:, 0] + 1j * target[:, 1]
    p_conj_q = np.conj(p) * q
    # Real columns: a real (G, N) @ (N, 8) product is far faster than a mixed
    # real-complex one.
    columns = np.stack(
        [
            np.ones(len(p)),
            p.real,
            p.imag,
            q.real,
            q.imag,
            p_conj_q.real,
            p_conj_q.imag,
            np.abs(p) ** 2,
        ],
        -1,
    )
    sums = weights @ columns  # (G, 8)
    total = sums[:, 0]
    p_star = (sums[:, 1] + 1j * sums[:, 2]) / total
    q_star = (sums[:, 3] + 1j * sums[:, 4]) / total
    covariance = sums[:, 5] + 1j * sums[:, 6] - total * np.conj(p_star) * q_star
    variance = np.maximum(sums[:, 7] - total * np.abs(p_star) ** 2, 1e-12)
    z = points[:, 0] + 1j * points[:, 1]
    mapped = covariance / variance * (z - p_star) + q_star
    return np.stack([mapped.real, mapped.imag], -1)


def warp_garment(rng, noise, frame: Frame, body: Body, shape: GarmentShape, flat: FlatGarment):
    """Resamples the flat garment onto the body with one smooth backward map
    (for every person pixel, where to read the flat cloth), like the TPS grids
    the warping networks predict.

    Returns:
        The worn colour (H, W, 3) float32, shaded, and the worn coverage of the
        parts (H, W, 3): torso, right sleeve, left sleeve.
    """
    targets = body_anchors(body, shape)
    names = sorted(flat.anchors)
    # Small random offsets: no two people wear a garment quite the same way.
    jitter = rng.normal(0, 0.025 * body.head, size=(len(names), 2))
    body_points = frame.px(np.array([targets[name] for name in names]) + jitter)
    flat_points = np.array([flat.anchors[name] for name in names])

    # The map is smooth: evaluate it on a coarse grid and upsample. Node (i, j)
    # sits where cv2.resize's bilinear upsampling expects it.
    height, width = frame.size
    rows, cols = 64, max(2, int(round(64 * width / height)))
    node_x = (np.arange(cols) + 0.5) * width / cols - 0.5
    node_y = (np.arange(rows) + 0.5) * height / rows - 0.5
    nodes = np.stack(np.meshgrid(node_x, node_y), -1).reshape(-1, 2)
    mapped = mls_similarity(nodes, body_points, flat_points).reshape(rows, cols, 2)
    # A random smooth displacement (drape and wrinkles), in flat-cloth pixels.
    mapped += (
        0.012 * height * np.stack([smooth_noise(noise, (rows, cols), 3, 1) for _ in range(2)], -1)
    )
    map_x = cv2.resize(
        mapped[..., 0].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )
    map_y = cv2.resize(
        mapped[..., 1].astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )

    colour = cv2.remap(flat.colour, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    parts = cv2.remap(
        flat.parts, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    # Worn shading: darker towards the garment's sides, plus soft folds.
    shading = edge_shading(np.clip(parts.sum(-1), 0, 1), 0.04 * height, 0.22)
    shading *= 1.0 + 0.07 * smooth_noise(noise, frame.size, 5)
    return np.clip(colour * shading[..., None], 0, 1), parts
