"""The Android demo reads ``model_contract.json``: do its expectations hold?

The app (android_demo/) is Kotlin and cannot be built here, so this test reads
what it relies on from its source, ``ContractNames.kt``: the input and output
names it fills and shows, their encodings, and the dtype and shape layout its
packing code handles per encoding. It then checks those against

* a contract freshly built by the exporter (``sievenet_tf.export.contract``),
  for the tiny and the paper presets, and
* the contract fixture the Kotlin unit tests use, which must agree with the
  exporter on everything the app reads,

and checks that the bundled samples use the parse label set the model expects.
The Kotlin side of the same checks (ContractCheck.kt) runs in
``android_demo/core/run_jvm_tests.sh``.
"""

from __future__ import annotations

import json
import pathlib
import re

import pytest

from sievenet_tf.config import get_preset

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORE = ROOT / "android_demo" / "core"
CONTRACT_NAMES_KT = CORE / "src/main/kotlin/com/sievenet/tryon/core/ContractNames.kt"
FIXTURE = CORE / "src/test/resources/model_contract_tiny.json"
# The same contract plus the exporter's graphs.photo (PhotoPathTest, PhotoOverlayTest).
PHOTO_FIXTURE = CORE / "src/test/resources/model_contract_tiny_photo.json"
SAMPLES_INDEX = ROOT / "android_demo/app/src/main/assets/samples/index.json"


def parse_contract_names(text: str) -> dict:
    """What ContractNames.kt declares, as plain Python values."""
    strings = dict(re.findall(r'const val (\w+) = "([^"]*)"', text))
    numbers = {k: int(v) for k, v in re.findall(r"const val (\w+) = (\d+)\s*$", text, re.M)}

    def block(name: str) -> str:
        # listOf( ... ) with one level of nested parentheses inside (Role(A, B), ...).
        match = re.search(rf"val {name}: List<\w+> = listOf\(((?:[^()]|\([^()]*\))*)\)", text)
        assert match, f"ContractNames.kt: no `val {name}: List<...> = listOf(...)`"
        return match.group(1)

    def roles(name: str) -> list[tuple[str, str]]:
        found = re.findall(r"Role\((\w+), (\w+)\)", block(name))
        assert found, f"ContractNames.kt: {name} lists no Role(...)"
        return [(strings[a], strings[b]) for a, b in found]

    layouts = {
        strings[encoding]: (dtype, tuple(shape.split(",")))
        for encoding, dtype, shape in re.findall(
            r'Layout\((\w+), "(\w+)", "([^"]+)"\)', block("LAYOUTS")
        )
    }
    return {
        "format_version": numbers["FORMAT_VERSION"],
        "inputs": roles("INPUTS"),
        "outputs": roles("OUTPUTS"),
        "required_outputs": [
            strings[n] for n in re.findall(r"\b(\w+)\b", block("REQUIRED_OUTPUTS"))
        ],
        "layouts": layouts,
    }


@pytest.fixture(scope="module")
def app():
    return parse_contract_names(CONTRACT_NAMES_KT.read_text(encoding="utf-8"))


def build_exported_contract(preset: str, parse_layout: str = "viton") -> dict:
    """The exporter's contract for a preset, as the app reads it (through JSON).

    ``parse_layout`` "viton" (LIP parse ids) is what the bundled samples carry.
    """
    try:
        from sievenet_tf.export.contract import build_contract
    except ModuleNotFoundError as e:
        if e.name == "sievenet_tf.export.contract":
            pytest.skip(
                "sievenet_tf.export.contract (the exporter's build_contract) does not exist yet"
            )
        raise
    return json.loads(json.dumps(build_contract(get_preset(preset), parse_layout=parse_layout)))


def _shape_fits(template: tuple[str, ...], shape, image_size) -> bool:
    if len(template) != len(shape):
        return False
    height, width = image_size
    for token, dim in zip(template, shape):
        expected = {"H": height, "W": width}.get(token.strip())
        if token.strip() == "K":
            if dim <= 0:
                return False
        elif expected is not None:
            if dim != expected:
                return False
        elif dim != int(token):
            return False
    return True


def _label_set(contract: dict, ident: str):
    labels = contract.get("labels", {})
    if ident in labels:
        return labels[ident]
    return next((entry for entry in labels.values() if entry.get("name") == ident), None)


