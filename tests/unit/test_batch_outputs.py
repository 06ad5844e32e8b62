"""Batch and multi-file outputs lose nothing (issue 26, items 6, 7, 8, 10): outputs never meet, every
input gets a manifest record whatever its name, workers die with their parent, and long names fit.

The inputs are generated here; the fake engines come from tests/conftest.py and
tests/fixtures/crash_engine.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from clearocr.batch import MANIFEST_NAME, BatchSettings, output_names, plan, registry_targets, run_local
from clearocr.checkpoint import checkpoint_path
from clearocr.cli import app
from clearocr.files import NAME_MAX, sibling_name, write_atomic

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def _page(path: Path, colour="white") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (200, 100), colour).save(path, "PNG")
    return path


def _settings(**options):
    return BatchSettings(options={"engine": "fake", **options}, fmt="text", engines=registry_targets())


# --- item 6: outputs never overwrite each other --------------------------------------------------


def test_read_of_same_named_files_in_three_folders_writes_three_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for folder in ("d1", "d2", "d3"):
        _page(Path(folder) / "a.png")
    result = runner.invoke(app, ["read", "d1/a.png", "d2/a.png", "d3/a.png", "-e", "fake", "-o", "OUT/"])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(tmp_path / "OUT").as_posix() for p in (tmp_path / "OUT").rglob("*.txt"))
    assert written == ["d1/a.txt", "d2/a.txt", "d3/a.txt"]


def test_batch_of_several_folders_mirrors_them(tmp_path):
    for folder in ("x", "y"):
        _page(tmp_path / "in" / folder / "sub" / "a.png")
    _page(tmp_path / "in" / "x" / "sub" / "a.pdf.png")
    settings = _settings()
    items = plan([str(tmp_path / "in" / "x"), str(tmp_path / "in" / "y")], tmp_path / "out", "text", settings)
    outputs = [item.output for item in items]
    assert len(set(outputs)) == len(outputs) == 3
    summary = run_local(items, settings, tmp_path / "out" / MANIFEST_NAME, jobs=0)
    assert summary.ok == 3
    assert len(list((tmp_path / "out").rglob("*.txt"))) == 3


@pytest.mark.parametrize(
    "pairs",
    [
        [("d1/a.png", "a.png"), ("d2/a.png", "a.png"), ("d3/a.png", "a.png")],
        [("in/a.png", "a.png"), ("in/a.pdf", "a.pdf"), ("in/A.png", "A.png"), ("in/a.PNG", "a.PNG")],
        [("s/x/a.png", "x/a.png"), ("t/x/a.png", "x/a.png"), ("s3://b/x/a.png", "a.png")],
        [("a.png", "a.png"), ("a.png.png", "a.png.png"), ("a.tif", "a.tif"), ("a", "a")],
    ],
)
def test_output_names_are_distinct_even_case_folded(pairs):
    names = output_names(pairs, ".txt")
    assert len({name.casefold() for name in names}) == len(pairs)


def test_output_never_takes_the_name_of_an_input_in_the_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pdf = tmp_path / "scans" / "a.pdf"
    pdf.parent.mkdir()
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    pdf.write_bytes(bytes(document.output()))
    before = pdf.read_bytes()
    items = plan([str(pdf)], tmp_path / "scans", "pdf", _settings())
    assert os.path.realpath(items[0].output) != os.path.realpath(pdf)
    result = runner.invoke(app, ["read", "scans/a.pdf", "-e", "fake", "-f", "pdf", "-o", "scans/a.pdf"])
    assert result.exit_code == 2 and "overwrite" in result.output
    assert pdf.read_bytes() == before


# --- item 7: file names that are not UTF-8 -------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="APFS refuses names that are not UTF-8")
def test_every_input_gets_a_record_whatever_its_name(tmp_path):
    folder = tmp_path / "in"
    names = [b"ok.png", b"\xff\xfe bad.png", b"z\xe9.png", b"last.png"]
    for raw in names:
        _page(Path(os.fsdecode(os.path.join(os.fsencode(folder), raw))))
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(folder), "-o", str(out), "-e", "fake", "-j", "0", "-f", "json"])
    assert result.exit_code == 0, result.output
    lines = (out / MANIFEST_NAME).read_bytes().decode("utf-8").splitlines()  # valid UTF-8 throughout
    records = [json.loads(line) for line in lines]
    assert sorted(os.fsencode(Path(r["input"]).name) for r in records) == sorted(names)
    assert all(r["status"] == "ok" for r in records)
    for record in records:
        document = json.loads(Path(record["output"]).read_text(encoding="utf-8"))
        assert document["text"]
    # A rerun recognises every input by its (byte-exact) name.
    result = runner.invoke(app, ["batch", str(folder), "-o", str(out), "-e", "fake", "-j", "0", "-f", "json"])
    assert "4 skipped" in result.output, result.output


# --- item 10: long output names ------------------------------------------------------------------


def test_hidden_companions_of_a_long_name_fit_the_limit(tmp_path):
    name = "é" * 100 + "x" * 40 + ".json"  # 245 bytes
    for prefix, suffix, reserve in ((".", ".pages.jsonl", 4), (".", ".", 12)):
        companion = sibling_name(name, prefix, suffix, reserve)
        assert len(os.fsencode(companion)) + reserve <= NAME_MAX
        companion.encode("utf-8")  # not cut inside a character
    assert sibling_name("a" * 300, ".", ".x") != sibling_name("a" * 299 + "b", ".", ".x")
    assert sibling_name("short.json", ".", ".pages.jsonl") == ".short.json.pages.jsonl"
    output = tmp_path / ("b" * 240 + ".json")
    write_atomic(output, "{}")
    assert output.read_text() == "{}"
    checkpoint_path(output).write_text("")


def test_read_and_batch_with_a_244_character_name(tmp_path):
    source = _page(tmp_path / "in" / ("n" * 240 + ".png"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["read", str(source), "-e", "fake", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / ("n" * 240 + ".txt")).exists()
    result = runner.invoke(
        app, ["batch", str(source.parent), "-e", "fake", "-o", str(tmp_path / "b"), "-j", "0"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / ("n" * 240 + ".json")).exists()


# --- item 8: workers die with their parent -------------------------------------------------------

_PARENT = r"""
import sys
from pathlib import Path
import tests.fixtures.crash_engine  # registers "slow-on-blue"
from clearocr.batch import BatchSettings, plan, registry_targets, run_local
settings = BatchSettings(options={"engine": "slow-on-blue", "orientation": False, "deskew": False},
                         fmt="json", engines=registry_targets())
out = Path(sys.argv[2])
run_local(plan([sys.argv[1]], out, "json", settings), settings, out / "manifest.jsonl", jobs=1)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killing_the_batch_process_ends_its_worker(tmp_path):
    psutil = pytest.importorskip("psutil")
    _page(tmp_path / "in" / "long.png", colour=(0, 0, 255))  # the slow-on-blue engine takes a minute on it
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path / "in"), str(tmp_path / "out")], cwd=ROOT
    )
    workers: list = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not workers:
            workers = [p for p in psutil.Process(parent.pid).children(recursive=True) if "python" in p.name()]
            time.sleep(0.2)
        assert workers, "no worker started"
        time.sleep(2)  # the worker is inside the document now
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"workers outlived their parent: {alive}"
    finally:
        if parent.poll() is None:
            parent.kill()
        for worker in workers:
            try:
                worker.kill()
            except psutil.Error:
                pass
