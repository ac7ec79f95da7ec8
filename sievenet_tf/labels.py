"""Label sets: dataset parse ids, the model's segmentation classes, and the
regions derived from them. All label knowledge of the project lives here.

Two dataset label sets exist:

* ``"viton"`` — CP-VTON's VITON data stores LIP (Look Into Person) 20-class ids
  as palette PNG pixel values.
* ``"viton_hd"`` — VITON-HD's ``image-parse(-v3)`` stores CIHP-style ids: the
  LIP ids, except that 10 is neck (torso) skin instead of "jumpsuits".

The model's segmentation classes are the 20 LIP classes (identity for VITON).
On the real VITON sample, neck and chest skin are labelled background (0) by the
LIP parser, so VITON-HD's neck (10) maps to background too: both datasets then
mean the same thing by every model class, and the person mask (``class > 0``)
and the texture priors treat the neck alike (VITON-HD's own segmentation code
also merges 10 into background). LIP's "jumpsuits" keeps class 10; it is rare in
VITON (0.01 % of pixels, 1.4 % of images of the sample) but it is a real garment.

Regions used by the priors, as model class ids:

* :data:`GARMENT_CLASSES` — the garment as worn (CP-VTON: upper clothes, dress,
  coat); the warp target ``cloth_worn`` and ``cloth_worn_mask``.
* :data:`TEXTURE_PRIOR_CLASSES` — what a new top does not touch (face, hair, hat,
  sunglasses, bottom clothes, legs, socks, shoes): the texture priors.
* :data:`BACKGROUND_CLASSES` and :data:`SKIN_CLASSES` — up-weighted in the
  segmentation cross-entropy.
"""

from __future__ import annotations

import numpy as np

# ----------------------------------------------------------------------------- LIP

# LIP (Look Into Person) 20-class ids, as stored in VITON's image-parse PNGs.
LIP_BACKGROUND = 0
LIP_HAT = 1
LIP_HAIR = 2
LIP_GLOVE = 3
LIP_SUNGLASSES = 4
LIP_UPPER_CLOTHES = 5
LIP_DRESS = 6
LIP_COAT = 7
LIP_SOCKS = 8
LIP_PANTS = 9
LIP_JUMPSUITS = 10
LIP_SCARF = 11
LIP_SKIRT = 12
LIP_FACE = 13
LIP_LEFT_ARM = 14
LIP_RIGHT_ARM = 15
LIP_LEFT_LEG = 16
LIP_RIGHT_LEG = 17
LIP_LEFT_SHOE = 18
LIP_RIGHT_SHOE = 19

LIP_NAMES = (
    "background",
    "hat",
    "hair",
    "glove",
    "sunglasses",
    "upper_clothes",
    "dress",
    "coat",
    "socks",
    "pants",
    "jumpsuits",
    "scarf",
    "skirt",
    "face",
    "left_arm",
    "right_arm",
    "left_leg",
    "right_leg",
    "left_shoe",
    "right_shoe",
)

# The palette of VITON's parse PNGs (LIP's colours, stored with 254 for 255).
# Used to colour label maps and to map colour-coded (RGB) parses back to ids.
LIP_COLORS = np.array(
    [
        (0, 0, 0),  # 0 background
        (128, 0, 0),  # 1 hat
        (254, 0, 0),  # 2 hair
        (0, 85, 0),  # 3 glove
        (169, 0, 51),  # 4 sunglasses
        (254, 85, 0),  # 5 upper_clothes
        (0, 0, 85),  # 6 dress
        (0, 119, 220),  # 7 coat
        (85, 85, 0),  # 8 socks
        (0, 85, 85),  # 9 pants
        (85, 51, 0),  # 10 jumpsuits
        (52, 86, 128),  # 11 scarf
        (0, 128, 0),  # 12 skirt
        (0, 0, 254),  # 13 face
        (51, 169, 220),  # 14 left_arm
        (0, 254, 254),  # 15 right_arm
        (85, 254, 169),  # 16 left_leg
        (169, 254, 85),  # 17 right_leg
        (254, 254, 0),  # 18 left_shoe
        (254, 169, 0),  # 19 right_shoe
    ],
    dtype=np.uint8,
)

# ------------------------------------------------------------------ VITON-HD (CIHP)

# VITON-HD ids equal LIP ids except 10, which is neck skin (CIHP: "torso-skin").
VITON_HD_NECK = 10
VITON_HD_NAMES = LIP_NAMES[:VITON_HD_NECK] + ("neck",) + LIP_NAMES[VITON_HD_NECK + 1 :]

# ------------------------------------------------------------------- dataset sets

# Layout name -> names of the ids its parse PNGs store (id = position).
DATASET_LABEL_NAMES = {"viton": LIP_NAMES, "viton_hd": VITON_HD_NAMES}
LAYOUTS = tuple(DATASET_LABEL_NAMES)

