"""A native crash costs one document: `clearocr read` (several files) and `clearocr batch` record it and go on.

The fault is injected by tests/fixtures/crash_engine.py: an engine that sends SIGSEGV to its own process
on a red page (generated here with Pillow, as the other pages are).
"""

from __future__ import annotations

import json
import signal

import pytest
from PIL import Image
from typer.testing import CliRunner

import tests.fixtures.crash_engine  # noqa: F401  (registers the "segfault" engine)
from clearocr.batch import BatchSettings, plan, registry_targets, run_local
from clearocr.cli import app
from clearocr.errors import WorkerCrashedError

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGSEGV"), reason="needs POSIX signals")
runner = CliRunner()


def _pages(folder, count=10, red=(4,)):
    """``count`` small PNGs, white with a dark bar, except the ``red`` indices (all red)."""
    folder.mkdir()
    paths = []
    for index in range(count):
        image = Image.new("RGB", (160, 120), (255, 0, 0) if index in red else (255, 255, 255))
        if index not in red:
            image.paste((0, 0, 0), (20, 50, 140, 62))
        path = folder / f"doc{index:02d}.png"
        image.save(path)
        paths.append(path)
    return paths


def _settings():
    return BatchSettings(
        options={"engine": "segfault", "orientation": False, "deskew": False},
        fmt="json",
        engines=registry_targets(),
    )


def test_batch_of_ten_with_one_native_crash(tmp_path):
    _pages(tmp_path / "in")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "batch",
            str(tmp_path / "in"),
            "-o",
            str(out),
            "--engine",
            "segfault",
            "--set",
            "orientation=false",
            "--set",
            "deskew=false",
            "--jobs",
            "2",
        ],
    )
    assert result.exit_code == 1, result.output
    records = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert len(records) == 10
    failed = [r for r in records if r["status"] == "error"]
    assert [r["input"].rsplit("/", 1)[-1] for r in failed] == ["doc04.png"]
    assert failed[0]["error"]["type"] == "WorkerCrashedError" and failed[0]["error"]["signal"] == "SIGSEGV"
    assert "SIGSEGV" in failed[0]["error"]["message"] and "doc04.png" in failed[0]["error"]["message"]
    outputs = sorted(p.name for p in out.glob("*.json"))
    assert outputs == [f"doc{i:02d}.json" for i in range(10) if i != 4]
    assert not list(out.glob(".*.tmp"))  # nothing half-written
    assert json.loads((out / "doc05.json").read_text())["text"] == "page ok"


def test_run_local_replaces_the_dead_worker_and_keeps_order_with_one_job(tmp_path):
    _pages(tmp_path / "in", count=5, red=(0, 3))
    settings = _settings()
    items = plan([str(tmp_path / "in")], tmp_path / "out", "json", settings)
    summary = run_local(items, settings, tmp_path / "out" / "manifest.jsonl", jobs=1, recycle_after=2)
    assert (summary.ok, summary.failed) == (3, 2)
    assert [r["status"] for r in summary.records] == ["error", "ok", "ok", "error", "ok"]


def test_read_several_files_goes_on_after_a_native_crash(tmp_path):
    paths = _pages(tmp_path / "in", count=10, red=(4,))
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "read",
            *map(str, paths),
            "-o",
            str(out),
            "-f",
            "json",
            "--engine",
            "segfault",
            "--no-orientation",
            "--no-deskew",
        ],
    )
    assert result.exit_code == 1
    assert "SIGSEGV" in result.output and "doc04.png" in result.output
    assert len(list(out.glob("*.json"))) == 9 and not (out / "doc04.json").exists()


def test_read_to_stdout_prints_the_documents_around_the_crash(tmp_path):
    paths = _pages(tmp_path / "in", count=3, red=(1,))
    result = runner.invoke(
        app, ["read", *map(str, paths), "--engine", "segfault", "--no-orientation", "--no-deskew"]
    )
    assert result.exit_code == 1
    assert result.stdout.count("page ok") == 2
    assert f"==> {paths[0]} <==" in result.stdout and f"==> {paths[2]} <==" in result.stdout


def test_worker_crashed_error_names_the_signal():
    error = WorkerCrashedError("a.png", -signal.SIGSEGV)
    assert error.signal == "SIGSEGV" and "a.png" in str(error) and error.exit_code == 6
    assert "out of memory" in str(WorkerCrashedError("b.png", -signal.SIGKILL))
    assert "code 3" in str(WorkerCrashedError("c.png", 3))
