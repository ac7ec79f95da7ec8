"""``TryOn``: run a SieveNet try-on from a ``.keras`` run, a SavedModel or a ``.tflite``.

Example:
    >>> from sievenet_tf import TryOn
    >>> tryon = TryOn("exports/viton/sievenet_int8.tflite")
    >>> result = tryon("person.jpg", "person.png", "person_keypoints.json",
    ...                "cloth.jpg", "cloth_mask.jpg")
    >>> result.tryon_image()          # uint8 (H, W, 3)

Every backend runs the same end-to-end graph (see
:mod:`sievenet_tf.export.tryon_model`): the caller gives what an app has — the
person photo, its parse, its keypoints, the cloth and its mask — and the priors
are built inside the model. Inputs are prepared from ``model_contract.json``
(the export's, or one built from the run's config for ``.keras``).

Inputs may be file paths or arrays:

* ``person``, ``cloth``: RGB uint8 (H, W, 3) arrays or image files. Files must be
  RGB photos: grayscale and RGBA files are refused (a grayscale photo or a
  transparent cutout is almost always the wrong file; convert it on purpose).
* ``parse``: (H, W) integer dataset ids or a label PNG (palette or grayscale).
* ``keypoints``: (18, 3) (x, y, confidence) in the person image's pixels, or an
  OpenPose JSON file.
* ``cloth_mask``: (H, W) or (H, W, 1) array (bool, {0, 1} or {0, 255}) or a mask image.

Inputs of another size than the model's are resized (aspect kept, padded) with
a warning, and keypoints move with the person image.

From a photo alone: ``parse``, ``keypoints`` and ``cloth_mask`` may be None
(``tryon("me.jpg", cloth="shirt.jpg")``). The missing ones are predicted by the
run's person analyzer and cloth-mask computation (the export's ``photo`` graph,
see :mod:`sievenet_tf.export.photo_model`); given ones take precedence. With
predicted keypoints, fewer than ``analyzer.min_keypoints`` confident points
raise :class:`NoPersonError`.
"""

from __future__ import annotations

import dataclasses
import os
import warnings

import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from sievenet_tf.data import io, pose
from sievenet_tf.export import contract as contract_lib
from sievenet_tf.export import photo_model as photo_lib
from sievenet_tf.export.tryon_model import build_tryon_model, resolve_parse_layout
from sievenet_tf.run import Run, RunError
from sievenet_tf.visualization import to_uint8, tryon_grid

INPUT_ORDER = ("person", "parse", "keypoints", "cloth", "cloth_mask")


class TryOnError(ValueError):
    """A model or an input cannot be used; the message names the file and the problem."""


class NoPersonError(TryOnError):
    """The person analyzer found too few confident keypoints in the person photo."""


class ResizeNotice(UserWarning):
    """An input was resized to the model's resolution."""


