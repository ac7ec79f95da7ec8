"""Garments: their shape (t-shirt, long sleeve, tank top) and the flat product
photo, with the named anchor points the warp pins to the body."""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from sievenet_tf.data.synthetic.drawing import bezier, edge_shading, fill, random_colour
from sievenet_tf.data.synthetic.frame import REF_HEIGHT, REF_WIDTH, Frame
from sievenet_tf.data.synthetic.textures import add_print, make_texture

# Garment kinds and how often they are drawn.
GARMENT_KINDS = ("tshirt", "long_sleeve", "tank_top")
GARMENT_FREQUENCIES = (0.45, 0.3, 0.25)


# Channels of the garment part coverage.
PART_TORSO, PART_RIGHT_SLEEVE, PART_LEFT_SLEEVE = 0, 1, 2


# Fractions along a sleeve's outer edge (from the shoulder tip) and inner edge
# (from the armpit) where the warp pins the sleeve to the arm.
SLEEVE_FRACTIONS = {
    "tshirt": ((0.12, 0.3, 0.65, 1.0), (0.5, 1.0)),
    "long_sleeve": ((0.06, 0.15, 0.35, 0.55, 0.75, 1.0), (0.25, 0.5, 0.75, 1.0)),
}


@dataclasses.dataclass(frozen=True)
class GarmentShape:
    """A flat garment in garment units: origin at the collar centre, x to the
    image's right, y down, unit = half the torso width. Points are stored for the
    image-right half (the person's left); the other half mirrors them."""

    kind: str  # one of GARMENT_KINDS
    neck_half_width: float
    back_depth: float  # back neckline; the inside of the back shows above the front one
    front_depth: float  # front neckline depth at the centre
    shoulder: tuple[float, float]  # shoulder seam tip (strap's outer edge for tank tops)
    armpit: tuple[float, float]
    waist: tuple[float, float]
    hem: tuple[float, float]  # hem corner; its y is the garment's length
    hem_curve: float  # how far the hem's centre sags below its corners
    sleeve_angle: float  # degrees from straight down, outward
    sleeve_length: float  # along the outer edge; 0 for tank tops
    sleeve_end_width: float

    @staticmethod
    def point(p, sign: float) -> np.ndarray:
        """A stored (image-right) point on side ``sign`` (+1 image right, -1 left)."""
        return np.array([sign * p[0], p[1]], dtype=np.float64)

    def sleeve_ends(self, sign: float) -> tuple[np.ndarray, np.ndarray]:
        """Outer and inner end points of the sleeve on side ``sign``."""
        a = math.radians(self.sleeve_angle)
        direction = np.array([sign * math.sin(a), math.cos(a)])
        inward = np.array([-sign * math.cos(a), math.sin(a)])  # across the sleeve, towards the body
        outer = self.point(self.shoulder, sign) + self.sleeve_length * direction
        return outer, outer + self.sleeve_end_width * inward


def sample_garment_shape(rng, kind: str) -> GarmentShape:
    u = rng.uniform
    length = u(2.1, 2.7)
    if kind == "tank_top":
        neck = u(0.38, 0.5)
        shoulder = (neck + u(0.18, 0.3), u(0.0, 0.05))
        armpit = (u(0.88, 0.98), u(0.75, 0.95))
        front = u(0.45, 0.9)
        sleeve = (0.0, 0.0, 0.0)
    else:
        neck = u(0.32, 0.45)
        shoulder = (u(0.95, 1.08), u(0.12, 0.2))
        armpit = (u(0.9, 1.0), u(0.6, 0.78))
        front = u(0.2, 0.35) if u() < 0.65 else u(0.5, 0.8)  # crew, or V / scoop
        if kind == "tshirt":  # (angle, length, end width)
            sleeve = (u(38, 58), u(0.5, 0.8), u(0.5, 0.65))
        else:
            sleeve = (u(12, 22), u(2.1, 2.5), u(0.36, 0.46))
    return GarmentShape(
        kind=kind,
        neck_half_width=neck,
        back_depth=u(0.06, 0.12),
        front_depth=front,
        shoulder=shoulder,
        armpit=armpit,
        waist=(armpit[0] * u(0.88, 0.98), armpit[1] + (length - armpit[1]) * u(0.4, 0.55)),
        hem=(armpit[0] * u(0.92, 1.08), length),
        hem_curve=u(-0.05, 0.12),
        sleeve_angle=sleeve[0],
        sleeve_length=sleeve[1],
        sleeve_end_width=sleeve[2],
    )