def app_problems(contract: dict, app: dict) -> list[str]:
    """Everything in ``contract`` that the Kotlin app would not handle (empty = fine)."""
    problems = []
    if contract.get("format_version") != app["format_version"]:
        problems.append(
            f"format_version {contract.get('format_version')}, the app reads {app['format_version']}"
        )
    image_size = contract["image_size"]
    if not isinstance(contract.get("signature"), str):
        problems.append("no signature key")

    def check_layout(kind, tensor, encoding):
        dtype, template = app["layouts"][encoding]
        if tensor.get("encoding") != encoding:
            problems.append(
                f"{kind} {tensor['name']!r}: encoding {tensor.get('encoding')!r}, the app uses {encoding!r}"
            )
        if tensor.get("dtype") != dtype:
            problems.append(
                f"{kind} {tensor['name']!r}: dtype {tensor.get('dtype')!r}, the app packs {dtype!r}"
            )
        if not _shape_fits(template, tensor.get("shape", []), image_size):
            problems.append(
                f"{kind} {tensor['name']!r}: shape {tensor.get('shape')} does not fit the app's "
                f"{','.join(template)} for image_size {image_size}"
            )
        if encoding == "image":
            norm = contract.get("normalization", {}).get("image", {})
            if not isinstance(norm.get("scale"), (int, float)) or not isinstance(
                norm.get("offset"), (int, float)
            ):
                problems.append(f"{kind} {tensor['name']!r}: no normalization.image scale/offset")
        if encoding == "label_ids":
            labels = _label_set(contract, tensor.get("label_set", ""))
            if labels is None:
                problems.append(
                    f"{kind} {tensor['name']!r}: label_set {tensor.get('label_set')!r} not in labels"
                )
            elif kind == "output":
                classes = int(tensor["range"][1]) + 1 if "range" in tensor else len(labels["names"])
                colors = labels.get("colors") or []
                if len(colors) < classes or any(
                    len(c) != 3 or not all(0 <= v <= 255 for v in c) for c in colors
                ):
                    problems.append(
                        f"output {tensor['name']!r}: needs {classes} [r, g, b] colors, got {colors[:3]}..."
                    )
        if encoding == "keypoints" and contract.get("keypoint_names"):
            if tensor["shape"][1] != len(contract["keypoint_names"]):
                problems.append(
                    f"input {tensor['name']!r}: {tensor['shape'][1]} keypoints vs keypoint_names"
                )

    inputs = {t["name"]: t for t in contract["inputs"]}
    outputs = {t["name"]: t for t in contract["outputs"]}
    app_inputs = dict(app["inputs"])
    for name, tensor in inputs.items():
        if name not in app_inputs:
            problems.append(f"input {name!r} is not one the app fills ({sorted(app_inputs)})")
        else:
            check_layout("input", tensor, app_inputs[name])
    for name in app_inputs:
        if name not in inputs:
            problems.append(f"the app fills input {name!r}, which the contract does not list")
    for name, encoding in app["outputs"]:
        if name not in outputs:
            problems.append(f"the app shows output {name!r}, which the contract does not list")
        else:
            check_layout("output", outputs[name], encoding)
    for name in app["required_outputs"]:
        if name not in outputs:
            problems.append(f"required output {name!r} is missing")
    return problems


def test_contract_names_parse(app):
    assert app["format_version"] == 1
    assert [n for n, _ in app["inputs"]] == ["person", "parse", "keypoints", "cloth", "cloth_mask"]
    assert app["outputs"][0] == ("tryon", "image")
    assert app["required_outputs"] == ["tryon"]
    assert set(app["layouts"]) == {"image", "mask", "label_ids", "keypoints"}
    for _, encoding in app["inputs"] + app["outputs"]:
        assert encoding in app["layouts"]


def test_kotlin_fixture_is_usable_by_the_app(app):
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert app_problems(fixture, app) == []