@dataclasses.dataclass
class TryOnResult:
    """Outputs of one try-on (batch axis removed), see the model contract."""

    tryon: np.ndarray  # (H, W, 3) float32 in [-1, 1]
    warped_cloth_coarse: np.ndarray  # (H, W, 3) float32 in [-1, 1]
    warped_cloth_fine: np.ndarray  # (H, W, 3) float32 in [-1, 1]
    composition_mask: np.ndarray  # (H, W, 1) float32 in [0, 1]
    # (H, W) int32 model class ids; None for a model without a segmenter
    # (the priors-conditioned ablation baseline).
    expected_segmentation: np.ndarray | None = None
    # What the photo path predicted (None where the caller gave it): the parse
    # (H, W) model class ids, keypoints (18, 3), cloth mask (H, W, 1).
    predicted_parse: np.ndarray | None = None
    predicted_keypoints: np.ndarray | None = None
    predicted_cloth_mask: np.ndarray | None = None

    def tryon_image(self) -> np.ndarray:
        """The try-on as RGB uint8 (H, W, 3)."""
        return to_uint8(self.tryon)

    def grid(self, person=None, cloth=None) -> np.ndarray:
        """person | cloth | [predicted parse | predicted cloth mask] | coarse warp |
        fine warp | expected segmentation | composition mask | try-on, side by side
        (uint8 RGB)."""
        columns = {}
        if person is not None:
            columns["person"] = np.asarray(person)[None]
        if cloth is not None:
            columns["cloth"] = np.asarray(cloth)[None]
        if self.predicted_parse is not None:
            columns["predicted_parse"] = self.predicted_parse[None]
        if self.predicted_cloth_mask is not None:
            columns["predicted_cloth_mask"] = self.predicted_cloth_mask[None]
        columns.update({
            "warped_cloth_coarse": self.warped_cloth_coarse[None],
            "warped_cloth_fine": self.warped_cloth_fine[None],
            **({"expected_segmentation": self.expected_segmentation[None]}
               if self.expected_segmentation is not None else {}),
            "composition_mask": self.composition_mask[None],
            "tryon": self.tryon[None],
        })  # fmt: skip
        return tryon_grid(columns, max_rows=1)


# ------------------------------------------------------------------- backends


class _TfliteBackend:
    def __init__(self, path, num_threads, input_names=INPUT_ORDER):
        if int(num_threads) < 1:
            raise TryOnError(f"num_threads must be >= 1, got {num_threads}")
        try:
            interpreter = Interpreter(model_path=path, num_threads=num_threads)
            interpreter.allocate_tensors()
            signatures = interpreter.get_signature_list()
        except (ValueError, RuntimeError) as e:
            raise TryOnError(f"{path}: not a TFLite model ({str(e).splitlines()[0]})") from None
        if "serving_default" not in signatures:
            raise TryOnError(
                f"{path}: TFLite model without a serving_default signature (not a SieveNet export)"
            )
        missing = set(input_names) - set(signatures["serving_default"]["inputs"])
        if missing:
            raise TryOnError(f"{path}: not a SieveNet try-on model (inputs lack {sorted(missing)})")
        self._runner = interpreter.get_signature_runner("serving_default")
        self.input_shapes = {
            name: tuple(int(v) for v in detail["shape"])
            for name, detail in self._runner.get_input_details().items()
        }

    def check_contract(self, path, contract) -> None:
        """The model's input shapes must be the contract's (a file of another export
        next to this contract would otherwise fail deep inside the runtime)."""
        expected = {entry["name"]: tuple(entry["shape"]) for entry in contract["inputs"]}
        for name, shape in expected.items():
            got = self.input_shapes.get(name)
            if got is not None and got != shape:
                raise TryOnError(
                    f"{path}: input {name!r} is {'x'.join(map(str, got))} but its "
                    f"model_contract.json says {'x'.join(map(str, shape))}: the .tflite and the "
                    "contract come from different exports (e.g. another preset or size)"
                )

    def __call__(self, inputs):
        return {name: np.asarray(value) for name, value in self._runner(**inputs).items()}


class _SavedModelBackend:
    def __init__(self, path):
        try:
            loaded = tf.saved_model.load(path)
        except (OSError, ValueError, RuntimeError) as e:
            raise TryOnError(f"{path}: not a SavedModel ({str(e).splitlines()[0]})") from None
        if "serving_default" not in loaded.signatures:
            raise TryOnError(f"{path}: SavedModel without a serving_default signature")
        self._loaded = loaded  # keeps the variables alive
        self._serving = loaded.signatures["serving_default"]

    def __call__(self, inputs):
        outputs = self._serving(**{name: tf.constant(value) for name, value in inputs.items()})
        return {name: value.numpy() for name, value in outputs.items()}


