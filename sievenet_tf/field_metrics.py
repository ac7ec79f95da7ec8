"""The field's reference FID and LPIPS, computed by ``pytorch-fid`` and ``lpips`` (PyTorch).

Published try-on numbers (CP-VTON, SieveNet, VITON-HD, ...) take FID from
``pytorch-fid`` (the TF FID Inception graph ported to PyTorch, weights
``pt_inception-2015-12-05``) and LPIPS from Zhang et al.'s ``lpips`` package
(learned linear heads on torchvision's AlexNet or VGG16 features). This module
wraps both packages, so the numbers are theirs:

* :class:`FidInception` — ``pytorch_fid.inception.InceptionV3`` pool3 features
  (2048-d); the distance is :func:`sievenet_tf.metrics.frechet_distance_of_features`,
  the formula of ``pytorch_fid.fid_score.calculate_frechet_distance`` (tested equal)
  without its complex round-off on rank-deficient covariances;
* :class:`LpipsDistance` — ``lpips.LPIPS`` (version 0.1) per image pair.

Both need the optional extra ``pip install -e .[metrics]`` (torch, torchvision,
pytorch-fid, lpips). Nothing here imports torch until a metric object is built,
so the core evaluation never loads it.

Weights are never downloaded behind the user's back. ``weights`` is a local
path (see each class) or the string ``"download"``, which lets the package
fetch its own file into the torch hub cache (``$TORCH_HOME/hub/checkpoints``).
A path that cannot be used raises :class:`WeightsError`, one line naming the file.

Images are ``(B, H, W, 3)`` floats in [-1, 1] (the model's range). Both metrics
see them as a PNG stores them, quantised to 8 bits by
:func:`sievenet_tf.visualization.to_uint8` (what :mod:`sievenet_tf.fid_images`
writes), so that they give the numbers the reference tools compute from the
written files.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from unittest import mock

import numpy as np

from sievenet_tf.visualization import to_uint8

DOWNLOAD = "download"
EXTRA = "pip install -e .[metrics]"
# Import name -> pip name of what the extra installs.
PACKAGES = {"torch": "torch", "torchvision": "torchvision", "pytorch_fid": "pytorch-fid",
            "lpips": "lpips"}  # fmt: skip
LPIPS_NETS = ("alex", "vgg")
# The torchvision weights lpips builds each backbone from (their file names are
# what torchvision downloads into the torch hub cache).
_LPIPS_BACKBONES = {"alex": ("alexnet", "AlexNet_Weights"), "vgg": ("vgg16", "VGG16_Weights")}


class WeightsError(ValueError):
    """A weights path that cannot be used; the message names the file."""


def missing_packages() -> list[str]:
    """pip names of the extra's packages that cannot be imported (none imported here).

    A package set to ``None`` in ``sys.modules`` counts as missing, as Python's
    import does.
    """
    missing = []
    for module, package in PACKAGES.items():
        if module in sys.modules:
            present = sys.modules[module] is not None
        else:
            present = importlib.util.find_spec(module) is not None
        if not present:
            missing.append(package)
    return missing


def unavailable_reason() -> str | None:
    """Why the extra cannot be used (one line), or None when it is installed."""
    missing = missing_packages()
    if not missing:
        return None
    return f"the metrics extra is not installed ({', '.join(missing)} missing): {EXTRA}"


def import_torch():
    """``torch``, imported so that it can share the process with TensorFlow.

    torchvision imports ``torch._dynamo``, which imports Triton (the GPU kernel
    compiler behind ``torch.compile``); loading Triton's library into a process
    that already holds TensorFlow's crashes it (segmentation fault, torch 2.14 /
    TF 2.21). Inference needs no compiler, so when TensorFlow is loaded and Triton
    is not, Triton is marked unavailable (``sys.modules["triton"] = None``) and
    torch falls back to running without it.
    """
    if "tensorflow" in sys.modules and "triton" not in sys.modules:
        sys.modules["triton"] = None
    import torch

    return torch


def _version(package: str) -> str:
    return importlib.metadata.version(package)


def _weights_file(weights, file_name: str, what: str) -> Path:
    """A weights file: ``weights`` itself, or ``weights/file_name`` for a folder."""
    path = Path(os.fspath(weights)).expanduser()
    if path.is_dir():
        candidate = path / file_name
        if not candidate.is_file():
            raise WeightsError(f"{what}: folder {path} has no {file_name}")
        return candidate
    if not path.is_file():
        raise WeightsError(f"{what} {path} does not exist")
    return path


def _load_state_dict(path: Path, what: str) -> dict:
    """The tensors of a PyTorch weights file (``weights_only``: no code is run)."""
    torch = import_torch()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # pickle, zip and format errors all mean "not a weights file"
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise WeightsError(f"{what} {path} is not a PyTorch weights file: {first_line}") from e
    if not isinstance(state, Mapping) or not all(torch.is_tensor(v) for v in state.values()):
        raise WeightsError(f"{what} {path} is not a state dict (name -> tensor)")
    return dict(state)


def _check_fits(expected: Mapping, state: dict, path: Path, what: str, architecture: str) -> None:
    """Raise a one-line :class:`WeightsError` unless ``state`` has exactly the
    tensor names and shapes of ``expected``."""
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    problems = []
    for label, names in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
        if names:
            problems.append(f"{len(names)} {label} (e.g. {names[0]})")
    if problems:
        raise WeightsError(f"{what} {path} do not fit {architecture}: {', '.join(problems)}")


def _batches(count: int, batch_size: int):
    for start in range(0, count, batch_size):
        yield slice(start, min(start + batch_size, count))


# ----------------------------------------------------------------------- FID


class FidInception:
    """Inception-v3 pool3 features of pytorch-fid, the network published FIDs use.

    ``pytorch_fid.inception.InceptionV3`` with its defaults (block 3, bilinear
    resize to 299 x 299, inputs scaled from [0, 1] to [-1, 1] inside), fed the
    images as ``pytorch-fid``'s file reader would after a PNG round trip.

    Args:
        weights: pytorch-fid's ``pt_inception-2015-12-05-6726825d.pth`` (the file
            itself, or a folder holding it, e.g. ``~/.cache/torch/hub/checkpoints``),
            or ``"download"`` (pytorch-fid fetches it into the torch hub cache).
        device: torch device ("cpu", "cuda").
        batch_size: images per forward pass (does not change the features).

    Raises:
        WeightsError: a missing file or folder, a file that is not a state dict,
            or weights of another network.
    """

    DIMS = 2048

    def __init__(self, weights, device: str = "cpu", batch_size: int = 32):
        torch = import_torch()
        from pytorch_fid import inception as fid_inception

        file_name = os.path.basename(fid_inception.FID_WEIGHTS_URL)
        self.batch_size, self.device = batch_size, torch.device(device)
        blocks = [fid_inception.InceptionV3.BLOCK_INDEX_BY_DIM[self.DIMS]]  # pool3
        if weights == DOWNLOAD:
            source = f"{file_name} downloaded by pytorch-fid"
            model = fid_inception.InceptionV3(blocks)
        else:
            what = "FID Inception weights"
            path = _weights_file(weights, file_name, what)
            state = _load_state_dict(path, what)
            source = str(path)
            # pytorch-fid's fid_inception_v3() builds the network and then loads
            # its weights from a hard-coded URL; its loader is swapped for one that
            # returns the local file's tensors, so the package's own code still
            # builds the network (and loads strictly).
            with mock.patch.object(fid_inception, "load_state_dict_from_url", lambda *a, **k: state):
                try:
                    model = fid_inception.InceptionV3(blocks)
                except RuntimeError as e:  # load_state_dict's (multi-line) mismatch report
                    summary = " ".join(str(e).split())
                    raise WeightsError(
                        f"{what} {path} do not fit pytorch-fid's InceptionV3: {summary[:300]}"
                    ) from e
        self.model = model.to(self.device).eval()
        self.description = f"pytorch-fid {_version('pytorch-fid')} InceptionV3 pool3 ({source})"

    def __call__(self, images) -> np.ndarray:
        """(B, H, W, 3) images in [-1, 1] -> float64 (B, 2048) features."""
        torch = import_torch()
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(f"expected (B, H, W, 3) RGB images, got shape {images.shape}")
        pixels = to_uint8(images)  # (B, H, W, 3) uint8, as the PNG holds it
        features = []
        with torch.no_grad():
            for part in _batches(len(pixels), self.batch_size):
                # torchvision's ToTensor: (B, 3, H, W) float32 in [0, 1].
                batch = torch.from_numpy(pixels[part]).permute(0, 3, 1, 2).float().div(255)
                pooled = self.model(batch.to(self.device))[0]  # (B, 2048, 1, 1)
                features.append(pooled[:, :, 0, 0].cpu().numpy())
        return np.concatenate(features).astype(np.float64)


# --------------------------------------------------------------------- LPIPS


def lpips_backbone_file(net: str) -> str:
    """The file name torchvision gives the ImageNet weights of lpips's ``net`` backbone."""
    import torchvision

    _, enum_name = _LPIPS_BACKBONES[net]
    return os.path.basename(getattr(torchvision.models, enum_name).IMAGENET1K_V1.url)