def test_checker_catches_a_broken_contract(app):
    contract = json.loads(FIXTURE.read_text(encoding="utf-8"))
    contract["format_version"] = 2
    contract["inputs"][0]["shape"] = [1, 64, 48, 4]
    contract["inputs"].append(
        {"name": "densepose", "shape": [1, 64, 48, 2], "dtype": "float32", "encoding": "uv"}
    )
    contract["outputs"] = [t for t in contract["outputs"] if t["name"] != "warped_cloth_fine"]
    problems = "\n".join(app_problems(contract, app))
    for fragment in (
        "format_version 2",
        "'person': shape [1, 64, 48, 4]",
        "'densepose'",
        "'warped_cloth_fine'",
    ):
        assert fragment in problems


@pytest.mark.parametrize(
    ("preset", "parse_layout"),
    [("tiny", "viton"), ("viton_256x192", "viton"), ("viton_256x192", "viton_hd")],
)
def test_exported_contract_drives_the_app(app, preset, parse_layout):
    contract = build_exported_contract(preset, parse_layout)
    assert app_problems(contract, app) == []
    assert contract["image_size"] == list(get_preset(preset).data.image_size)


def test_kotlin_fixture_agrees_with_the_exporter():
    exported = build_exported_contract("tiny")
    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))

    def tensors(contract, kind):
        return [
            {
                k: t.get(k)
                for k in ("name", "shape", "dtype", "encoding", "range", "label_set", "format")
            }
            for t in contract[kind]
        ]

    assert tensors(fixture, "inputs") == tensors(exported, "inputs")
    assert tensors(fixture, "outputs") == tensors(exported, "outputs")
    for key in ("format_version", "image_size", "signature", "keypoint_names"):
        assert fixture[key] == exported[key], key
    for key in ("scale", "offset"):
        assert fixture["normalization"]["image"][key] == pytest.approx(
            exported["normalization"]["image"][key]
        )
    for tensor in exported["inputs"] + exported["outputs"]:
        if tensor.get("label_set"):
            ours = _label_set(fixture, tensor["label_set"])
            theirs = _label_set(exported, tensor["label_set"])
            assert ours is not None and theirs is not None, tensor["name"]
            assert len(ours["names"]) == len(theirs["names"]), tensor["name"]


def test_kotlin_photo_fixture_agrees_with_the_exporter():
    """The photo fixture is the tiny fixture plus the graphs.photo the exporter writes."""
    from sievenet_tf.export import photo_model
    from sievenet_tf.export.contract import build_contract

    files = {"saved_model": photo_model.SAVED_MODEL_DIR}
    files.update({q: photo_model.file_name(q) for q in ("fp32", "fp16", "dynamic", "int8")})
    exported = json.loads(json.dumps(build_contract(
        get_preset("tiny"), parse_layout="viton", photo={"files": files, "cloth_mask": "learned"}
    )))  # fmt: skip
    fixture = json.loads(PHOTO_FIXTURE.read_text(encoding="utf-8"))
    assert fixture["graphs"] == exported["graphs"]
    assert {k: v for k, v in fixture.items() if k != "graphs"} == json.loads(
        FIXTURE.read_text(encoding="utf-8")
    )


def _samples_label_set_problem(contract: dict) -> str | None:
    index = json.loads(SAMPLES_INDEX.read_text(encoding="utf-8"))
    parse = next(t for t in contract["inputs"] if t["name"] == "parse")
    accepted = {parse["label_set"]}
    labels = _label_set(contract, parse["label_set"])
    if labels is not None:
        accepted |= {labels.get("name"), *[k for k, v in contract["labels"].items() if v is labels]}
    if index["parse_label_set"] not in accepted:
        return f"samples use {index['parse_label_set']!r}, the model's parse expects {sorted(map(str, accepted))}"
    return None


@pytest.mark.skipif(
    not SAMPLES_INDEX.is_file(), reason="no bundled samples (android_demo/tools/make_samples.py)"
)
def test_bundled_samples_fit_the_models_parse_labels():
    assert _samples_label_set_problem(json.loads(FIXTURE.read_text(encoding="utf-8"))) is None
    assert _samples_label_set_problem(build_exported_contract("tiny")) is None
    # A VITON-HD model reads other parse ids: the LIP samples must be refused
    # (SampleIndex.problemsWith does the same in the app).
    problem = _samples_label_set_problem(build_exported_contract("tiny", "viton_hd"))
    assert problem is not None and "'lip'" in problem