class _KerasBackend:
    def __init__(self, path, parse_layout):
        try:
            if path.endswith(".keras"):
                run = Run(os.path.dirname(path) or ".")
                sievenet = run.load_sievenet(path)
            else:
                run = Run(path)
                sievenet = run.load_sievenet()
            self.config = run.config
            self.model = build_tryon_model(sievenet, self.config, parse_layout, batch_size=1)
            self.analysis = None
            if run.has_analyzer():
                self.analysis = photo_lib.build_analysis_model(
                    run.load_analyzer(), self.config, run.load_cloth_masker(), batch_size=1
                )
                self.cloth_mask_kind = "learned" if run.has_network("cloth_mask") else "computed"
        except RunError as e:
            raise TryOnError(str(e)) from None

    def __call__(self, inputs):
        outputs = self.model(inputs, training=False)
        return {name: np.asarray(value) for name, value in outputs.items()}

    def predict(self, inputs):
        outputs = self.analysis(inputs, training=False)
        return {name: np.asarray(value) for name, value in outputs.items()}


# ------------------------------------------------------------------- TryOn


class TryOn:
    """A loaded try-on model.

    Args:
        model: a ``.tflite`` file, a SavedModel directory, an export directory
            (its SavedModel is used, else its fp32 ``.tflite``), a run directory
            (``config.json`` + ``sievenet.keras``) or a run's ``.keras`` file.
        num_threads: LiteRT threads for ``.tflite`` models.
        parse_layout: label set of parses given to a ``.keras`` run (default: the
            run's ``data.layout``, else "viton"); exports record theirs in the contract.

    Attributes:
        contract: the model contract (dict, see ``docs/model_contract.md``).
        kind: "tflite", "saved_model" or "keras".
        image_size: (H, W).
    """

    def __init__(self, model, num_threads: int = 2, parse_layout: str | None = None):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise TryOnError(f"{path}: no such model file or directory")
        path = self._resolve(path)
        self.path = path
        if path.endswith(".tflite") or (os.path.isfile(path) and not path.endswith(".keras")):
            self.kind = "tflite"
            self._backend = _TfliteBackend(path, num_threads)
            self.contract = self._load_contract(path)
            self._backend.check_contract(path, self.contract)
        elif os.path.isdir(path) and os.path.isfile(os.path.join(path, "saved_model.pb")):
            self.kind = "saved_model"
            self._backend = _SavedModelBackend(path)
            self.contract = self._load_contract(path)
        else:
            self.kind = "keras"
            backend = _KerasBackend(path, parse_layout)
            layout = resolve_parse_layout(backend.config, parse_layout)
            photo = None
            if backend.analysis is not None:
                photo = {"files": {}, "cloth_mask": backend.cloth_mask_kind}
            self.contract = contract_lib.build_contract(backend.config, layout, photo=photo)
            self._backend = backend
        self._num_threads = num_threads
        self._photo_backend = None
        self.image_size = tuple(int(v) for v in self.contract["image_size"])
        self._inputs = {entry["name"]: entry for entry in self.contract["inputs"]}
        self._num_parse_labels = len(self.contract["labels"]["parse"]["names"])
        self._parse_layout = (
            "viton_hd" if self.contract["labels"]["parse"]["name"] == "viton_hd" else "viton"
        )

    @staticmethod
    def _resolve(path):
        if not os.path.isdir(path):
            return path
        if os.path.isfile(os.path.join(path, "saved_model.pb")) or os.path.isfile(
            os.path.join(path, "config.json")
        ):
            return path
        if os.path.isdir(os.path.join(path, "saved_model")):
            return os.path.join(path, "saved_model")
        fp32 = os.path.join(path, "sievenet_fp32.tflite")
        if os.path.isfile(fp32):
            return fp32
        raise TryOnError(
            f"{path}: not a model (no saved_model.pb, .tflite export or run config.json)"
        )

    @staticmethod
    def _load_contract(path):
        found = contract_lib.find_contract(path)
        if found is None:
            raise TryOnError(
                f"{path}: no model_contract.json next to the model (export it with export/export.py)"
            )
        try:
            return contract_lib.load_contract(found)
        except contract_lib.ContractError as e:
            raise TryOnError(str(e)) from None

    # ------------------------------------------------------------- photo path

    @property
    def has_photo_graph(self) -> bool:
        """True when the model can predict the parse, keypoints and cloth mask itself."""
        return "photo" in self.contract.get("graphs", {})

    def _photo_runner(self):
        """Runs the photo graph of this model's kind and format (loaded on first use)."""
        if self._photo_backend is not None:
            return self._photo_backend
        if not self.has_photo_graph:
            raise TryOnError(
                f"{self.path}: this model has no photo graph (its run has no trained person "
                "analyzer), so the parse, keypoints and cloth mask must be given: pass them, or "
                "train the analyzer (training/train.py --stage analyzer --resume --out RUN "
                "--data ROOT) and export again"
            )
        if self.kind == "keras":
            self._photo_backend = self._backend.predict
            return self._photo_backend
        files = self.contract["graphs"]["photo"].get("files", {})
        if self.kind == "saved_model":
            name = files.get("saved_model")
        else:
            own = {v: k for k, v in self.contract.get("files", {}).items()}
            fmt = own.get(os.path.basename(self.path), "fp32")
            name = files.get(fmt) or files.get("fp32")
        if name is None:
            raise TryOnError(f"{self.path}: the export lists no photo graph file for this format")
        photo_path = os.path.join(os.path.dirname(contract_lib.find_contract(self.path)), name)
        if name.endswith(".tflite"):
            backend = _TfliteBackend(photo_path, self._num_threads, photo_lib.PHOTO_INPUT_NAMES)
        else:
            backend = _SavedModelBackend(photo_path)
        self._photo_backend = backend
        return backend

    def predict(self, person, cloth) -> dict:
        """The photo path's predictions for prepared ``person`` and ``cloth`` arrays
        (batch 1, normalised): ``parse`` (model ids), ``keypoints``, ``cloth_mask``."""
        outputs = self._photo_runner()({"person": person, "cloth": cloth})
        return {name: np.asarray(outputs[name]) for name in photo_lib.PREDICTION_NAMES}

    # ------------------------------------------------------------- inputs

    def prepare(self, person, parse=None, keypoints=None, cloth=None, cloth_mask=None) -> dict:
        """Read / check / resize the inputs into the model's named input arrays (batch 1).

        ``parse``, ``keypoints`` and ``cloth_mask`` may be None: they are then
        predicted (see the module docstring) and also returned under
        ``"predicted"`` (a dict of the predicted ones).

        Raises:
            TryOnError: naming the input (and file) and the problem.
            NoPersonError: predicted keypoints, and too few of them are confident.
        """
        if cloth is None:
            raise TryOnError("cloth: a cloth photo is needed")
        size = self.image_size
        person_rgb, person_source = self._image("person", person)
        cloth_rgb, _ = self._image("cloth", cloth)
        scale = self.contract["normalization"]["image"]["scale"]
        offset = self.contract["normalization"]["image"]["offset"]
        if tuple(person_source) != size:
            _notice(f"person{_where(person)} is {person_source[1]}x{person_source[0]}; "
                    f"resized to the model's {size[1]}x{size[0]} (keypoints moved with it)")  # fmt: skip
        if cloth_rgb.shape[:2] != size:
            _notice(f"cloth{_where(cloth)} is {cloth_rgb.shape[1]}x{cloth_rgb.shape[0]}; "
                    f"resized to the model's {size[1]}x{size[0]}")  # fmt: skip
        person_fit = io.fit_image(person_rgb, size)
        cloth_fit = io.fit_image(cloth_rgb, size)
        prepared = {
            "person": (person_fit.astype(np.float32) * scale + offset)[None],
            "cloth": (cloth_fit.astype(np.float32) * scale + offset)[None],
        }
        if parse is not None:
            parse_ids = self._parse(parse)
            if parse_ids.shape != person_source:
                raise TryOnError(
                    f"parse{_where(parse)}: {parse_ids.shape[1]}x{parse_ids.shape[0]} does not match "
                    f"the person image {person_source[1]}x{person_source[0]}"
                )
            prepared["parse"] = io.fit_parse(parse_ids, size).astype(np.int32)[None]
        if keypoints is not None:
            points = io.scale_keypoints(self._keypoints(keypoints, person_source), person_source, size)
            prepared["keypoints"] = points.astype(np.float32)[None]
        if cloth_mask is not None:
            mask = self._mask(cloth_mask)
            if mask.shape != cloth_rgb.shape[:2]:
                raise TryOnError(
                    f"cloth_mask{_where(cloth_mask)}: {mask.shape[1]}x{mask.shape[0]} does not match "
                    f"the cloth image {cloth_rgb.shape[1]}x{cloth_rgb.shape[0]}"
                )
            mask_fit = io.fit_mask(mask, size)
            prepared["cloth_mask"] = mask_fit.astype(np.float32)[None, ..., None]
        missing = [name for name in ("parse", "keypoints", "cloth_mask") if name not in prepared]
        if not missing:
            return prepared
        predicted = self.predict(prepared["person"], prepared["cloth"])
        if "keypoints" in missing:
            self._check_person_found(predicted["keypoints"][0], person)
        if "parse" in missing:
            prepared["parse"] = model_classes_to_parse(predicted["parse"], self._parse_layout)
        for name in ("keypoints", "cloth_mask"):
            if name in missing:
                prepared[name] = predicted[name].astype(np.float32)
        prepared["predicted"] = {name: predicted[name] for name in missing}
        return prepared

    def _check_person_found(self, keypoints, person) -> None:
        photo = self.contract["graphs"]["photo"]
        found = int(np.sum(keypoints[:, 2] > 0))
        needed = int(photo.get("min_keypoints", 1))
        if found < needed:
            raise NoPersonError(
                f"person{_where(person)}: no person found (only {found} of {len(keypoints)} "
                f"keypoints above confidence {photo.get('keypoint_threshold')}, {needed} needed); "
                "use a photo of one person, upper body in view, on a plain background, or give "
                "--parse and --pose"
            )

    def _image(self, name, value):
        if isinstance(value, (str, os.PathLike)):
            path = os.fspath(value)
            image = _load(path, name)
            if image.mode in ("L", "1", "I", "I;16", "F", "LA", "La") or (
                image.mode == "P" and _palette_is_gray(image)
            ):
                raise TryOnError(
                    f"{name} image {path}: grayscale ({image.mode}); an RGB photo is needed"
                )
            if image.mode in ("RGBA", "RGBa", "PA") or "transparency" in image.info:
                raise TryOnError(
                    f"{name} image {path}: has an alpha channel ({image.mode}); flatten it to an RGB "
                    "photo first (e.g. onto white)"
                )
            try:
                rgb = io.to_rgb(image, path)
            except io.DataError as e:
                raise TryOnError(f"{name} image {e}") from None
        else:
            rgb = np.asarray(value)
            if rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[-1] == 1):
                raise TryOnError(
                    f"{name}: grayscale array {rgb.shape}; an RGB (H, W, 3) image is needed"
                )
            if rgb.ndim != 3 or rgb.shape[-1] != 3:
                raise TryOnError(f"{name}: expected an RGB (H, W, 3) array, got shape {rgb.shape}")
            if rgb.dtype != np.uint8:
                raise TryOnError(f"{name}: expected uint8 pixels, got {rgb.dtype}")
        return rgb, rgb.shape[:2]

    def _parse(self, value):
        if isinstance(value, (str, os.PathLike)):
            try:
                ids = io.read_parse(os.fspath(value), num_labels=self._num_parse_labels)
            except io.DataError as e:
                raise TryOnError(f"parse {e}") from None
        else:
            ids = np.asarray(value)
            if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
                raise TryOnError(
                    f"parse: expected an (H, W) integer label map, got {ids.dtype} {ids.shape}"
                )
            if ids.size and (ids.min() < 0 or ids.max() >= self._num_parse_labels):
                raise TryOnError(
                    f"parse: ids must be in 0..{self._num_parse_labels - 1}, got {ids.min()}..{ids.max()}"
                )
        return ids.astype(np.uint8)

    def _mask(self, value):
        if isinstance(value, (str, os.PathLike)):
            try:
                return io.read_mask(os.fspath(value)).astype(np.float32)
            except io.DataError as e:
                raise TryOnError(f"cloth_mask {e}") from None
        mask = np.asarray(value)
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if mask.ndim != 2:
            raise TryOnError(f"cloth_mask: expected an (H, W) mask, got shape {mask.shape}")
        threshold = 127 if mask.dtype == np.uint8 and mask.max() > 1 else 0.5
        return (mask.astype(np.float32) > threshold).astype(np.float32)

    def _keypoints(self, value, image_size):
        if isinstance(value, (str, os.PathLike)):
            try:
                return pose.read_keypoints(os.fspath(value), self._parse_layout, image_size)
            except io.DataError as e:
                raise TryOnError(f"pose {e}") from None
        points = np.asarray(value, np.float32)
        if points.shape != (18, 3):
            raise TryOnError(
                f"keypoints: expected (18, 3) COCO-18 (x, y, confidence), got {points.shape}"
            )
        if not np.all(np.isfinite(points)):
            raise TryOnError("keypoints: non-finite values")
        return points

    # ------------------------------------------------------------- run

    def run(self, inputs: dict) -> TryOnResult:
        """Run the model on prepared inputs (see :meth:`prepare`)."""
        outputs = self._backend({name: inputs[name] for name in INPUT_ORDER})
        predicted = {
            f"predicted_{name}": np.asarray(value)[0]
            for name, value in inputs.get("predicted", {}).items()
        }
        return TryOnResult(
            **{
                field.name: np.asarray(outputs[field.name])[0]
                for field in dataclasses.fields(TryOnResult)
                if field.name in outputs
            },
            **predicted,
        )

    def __call__(self, person, parse=None, keypoints=None, cloth=None, cloth_mask=None) -> TryOnResult:
        """Prepare the inputs (predicting the missing ones) and run the try-on."""
        return self.run(self.prepare(person, parse, keypoints, cloth, cloth_mask))


