"""Painting a person back to front: backdrop, skin, legs, bottoms, arms, the
warped garment, head and hair, forearms. Every layer carries its LIP label, so
the parse is exact and occlusion is in it as in the photo."""

from __future__ import annotations

import cv2
import numpy as np

from sievenet_tf.data.synthetic.bodies import Body, face_point
from sievenet_tf.data.synthetic.drawing import (
    Canvas,
    bezier,
    capsule,
    ellipse,
    fill,
    random_colour,
    smooth_noise,
)
from sievenet_tf.data.synthetic.frame import Frame
from sievenet_tf.data.synthetic.garments import (
    PART_LEFT_SLEEVE,
    PART_RIGHT_SLEEVE,
    PART_TORSO,
    FlatGarment,
    GarmentShape,
)
from sievenet_tf.data.synthetic.warps import warp_garment
from sievenet_tf.labels import (
    LIP_BACKGROUND,
    LIP_FACE,
    LIP_HAIR,
    LIP_LEFT_ARM,
    LIP_LEFT_LEG,
    LIP_LEFT_SHOE,
    LIP_PANTS,
    LIP_RIGHT_ARM,
    LIP_RIGHT_LEG,
    LIP_RIGHT_SHOE,
    LIP_SKIRT,
    LIP_UPPER_CLOTHES,
)

# LIP has no neck class: neck and chest skin are background, as in VITON's
# parses (see :mod:`sievenet_tf.labels`).
NECK_LABEL = LIP_BACKGROUND


def draw_person(rng, noise, frame: Frame, body: Body, shape: GarmentShape, flat: FlatGarment):
    """Paints the person back to front; returns the photo (H, W, 3) uint8 and the
    parse (H, W) uint8.

    Order: backdrop, hair behind the head, torso skin and neck, legs and shoes,
    bottoms, upper arms (whole arms under long sleeves), the warped garment, the
    head and the hair in front, then forearms and hands (which may cross the
    garment). Each layer's label overwrites what it covers, so occlusion is in
    the parse exactly as in the photo.
    """
    painter = _Painter(Canvas(_background(rng, frame)), frame, body)
    hair = _hair_colour(rng, noise, frame, body)
    _paint_hair_behind(painter, hair)
    _paint_torso_skin(painter)
    _paint_legs(painter)
    _paint_bottoms(painter, noise)
    long_sleeves = shape.kind == "long_sleeve"
    _paint_upper_arms(painter, shape)
    worn_colour, worn_parts = warp_garment(rng, noise, frame, body, shape, flat)
    for part in (PART_TORSO, PART_RIGHT_SLEEVE, PART_LEFT_SLEEVE):
        painter.canvas.paint(worn_parts[..., part], worn_colour, LIP_UPPER_CLOTHES)
    _draw_head(rng, painter, hair)
    _paint_forearms(painter, long_sleeves)
    image = painter.canvas.image
    image = image + 0.01 * noise.standard_normal(image.shape, np.float32)
    return np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), painter.canvas.labels


class _Painter:
    """The canvas, frame and body a person is painted with."""

    def __init__(self, canvas: Canvas, frame: Frame, body: Body):
        self.canvas, self.frame, self.body = canvas, frame, body

    def polygons(self, polygons) -> np.ndarray:
        """Coverage of reference-frame polygons."""
        return fill(self.frame.size, [self.frame.px(p) for p in polygons])

    def skin(self, polygons, label, sigma=0.12) -> None:
        """A skin layer, shaded towards its edges (``sigma`` in head heights)."""
        shading = (sigma * self.body.head * self.frame.scale, 0.25)
        self.canvas.paint(self.polygons(polygons), self.body.skin, label, shading)


def _paint_hair_behind(painter: _Painter, hair: np.ndarray) -> None:
    body = painter.body
    if body.hair_style in ("long", "bob"):
        bottom = (
            body.hair_bottom
            if body.hair_style == "long"
            else body.face_centre[1] + 1.1 * body.face_axes[1]
        )
        painter.canvas.paint(painter.polygons([_hair_behind(body, bottom)]), hair, LIP_HAIR)


