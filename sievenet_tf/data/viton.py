"""Readers for the CP-VTON "VITON" and the VITON-HD dataset layouts.

Layouts (``ROOT/{train,test}_pairs.txt`` lists "person cloth" per line)::

    viton     ROOT/{train,test}/{image, cloth, cloth-mask, image-parse, pose}
              pose/<person stem>_keypoints.json: "pose_keypoints", COCO-18
              image-parse/<person stem>.png: LIP ids
    viton_hd  ROOT/{train,test}/{image, cloth, cloth-mask,
                                 image-parse-v3 | image-parse,
                                 openpose_json | openpose-json}
              openpose_json/<person stem>_keypoints.json: "pose_keypoints_2d", BODY_25
              image-parse-v3/<person stem>.png: CIHP-style ids (10 = neck)

The layout is detected from the pose folder's name unless given explicitly.

Pairs: ``"unpaired"`` uses the pairs file as written (test-time try-on with
another garment). ``"paired"`` pairs each person of the pairs file with their
own garment, for training and paired evaluation: the cloth with the person's
file name (VITON-HD) or ``N_1.*`` for person ``N_0.*`` (VITON).

Every example is the dict documented in :mod:`sievenet_tf.data.keys`. Files are
decoded by :mod:`sievenet_tf.data.io` (Pillow, so palette parses give label
ids) inside a parallel ``tf.numpy_function``; pose JSONs are all parsed once up
front. The priors are computed with TF ops by
:func:`sievenet_tf.layers.priors.build_priors`, on whole batches.

Example:
    >>> from sievenet_tf.config import get_preset
    >>> from sievenet_tf.data.viton import make_dataset
    >>> config = get_preset("viton_256x192")
    >>> train = make_dataset("data/viton", config, "train", batch_size=8,
    ...                      shuffle=True, seed=0, repeat=True)
    >>> strategy.distribute_datasets_from_function(
    ...     dataset_fn("data/viton", config, global_batch_size=8, seed=0))
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import threading
import time
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from sievenet_tf.data import io, keys, labels
from sievenet_tf.data.io import DataError
from sievenet_tf.layers.priors import build_priors, parse_to_model_classes

logger = logging.getLogger(__name__)

SPLITS = ("train", "test")
PAIRS = ("paired", "unpaired")


@dataclasses.dataclass(frozen=True)
class LayoutSpec:
    """Folder names of one dataset layout (first existing candidate wins)."""

    name: str
    parse_dirs: tuple[str, ...]
    pose_dirs: tuple[str, ...]
    image_dir: str = "image"
    cloth_dir: str = "cloth"
    cloth_mask_dir: str = "cloth-mask"
    parse_suffix: str = ".png"
    pose_suffix: str = "_keypoints.json"


LAYOUT_SPECS = {
    "viton": LayoutSpec("viton", parse_dirs=("image-parse",), pose_dirs=("pose",)),
    "viton_hd": LayoutSpec(
        "viton_hd",
        parse_dirs=("image-parse-v3", "image-parse"),
        pose_dirs=("openpose_json", "openpose-json"),
    ),
}


@dataclasses.dataclass(frozen=True)
class ExampleFiles:
    """The five files of one (person, cloth) pair, as paths."""

    person_name: str
    cloth_name: str
    person: str
    parse: str
    pose: str
    cloth: str
    cloth_mask: str


# -------------------------------------------------------------------- discovery


def detect_layout(root) -> str:
    """Return "viton" or "viton_hd" from the pose folder name under ``ROOT/{train,test}``.

    Raises:
        DataError: neither layout is recognised.
    """
    root = os.fspath(root)
    for split in SPLITS:
        split_dir = os.path.join(root, split)
        if not os.path.isdir(split_dir):
            continue
        for name in ("viton_hd", "viton"):
            if any(os.path.isdir(os.path.join(split_dir, d)) for d in LAYOUT_SPECS[name].pose_dirs):
                return name
    raise DataError(
        root,
        "cannot detect the dataset layout: expected ROOT/train or ROOT/test with a pose/ "
        "folder (CP-VTON VITON) or openpose_json/ or openpose-json/ (VITON-HD); pass the "
        "layout explicitly (data.layout) if the folders are named differently",
    )


def resolve_layout(root, layout: str = "auto") -> str:
    """``layout`` itself, or the detected one for "auto"."""
    if layout in (None, "auto"):
        return detect_layout(root)
    return labels.check_layout(layout)


def split_dirs(root, split: str, layout: str) -> dict[str, str]:
    """Absolute folders of one split: keys image, cloth, cloth_mask, parse, pose.

    Raises:
        DataError: the split folder or one of its sub-folders is missing.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    spec = LAYOUT_SPECS[labels.check_layout(layout)]
    base = os.path.join(os.fspath(root), split)
    if not os.path.isdir(base):
        raise DataError(base, "missing split folder")

    def pick(candidates, what):
        for name in candidates:
            if os.path.isdir(os.path.join(base, name)):
                return os.path.join(base, name)
        raise DataError(base, f"no {what} folder (expected {' or '.join(candidates)}/)")

    return {
        "image": pick((spec.image_dir,), "person image"),
        "cloth": pick((spec.cloth_dir,), "cloth"),
        "cloth_mask": pick((spec.cloth_mask_dir,), "cloth mask"),
        "parse": pick(spec.parse_dirs, "parse"),
        "pose": pick(spec.pose_dirs, "pose"),
    }


