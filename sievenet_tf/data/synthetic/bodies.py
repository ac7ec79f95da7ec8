"""People: body proportions, pose and looks (in the 256 x 192 reference frame),
and the COCO-18 keypoints of the skeleton a person is drawn from."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from sievenet_tf.data.synthetic.drawing import random_colour
from sievenet_tf.data.synthetic.frame import REF_WIDTH, Frame
from sievenet_tf.labels import COCO18_KEYPOINT_NAMES

# Skin tones from light to dark (RGB); a person's tone interpolates between two.
_SKIN_TONES = np.array(
    [
        (250, 222, 200),
        (238, 196, 170),
        (225, 175, 140),
        (198, 140, 100),
        (165, 108, 72),
        (120, 78, 52),
        (84, 56, 40),
    ],
    dtype=np.float32,
)
_HAIR_COLOURS = np.array(
    [
        (20, 16, 14),
        (45, 30, 22),
        (80, 52, 34),
        (120, 82, 48),
        (170, 130, 80),
        (215, 185, 130),
        (140, 60, 30),
        (150, 150, 150),
    ],
    dtype=np.float32,
)


@dataclasses.dataclass
class Body:
    """A person in reference units (the 256 x 192 frame). Keys ``r_*`` are the
    person's right side (image left), ``l_*`` their left (image right)."""

    head: float  # head height: the unit of every body proportion
    centre_x: float
    face_centre: np.ndarray
    face_axes: tuple[float, float]
    face_angle: float  # degrees
    neck_half_width: float
    neck_top_y: float
    collar_y: float  # where a garment's collar sits (the base of the neck)
    shoulder_y: float  # height of the neck keypoint
    joints: dict  # COCO joint name ("r_elbow", ...) -> (2,) point
    elbow_bend: dict  # "r" / "l" -> inward elbow bend, radians
    chest_half: float
    waist_half: float
    waist_y: float
    hip_y: float
    hip_outer: float  # half-width of the hips' outline
    arm_radii: tuple[float, float, float]  # at shoulder, elbow, wrist
    leg_radii: tuple[float, float, float]  # at hip, knee, ankle
    skin: np.ndarray
    hair_colour: np.ndarray
    hair_style: str  # short, bob, long, bun
    hair_bottom: float
    hair_front: tuple[bool, bool]  # long hair in front of the right / left shoulder
    bottoms: str  # pants, skirt
    bottoms_colour: np.ndarray
    skirt_hem_y: float
    shoe_colour: np.ndarray


def sample_body(rng, long_sleeves: bool) -> Body:
    """A random person; every draw comes from ``rng`` in a fixed order."""
    u = rng.uniform
    # VITON photos mostly frame head to thigh (head ~45 px of 256); about a third
    # of ours are zoomed out to show the legs and shoes.
    head = u(28.0, 33.0) if u() < 0.3 else u(36.0, 50.0)
    centre_x = REF_WIDTH / 2 + u(-6, 6)
    face_axes = (head * u(0.34, 0.4), head * u(0.48, 0.53))
    face_centre = np.array([centre_x + u(-2, 2), u(4.0, 14.0) + face_axes[1]])
    chin_y = face_centre[1] + face_axes[1]
    shoulder_y = chin_y + head * u(0.45, 0.6)
    shoulder_half = head * u(0.85, 1.05)
    hip_y = shoulder_y + head * u(2.5, 2.85)
    hip_half = head * u(0.48, 0.62)
    tilt = head * u(-0.06, 0.06)

    joints, elbow_bend = _sample_joints(
        rng, head, centre_x, shoulder_y, shoulder_half, hip_y, hip_half, tilt, long_sleeves
    )
    skin, hair_colour, hair_style, hair_front = _sample_skin_and_hair(rng)
    bottoms, bottoms_colour = _sample_bottoms(rng)
    return Body(
        head=head,
        centre_x=centre_x,
        face_centre=face_centre,
        face_axes=face_axes,
        face_angle=u(-6, 6),
        neck_half_width=head * u(0.27, 0.33),
        neck_top_y=chin_y - head * 0.15,
        collar_y=shoulder_y - head * u(0.12, 0.2),
        shoulder_y=shoulder_y,
        joints=joints,
        elbow_bend=elbow_bend,
        chest_half=shoulder_half * u(0.86, 0.95),
        waist_half=hip_half * u(1.05, 1.25),
        waist_y=shoulder_y + (hip_y - shoulder_y) * u(0.55, 0.65),
        hip_y=hip_y,
        hip_outer=hip_half + head * u(0.25, 0.38),
        arm_radii=(head * u(0.2, 0.25), head * u(0.14, 0.17), head * u(0.1, 0.12)),
        leg_radii=(head * u(0.33, 0.4), head * u(0.2, 0.24), head * u(0.12, 0.14)),
        skin=np.clip(skin * u(0.95, 1.05, size=3), 0, 1).astype(np.float32),
        hair_colour=np.clip(hair_colour, 0, 1).astype(np.float32),
        hair_style=hair_style,
        hair_bottom=shoulder_y + head * u(0.2, 1.8),
        hair_front=hair_front,
        bottoms=bottoms,
        bottoms_colour=bottoms_colour,
        skirt_hem_y=hip_y + head * u(0.6, 1.9),
        shoe_colour=random_colour(rng, saturation=(0.0, 0.6), value=(0.05, 0.95)),
    )


