"""The keys of an example dict: documented once, used everywhere.

Every example (and every batch, with a leading batch axis) produced by the
readers in ``sievenet_tf.data`` is a ``dict[str, tf.Tensor]`` with these keys.
H x W is ``config.data.image_size``. Images are float32 in [-1, 1] (pixel / 127.5 - 1).

| key               | shape      | dtype   | range        | role |
|-------------------|------------|---------|--------------|------|
| person            | (H, W, 3)  | float32 | [-1, 1]      | target of texture stage (I_m); source of texture priors |
| cloth             | (H, W, 3)  | float32 | [-1, 1]      | input: flat garment photo (I_p) |
| cloth_mask        | (H, W, 1)  | float32 | {0, 1}       | input: garment mask |
| parse             | (H, W)     | int32   | dataset ids  | visualisation: the parse as stored (LIP / VITON-HD ids) |
| segmentation      | (H, W)     | int32   | [0, C)       | target of segmentation stage: parse mapped to the model's class set |
| keypoints         | (18, 3)    | float32 | px, px, conf | input: COCO-18 (x, y) in pixels at H x W, confidence; missing = 0 |
| priors            | (H, W, 19) | float32 | [0, 1]       | input: 18 keypoint maps + body shape (I_priors) |
| texture_priors    | (H, W, 3)  | float32 | [-1, 1]      | input: person pixels the new garment does not touch, 0 elsewhere |
| cloth_worn        | (H, W, 3)  | float32 | [-1, 1]      | target of warp stage (I_gt): person pixels in the garment region, 1 (white) elsewhere |
| cloth_worn_mask   | (H, W, 1)  | float32 | {0, 1}       | target: garment region on the person (M_gt^cloth) |
| person_name       | ()         | string  |              | file name of the person image |
| cloth_name        | ()         | string  |              | file name of the cloth image |
"""

PERSON = "person"
CLOTH = "cloth"
CLOTH_MASK = "cloth_mask"
PARSE = "parse"
SEGMENTATION = "segmentation"
KEYPOINTS = "keypoints"
PRIORS = "priors"
TEXTURE_PRIORS = "texture_priors"
CLOTH_WORN = "cloth_worn"
CLOTH_WORN_MASK = "cloth_worn_mask"
PERSON_NAME = "person_name"
CLOTH_NAME = "cloth_name"

ALL_KEYS = (
    PERSON,
    CLOTH,
    CLOTH_MASK,
    PARSE,
    SEGMENTATION,
    KEYPOINTS,
    PRIORS,
    TEXTURE_PRIORS,
    CLOTH_WORN,
    CLOTH_WORN_MASK,
    PERSON_NAME,
    CLOTH_NAME,
)