def pairs_path(root, split: str) -> str:
    return os.path.join(os.fspath(root), f"{split}_pairs.txt")


def read_pairs(path) -> list[tuple[str, str]]:
    """Read a pairs file: one "person cloth" per line; blank lines are ignored.

    Raises:
        DataError: missing file, a line without exactly two names, or no pairs.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DataError(path, "missing pairs file")
    pairs = []
    try:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 2:
                    raise DataError(
                        path, f"line {number}: expected 'person cloth', got {line.strip()!r}"
                    )
                pairs.append((fields[0], fields[1]))
    except UnicodeDecodeError as e:
        raise DataError(path, f"not a text file ({e})") from None
    if not pairs:
        raise DataError(path, "no pairs listed")
    return pairs


def own_cloth_name(person_name: str, cloth_names) -> str | None:
    """The person's own garment among ``cloth_names``, or None.

    VITON-HD names the garment like the person (``00006_00.jpg``); VITON uses
    ``N_1.jpg`` for person ``N_0.jpg``.
    """
    if person_name in cloth_names:
        return person_name
    stem, ext = os.path.splitext(person_name)
    if stem.endswith("_0"):
        for candidate_ext in (ext, ".jpg", ".png", ".jpeg"):
            candidate = stem[:-2] + "_1" + candidate_ext
            if candidate in cloth_names:
                return candidate
    return None


def example_files(dirs: dict, person_name: str, cloth_name: str, layout: str) -> ExampleFiles:
    """Paths of a pair's files; names that escape the dataset raise ``DataError``."""
    spec = LAYOUT_SPECS[layout]
    person = io.check_inside(dirs["image"], person_name, "person image")
    cloth = io.check_inside(dirs["cloth"], cloth_name, "cloth")
    stem = os.path.splitext(os.path.basename(person))[0]
    relative_dir = os.path.dirname(os.path.relpath(person, dirs["image"]))
    return ExampleFiles(
        person_name=person_name,
        cloth_name=cloth_name,
        person=person,
        parse=os.path.join(dirs["parse"], relative_dir, stem + spec.parse_suffix),
        pose=os.path.join(dirs["pose"], relative_dir, stem + spec.pose_suffix),
        cloth=cloth,
        cloth_mask=io.check_inside(dirs["cloth_mask"], cloth_name, "cloth mask"),
    )