def _paint_torso_skin(painter: _Painter) -> None:
    """Torso skin: the neck label near the midline, the arm of its side further out."""
    body, frame, cx = painter.body, painter.frame, painter.body.centre_x
    xs, _ = frame.grid()
    midline = frame.px([cx, 0.0])[0]
    torso_labels = np.where(xs > midline, LIP_LEFT_ARM, LIP_RIGHT_ARM).astype(np.uint8)
    torso_labels[np.abs(xs - midline) < 1.5 * body.neck_half_width * frame.scale] = NECK_LABEL
    neck = [
        (cx - body.neck_half_width, body.neck_top_y),
        (cx + body.neck_half_width, body.neck_top_y),
        (cx + body.neck_half_width * 1.15, body.shoulder_y),
        (cx - body.neck_half_width * 1.15, body.shoulder_y),
    ]
    # One layer, so no shading seam where the neck meets the shoulders; the neck
    # lies inside the midline column, so it gets NECK_LABEL.
    painter.skin([_torso_polygon(body), neck], torso_labels, sigma=0.3)


def _paint_legs(painter: _Painter) -> None:
    body, h, s = painter.body, painter.body.head, painter.frame.scale
    for side, sign, leg_label, shoe_label in (
        ("r", -1, LIP_RIGHT_LEG, LIP_RIGHT_SHOE),
        ("l", 1, LIP_LEFT_LEG, LIP_LEFT_SHOE),
    ):
        hip, knee, ankle = (body.joints[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle"))
        r_hip, r_knee, r_ankle = body.leg_radii
        painter.skin(
            [capsule(hip, knee, r_hip, r_knee), capsule(knee, ankle, r_knee, r_ankle)], leg_label
        )
        foot = ellipse(ankle + [sign * 0.08 * h, 0.22 * h], (0.2 * h, 0.15 * h))
        painter.canvas.paint(
            painter.polygons([foot]), body.shoe_colour, shoe_label, (0.05 * h * s, 0.4)
        )


def _paint_bottoms(painter: _Painter, noise) -> None:
    body, h, s = painter.body, painter.body.head, painter.frame.scale
    folds = 1 + 0.06 * smooth_noise(noise, painter.frame.size, 6)
    painter.canvas.paint(
        painter.polygons(_bottoms_polygons(body)),
        body.bottoms_colour * folds[..., None],
        LIP_PANTS if body.bottoms == "pants" else LIP_SKIRT,
        (0.15 * h * s, 0.3),
    )


def _paint_upper_arms(painter: _Painter, shape: GarmentShape) -> None:
    """Upper arms go under the garment (their shoulder caps are inside it); under
    long sleeves, so do the forearms."""
    body, h = painter.body, painter.body.head
    for side, label in (("r", LIP_RIGHT_ARM), ("l", LIP_LEFT_ARM)):
        shoulder, elbow, wrist = (
            body.joints[f"{side}_{joint}"] for joint in ("shoulder", "elbow", "wrist")
        )
        r_shoulder, r_elbow, r_wrist = body.arm_radii
        # Start the capsule a little down the arm so its round cap stays under the
        # garment; under a sleeve the shoulder is slimmer, so the sleeve hides it.
        cap_centre = shoulder + 0.08 * h * (elbow - shoulder) / np.linalg.norm(elbow - shoulder)
        cap_radius = r_shoulder if shape.kind == "tank_top" else 0.85 * r_shoulder
        polygons = [capsule(cap_centre, elbow, cap_radius, r_elbow)]
        if shape.kind == "long_sleeve":
            polygons.append(capsule(elbow, wrist, r_elbow, r_wrist))
        painter.skin(polygons, label)


def _paint_forearms(painter: _Painter, long_sleeves: bool) -> None:
    """Forearms and hands; of two crossing forearms, the more bent one is in front."""
    body, h = painter.body, painter.body.head
    for side in sorted(("r", "l"), key=lambda side: body.elbow_bend[side]):
        elbow, wrist = body.joints[f"{side}_elbow"], body.joints[f"{side}_wrist"]
        _, r_elbow, r_wrist = body.arm_radii
        direction = (wrist - elbow) / np.linalg.norm(wrist - elbow)
        hand = capsule(
            wrist + 0.1 * h * direction, wrist + 0.4 * h * direction, r_wrist * 1.1, r_wrist * 0.9
        )
        polygons = [hand] if long_sleeves else [capsule(elbow, wrist, r_elbow, r_wrist), hand]
        painter.skin(polygons, LIP_RIGHT_ARM if side == "r" else LIP_LEFT_ARM)


def _background(rng, frame: Frame) -> np.ndarray:
    """Studio backdrop: light grey or white, a faint tint and gradient; now and
    then a pale pastel."""
    xs, ys = frame.grid()
    level = rng.uniform(0.82, 0.98)
    tint = rng.uniform(-0.03, 0.03, size=3)
    if rng.uniform() < 0.2:
        tint = (random_colour(rng, saturation=(0.1, 0.25), value=(0.85, 1.0)) - level) * 0.8
    vertical, horizontal = rng.uniform(-0.05, 0.05), rng.uniform(-0.03, 0.03)
    gradient = vertical * (ys / frame.height - 0.5) + horizontal * (xs / frame.width - 0.5)
    return np.clip(level + tint + gradient[..., None], 0, 1).astype(np.float32)


def _torso_polygon(body: Body) -> np.ndarray:
    """Torso outline from the base of the neck to just below the hips."""
    h, cx = body.head, body.centre_x

    def side(sign: float, shoulder) -> list:
        points = [
            (cx + sign * body.neck_half_width * 1.1, body.collar_y),
            (shoulder[0] - sign * 0.1 * h, shoulder[1] - 0.12 * h),
            (shoulder[0] + sign * 0.12 * h, shoulder[1] + 0.05 * h),
            (cx + sign * body.chest_half, body.shoulder_y + 0.8 * h),
            (cx + sign * body.waist_half, body.waist_y),
            (cx + sign * body.hip_outer, body.hip_y),
            (cx + sign * body.hip_outer * 0.8, body.hip_y + 0.2 * h),
        ]
        return points if sign > 0 else points[::-1]

    return np.array(side(-1.0, body.joints["r_shoulder"]) + side(1.0, body.joints["l_shoulder"]))


def _bottoms_polygons(body: Body) -> list[np.ndarray]:
    """Trousers (a pelvis block and two tapered legs) or a flared skirt."""
    h, cx = body.head, body.centre_x
    waist_y = body.hip_y - 0.35 * h
    waist = body.waist_half * 1.02
    if body.bottoms == "skirt":
        flare = body.hip_outer * 1.1 + 0.25 * (body.skirt_hem_y - body.hip_y)
        hem_y = body.skirt_hem_y
        hem = bezier((cx + flare, hem_y), (cx, hem_y + 0.2 * h), (cx - flare, hem_y), 8)
        return [
            np.array(
                [
                    (cx - waist, waist_y),
                    (cx + waist, waist_y),
                    (cx + body.hip_outer * 1.05, body.hip_y),
                    *hem,
                    (cx - body.hip_outer * 1.05, body.hip_y),
                ]
            )
        ]
    pelvis = [
        (cx - waist, waist_y),
        (cx + waist, waist_y),
        (cx + body.hip_outer, body.hip_y),
        (cx, body.hip_y + 0.45 * h),
        (cx - body.hip_outer, body.hip_y),
    ]
    polygons = [np.array(pelvis)]
    r_hip, r_knee, r_ankle = (r + 0.07 * h for r in body.leg_radii)  # trousers are looser than legs
    for side in ("r", "l"):
        hip, knee, ankle = (body.joints[f"{side}_{joint}"] for joint in ("hip", "knee", "ankle"))
        polygons.append(capsule(hip, knee, r_hip * 1.05, r_knee))
        polygons.append(capsule(knee, ankle - [0, 0.05 * h], r_knee, r_ankle))
    return polygons


def _hair_colour(rng, noise, frame: Frame, body: Body) -> np.ndarray:
    """(H, W, 3) hair colour with vertical streaks."""
    streaks = smooth_noise(noise, (8, frame.width), cells=rng.uniform(20, 40), octaves=1)
    streaks = cv2.resize(streaks, (frame.width, frame.height), interpolation=cv2.INTER_LINEAR)
    shade = 1.0 + 0.18 * streaks + 0.05 * smooth_noise(noise, frame.size, 4)
    return np.clip(body.hair_colour * shade[..., None], 0, 1)


def _hair_behind(body: Body, bottom_y: float) -> np.ndarray:
    """Hair behind the head, falling to ``bottom_y`` (the body covers most of it)."""
    fx, fy = body.face_centre
    ax, ay = body.face_axes
    cap = ellipse((fx, fy - 0.08 * ay), (ax * 1.18, ay * 1.12), body.face_angle)
    width = ax * (1.35 if bottom_y > body.shoulder_y else 1.15)
    drape = [
        (fx - ax * 1.1, fy),
        (fx + ax * 1.1, fy),
        (fx + width, bottom_y - 0.2 * ay),
        (fx + width * 0.8, bottom_y),
        (fx - width * 0.8, bottom_y),
        (fx - width, bottom_y - 0.2 * ay),
    ]
    return cv2.convexHull(np.concatenate([cap, drape]).astype(np.float32))[:, 0].astype(np.float64)


def _draw_head(rng, painter: _Painter, hair: np.ndarray) -> None:
    """Ears, the face and its features, then the hair in front (cap, bun, strands)."""
    _draw_face(rng, painter)
    _draw_front_hair(rng, painter, hair)


def _draw_face(rng, painter: _Painter) -> None:
    body, canvas = painter.body, painter.canvas
    ax, ay = body.face_axes
    angle = body.face_angle

    def face_layer(polygon, colour, alpha=1.0):  # features change pixels, not the label
        canvas.paint(alpha * painter.polygons([polygon]), colour, None)

    for sign in (-1, 1):
        ear = ellipse(face_point(body, sign * 0.98, 0.0), (ax * 0.16, ay * 0.22), angle)
        painter.skin([ear], LIP_FACE, sigma=0.03)
    painter.skin([ellipse(body.face_centre, (ax, ay), angle)], LIP_FACE, sigma=0.1)
    for sign in (-1, 1):
        eye = face_point(body, sign * 0.42, -0.12)
        face_layer(ellipse(eye, (ax * 0.17, ay * 0.07), angle), np.array([0.95, 0.95, 0.93]))
        face_layer(ellipse(eye, (ax * 0.08, ay * 0.065), angle), np.array([0.12, 0.08, 0.07]))
        brow = capsule(
            face_point(body, sign * 0.2, -0.3),
            face_point(body, sign * 0.62, -0.32),
            ay * 0.025,
            ay * 0.02,
            12,
        )
        face_layer(brow, body.hair_colour * 0.8)
    nose = capsule(
        face_point(body, 0.0, 0.0), face_point(body, 0.03, 0.2), ax * 0.05, ax * 0.07, 12
    )
    face_layer(nose, body.skin * 0.6, alpha=0.35)
    lips = np.clip(body.skin * np.array([0.95, 0.6, 0.6]) + rng.uniform(-0.05, 0.05), 0, 1)
    face_layer(ellipse(face_point(body, 0.0, 0.5), (ax * 0.3, ay * 0.07), angle), lips)


def _draw_front_hair(rng, painter: _Painter, hair: np.ndarray) -> None:
    """Cap: an ellipse a little larger than the face, above a hairline that dips
    at the temples, with a parting; then a bun and strands in front."""
    body, canvas, frame, s = painter.body, painter.canvas, painter.frame, painter.frame.scale
    ax, ay = body.face_axes
    fx, fy = body.face_centre
    cap = painter.polygons([ellipse((fx, fy - 0.1 * ay), (ax * 1.12, ay * 1.06), body.face_angle)])
    xs, ys = frame.grid()
    centre_x, centre_y = frame.px(body.face_centre)
    hairline = (
        centre_y
        - ay * s * rng.uniform(0.45, 0.7)
        + 0.55 * ay * s * ((xs - centre_x) / (ax * s)) ** 2
    )
    parting = rng.uniform(-0.5, 0.5) * ax * s
    hairline = hairline - 0.12 * ay * s * np.exp(
        -(((xs - centre_x - parting) / (0.3 * ax * s)) ** 2)
    )
    canvas.paint(cap * np.clip(hairline - ys + 0.5, 0, 1), hair, LIP_HAIR)
    if body.hair_style == "bun":
        bun = ellipse((fx, fy - ay * 1.1), (ax * 0.45, ay * 0.3))
        canvas.paint(painter.polygons([bun]), hair, LIP_HAIR)
    for sign, in_front in zip((-1, 1), body.hair_front):
        if in_front:
            canvas.paint(painter.polygons([_hair_strand(body, sign)]), hair, LIP_HAIR)


def _hair_strand(body: Body, sign: float) -> np.ndarray:
    """Long hair falling in front of one shoulder, over the garment."""
    fx, fy = body.face_centre
    ax, ay = body.face_axes
    h = body.head
    bottom = max(body.hair_bottom, body.shoulder_y + 0.5 * h)
    outer = bezier(
        (fx + sign * ax * 1.15, fy - 0.3 * ay),
        (fx + sign * ax * 1.6, body.shoulder_y),
        (fx + sign * ax * 1.45, bottom),
        8,
    )
    inner = bezier(
        (fx + sign * ax * 1.0, bottom - 0.15 * h),
        (fx + sign * ax * 0.75, body.shoulder_y),
        (fx + sign * ax * 0.85, fy - 0.3 * ay),
        8,
    )
    return np.concatenate([outer, inner])