def _sample_joints(
    rng, head, centre_x, shoulder_y, shoulder_half, hip_y, hip_half, tilt, long_sleeves
) -> tuple[dict, dict]:
    """Arm and leg joints of both sides (reference units) and the elbow bends."""
    u = rng.uniform
    joints, elbow_bend = {}, {}
    for side, sign in (("r", -1.0), ("l", 1.0)):
        shoulder = np.array(
            [centre_x + sign * shoulder_half, shoulder_y + sign * tilt + head * 0.05]
        )
        upper, fore = head * u(1.35, 1.5), head * u(1.1, 1.25)
        swing, bend = _sample_arm_angles(rng, long_sleeves)
        elbow = shoulder + upper * np.array([sign * math.sin(swing), math.cos(swing)])
        joints[f"{side}_shoulder"] = shoulder
        joints[f"{side}_elbow"] = elbow
        joints[f"{side}_wrist"] = elbow + fore * np.array(
            [sign * math.sin(swing - bend), math.cos(swing - bend)]
        )
        elbow_bend[side] = bend
        hip = np.array([centre_x + sign * hip_half, hip_y])
        knee = hip + head * np.array([sign * u(-0.05, 0.3), u(1.85, 2.0)])
        joints[f"{side}_hip"] = hip
        joints[f"{side}_knee"] = knee
        joints[f"{side}_ankle"] = knee + head * np.array([sign * u(-0.1, 0.15), u(1.8, 1.95)])
    return joints, elbow_bend


def _sample_skin_and_hair(rng):
    """(skin RGB, hair RGB before clipping, hair style, long hair in front of
    the right / left shoulder)."""
    u = rng.uniform
    tone = u(0, len(_SKIN_TONES) - 1)
    low = int(tone)
    high = min(low + 1, len(_SKIN_TONES) - 1)
    skin = (_SKIN_TONES[low] + (_SKIN_TONES[high] - _SKIN_TONES[low]) * (tone - low)) / 255
    hair_colour = _HAIR_COLOURS[rng.integers(len(_HAIR_COLOURS))] / 255 * u(0.85, 1.15)
    hair_style = str(rng.choice(["short", "bob", "long", "bun"], p=[0.22, 0.15, 0.53, 0.1]))
    hair_front = (bool(u() < 0.45), bool(u() < 0.45)) if hair_style == "long" else (False, False)
    return skin, hair_colour, hair_style, hair_front


def _sample_bottoms(rng):
    """("pants" or "skirt", its RGB colour)."""
    u = rng.uniform
    bottoms = "skirt" if u() < 0.35 else "pants"
    if bottoms == "pants" and u() < 0.5:  # denim
        bottoms_colour = np.array([u(0.1, 0.3), u(0.18, 0.35), u(0.35, 0.6)], np.float32)
    else:
        bottoms_colour = random_colour(rng, saturation=(0.0, 0.7), value=(0.1, 0.85))
    return bottoms, bottoms_colour


def _sample_arm_angles(rng, long_sleeves: bool) -> tuple[float, float]:
    """(outward swing of the upper arm from straight down, inward elbow bend), radians.

    Poses: hanging, hand on the hip, forearm across the torso. Long sleeves only
    hang: a forearm across the torso inside a sleeve would need the garment to
    fold over itself, which one smooth warp cannot do.
    """
    u = rng.uniform
    pose = (
        "hanging" if long_sleeves else rng.choice(["hanging", "hip", "cross"], p=[0.55, 0.2, 0.25])
    )
    if pose == "hanging":
        swing, bend = u(6, 20), (u(-8, 12) if long_sleeves else u(-5, 25))
    elif pose == "hip":
        swing, bend = u(28, 42), u(75, 100)
    else:
        swing, bend = u(3, 10), u(80, 115)
    return math.radians(swing), math.radians(bend)


def face_point(body: Body, dx: float, dy: float) -> np.ndarray:
    """A point given in face axes (dx, dy in [-1, 1]) in the reference frame."""
    x, y = dx * body.face_axes[0], dy * body.face_axes[1]
    a = math.radians(body.face_angle)
    fx, fy = body.face_centre
    return np.array(
        [fx + x * math.cos(a) - y * math.sin(a), fy + x * math.sin(a) + y * math.cos(a)]
    )


# Where the face keypoints sit, in face axes.
_FACE_KEYPOINTS = {
    "nose": (0.0, 0.15),
    "r_eye": (-0.42, -0.12),
    "l_eye": (0.42, -0.12),
    "r_ear": (-1.0, 0.0),
    "l_ear": (1.0, 0.0),
}


def body_keypoints(rng, frame: Frame, body: Body) -> np.ndarray:
    """COCO-18 keypoints (18, 3): pixel x, y and a detector-like confidence;
    points outside the image are (0, 0, 0) as OpenPose writes undetected ones."""
    confidence = rng.uniform(0.55, 0.97, size=len(COCO18_KEYPOINT_NAMES))
    result = np.zeros((len(COCO18_KEYPOINT_NAMES), 3), np.float32)
    for k, name in enumerate(COCO18_KEYPOINT_NAMES):
        if name in _FACE_KEYPOINTS:
            point = face_point(body, *_FACE_KEYPOINTS[name])
        elif name == "neck":
            point = (body.centre_x, body.shoulder_y)
        else:
            point = body.joints[name]
        x, y = frame.px(point)
        if 0 <= x <= frame.width - 1 and 0 <= y <= frame.height - 1:
            result[k] = (x, y, confidence[k])
    return result