def list_pairs(root, split: str, pairs: str, layout: str):
    """Resolve a split's pairs into files, without opening them.

    Returns:
        (examples, problems): ``ExampleFiles`` for every usable pair and a list of
        :class:`DataError` for pairs that cannot be resolved (names escaping the
        dataset, no own garment in ``"paired"`` mode).

    Raises:
        DataError: the pairs file or a folder is missing or malformed.
    """
    if pairs not in PAIRS:
        raise ValueError(f"pairs must be one of {PAIRS}, got {pairs!r}")
    dirs = split_dirs(root, split, layout)
    listed = read_pairs(pairs_path(root, split))
    cloth_names = None
    examples, problems = [], []
    for person_name, cloth_name in listed:
        try:
            io.check_inside(dirs["image"], person_name, "person image")
            if pairs == "paired":
                if cloth_names is None:
                    cloth_names = set(os.listdir(dirs["cloth"]))
                own = own_cloth_name(person_name, cloth_names)
                if own is None:
                    raise DataError(
                        os.path.join(dirs["cloth"], person_name),
                        f"no own garment for person {person_name!r} (paired mode looks for "
                        "the same name or N_1 for N_0)",
                    )
                cloth_name = own
            examples.append(example_files(dirs, person_name, cloth_name, layout))
        except DataError as e:
            problems.append(e)
    return examples, problems


# ------------------------------------------------------------------ bad examples


