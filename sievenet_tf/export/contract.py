"""``model_contract.json``: what an exported model expects and returns.

The format is specified in ``docs/model_contract.md`` (format version 1). Every
export writes it next to the model files; clients (the Android demo,
:class:`sievenet_tf.inference.TryOn`, serving clients) build their inputs from
it and read outputs by name.
"""

from __future__ import annotations

import json
import os

from sievenet_tf import labels
from sievenet_tf.export.tryon_model import INPUT_NAMES, input_specs, output_names

FORMAT_VERSION = 1
FILE_NAME = "model_contract.json"
SIGNATURE = "serving_default"
# float = uint8_pixel * IMAGE_SCALE + IMAGE_OFFSET, i.e. pixel / 127.5 - 1.
IMAGE_SCALE = 1.0 / 127.5
IMAGE_OFFSET = -1.0
# The label-set name the contract gives each dataset layout's parse ids.
PARSE_LABEL_SET = {"viton": "lip", "viton_hd": "viton_hd"}


class ContractError(ValueError):
    """A contract file is missing, malformed or of another format version."""


def build_contract(config, parse_layout: str, files: dict | None = None, photo: dict | None = None) -> dict:
    """The contract of a try-on model built from ``config``.

    Args:
        config: the run's ``SieveNetConfig``.
        parse_layout: label set of the ``parse`` input ("viton" or "viton_hd").
        files: format -> file name relative to the export directory
            (e.g. ``{"fp32": "sievenet_fp32.tflite", "saved_model": "saved_model"}``).
        photo: the ``photo`` graph when exported: ``{"files": format -> file,
            "cloth_mask": "learned" | "computed"}``; described under ``graphs.photo``.

    Returns:
        A JSON-ready dict (see ``docs/model_contract.md``).
    """
    height, width = (int(v) for v in config.data.image_size)
    specs = input_specs(config, batch_size=1)
    parse_names = list(labels.DATASET_LABEL_NAMES[labels.check_layout(parse_layout)])
    num_classes = len(labels.MODEL_CLASS_NAMES)
    if config.segmentation.num_classes != num_classes:
        raise ValueError(
            f"the run predicts {config.segmentation.num_classes} classes but the model label "
            f"set (sievenet_tf.labels.MODEL_CLASS_NAMES) has {num_classes}"
        )
    image = {"range": [-1.0, 1.0], "encoding": "image"}
    details = {
        "person": image,
        "parse": {
            "range": [0, len(parse_names) - 1],
            "encoding": "label_ids",
            "label_set": PARSE_LABEL_SET[parse_layout],
        },
        "keypoints": {
            "encoding": "keypoints",
            "format": "coco18",
            "units": "pixels at image_size (x, y, confidence); missing = 0",
        },
        "cloth": image,
        "cloth_mask": {"range": [0.0, 1.0], "encoding": "mask"},
    }
    inputs = [
        {"name": name, "shape": list(specs[name][0]), "dtype": specs[name][1], **details[name]}
        for name in INPUT_NAMES
    ]
    image_out = {"shape": [1, height, width, 3], "dtype": "float32", **image}
    output_details = {
        "tryon": image_out,
        "warped_cloth_coarse": image_out,
        "warped_cloth_fine": image_out,
        "expected_segmentation": {
            "shape": [1, height, width],
            "dtype": "int32",
            "range": [0, num_classes - 1],
            "encoding": "label_ids",
            "label_set": "model",
        },
        "composition_mask": {
            "shape": [1, height, width, 1],
            "dtype": "float32",
            "range": [0.0, 1.0],
            "encoding": "mask",
        },
    }
    guided = config.texture.conditioning == "segmentation"
    outputs = [{"name": name, **output_details[name]} for name in output_names(guided)]
    graphs = {}
    if photo is not None:
        graphs["photo"] = _photo_graph(config, details, output_details, guided, photo)
    contract = {
        "format_version": FORMAT_VERSION,
        "preset": config.name,
        "image_size": [height, width],
        "signature": SIGNATURE,
        "files": dict(files or {}),
        "normalization": {
            "image": {
                "scale": IMAGE_SCALE,
                "offset": IMAGE_OFFSET,
                "description": "float = uint8_pixel * scale + offset (RGB order)",
            }
        },
        "inputs": inputs,
        "outputs": outputs,
        "labels": {
            "parse": {"name": PARSE_LABEL_SET[parse_layout], "names": parse_names},
            "model": {
                "names": list(labels.MODEL_CLASS_NAMES),
                "colors": [[int(c) for c in color] for color in labels.MODEL_CLASS_COLORS],
            },
        },
        "keypoint_names": list(labels.COCO18_KEYPOINT_NAMES),
    }
    if graphs:
        contract["graphs"] = graphs
    return contract