def model_classes_to_parse(classes, parse_layout: str) -> np.ndarray:
    """Model class ids -> the dataset ids of ``parse_layout`` (the try-on graph's parse
    input). LIP ("viton") ids are the model classes; VITON-HD has no "jumpsuits"
    id (its 10 is neck skin), so that class becomes background there."""
    classes = np.asarray(classes, np.int32)
    if parse_layout == "viton_hd":
        from sievenet_tf import labels

        return np.where(classes == labels.LIP_JUMPSUITS, labels.LIP_BACKGROUND, classes).astype(np.int32)
    return classes


def _where(value) -> str:
    return f" {os.fspath(value)}" if isinstance(value, (str, os.PathLike)) else ""


def _notice(message: str) -> None:
    warnings.warn(message, ResizeNotice, stacklevel=3)


def _load(path, name):
    try:
        return io.load_image(path)
    except io.DataError as e:
        raise TryOnError(f"{name} image {e}") from None


def _palette_is_gray(image) -> bool:
    palette = image.getpalette() or []
    triples = np.asarray(palette[: len(palette) // 3 * 3]).reshape(-1, 3)
    return bool(triples.size) and bool(
        np.all(triples[:, 0] == triples[:, 1]) and np.all(triples[:, 1] == triples[:, 2])
    )
