"""Build the try-on page for one export into a folder of static files.

    python web_demo/tools/build.py --export runs/demo/export [--out web_demo/dist]

The result is self-contained (host it anywhere that serves static files):

    index.html, src/            the page (plain ES modules, no bundler)
    vendor/litertjs/            LiteRT.js's JavaScript (@litertjs/core, @litertjs/wasm-utils)
    wasm/                       its WebAssembly runtimes, from node_modules (never a CDN)
    model/                      the export's model_contract.json and .tflite files
    samples/                    persons (photo, parse, keypoints) and garments (photo, mask)
                                at the model's image_size, drawn from the synthetic dataset
                                by android_demo/tools/make_samples.py
    build_info.json             versions and where the model came from

Needs ``npm ci`` in ``web_demo/`` first (``make web`` does it): LiteRT.js comes
from the pinned ``package-lock.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys

WEB_DEMO = pathlib.Path(__file__).resolve().parents[1]
REPO = WEB_DEMO.parent
NODE_MODULES = WEB_DEMO / "node_modules"
MAKE_SAMPLES = REPO / "android_demo" / "tools" / "make_samples.py"
# The page never asks for the JSPI build (it is for WebNN / WebGPU
# partitioning), so only these runtimes are copied: relaxed-SIMD, its threaded
# variant, and the plain-SIMD fallback for browsers without relaxed SIMD.
WASM_RUNTIMES = ("litert_wasm_internal", "litert_wasm_threaded_internal", "litert_wasm_compat_internal")
# (package folder, file in its dist/, where the import map in index.html expects it)
VENDOR_FILES = (
    ("core", "index.js", "vendor/litertjs/core/index.js"),
    ("wasm-utils", "index.js", "vendor/litertjs/wasm-utils/index.js"),
)
MARKER = "build_info.json"


class BuildError(RuntimeError):
    """The page cannot be built; the message says what to do."""


def build(out, export_dir=None, image_size=None, persons: int = 3, garments: int = 3,
          seed: int = 0, dataset_root=None, log=print) -> dict:  # fmt: skip
    """Build the page into ``out`` (replaced if it is an earlier build).

    Args:
        out: output folder.
        export_dir: an export directory (``model_contract.json`` + ``.tflite``); None builds
            the page without a model (it then says so).
        image_size: (H, W) of the samples when there is no export (default 64 x 48).
        persons, garments: how many samples.
        seed: seed of the synthetic samples.
        dataset_root: take the samples from this dataset (VITON layout) instead.

    Returns:
        The build info (also written to ``out/build_info.json``).
    """
    out = pathlib.Path(out)
    core = NODE_MODULES / "@litertjs" / "core"
    if not (core / "package.json").is_file():
        raise BuildError(f"{core} is missing: run `npm ci --no-audit --no-fund` in {WEB_DEMO} first")
    contract = None
    if export_dir is not None:
        from sievenet_tf.export.contract import ContractError, load_contract

        try:
            contract = load_contract(export_dir)
        except ContractError as e:
            raise BuildError(f"{e} (make demo writes one to runs/demo/export)") from None
        image_size = tuple(contract["image_size"])
    image_size = tuple(image_size or (64, 48))

    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise BuildError(f"{out} exists and is not an earlier page build; refusing to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True)

    shutil.copy2(WEB_DEMO / "index.html", out / "index.html")
    shutil.copytree(WEB_DEMO / "src", out / "src")
    for package, name, target in VENDOR_FILES:
        source = NODE_MODULES / "@litertjs" / package / "dist" / name
        (out / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, out / target)
        map_file = source.with_name(name + ".map")
        if map_file.is_file():
            shutil.copy2(map_file, out / (target + ".map"))
    (out / "wasm").mkdir()
    for runtime in WASM_RUNTIMES:
        for extension in (".js", ".wasm"):
            shutil.copy2(core / "wasm" / (runtime + extension), out / "wasm" / (runtime + extension))

    files = {}
    if contract is not None:
        model = out / "model"
        model.mkdir()
        shutil.copy2(pathlib.Path(export_dir) / "model_contract.json", model / "model_contract.json")
        for fmt, name in contract.get("files", {}).items():
            if str(name).endswith(".tflite"):
                source = pathlib.Path(export_dir) / name
                if not source.is_file():
                    raise BuildError(f"{source}: listed in the contract's files but missing")
                shutil.copy2(source, model / name)
                files[fmt] = name
        if not files:
            raise BuildError(f"{export_dir}: the contract lists no .tflite file")

    parse_label_set = "lip"
    if contract is not None:
        spec = next((s for s in contract["inputs"] if s["name"] == "parse"), None)
        if spec is not None:
            parse_label_set = spec.get("label_set", parse_label_set)
    command = [sys.executable, os.fspath(MAKE_SAMPLES), "--image-size", *map(str, image_size),
               "--persons", str(persons), "--garments", str(garments),
               "--parse-label-set", parse_label_set, "--out", os.fspath(out / "samples")]  # fmt: skip
    if dataset_root is not None:
        command += ["--dataset-root", os.fspath(dataset_root)]
    else:
        command += ["--synthetic", "--seed", str(seed)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"making the samples failed ({' '.join(command)}):\n{result.stderr}")

    version = json.loads((core / "package.json").read_text())["version"]
    info = {
        "litertjs_version": version,
        "export": os.fspath(export_dir) if export_dir is not None else None,
        "preset": contract.get("preset") if contract else None,
        "image_size": list(image_size),
        "models": files,
        "samples": {"persons": persons, "garments": garments,
                    "source": "dataset" if dataset_root else f"synthetic, seed {seed}"},
    }  # fmt: skip
    (out / MARKER).write_text(json.dumps(info, indent=2) + "\n")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    log(f"built {out} ({size / 1e6:.1f} MB; LiteRT.js {version}; "
        f"model: {', '.join(files.values()) or 'none'})")  # fmt: skip
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--export", type=pathlib.Path, help="export directory (make demo: runs/demo/export)")
    parser.add_argument("--out", type=pathlib.Path, default=WEB_DEMO / "dist")
    parser.add_argument("--image-size", type=int, nargs=2, metavar=("H", "W"),
                        help="sample size without --export (default 64 48)")  # fmt: skip
    parser.add_argument("--persons", type=int, default=3)
    parser.add_argument("--garments", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic samples")
    parser.add_argument("--dataset-root", type=pathlib.Path,
                        help="take the samples from this dataset (VITON layout) instead")  # fmt: skip
    args = parser.parse_args(argv)
    if args.export is not None and args.image_size is not None:
        parser.error("--image-size is taken from the export's contract; give one or the other")
    try:
        build(args.out, args.export, args.image_size, args.persons, args.garments, args.seed,
              args.dataset_root)  # fmt: skip
    except BuildError as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