class BadExamples:
    """Examples skipped because of bad files (``DataConfig.skip_bad_examples``).

    Thread-safe; each distinct problem is logged once as a warning.

    Attributes:
        problems: dict message -> times skipped (repeats come from later epochs).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.problems: dict[str, int] = {}

    def add(self, message: str) -> None:
        with self._lock:
            first = message not in self.problems
            self.problems[message] = self.problems.get(message, 0) + 1
            count = len(self.problems)
        if first:
            logger.warning("skipping bad example (%d so far): %s", count, message)

    @property
    def count(self) -> int:
        """Number of distinct bad examples seen."""
        return len(self.problems)

    def summary(self) -> str:
        return f"{self.count} bad example(s) skipped"


_ERROR_MARKER = "SieveNetDataError:"
_ERROR_PATTERN = re.compile(
    re.escape(_ERROR_MARKER) + r"\] \[(?P<path>[^\n]*?)\] \[(?P<problem>[^\n]*)\]"
)


@contextlib.contextmanager
def data_errors():
    """Turn a bad-file failure inside a tf.data pipeline into a :class:`DataError`.

    A bad file met while iterating a strict pipeline (``skip_bad_examples`` off)
    stops it with a ``tf.errors.InvalidArgumentError`` whose message names the
    file; inside this context the error is re-raised as ``DataError(path, problem)``
    without the TF stack trace. Wrap training/evaluation loops with it.
    """
    try:
        yield
    except tf.errors.InvalidArgumentError as e:
        match = _ERROR_PATTERN.search(e.message or "")
        if match is None:
            raise
        raise DataError(match["path"], match["problem"]) from None


# ------------------------------------------------------------------- one example


def size_mismatch(path, what, size, other_path, other_what, other_size) -> DataError | None:
    """The error for ``path`` (a ``what`` of ``size`` (H, W)) not matching the size of
    ``other_path``, or None when they match. Shared by the reader and the validator."""
    if tuple(size) == tuple(other_size):
        return None
    return DataError(
        path,
        f"{what} is {size[1]}x{size[0]} but the {other_what} "
        f"{os.path.basename(other_path)} is {other_size[1]}x{other_size[0]}",
    )


def load_example(files: ExampleFiles, image_size, layout: str, keypoints=None) -> dict:
    """Decode one example's files with :mod:`sievenet_tf.data.io`.

    Args:
        files: the pair's paths.
        image_size: (H, W) the arrays are fitted into.
        layout: "viton" or "viton_hd" (label set and pose format).
        keypoints: (18, 3) keypoints already read from ``files.pose`` (source
            pixels), or None to read them now.

    Returns:
        dict of numpy arrays: ``person`` and ``cloth`` uint8 (H, W, 3),
        ``cloth_mask`` uint8 (H, W, 1) in {0, 1}, ``parse`` uint8 (H, W) dataset
        ids, ``keypoints`` float32 (18, 3) in pixels at H x W.

    Raises:
        DataError: a file is bad, or the parse (mask) size differs from the
            person (cloth) image.
    """
    if keypoints is None:
        keypoints = io.read_keypoints(files.pose, layout)
    person = io.read_image(files.person)
    parse = io.read_parse(files.parse, num_labels=labels.num_dataset_labels(layout))
    mismatch = size_mismatch(files.parse, "parse", parse.shape, files.person, "person image", person.shape[:2])
    if mismatch is not None:
        raise mismatch
    cloth = io.read_image(files.cloth)  # same checks as io.read_person, pose read up front
    mask_size = io.image_size(files.cloth_mask)
    mismatch = size_mismatch(
        files.cloth_mask, "cloth mask", mask_size, files.cloth, "cloth image", cloth.shape[:2]
    )
    if mismatch is not None:
        raise mismatch
    return {
        keys.PERSON: io.fit_image(person, image_size),
        keys.CLOTH: io.fit_image(cloth, image_size),
        keys.CLOTH_MASK: io.read_mask(files.cloth_mask, image_size)[..., None],
        keys.PARSE: io.fit_parse(parse, image_size),
        keys.KEYPOINTS: io.scale_keypoints(keypoints, person.shape[:2], image_size),
    }


def finish_example(raw: dict, layout: str) -> dict:
    """uint8 arrays of :func:`load_example` (tensors, any batch shape) -> example dict
    without the priors: images to [-1, 1], masks to float, parse to model classes."""
    example = {
        keys.PERSON: tf.cast(raw[keys.PERSON], tf.float32) / 127.5 - 1.0,
        keys.CLOTH: tf.cast(raw[keys.CLOTH], tf.float32) / 127.5 - 1.0,
        keys.CLOTH_MASK: tf.cast(raw[keys.CLOTH_MASK], tf.float32),
        keys.PARSE: tf.cast(raw[keys.PARSE], tf.int32),
        keys.KEYPOINTS: tf.cast(raw[keys.KEYPOINTS], tf.float32),
        keys.PERSON_NAME: raw[keys.PERSON_NAME],
        keys.CLOTH_NAME: raw[keys.CLOTH_NAME],
    }
    example[keys.SEGMENTATION] = parse_to_model_classes(
        example[keys.PARSE], labels.dataset_to_model_table(layout)
    )
    return example


def add_priors(example: dict, config, batched: bool) -> dict:
    """Add ``priors``, ``texture_priors``, ``cloth_worn``, ``cloth_worn_mask``."""
    data = _data_config(config)
    inputs = [example[keys.PERSON], example[keys.SEGMENTATION], example[keys.KEYPOINTS]]
    if not batched:
        inputs = [x[None] for x in inputs]
    priors = build_priors(
        *inputs,
        image_size=tuple(data.image_size),
        num_keypoints=data.num_keypoints,
        keypoint_style=data.keypoint_style,
        keypoint_radius=data.keypoint_radius,
        shape_downsample=data.shape_downsample,
    )
    if not batched:
        priors = {name: value[0] for name, value in priors.items()}
    return {**example, **priors}


def raw_signature(image_size) -> dict:
    """TensorSpecs of the raw (uint8) example of :func:`load_example` plus names."""
    height, width = image_size
    return {
        keys.PERSON: tf.TensorSpec((height, width, 3), tf.uint8),
        keys.CLOTH: tf.TensorSpec((height, width, 3), tf.uint8),
        keys.CLOTH_MASK: tf.TensorSpec((height, width, 1), tf.uint8),
        keys.PARSE: tf.TensorSpec((height, width), tf.uint8),
        keys.KEYPOINTS: tf.TensorSpec((18, 3), tf.float32),
        keys.PERSON_NAME: tf.TensorSpec((), tf.string),
        keys.CLOTH_NAME: tf.TensorSpec((), tf.string),
    }


# --------------------------------------------------------------------- pipeline


def _data_config(config):
    """Accept a SieveNetConfig or a DataConfig."""
    return getattr(config, "data", config)


@dataclasses.dataclass
class FolderIndex:
    """Everything known about a split before decoding: files and parsed poses."""

    layout: str
    examples: list[ExampleFiles]
    keypoints: np.ndarray  # (N, 18, 3) float32, source pixels
    problems: list[DataError]


def index_folder(root, split: str, pairs: str, layout: str = "auto") -> FolderIndex:
    """List a split's pairs, check that their files exist and read every pose JSON.

    Runs in Python before the pipeline starts, so missing files and bad pose
    files are found at once with a clear message; only image decoding is left
    to the (parallel) pipeline.

    Returns:
        A :class:`FolderIndex`; pairs with a problem are left out of
        ``examples`` and reported in ``problems``.
    """
    layout = resolve_layout(root, layout)
    candidates, problems = list_pairs(root, split, pairs, layout)
    listings: dict[str, set] = {}

    def exists(path):
        folder, name = os.path.split(path)
        if folder not in listings:
            listings[folder] = set(os.listdir(folder)) if os.path.isdir(folder) else set()
        return name in listings[folder]

    examples, poses = [], []
    for files in candidates:
        try:
            for path in (files.person, files.parse, files.pose, files.cloth, files.cloth_mask):
                if not exists(path):
                    raise DataError(path, "missing file")
            poses.append(io.read_keypoints(files.pose, layout))
            examples.append(files)
        except DataError as e:
            problems.append(e)
    keypoints = np.stack(poses) if poses else np.zeros((0, 18, 3), np.float32)
    return FolderIndex(layout, examples, keypoints, problems)


def _raise_or_skip(problems, root, skip: bool, bad_examples: BadExamples | None):
    if not problems:
        return
    if skip:
        for problem in problems:
            if bad_examples is not None:
                bad_examples.add(str(problem))
            else:
                logger.warning("skipping bad example: %s", problem)
        return
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    raise DataError(
        first.path,
        f"{first.problem}{more}; run `sievenet-data validate {root}` for the full list, "
        "or set data.skip_bad_examples=true to skip bad examples",
    )


def make_dataset(
    root,
    config,
    split: str = "train",
    pairs: str = "paired",
    *,
    batch_size: int | None = None,
    shuffle: bool | None = None,
    seed: int | None = None,
    repeat: bool = False,
    drop_remainder: bool | None = None,
    input_context: tf.distribute.InputContext | None = None,
    layout: str | None = None,
    with_priors: bool = True,
    bad_examples: BadExamples | None = None,
) -> tf.data.Dataset:
    """A ``tf.data.Dataset`` of example dicts (see :mod:`sievenet_tf.data.keys`).

    ``root`` is a dataset folder (VITON or VITON-HD layout) or a folder written by
    ``sievenet-data to-tfrecord``; both give identical examples.

    Args:
        root: dataset root.
        config: a ``SieveNetConfig`` or its ``DataConfig`` (image size, priors,
            layout, shuffle buffer, skip_bad_examples).
        split: "train" or "test".
        pairs: "paired" (each person with their own garment: training and paired
            evaluation) or "unpaired" (the pairs file as written: try-on).
        batch_size: GLOBAL batch size; None yields single examples. Under
            ``input_context`` each pipeline batches
            ``input_context.get_per_replica_batch_size(batch_size)``.
        shuffle: shuffle the pairs (default: ``split == "train"``).
        seed: makes shuffling and element order deterministic. Without a seed,
            a shuffled pipeline may deliver elements out of order for speed.
        repeat: repeat forever (reshuffled every epoch).
        drop_remainder: drop a last partial batch (default: ``shuffle``), so
            training batches have a static shape.
        input_context: from ``strategy.distribute_datasets_from_function``; the
            pairs are sharded by ``input_pipeline_id``.
        layout: overrides ``config.layout`` ("auto", "viton", "viton_hd"); a
            TFRecord folder knows its layout.
        with_priors: add ``priors``, ``texture_priors``, ``cloth_worn`` and
            ``cloth_worn_mask`` (the only TF-heavy step).
        bad_examples: collects skipped examples when ``skip_bad_examples`` is set
            (a new one is used if None; it logs each bad example once).

    Returns:
        The dataset. With ``skip_bad_examples`` off, a bad file met while
        iterating raises ``tf.errors.InvalidArgumentError`` naming the file; see
        :func:`data_errors` to get a :class:`DataError` instead.

    Raises:
        DataError: missing folders, pairs file, files or malformed pose files
            found up front (unless ``skip_bad_examples``).
    """
    from sievenet_tf.data import tfrecord  # local: tfrecord imports this module

    data = _data_config(config)
    root = os.fspath(root)
    shuffle = split == "train" if shuffle is None else shuffle
    order = dict(shuffle=shuffle, seed=seed, repeat=repeat, input_context=input_context)
    if tfrecord.is_tfrecord_dir(root):
        raw, layout = tfrecord.raw_tfrecord_dataset(root, data, split, pairs, **order)
    else:
        if bad_examples is None and data.skip_bad_examples:
            bad_examples = BadExamples()
        raw, layout = raw_folder_dataset(
            root, data, split, pairs, layout=layout, bad_examples=bad_examples, **order
        )
    return finish_pipeline(
        raw,
        data,
        layout,
        batch_size=batch_size,
        drop_remainder=shuffle if drop_remainder is None else drop_remainder,
        deterministic=_is_deterministic(shuffle, seed),
        input_context=input_context,
        with_priors=with_priors,
    )


def _is_deterministic(shuffle: bool, seed) -> bool:
    return seed is not None or not shuffle


def raw_folder_dataset(
    root,
    config,
    split: str,
    pairs: str,
    *,
    layout: str | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    repeat: bool = False,
    input_context: tf.distribute.InputContext | None = None,
    bad_examples: BadExamples | None = None,
    index: FolderIndex | None = None,
) -> tuple[tf.data.Dataset, str]:
    """Decoded but unconverted examples of a dataset folder: the part of
    :func:`make_dataset` before :func:`finish_pipeline`.

    Elements hold the uint8 arrays of :func:`load_example` and the names
    (:func:`raw_signature`). Sharding and shuffling act on the list of pairs, so
    shuffling is a full shuffle that costs no memory.

    Args:
        index: reuse an :func:`index_folder` result instead of listing again.

    Returns:
        (dataset, layout).
    """
    data = _data_config(config)
    if index is None:
        index = index_folder(root, split, pairs, layout or data.layout)
    _raise_or_skip(index.problems, root, data.skip_bad_examples, bad_examples)
    if not index.examples:
        raise DataError(root, f"no usable {pairs} examples in split {split!r}")
    table = {
        "person": [f.person for f in index.examples],
        "parse": [f.parse for f in index.examples],
        "pose": [f.pose for f in index.examples],
        "cloth": [f.cloth for f in index.examples],
        "cloth_mask": [f.cloth_mask for f in index.examples],
        keys.PERSON_NAME: [f.person_name for f in index.examples],
        keys.CLOTH_NAME: [f.cloth_name for f in index.examples],
        "raw_keypoints": index.keypoints,
    }
    dataset = tf.data.Dataset.from_tensor_slices(table)
    if input_context is not None:
        dataset = dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if shuffle:
        dataset = dataset.shuffle(len(index.examples), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.map(
        _decoder(data, index.layout, bad_examples),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=_is_deterministic(shuffle, seed),
    )
    return _check_errors(dataset, data.skip_bad_examples), index.layout


def finish_pipeline(
    raw: tf.data.Dataset,
    config,
    layout: str,
    *,
    batch_size: int | None,
    drop_remainder: bool,
    deterministic: bool,
    input_context: tf.distribute.InputContext | None = None,
    with_priors: bool = True,
) -> tf.data.Dataset:
    """Raw uint8 examples -> example dicts: convert, batch, priors, prefetch."""
    data = _data_config(config)
    dataset = raw.map(lambda element: finish_example(element, layout))
    if batch_size is not None:
        per_replica = (
            input_context.get_per_replica_batch_size(batch_size)
            if input_context is not None
            else batch_size
        )
        dataset = dataset.batch(
            per_replica,
            drop_remainder=drop_remainder,
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=deterministic,
        )
    if with_priors:
        batched = batch_size is not None
        dataset = dataset.map(
            lambda example: add_priors(example, data, batched),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=deterministic,
        )
    options = tf.data.Options()
    options.deterministic = deterministic
    # Sharded by us under distribute_datasets_from_function; by element otherwise.
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.OFF
        if input_context is not None
        else tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options).prefetch(tf.data.AUTOTUNE)


def _decoder(data, layout: str, bad_examples: BadExamples | None) -> Callable:
    """The parallel map function: file paths -> raw uint8 example + error fields."""
    image_size = tuple(data.image_size)
    spec = raw_signature(image_size)
    arrays = (keys.PERSON, keys.CLOTH, keys.CLOTH_MASK, keys.PARSE, keys.KEYPOINTS)
    inputs = ("person", "parse", "pose", "cloth", "cloth_mask", keys.PERSON_NAME,
              keys.CLOTH_NAME, "raw_keypoints")  # fmt: skip

    def load(person, parse, pose, cloth, cloth_mask, person_name, cloth_name, raw_keypoints):
        files = ExampleFiles(
            person_name.decode(), cloth_name.decode(), person.decode(), parse.decode(),
            pose.decode(), cloth.decode(), cloth_mask.decode(),
        )  # fmt: skip
        try:
            raw = load_example(files, image_size, layout, keypoints=raw_keypoints)
            error_path, error_problem = b"", b""
        except DataError as e:
            if bad_examples is not None:
                bad_examples.add(str(e))
            raw = {name: np.zeros(spec[name].shape, spec[name].dtype.as_numpy_dtype)
                   for name in arrays}  # fmt: skip
            error_path, error_problem = e.path.encode(), e.problem.encode()
        return (*(raw[name] for name in arrays), np.bytes_(error_path), np.bytes_(error_problem))

    def decode(element):
        outputs = tf.numpy_function(
            load,
            [element[name] for name in inputs],
            [spec[name].dtype for name in arrays] + [tf.string, tf.string],
            name="load_example",
        )
        raw = {}
        for name, value in zip(arrays, outputs):
            value.set_shape(spec[name].shape)
            raw[name] = value
        raw[keys.PERSON_NAME] = element[keys.PERSON_NAME]
        raw[keys.CLOTH_NAME] = element[keys.CLOTH_NAME]
        raw["error_path"], raw["error_problem"] = outputs[-2], outputs[-1]
        return raw

    return decode


def _check_errors(dataset, skip: bool):
    """Drop (skip) or fail on (strict) elements whose decoding reported a problem."""
    if skip:
        dataset = dataset.filter(lambda raw: tf.equal(raw["error_path"], ""))
        return dataset.map(_drop_error_fields)

    def check(raw):
        ok = tf.equal(raw["error_path"], "")
        assertion = tf.debugging.Assert(
            ok, [_ERROR_MARKER, raw["error_path"], raw["error_problem"]], name="bad_data_file"
        )
        with tf.control_dependencies([assertion]):
            raw = {name: tf.identity(value) for name, value in raw.items()}
        return _drop_error_fields(raw)

    return dataset.map(check)


def _drop_error_fields(raw):
    return {k: v for k, v in raw.items() if k not in ("error_path", "error_problem")}


def dataset_fn(root, config, global_batch_size: int, split: str = "train",
               pairs: str = "paired", **kwargs) -> Callable:  # fmt: skip
    """``(input_context) -> dataset`` for ``strategy.distribute_datasets_from_function``.

    Each input pipeline reads its own shard of the pairs and batches the
    per-replica share of ``global_batch_size``. Keyword arguments go to
    :func:`make_dataset` (shuffle, seed, repeat, ...).
    """

    def fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
        return make_dataset(root, config, split, pairs, batch_size=global_batch_size,
                            input_context=input_context, **kwargs)  # fmt: skip

    return fn


def measure_throughput(dataset: tf.data.Dataset, num_batches: int = 50,
                       warmup_batches: int = 5) -> dict:  # fmt: skip
    """Iterate ``dataset`` and report examples per second after a warm-up.

    Returns:
        dict with ``examples``, ``seconds`` and ``examples_per_second``.
    """
    iterator = iter(dataset)
    for _ in range(warmup_batches):
        next(iterator)
    examples = 0
    start = time.perf_counter()
    for _ in range(num_batches):
        batch = next(iterator)
        examples += int(batch[keys.PERSON].shape[0]) if batch[keys.PERSON].shape.rank == 4 else 1
    seconds = time.perf_counter() - start
    return {"examples": examples, "seconds": seconds, "examples_per_second": examples / seconds}
