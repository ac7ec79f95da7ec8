"""FID and LPIPS through pytorch-fid and lpips (sievenet_tf.field_metrics).

The reference weights cannot be downloaded here, so the networks get random
weights written to files in the real files' layouts; the loading code, the
packages' networks and the evaluation wiring are the real ones. Tests that need
torch skip when the optional extra (``pip install -e .[metrics]``) is absent.
"""

import csv
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from sievenet_tf import evaluation, field_metrics
from sievenet_tf import metrics as M
from sievenet_tf.evaluation import evaluate_run
from sievenet_tf.visualization import to_uint8
from tests.helpers import EVAL_IMAGE_SIZE, EVAL_NUM_TEST

FID_FILE = "pt_inception-2015-12-05-6726825d.pth"
ALEXNET_FILE = "alexnet-owt-7be5be79.pth"


def _quiet(line):
    pass


def _require_extra():
    """torch, or a skip naming what is missing."""
    reason = field_metrics.unavailable_reason()
    if reason is not None:
        pytest.skip(f"needs the metrics extra: {reason}")
    return field_metrics.import_torch()


@pytest.fixture(scope="module")
def fid_weights(tmp_path_factory):
    """Random weights in the layout of pytorch-fid's pt_inception file, scaled so that
    features are O(1) (torch's default init makes them vanish through ~90 layers)."""
    torch = _require_extra()
    import torchvision

    torch.manual_seed(0)
    network = torchvision.models.inception_v3(
        num_classes=1008, aux_logits=False, weights=None, init_weights=False
    )
    for module in network.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    path = tmp_path_factory.mktemp("fid_weights") / FID_FILE
    torch.save(network.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def lpips_reference():
    """lpips's own network: the package's heads on a random AlexNet."""
    torch = _require_extra()
    import lpips

    torch.manual_seed(0)
    with warnings.catch_warnings():  # lpips calls torchvision's deprecated `pretrained=`
        warnings.filterwarnings("ignore", category=UserWarning, module="torchvision")
        return lpips.LPIPS(pretrained=True, net="alex", pnet_rand=True, verbose=False).eval()


@pytest.fixture(scope="module")
def lpips_weights(tmp_path_factory, lpips_reference):
    """A folder with the reference's backbone as torchvision's alexnet file (features.*)."""
    torch = _require_extra()
    folder = tmp_path_factory.mktemp("lpips_weights")
    backbone = {}
    for key, value in lpips_reference.net.state_dict().items():
        _, index, rest = key.split(".", 2)  # slice<k>.<i>.<param> -> features.<i>.<param>
        backbone[f"features.{index}.{rest}"] = value
    backbone["classifier.1.weight"] = torch.zeros(4, 4)  # not used by LPIPS: ignored
    torch.save(backbone, folder / ALEXNET_FILE)
    return folder


def _images(seed, count=6, size=EVAL_IMAGE_SIZE, low=-1.0, high=1.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, (count, *size, 3)).astype(np.float32)


def test_fid_is_zero_for_identical_sets_and_positive_for_different_ones(fid_weights):
    features = field_metrics.FidInception(fid_weights.parent, batch_size=4)  # a folder works too
    a, b = _images(0), _images(1, low=-1.0, high=0.0)  # b: darker images
    values = features(a)
    assert values.shape == (6, 2048) and values.dtype == np.float64 and np.all(np.isfinite(values))
    np.testing.assert_allclose(features(a[:4]), values[:4], rtol=1e-5, atol=1e-6)  # batch-independent
    different = M.frechet_distance_of_features(values, features(b))
    assert different > 0
    assert abs(M.frechet_distance_of_features(values, features(a))) < 1e-6 * different
    assert "pytorch-fid" in features.description and str(fid_weights) in features.description


def test_frechet_distance_equals_pytorch_fid():
    _require_extra()
    from pytorch_fid.fid_score import calculate_frechet_distance

    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 12))
    b = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) * 0.5 + 0.3
    ours = M.frechet_distance_of_features(a, b)
    reference = calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0),
                                           np.cov(b, rowvar=False))  # fmt: skip
    assert ours == pytest.approx(reference, rel=1e-9)