def _photo_graph(config, details, output_details, guided, photo) -> dict:
    """``graphs.photo``: the person + cloth photo graph (see docs/model_contract.md)."""
    from sievenet_tf.export.photo_model import PHOTO_INPUT_NAMES, photo_output_names

    height, width = (int(v) for v in config.data.image_size)
    num_classes = len(labels.MODEL_CLASS_NAMES)
    predicted = {
        "parse": {
            "shape": [1, height, width], "dtype": "int32", "range": [0, num_classes - 1],
            "encoding": "label_ids", "label_set": "model",
        },
        "keypoints": {
            "shape": [1, config.data.num_keypoints, 3], "dtype": "float32", **details["keypoints"],
        },
        "cloth_mask": {"shape": [1, height, width, 1], "dtype": "float32", **details["cloth_mask"]},
    }  # fmt: skip
    inputs = [
        {"name": name, "shape": [1, height, width, 3], "dtype": "float32", **details[name]}
        for name in PHOTO_INPUT_NAMES
    ]
    outputs = [
        {"name": name, **(predicted.get(name) or output_details[name])}
        for name in photo_output_names(guided)
    ]
    return {
        "description": "person photo + cloth photo -> try-on; parse, keypoints and the cloth "
        "mask are predicted in-graph",
        "signature": SIGNATURE,
        "files": dict(photo.get("files", {})),
        "inputs": inputs,
        "outputs": outputs,
        "cloth_mask": photo.get("cloth_mask", "computed"),
        "keypoint_threshold": config.analyzer.keypoint_threshold,
        "min_keypoints": config.analyzer.min_keypoints,
    }


def write_contract(directory, contract: dict) -> str:
    """Write ``directory/model_contract.json`` atomically; returns its path."""
    path = os.path.join(os.fspath(directory), FILE_NAME)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(contract, f, indent=2)
        f.write("\n")
    os.replace(temporary, path)
    return path


def load_contract(path) -> dict:
    """Read and check a contract (a file, or a directory holding ``model_contract.json``).

    Raises:
        ContractError: missing, not JSON, another format version, or required keys missing.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, FILE_NAME)
    if not os.path.isfile(path):
        raise ContractError(f"{path}: no model contract (expected the export's {FILE_NAME})")
    try:
        with open(path, encoding="utf-8") as f:
            contract = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ContractError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(contract, dict):
        raise ContractError(f"{path}: expected a JSON object")
    version = contract.get("format_version")
    if version != FORMAT_VERSION:
        raise ContractError(
            f"{path}: contract format_version {version!r} is not supported (this reader "
            f"understands version {FORMAT_VERSION})"
        )
    missing = [
        key for key in ("image_size", "inputs", "outputs", "normalization") if key not in contract
    ]
    if missing:
        raise ContractError(f"{path}: contract lacks {missing}")
    return contract


def find_contract(model_path) -> str | None:
    """The contract that describes a model file or directory, if any.

    Looks in the directory itself (SavedModel / export directory), next to a file,
    and one level up (``EXPORT_DIR/saved_model``).
    """
    model_path = os.path.abspath(os.fspath(model_path))
    base = model_path if os.path.isdir(model_path) else os.path.dirname(model_path)
    for directory in (base, os.path.dirname(base)):
        candidate = os.path.join(directory, FILE_NAME)
        if os.path.isfile(candidate):
            return candidate
    return None
