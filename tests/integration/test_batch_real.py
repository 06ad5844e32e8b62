"""Batch with the real engine: worker processes, and the same run on a local Ray instance."""

from __future__ import annotations

import json
import shutil

import pytest

from clearocr.batch import MANIFEST_NAME, BatchSettings, latest_records, plan, registry_targets, run_local

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, samples):
    root = tmp_path_factory.mktemp("batch-in")
    shutil.copy(samples / "invoice.png", root / "invoice.png")
    shutil.copy(samples / "invoice-3pages-scanned.pdf", root / "scanned.pdf")
    (root / "truncated.png").write_bytes((samples / "invoice.png").read_bytes()[:3000])
    return root


def _settings():
    return BatchSettings(options={"pages": None, "dpi": 100}, fmt="json", engines=registry_targets())


@pytest.fixture(scope="module")
def local_run(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch-local")
    settings = _settings()
    summary = run_local(plan([str(inputs)], out, "json", settings), settings, out / MANIFEST_NAME, jobs=1)
    return out, summary


def test_local_workers_read_every_page_and_report_the_corrupt_file(local_run, inputs):
    out, summary = local_run
    assert (summary.ok, summary.failed, summary.pages) == (2, 1, 4)
    document = json.loads((out / "invoice.json").read_text())
    assert "INV-2024-00172" in " ".join(line["text"] for line in document["pages"][0]["lines"])
    assert json.loads((out / "scanned.json").read_text())["pages"][2]["number"] == 3
    error = latest_records(out / MANIFEST_NAME)[str(inputs / "truncated.png")]["error"]
    assert "truncated.png" in error["message"] and "truncated" in error["message"]


def test_ray_gives_the_same_outputs_as_local_workers(local_run, inputs, tmp_path):
    pytest.importorskip("ray.data")
    from clearocr.batch.ray import run_ray

    out, _ = local_run
    settings = _settings()
    summary = run_ray(
        plan([str(inputs)], tmp_path, "json", settings),
        settings,
        tmp_path / MANIFEST_NAME,
        address="local",
        jobs=1,
    )
    assert (summary.ok, summary.failed, summary.pages) == (2, 1, 4)
    for name in ("invoice.json", "scanned.json"):
        assert (tmp_path / name).read_text() == (out / name).read_text()
    records = latest_records(tmp_path / MANIFEST_NAME)
    assert records[str(inputs / "truncated.png")]["status"] == "error"