def test_features_equal_pytorch_fid_reading_the_written_pngs(fid_weights, tmp_path):
    _require_extra()
    from pytorch_fid.fid_score import get_activations

    from sievenet_tf.fid_images import FidImageWriter

    features = field_metrics.FidInception(fid_weights)
    tryon, person = _images(2, count=5), _images(3, count=5)
    names = [f"p{i}.jpg".encode() for i in range(5)]
    with FidImageWriter(tmp_path) as writer:
        writer.add(names, [b"c.jpg"] * 5, tryon, person)
    files = sorted((tmp_path / "tryon").glob("*.png"))  # p0_c.png ... p4_c.png: the batch order
    from_files = get_activations([str(f) for f in files], features.model, batch_size=5, dims=2048,
                                 device="cpu", num_workers=0)  # fmt: skip
    np.testing.assert_allclose(features(tryon), from_files, rtol=1e-4, atol=1e-6)


def test_lpips_is_lpips_zero_for_identical_images_and_positive_otherwise(lpips_weights, lpips_reference):
    torch = _require_extra()
    distance = field_metrics.LpipsDistance(lpips_weights, net="alex", batch_size=4)
    a, b = _images(4), _images(5)
    same, different = distance(a, a), distance(a, b)
    assert same.shape == different.shape == (6,)
    np.testing.assert_allclose(same, 0.0, atol=1e-7)
    assert np.all(different > 0)
    # The same numbers as lpips's own network on lpips's own image conversion.
    def to_tensor(images):  # lpips.im2tensor of the 8-bit images
        return torch.from_numpy(to_uint8(images)).permute(0, 3, 1, 2).float() / 127.5 - 1

    with torch.no_grad():
        reference = lpips_reference(to_tensor(a), to_tensor(b)).flatten().numpy()
    np.testing.assert_allclose(different, reference, rtol=1e-5, atol=1e-7)
    # A whole lpips.LPIPS state dict in one file gives the same network.
    whole = lpips_weights / "whole_lpips.pth"
    torch.save(lpips_reference.state_dict(), whole)
    np.testing.assert_allclose(field_metrics.LpipsDistance(whole)(a, b), reference, rtol=1e-5, atol=1e-7)


def test_bad_weights_fail_in_one_line_naming_the_file(fid_weights, lpips_weights, tmp_path):
    _require_extra()
    not_torch = tmp_path / "notes.pth"
    not_torch.write_text("not weights\n")
    cases = [
        (lambda: field_metrics.FidInception(tmp_path / "missing.pth"), tmp_path / "missing.pth",
         "does not exist"),
        (lambda: field_metrics.FidInception(tmp_path), tmp_path, f"has no {FID_FILE}"),
        (lambda: field_metrics.FidInception(not_torch), not_torch, "is not a PyTorch weights file"),
        (lambda: field_metrics.FidInception(lpips_weights / ALEXNET_FILE), lpips_weights / ALEXNET_FILE,
         "do not fit pytorch-fid's InceptionV3"),
        (lambda: field_metrics.LpipsDistance(fid_weights), fid_weights,
         "neither a torchvision alexnet state dict"),
        (lambda: field_metrics.LpipsDistance(tmp_path), tmp_path, f"has no {ALEXNET_FILE}"),
        (lambda: field_metrics.LpipsDistance(lpips_weights, net="vgg"), lpips_weights,
         "has no vgg16-397923af.pth"),
    ]  # fmt: skip
    for build, path, message in cases:
        with pytest.raises(field_metrics.WeightsError) as error:
            build()
        text = str(error.value)
        assert message in text and str(path) in text and "\n" not in text, text


def test_lpips_backbone_of_another_shape_is_refused(lpips_weights, tmp_path):
    torch = _require_extra()
    state = torch.load(lpips_weights / ALEXNET_FILE, weights_only=True)
    state["features.0.weight"] = torch.zeros(8, 3, 11, 11)
    path = tmp_path / ALEXNET_FILE
    torch.save(state, path)
    with pytest.raises(field_metrics.WeightsError, match=r"do not fit torchvision alexnet: 1 wrong shape"):
        field_metrics.LpipsDistance(path)


def test_missing_extra_gives_null_and_a_note(eval_run_dir, eval_dataset, tmp_path, monkeypatch):
    """Runs everywhere: the extra is made to look absent."""
    monkeypatch.setitem(sys.modules, "lpips", None)
    assert "lpips" in field_metrics.missing_packages()
    lines = []
    results = evaluate_run(eval_run_dir, eval_dataset, out_dir=tmp_path, max_examples=2,
                           fid_weights="some.pth", lpips_weights="other.pth", log=lines.append)  # fmt: skip
    metrics = results["metrics"]
    assert metrics["fid"] is None and metrics["lpips"] is None
    for key in ("fid_note", "lpips_note"):
        assert "metrics extra is not installed" in metrics[key] and "pip install -e .[metrics]" in metrics[key]
    notices = [line for line in lines if line.startswith("notice:")]
    assert notices == [f"notice: FID and LPIPS not computed: {field_metrics.unavailable_reason()}"]
    with open(tmp_path / "per_example.csv", encoding="utf-8") as f:
        assert "lpips" not in next(csv.reader(f))


