"""Label sets: dataset parse ids, the model's segmentation classes, and the
regions derived from them. All label knowledge of the project lives here.

LIP ids are what CP-VTON's VITON parses store (palette PNG pixel values).
"""

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
    "background", "hat", "hair", "glove", "sunglasses", "upper_clothes", "dress",
    "coat", "socks", "pants", "jumpsuits", "scarf", "skirt", "face", "left_arm",
    "right_arm", "left_leg", "right_leg", "left_shoe", "right_shoe",
)  # fmt: skip
