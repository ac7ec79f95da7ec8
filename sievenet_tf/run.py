"""A training run directory: the one place that knows its layout and loads or saves it.

Layout::

    RUN_DIR/config.json                 resolved config, written before step 0
    RUN_DIR/checkpoints/<stage>/        tf.train.CheckpointManager per stage
    RUN_DIR/models/<network>.keras      trained stage networks (after each stage);
                                        models/person_analyzer.keras: the analyzer stage
    RUN_DIR/sievenet.keras              the composed try-on model (all needed stages done)
    RUN_DIR/logs/<stage>.jsonl          loss terms and learning rate per logged step
    RUN_DIR/logs/<stage>_heldout.json   held-out loss terms before and after the stage
    RUN_DIR/images/<stage>_<step>.png   image grids
    RUN_DIR/tensorboard/<stage>/        TensorBoard scalars and images

Which stages a run needs follows from its config: the warp and texture stages
always, the segmentation stage when the texture network is conditioned on the
expected segmentation (``texture.conditioning="segmentation"``, the paper's
SATT); the priors-conditioned ablation baseline has no segmenter.

Example:
    >>> run = Run("runs/demo")
    >>> run.missing_stages()
    []
    >>> sievenet = run.load_sievenet()
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import keras

import sievenet_tf.layers  # noqa: F401  (registers the serializable layers)
from sievenet_tf import atomic
from sievenet_tf.config import SieveNetConfig, override
from sievenet_tf.models import SieveNet, build_sievenet

STAGES = ("warp", "segmentation", "texture")
# The person analyzer (photo -> parse + keypoints) trains as a stage of its own;
# the try-on model does not need it, the photo graph does.
ANALYZER_STAGE = "analyzer"
# The learned cloth-mask head of the photo graph (optional: without it the
# graph computes the mask by thresholding, see layers/cloth_mask.py).
CLOTH_MASK_STAGE = "cloth_mask"
PHOTO_STAGES = (ANALYZER_STAGE, CLOTH_MASK_STAGE)
ALL_STAGES = (*STAGES, *PHOTO_STAGES)
# Stage -> the network it trains (also the file name under models/).
STAGE_NETWORKS = {
    "warp": "warper",
    "segmentation": "segmenter",
    "texture": "texture_translator",
    ANALYZER_STAGE: "person_analyzer",
    CLOTH_MASK_STAGE: "cloth_masker",
}
CONFIG_FILE = "config.json"
SIEVENET_FILE = "sievenet.keras"
SUBDIRECTORIES = ("checkpoints", "models", "logs", "images", "tensorboard")
# Config sections that decide what the networks are and what they read: a run
# resumed with other values here would load weights into the wrong shapes or
# train on other inputs, so they must equal the run's. The schedule (train,
# optimizer, loss, triplet) may change on --resume, e.g. to train longer.
STRUCTURAL_SECTIONS = ("data", "warp", "segmentation", "texture", "analyzer")


class RunError(ValueError):
    """A run directory is missing, incomplete, or does not match a config; the
    message names the file and says what to do."""


class RunExistsError(RunError, FileExistsError):
    """The directory already holds a run and ``--resume`` was not given."""


def required_stages(config) -> list[str]:
    """The stages whose networks the composed try-on model of ``config`` needs."""
    if config.texture.conditioning == "segmentation":
        return list(STAGES)
    return ["warp", "texture"]


def config_differences(old: SieveNetConfig, new: SieveNetConfig) -> list[str]:
    """``section.key: old -> new`` for every field that differs."""
    differences = []
    old_values, new_values = old.to_dict(), new.to_dict()
    for section in sorted(set(old_values) | set(new_values)):
        a, b = old_values.get(section), new_values.get(section)
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    differences.append(f"{section}.{key}: {a.get(key)!r} -> {b.get(key)!r}")
        elif a != b:
            differences.append(f"{section}: {a!r} -> {b!r}")
    return differences


class Run:
    """A run directory (see the module docstring for its layout).

    Args:
        directory: the run directory (need not exist yet for :meth:`create`).
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        self._config = None

    def __repr__(self):
        return f"Run({str(self.directory)!r})"

    # ----------------------------------------------------------------- paths
    @property
    def config_path(self) -> Path:
        return self.directory / CONFIG_FILE

    @property
    def sievenet_path(self) -> Path:
        return self.directory / SIEVENET_FILE

    def network_path(self, stage: str) -> Path:
        """``RUN_DIR/models/<network>.keras`` of ``stage``."""
        return self.directory / "models" / f"{STAGE_NETWORKS[_check_stage(stage)]}.keras"

    def checkpoint_dir(self, stage: str) -> Path:
        return self.directory / "checkpoints" / _check_stage(stage)

    def log_path(self, stage: str) -> Path:
        return self.directory / "logs" / f"{_check_stage(stage)}.jsonl"

    def heldout_path(self, stage: str) -> Path:
        return self.directory / "logs" / f"{_check_stage(stage)}_heldout.json"

    def image_path(self, stage: str, step: int) -> Path:
        return self.directory / "images" / f"{_check_stage(stage)}_{step:07d}.png"

    def tensorboard_dir(self, stage: str) -> Path:
        return self.directory / "tensorboard" / _check_stage(stage)

    # ---------------------------------------------------------------- config
    @property
    def config(self) -> SieveNetConfig:
        """The run's config (``config.json``), read once."""
        if self._config is None:
            if not self.directory.is_dir():
                raise RunError(f"run directory {self.directory} does not exist")
            if not self.config_path.is_file():
                raise RunError(f"{self.directory} is not a run directory (no {CONFIG_FILE})")
            try:
                self._config = SieveNetConfig.load(self.config_path)
            except (ValueError, TypeError, KeyError, OSError) as e:
                raise RunError(f"{self.config_path}: not a valid config ({e})") from None
        return self._config

    def exists(self) -> bool:
        """True when the directory holds a run (its ``config.json``)."""
        return self.config_path.is_file()

    def check_writable(self) -> None:
        """Create the run directory if needed and check that files can be written in
        it; :class:`RunError` naming the path otherwise (before any long work)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.directory, prefix=".write_test_"):
                pass
        except OSError as e:
            raise RunError(f"--out {self.directory}: cannot write there ({e.strerror or e})") from None

    def has_checkpoints(self) -> bool:
        directory = self.directory / "checkpoints"
        return directory.is_dir() and any(directory.iterdir())

    def create(self, config: SieveNetConfig, resume: bool = False, write: bool = True) -> list[str]:
        """Prepare the directory for training with ``config``; checks before writing.

        A new run gets its sub-folders and ``config.json`` (atomically). An existing
        run is refused unless ``resume``. With ``resume``, a difference in a
        structural section (:data:`STRUCTURAL_SECTIONS`) raises :class:`RunError`
        naming the fields, before anything is written; other differences (the
        schedule) are allowed and returned. ``write=False`` only checks
        (non-chief workers).

        Returns:
            The allowed differences (``section.key: old -> new``), empty for a new run.
        """
        if self.directory.exists() and not self.directory.is_dir():
            raise RunError(f"--out {self.directory}: exists and is not a directory")
        differences = []
        if self.exists():
            existing = self.config
            if not resume and self.has_checkpoints():
                raise RunExistsError(
                    f"{self.directory} already holds a run; pass --resume to continue it or "
                    "choose another --out"
                )
            differences = config_differences(existing, config) if resume else []
            structural = [d for d in differences if d.split(".")[0] in STRUCTURAL_SECTIONS]
            if structural:
                raise RunError(
                    f"--resume: the config differs from {self.config_path} in what the networks "
                    f"are or read: {'; '.join(structural[:8])}{' ...' if len(structural) > 8 else ''}. "
                    f"Resume with the run's own config (--config {self.config_path}, or no "
                    "--preset/--config) or start a new --out"
                )
        if not write:
            return differences
        try:
            for sub in SUBDIRECTORIES:
                (self.directory / sub).mkdir(parents=True, exist_ok=True)
            atomic.write_text(self.config_path, config.to_json() + "\n")
        except OSError as e:
            raise RunError(f"--out {self.directory}: cannot write there ({e.strerror or e})") from None
        self._config = config
        return differences

    # --------------------------------------------------------------- stages
    def has_network(self, stage: str) -> bool:
        return self.network_path(stage).is_file()

    def missing_stages(self) -> list[str]:
        """Stages the composed model needs whose networks are not saved yet."""
        return [s for s in required_stages(self.config) if not self.has_network(s)]

    def load_network(self, stage: str):
        """The trained network of ``stage`` (``RUN_DIR/models/<network>.keras``)."""
        path = self.network_path(stage)
        if not path.is_file():
            raise RunError(
                f"{path} not found: train the {stage!r} stage first "
                f"(training/train.py --out {self.directory} --resume --stage {stage})"
            )
        return _load_keras(path)

    def save_network(self, stage: str, network) -> Path:
        """Save ``network`` as the trained network of ``stage`` (atomically)."""
        path = self.network_path(stage)
        with atomic.replace_file(path, suffix=".keras") as temporary:
            network.save(temporary)
        return path

    # -------------------------------------------------------------- analyzer
    def has_analyzer(self) -> bool:
        """True when the person analyzer is trained (``models/person_analyzer.keras``)."""
        return self.has_network(ANALYZER_STAGE)

    def load_analyzer(self):
        """The trained :class:`~sievenet_tf.models.PersonAnalyzer`, checked against the config.

        Raises:
            RunError: not trained yet (the message says how), unreadable, or built
                for another size than the run's.
        """
        path = self.network_path(ANALYZER_STAGE)
        if not path.is_file():
            raise RunError(
                f"{self.directory} has no person analyzer ({path.relative_to(self.directory)}): "
                f"train it with training/train.py --out {self.directory} --resume --stage analyzer "
                "--data ROOT, or give the parse and keypoints"
            )
        analyzer = _load_keras(path)
        size = tuple(getattr(analyzer, "image_size", ()))
        if size != tuple(self.config.data.image_size):
            raise RunError(
                f"{path} was built for {'x'.join(map(str, size)) or 'an unknown size'} but the run's "
                f"config says data.image_size={self.config.data.image_size[0]}x"
                f"{self.config.data.image_size[1]}"
            )
        return analyzer

    def load_cloth_masker(self):
        """The trained :class:`~sievenet_tf.models.ClothMasker`, or None when the run
        has none (the photo graph then computes the mask in-graph)."""
        if not self.has_network(CLOTH_MASK_STAGE):
            return None
        return self.load_network(CLOTH_MASK_STAGE)

    # ------------------------------------------------------------ composed
    def check_complete(self) -> None:
        """Raise :class:`RunError` unless the try-on model can be loaded: its
        ``sievenet.keras``, or every stage network it needs."""
        if not self.sievenet_path.is_file():
            self._check_stages()

    def _check_stages(self) -> None:
        missing = self.missing_stages()
        if missing:
            raise RunError(
                f"{self.directory}: stage(s) {', '.join(missing)} not trained yet (no "
                f"{', '.join(str(self.network_path(s).relative_to(self.directory)) for s in missing)}); "
                f"train them with training/train.py --out {self.directory} --resume "
                f"--stage {missing[0]}"
            )

    def compose(self) -> SieveNet:
        """A :class:`SieveNet` of the saved stage networks (no file written)."""
        self._check_stages()
        networks = {stage: self.load_network(stage) for stage in required_stages(self.config)}
        return build_sievenet(
            self.config, networks["warp"], networks.get("segmentation"), networks["texture"]
        )

    def save_sievenet(self, model: SieveNet | None = None) -> Path:
        """Write ``RUN_DIR/sievenet.keras`` (composed from the stage networks by default)."""
        model = model if model is not None else self.compose()
        with atomic.replace_file(self.sievenet_path, suffix=".keras") as temporary:
            model.save(temporary)
        return self.sievenet_path

    def load_sievenet(self, path=None) -> SieveNet:
        """The composed try-on model, checked against the run's config.

        Reads ``sievenet.keras`` (or ``path``); a run whose stage networks are
        all saved but not yet composed is composed from them.
        """
        path = Path(path) if path is not None else self.sievenet_path
        model = _load_keras(path) if path.is_file() else self.compose()
        if not isinstance(model, SieveNet):
            raise RunError(f"{path}: not a SieveNet model ({type(model).__name__})")
        check_model_matches_config(model, self.config, where=str(path))
        return model


def check_model_matches_config(model: SieveNet, config: SieveNetConfig, where: str) -> None:
    """Raise :class:`RunError` when ``model`` was built for another size or variant."""
    size = tuple(model.warper.image_size)
    if size != tuple(config.data.image_size):
        raise RunError(
            f"{where} was built for {size[0]}x{size[1]} but the run's config says "
            f"data.image_size={config.data.image_size[0]}x{config.data.image_size[1]}"
        )
    if model.warper.prior_channels != config.data.prior_channels:
        raise RunError(
            f"{where} expects {model.warper.prior_channels} prior channels but the config "
            f"builds {config.data.prior_channels}"
        )
    conditioning = model.texture_translator.conditioning
    if conditioning != config.texture.conditioning:
        raise RunError(
            f"{where} has a {conditioning}-conditioned texture network but the config says "
            f"texture.conditioning={config.texture.conditioning!r}"
        )


def _check_stage(stage: str) -> str:
    if stage not in STAGE_NETWORKS:
        raise ValueError(f"stage must be one of {ALL_STAGES}, got {stage!r}")
    return stage


def _load_keras(path: Path):
    try:
        return keras.saving.load_model(path, compile=False)
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
        kind = "truncated or not a .keras file" if zipfile_broken(path) else type(e).__name__
        raise RunError(f"{path}: cannot load the Keras model ({kind}: {str(e)[:200]})") from None


def zipfile_broken(path) -> bool:
    """True when ``path`` is not a complete zip archive (a ``.keras`` file is one)."""
    try:
        with zipfile.ZipFile(os.fspath(path)) as archive:
            return archive.testzip() is not None
    except (zipfile.BadZipFile, OSError):
        return True


def derive_run(source, destination, keep, assignments=()) -> Run:
    """A new run that shares ``source``'s trained ``keep`` stages, with config overrides.

    Copies the config (with ``section.key=value`` ``assignments`` applied), and for each
    kept stage its network, checkpoints and logs. The other stages are left to train:
    ``train.py --out DESTINATION --resume --stage texture`` (or ``all``). This is how a
    switch is measured at equal budget with the earlier stages' weights shared
    (README, "Failure modes on real photos").

    Raises:
        RunError: ``source`` lacks a kept stage, or ``destination`` already exists.
    """
    source, destination = Run(source), Run(destination)
    config = override(source.config, list(assignments))
    keep = [_check_stage(stage) for stage in keep]
    missing = [stage for stage in keep if not source.has_network(stage)]
    if missing:
        raise RunError(f"{source.directory}: stage(s) {', '.join(missing)} not trained, cannot keep them")
    if destination.directory.exists():
        raise RunExistsError(f"{destination.directory} already exists; choose a new directory")
    destination.create(config)
    for stage in keep:
        copy_stage(source, destination, stage)
    return destination


def copy_stage(source: Run, destination: Run, stage: str) -> None:
    """Copy one trained stage (checkpoints, logs, then its network) between runs.

    The network is written last, so its presence marks a finished copy; a
    checkpoint folder left by a copy cut short is replaced.
    """
    if source.checkpoint_dir(stage).is_dir():
        if destination.checkpoint_dir(stage).exists():
            shutil.rmtree(destination.checkpoint_dir(stage))
        shutil.copytree(source.checkpoint_dir(stage), destination.checkpoint_dir(stage))
    for path in (source.log_path(stage), source.heldout_path(stage), source.network_path(stage)):
        if path.is_file():
            target = destination.directory / path.relative_to(source.directory)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