def _garment_outlines(shape: GarmentShape) -> dict[str, np.ndarray]:
    """Polygons in garment units: ``torso`` (including the inside of the back
    neck), ``inner`` (the inside of the back, seen through the neckline), the
    ``front_neckline`` polyline and the sleeves ``sleeve_r`` (the wearer's right,
    image left) and ``sleeve_l``."""
    p = GarmentShape.point
    n = shape.neck_half_width
    if shape.kind == "tank_top":  # a concave armhole from the strap down to the armpit
        control = (shape.shoulder[0] + 0.05, shape.armpit[1] * 0.85)
        side = [
            *bezier(shape.shoulder, control, shape.armpit, 8),
            p(shape.waist, 1),
            p(shape.hem, 1),
        ]
    else:
        side = [p(shape.shoulder, 1), p(shape.armpit, 1), p(shape.waist, 1), p(shape.hem, 1)]
    right_side = np.array(side)
    left_side = right_side[::-1] * [-1, 1]
    hem = bezier(p(shape.hem, 1), (0, shape.hem[1] + 2 * shape.hem_curve), p(shape.hem, -1), 10)
    back_neck = bezier((-n, 0), (0, 2 * shape.back_depth), (n, 0), 10)
    if shape.front_depth > 0.45 and shape.kind != "tank_top":  # V-neck: two slightly curved sides
        bottom = (0, shape.front_depth)
        front_neck = np.concatenate(
            [
                bezier((n, 0), (n * 0.6, 0.3 * shape.front_depth), bottom, 6),
                bezier(bottom, (-n * 0.6, 0.3 * shape.front_depth), (-n, 0), 6)[1:],
            ]
        )
    else:
        front_neck = bezier((n, 0), (0, 2 * shape.front_depth), (-n, 0), 12)
    outlines = {
        "torso": np.concatenate([back_neck, right_side, hem[1:-1], left_side]),
        "inner": np.concatenate([back_neck, front_neck[1:-1]]),
        "front_neckline": front_neck,
    }
    if shape.sleeve_length > 0:
        for name, sign in (("sleeve_r", -1.0), ("sleeve_l", 1.0)):
            outer, inner = shape.sleeve_ends(sign)
            shoulder, armpit = p(shape.shoulder, sign), p(shape.armpit, sign)
            # Overlap the torso a little so the seam has no anti-aliasing gap.
            inset = np.array([-sign * 0.12, 0.0])
            outlines[name] = np.array(
                [shoulder + inset, shoulder, outer, inner, armpit, armpit + inset]
            )
    return outlines


@dataclasses.dataclass
class FlatGarment:
    image: np.ndarray  # (H, W, 3) uint8: the product photo, garment on white
    colour: np.ndarray  # (H, W, 3) float32: the garment's colour, also outside it (for warping)
    mask: np.ndarray  # (H, W) float32: coverage of the whole garment
    parts: np.ndarray  # (H, W, 3) float32: coverage of torso, right sleeve, left sleeve
    anchors: dict  # name -> (2,) pixel point, pinned by the warp to a body point


def draw_flat_garment(rng, noise, frame: Frame, shape: GarmentShape) -> FlatGarment:
    """The product photo: the garment centred on white, filling most of the frame
    like VITON's cloth images."""
    outlines = _garment_outlines(shape)
    points = np.concatenate(list(outlines.values()))
    top, bottom = points[:, 1].min(), points[:, 1].max()
    # Garment units -> reference units: 74-86 % of the height, at most 92 % of the width.
    unit = rng.uniform(0.74, 0.86) * REF_HEIGHT / (bottom - top)
    unit = min(unit, 0.92 * REF_WIDTH / (2 * np.abs(points[:, 0]).max()))
    origin = np.array(
        [
            REF_WIDTH / 2 + rng.uniform(-3, 3),
            (REF_HEIGHT - unit * (bottom - top)) / 2 - unit * top + rng.uniform(-4, 4),
        ]
    )

    def to_px(garment_points):
        return frame.px(np.asarray(garment_points) * unit + origin)

    size = frame.size
    torso = fill(size, [to_px(outlines["torso"])])
    inner = fill(size, [to_px(outlines["inner"])])
    sleeves = [
        fill(size, [to_px(outlines[name])]) if name in outlines else np.zeros(size, np.float32)
        for name in ("sleeve_r", "sleeve_l")  # channel order: PART_RIGHT_SLEEVE, PART_LEFT_SLEEVE
    ]
    mask = np.clip(torso + sleeves[0] + sleeves[1], 0, 1)

    colour = _fabric(rng, noise, frame, shape, outlines, to_px, unit, inner)

    # Product-photo look: soft shading towards the outline, a little fabric noise.
    colour = colour * edge_shading(mask, 0.03 * frame.height, 0.18)[..., None]
    colour = np.clip(colour + 0.012 * noise.standard_normal((*size, 1), np.float32), 0, 1)
    image = colour * mask[..., None] + (1 - mask[..., None])
    return FlatGarment(
        image=np.round(image * 255).astype(np.uint8),
        colour=colour,
        mask=mask,
        parts=np.stack([np.clip(torso - inner, 0, 1), *sleeves], -1),
        anchors=_flat_anchors(shape, to_px),
    )