def test_evaluation_reports_lpips_per_pair_and_fid_of_the_unpaired_set(
    eval_run_dir, eval_dataset, fid_weights, lpips_weights, tmp_path
):
    _require_extra()
    from pytorch_fid.fid_score import get_activations

    lines = []
    paired = evaluate_run(eval_run_dir, eval_dataset, out_dir=tmp_path / "paired", batch_size=3,
                          fid_weights=fid_weights, lpips_weights=lpips_weights, log=lines.append)  # fmt: skip
    assert not [line for line in lines if line.startswith("notice:")]
    metrics = paired["metrics"]
    assert metrics["lpips"] > 0 and "lpips" in metrics["lpips_note"]
    assert metrics["fid"] > 0 and "paired try-ons" in metrics["fid_note"]
    with open(tmp_path / "paired" / "per_example.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == EVAL_NUM_TEST
    assert np.mean([float(r["lpips"]) for r in rows]) == pytest.approx(metrics["lpips"], abs=1e-6)
    assert f"| LPIPS (try-on vs person) | ↓ | {metrics['lpips']:.4f} |" in (
        tmp_path / "paired" / "metrics.md"
    ).read_text()

    # Unpaired, on a copy whose pairs file has two persons in two pairs each (one of
    # them twice in a batch of 3): the real set holds each person once.
    data = tmp_path / "data"
    shutil.copytree(eval_dataset, data)
    pairs = [line.split() for line in (data / "test_pairs.txt").read_text().splitlines() if line]
    pairs = [pairs[0], [pairs[0][0], pairs[7][1]], *pairs[1:], [pairs[1][0], pairs[6][1]]]
    (data / "test_pairs.txt").write_text("".join(f"{p} {c}\n" for p, c in pairs))
    images = tmp_path / "images"
    unpaired = evaluate_run(eval_run_dir, data, pairs="unpaired", out_dir=tmp_path / "unpaired",
                            batch_size=3, fid_weights=fid_weights, lpips_weights=lpips_weights,
                            write_images=images, log=_quiet)  # fmt: skip
    assert (unpaired["images"]["tryon"], unpaired["images"]["real"]) == (EVAL_NUM_TEST + 2, EVAL_NUM_TEST)
    metrics = unpaired["metrics"]
    assert metrics["lpips"] is None and metrics["lpips_note"] == evaluation.LPIPS_UNPAIRED
    assert metrics["fid"] > 0
    assert f"on {EVAL_NUM_TEST + 2} unpaired try-ons vs {EVAL_NUM_TEST} person photos" in metrics["fid_note"]
    # The in-memory FID is the FID of the written folders read by pytorch-fid's reader.
    features = field_metrics.FidInception(fid_weights)
    activations = [
        get_activations([str(f) for f in sorted((images / folder).glob("*.png"))], features.model,
                        batch_size=8, dims=2048, device="cpu", num_workers=0)
        for folder in ("tryon", "real")
    ]  # fmt: skip
    from_files = M.frechet_distance_of_features(*activations)
    assert metrics["fid"] == pytest.approx(from_files, rel=1e-4, abs=1e-6)


def test_cli_refuses_a_missing_weights_file_in_one_line(eval_run_dir, eval_dataset, tmp_path, capsys):
    _require_extra()
    missing = tmp_path / "nope.pth"
    code = evaluation.main(["--run", str(eval_run_dir), "--data", str(eval_dataset), "--out",
                            str(tmp_path / "eval"), "--fid-weights", str(missing)])  # fmt: skip
    assert code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f"evaluate.py: error: FID Inception weights {missing} does not exist"]


def test_lpips_nets_agree_and_core_evaluation_does_not_import_torch():
    assert evaluation.LPIPS_NETS == field_metrics.LPIPS_NETS
    code = (
        "import sys; from sievenet_tf import evaluation as e; "
        "assert e.fid_features('pytorch-fid', None)[0] is None; "
        "assert e.lpips_distance(None)[0] is None; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchvision', "
        "'pytorch_fid', 'lpips')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