# Colour-coded parses are decoded with this palette (both layouts use LIP's colours).
PARSE_PALETTE = LIP_COLORS
# A colour matches a palette entry when every channel is within this distance
# (covers 254/255, 169/170 and 220/221 variants of the LIP palette).
PARSE_PALETTE_TOLERANCE = 2

# ------------------------------------------------------------------- model classes

MODEL_CLASS_NAMES = LIP_NAMES
NUM_MODEL_CLASSES = len(MODEL_CLASS_NAMES)
MODEL_CLASS_COLORS = LIP_COLORS  # (NUM_MODEL_CLASSES, 3) uint8, for visualisation

BACKGROUND_CLASSES = (LIP_BACKGROUND,)
# Exposed skin (neck/chest skin is background in VITON's LIP parses, see above).
SKIN_CLASSES = (LIP_FACE, LIP_LEFT_ARM, LIP_RIGHT_ARM, LIP_LEFT_LEG, LIP_RIGHT_LEG)
# The garment as worn (CP-VTON's parse_cloth): the region a new top replaces.
GARMENT_CLASSES = (LIP_UPPER_CLOTHES, LIP_DRESS, LIP_COAT)
# Person pixels kept for the texture stage: regions a new top does not touch.
TEXTURE_PRIOR_CLASSES = (
    LIP_HAT,
    LIP_HAIR,
    LIP_SUNGLASSES,
    LIP_FACE,
    LIP_PANTS,
    LIP_SKIRT,
    LIP_SOCKS,
    LIP_LEFT_LEG,
    LIP_RIGHT_LEG,
    LIP_LEFT_SHOE,
    LIP_RIGHT_SHOE,
)

# Dataset id -> model class id, one table per layout (index = dataset id).
_DATASET_TO_MODEL = {
    "viton": np.arange(len(LIP_NAMES), dtype=np.int32),
    "viton_hd": np.array(
        [LIP_BACKGROUND if i == VITON_HD_NECK else i for i in range(len(VITON_HD_NAMES))],
        dtype=np.int32,
    ),
}


def check_layout(layout: str) -> str:
    """Return ``layout`` if it names a dataset label set, else raise ``ValueError``."""
    if layout not in DATASET_LABEL_NAMES:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    return layout


def num_dataset_labels(layout: str) -> int:
    """Number of ids in a layout's label set (valid ids are ``0 .. n - 1``)."""
    return len(DATASET_LABEL_NAMES[check_layout(layout)])


def dataset_to_model_table(layout: str) -> np.ndarray:
    """Lookup table from a layout's parse ids to model class ids.

    Args:
        layout: "viton" (LIP ids) or "viton_hd" (CIHP-style ids).

    Returns:
        int32 array (num_dataset_labels,): ``table[dataset_id] = model_class``.
        Use it with ``tf.gather`` (see
        :func:`sievenet_tf.layers.priors.parse_to_model_classes`).
    """
    return _DATASET_TO_MODEL[check_layout(layout)].copy()


def class_weights(background_weight: float = 1.5, skin_weight: float = 1.5) -> np.ndarray:
    """Per-class weights of the segmentation cross-entropy.

    SieveNet up-weights background (stops skin bleeding into it) and skin
    (handles self-occlusion); every other class has weight 1.

    Args:
        background_weight: weight of :data:`BACKGROUND_CLASSES`.
        skin_weight: weight of :data:`SKIN_CLASSES`.

    Returns:
        float32 array (NUM_MODEL_CLASSES,).
    """
    weights = np.ones(NUM_MODEL_CLASSES, np.float32)
    weights[list(BACKGROUND_CLASSES)] = background_weight
    weights[list(SKIN_CLASSES)] = skin_weight
    return weights


def colorize(labels: np.ndarray) -> np.ndarray:
    """Model class ids (..., H, W) -> RGB uint8 (..., H, W, 3); unknown ids are black."""
    labels = np.asarray(labels)
    known = (labels >= 0) & (labels < NUM_MODEL_CLASSES)
    return np.where(
        known[..., None], MODEL_CLASS_COLORS[np.clip(labels, 0, NUM_MODEL_CLASSES - 1)], 0
    ).astype(np.uint8)


# -------------------------------------------------------------------- keypoints

# OpenPose COCO-18 order: the order of the 18 keypoint maps in the priors.
COCO18_KEYPOINT_NAMES = (
    "nose",
    "neck",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "r_eye",
    "l_eye",
    "r_ear",
    "l_ear",
)

# OpenPose BODY_25 order (VITON-HD's openpose_json).
BODY25_KEYPOINT_NAMES = (
    "nose",
    "neck",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "mid_hip",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "r_eye",
    "l_eye",
    "r_ear",
    "l_ear",
    "l_big_toe",
    "l_small_toe",
    "l_heel",
    "r_big_toe",
    "r_small_toe",
    "r_heel",
)

# BODY25_TO_COCO18[i] = the BODY_25 index of COCO-18 keypoint i (drops mid-hip and feet).
BODY25_TO_COCO18 = tuple(BODY25_KEYPOINT_NAMES.index(name) for name in COCO18_KEYPOINT_NAMES)
