"""One tiny run, one synthetic dataset and one full export, shared by the export tests."""

import pytest

from tests.export.helpers import TEST_THRESHOLDS, make_data, make_run


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("run") / "tiny")


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    return make_data(tmp_path_factory.mktemp("data") / "synthetic")


@pytest.fixture(scope="session")
def tiny_export(tiny_run, synthetic_root, tmp_path_factory):
    """Export of the tiny run in every format: (export_dir, report)."""
    from sievenet_tf.export.exporter import export_run

    out = tmp_path_factory.mktemp("export") / "tiny"
    report = export_run(
        tiny_run, out, calibration_data=synthetic_root, num_calibration=12, num_parity=4,
        thresholds=TEST_THRESHOLDS, log=lambda line: None,
    )
    return str(out), report
