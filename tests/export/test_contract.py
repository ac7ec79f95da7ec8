"""model_contract.json: the format of docs/model_contract.md, and its reader."""

import json

import pytest

from sievenet_tf.export.contract import (
    ContractError,
    build_contract,
    find_contract,
    load_contract,
    write_contract,
)


def test_contract_follows_the_documented_format(tiny_config, tmp_path):
    contract = build_contract(tiny_config, "viton", {"fp32": "sievenet_fp32.tflite"})
    assert contract["format_version"] == 1
    assert contract["preset"] == "tiny"
    assert contract["image_size"] == [64, 48]
    assert contract["signature"] == "serving_default"
    assert [i["name"] for i in contract["inputs"]] == [
        "person",
        "parse",
        "keypoints",
        "cloth",
        "cloth_mask",
    ]
    outputs = {o["name"]: o for o in contract["outputs"]}
    assert sorted(outputs) == sorted(
        [
            "tryon",
            "warped_cloth_coarse",
            "warped_cloth_fine",
            "expected_segmentation",
            "composition_mask",
        ]
    )
    inputs = {i["name"]: i for i in contract["inputs"]}
    assert inputs["parse"] == {"name": "parse", "shape": [1, 64, 48], "dtype": "int32", "range": [0, 19],
                               "encoding": "label_ids", "label_set": "lip"}
    assert inputs["keypoints"]["shape"] == [1, 18, 3]
    assert outputs["expected_segmentation"]["dtype"] == "int32"
    assert contract["normalization"]["image"]["scale"] == pytest.approx(1 / 127.5)
    assert (
        len(contract["labels"]["model"]["colors"])
        == len(contract["labels"]["model"]["names"])
        == 20
    )
    assert contract["labels"]["parse"]["names"][5] == "upper_clothes"
    assert len(contract["keypoint_names"]) == 18
    path = write_contract(tmp_path, contract)
    assert load_contract(tmp_path) == json.loads(open(path).read()) == contract
    assert find_contract(tmp_path / "saved_model") == path


def test_reader_rejects_other_versions_and_junk(tmp_path):
    with pytest.raises(ContractError, match="no model contract"):
        load_contract(tmp_path)
    (tmp_path / "model_contract.json").write_text("{not json")
    with pytest.raises(ContractError, match="not valid JSON"):
        load_contract(tmp_path)
    (tmp_path / "model_contract.json").write_text(json.dumps({"format_version": 2}))
    with pytest.raises(ContractError, match="format_version 2 is not supported"):
        load_contract(tmp_path)