def _fabric(rng, noise, frame: Frame, shape, outlines, to_px, unit, inner) -> np.ndarray:
    """(H, W, 3) garment colour: a texture, maybe a chest print, a rib along the
    front neckline and the shadowed inside of the back (``unit``: reference
    units per garment unit)."""
    colour = make_texture(rng, noise, frame)
    if rng.uniform() < 0.4:
        chest = (
            0.0,
            shape.front_depth + rng.uniform(0.25, 0.45) * (shape.hem[1] - shape.front_depth),
        )
        colour = add_print(
            rng, frame, colour, to_px(chest), rng.uniform(0.6, 1.1) * unit * frame.scale
        )
    # A rib along the front neckline, in a darker shade or a contrasting colour.
    rib = np.zeros(frame.size, np.uint8)
    rib_width = max(1, int(round(0.06 * unit * frame.scale)))
    neckline = np.round(to_px(outlines["front_neckline"]) * 16).astype(np.int32)
    cv2.polylines(rib, [neckline], False, 255, rib_width, cv2.LINE_AA, shift=4)
    rib_alpha = rib.astype(np.float32) / 255.0
    rib_colour = colour.reshape(-1, 3).mean(0) * 0.75 if rng.uniform() < 0.5 else random_colour(rng)
    colour = colour + (rib_colour - colour) * rib_alpha[..., None]
    # The inside of the back, seen through the neckline, is in shadow.
    return colour * (1 - 0.35 * np.clip(inner - rib_alpha, 0, 1))[..., None]


def _flat_anchors(shape: GarmentShape, to_px) -> dict[str, np.ndarray]:
    """Named garment points (pixels) that the warp pins to the body points of
    the same names (:func:`body_anchors`)."""
    p = GarmentShape.point
    anchors = {
        "neck_front": (0.0, shape.front_depth),
        "neck_back": (0.0, shape.back_depth),
        "chest": (0.0, 0.4 * shape.hem[1]),
        "belly": (0.0, 0.75 * shape.hem[1]),
        "hem_centre": (0.0, shape.hem[1] + shape.hem_curve),
    }
    for side, sign in (("r", -1.0), ("l", 1.0)):  # the person's right is the image's left
        shoulder, armpit = p(shape.shoulder, sign), p(shape.armpit, sign)
        anchors[f"collar_{side}"] = p((shape.neck_half_width, 0.0), sign)
        anchors[f"shoulder_{side}"] = shoulder
        anchors[f"top_{side}"] = (anchors[f"collar_{side}"] + shoulder) / 2
        anchors[f"armpit_{side}"] = armpit
        anchors[f"waist_{side}"] = p(shape.waist, sign)
        anchors[f"hem_{side}"] = p(shape.hem, sign)
        if shape.sleeve_length > 0:
            anchors[f"seam_{side}"] = (shoulder + armpit) / 2
            outer, inner = shape.sleeve_ends(sign)
            outer_fractions, inner_fractions = SLEEVE_FRACTIONS[shape.kind]
            for t in outer_fractions:
                anchors[f"sleeve_out_{side}_{t}"] = shoulder + t * (outer - shoulder)
            for t in inner_fractions:
                anchors[f"sleeve_in_{side}_{t}"] = armpit + t * (inner - armpit)
    return {name: to_px(point) for name, point in anchors.items()}