class LpipsDistance:
    """LPIPS v0.1 (Zhang et al. 2018) per image pair, computed by ``lpips.LPIPS``.

    The network is lpips's: a torchvision backbone (AlexNet or VGG16, ImageNet
    weights) and learned linear heads. The heads ship inside the lpips package
    (``lpips/weights/v0.1/<net>.pth``); the backbone weights come from
    ``weights``:

    * a torchvision weights file (``alexnet-owt-7be5be79.pth`` /
      ``vgg16-397923af.pth``; its ``features.*`` tensors are used, the classifier
      is not part of LPIPS),
    * a full ``lpips.LPIPS`` state dict (backbone and heads, ``net.*`` and ``lin*``),
    * a folder holding the torchvision file under that name (the torch hub cache
      ``~/.cache/torch/hub/checkpoints`` is one), and optionally heads
      ``<net>.pth`` that replace the package's,
    * ``"download"``: torchvision fetches the backbone into the torch hub cache.

    Args:
        weights: see above.
        net: "alex" (the lpips authors' recommended forward metric) or "vgg".
        device: torch device.
        batch_size: pairs per forward pass (does not change the values).

    Raises:
        ValueError: an unknown ``net``.
        WeightsError: a missing file, a file that is not a state dict, or
            weights of another network.
    """

    def __init__(self, weights, net: str = "alex", device: str = "cpu", batch_size: int = 32):
        if net not in LPIPS_NETS:
            raise ValueError(f"LPIPS net must be one of {LPIPS_NETS}, got {net!r}")
        torch = import_torch()
        import lpips

        self.net, self.batch_size, self.device = net, batch_size, torch.device(device)
        with warnings.catch_warnings():
            # lpips calls torchvision's deprecated `pretrained=` argument; harmless.
            warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
            model = lpips.LPIPS(pretrained=True, net=net, pnet_rand=weights != DOWNLOAD, verbose=False)
        heads = f"lpips package {net}.pth"
        if weights == DOWNLOAD:
            source = "downloaded by torchvision"
        else:
            source, heads = self._load_local(model, weights, heads)
        self.model = model.to(self.device).eval()
        self.description = (
            f"lpips {_version('lpips')} v0.1, {net} backbone ({source}), heads ({heads})"
        )

    def _load_local(self, model, weights, heads):
        """Fill ``model`` from a local file or folder; returns (backbone source, heads source)."""
        what = "LPIPS weights"
        path = Path(os.fspath(weights)).expanduser()
        backbone_name = lpips_backbone_file(self.net)
        heads_path = path / f"{self.net}.pth" if path.is_dir() else None
        path = _weights_file(path, backbone_name, what)
        state = _load_state_dict(path, what)
        if any(k.startswith("features.") for k in state):
            self._load_backbone(model, state, path, what)
        elif any(k.startswith("net.") for k in state):
            # A whole lpips.LPIPS state dict; lpips keeps each head twice (lin<i> and lins.<i>).
            state = {k: v for k, v in state.items() if not k.startswith("lins.")}
            reference = {k: v for k, v in model.state_dict().items() if not k.startswith("lins.")}
            _check_fits(reference, state, path, what, f"lpips.LPIPS(net={self.net!r})")
            model.load_state_dict(state, strict=False)
            return str(path), str(path)
        else:
            raise WeightsError(
                f"{what} {path} is neither a torchvision {_LPIPS_BACKBONES[self.net][0]} state dict "
                "(features.*) nor an lpips.LPIPS state dict (net.*, lin*)"
            )
        if heads_path is not None and heads_path.is_file():
            head_state = _load_state_dict(heads_path, "LPIPS heads")
            reference = {k: v for k, v in model.state_dict().items() if k.startswith("lin")
                         and not k.startswith("lins.")}  # fmt: skip
            _check_fits(reference, head_state, heads_path, "LPIPS heads", "lpips heads")
            model.load_state_dict(head_state, strict=False)
            heads = str(heads_path)
        return str(path), heads

    def _load_backbone(self, model, state, path, what):
        """Copy torchvision ``features.<i>.*`` tensors into lpips's ``net.slice<k>.<i>.*``."""
        slice_of = {}  # features index -> the lpips slice that holds it
        for slice_name, block in model.net.named_children():
            for index, _ in block.named_children():
                slice_of[index] = slice_name
        renamed = {}
        for key, value in state.items():
            if key.startswith("features."):
                index, rest = key[len("features."):].split(".", 1)
                if index not in slice_of:  # a layer lpips does not use
                    continue
                renamed[f"{slice_of[index]}.{index}.{rest}"] = value
        architecture = f"torchvision {_LPIPS_BACKBONES[self.net][0]}"
        _check_fits(model.net.state_dict(), renamed, path, what, architecture)
        model.net.load_state_dict(renamed, strict=True)

    def __call__(self, a, b) -> np.ndarray:
        """LPIPS of two (B, H, W, 3) image batches in [-1, 1] -> float64 (B,)."""
        torch = import_torch()
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.ndim != 4 or a.shape[-1] != 3:
            raise ValueError(f"expected two (B, H, W, 3) RGB batches, got {a.shape} and {b.shape}")
        a, b = to_uint8(a), to_uint8(b)  # as the PNGs hold them
        values = []
        with torch.no_grad():
            for part in _batches(len(a), self.batch_size):
                # lpips.im2tensor: uint8 / 127.5 - 1, (B, 3, H, W).
                x, y = (torch.from_numpy(v[part]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
                        for v in (a, b))  # fmt: skip
                values.append(self.model(x.to(self.device), y.to(self.device)).flatten().cpu().numpy())
        return np.concatenate(values).astype(np.float64)

