"""Batch: input expansion, manifest, resume, per-file errors, worker processes (fake engine)."""

from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image
from typer.testing import CliRunner

from clearocr.batch import (
    MANIFEST_NAME,
    BatchSettings,
    expand_inputs,
    latest_records,
    plan,
    registry_targets,
    run_local,
)
from clearocr.cli import app
from clearocr.errors import InputError

runner = CliRunner()


def _make_inputs(root, good=4, corrupt=2):
    (root / "sub").mkdir(parents=True)
    for i in range(good):
        folder = root / "sub" if i % 2 else root
        Image.new("RGB", (400 + 10 * i, 300), "white").save(folder / f"page{i}.png")
    for i in range(corrupt):
        (root / f"bad{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    (root / "notes.txt").write_text("not a document")
    return root


def _settings(**options):
    return BatchSettings(options={"engine": "fake", **options}, fmt="json", engines=registry_targets())


def test_expand_inputs_dirs_globs_and_list_files(tmp_path):
    root = _make_inputs(tmp_path / "in")
    pairs = expand_inputs([str(root)])
    assert [rel for _, rel in pairs] == [
        "bad0.png",
        "bad1.png",
        "page0.png",
        "page2.png",
        "sub/page1.png",
        "sub/page3.png",
    ]
    assert len(expand_inputs([str(root / "sub" / "*.png")])) == 2
    listing = tmp_path / "list.txt"
    listing.write_text(f"# two files\n{root / 'page0.png'}\n\n{root / 'sub' / 'page1.png'}\n")
    assert [rel for _, rel in expand_inputs([f"@{listing}"])] == ["page0.png", "page1.png"]
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([str(tmp_path / "missing")])
    with pytest.raises(InputError, match="matches no file"):
        expand_inputs([str(tmp_path / "*.tiff")])


def test_in_process_batch_manifest_and_resume(tmp_path):
    root = _make_inputs(tmp_path / "in")
    out = tmp_path / "out"
    settings = _settings()
    items = plan([str(root)], out, "json", settings)
    summary = run_local(items, settings, out / MANIFEST_NAME, jobs=0)
    assert (summary.ok, summary.failed, summary.skipped) == (4, 2, 0)
    assert (out / "sub" / "page1.json").exists() and not (out / "bad0.json").exists()
    records = latest_records(out / MANIFEST_NAME)
    bad = records[str(root / "bad0.png")]
    assert bad["status"] == "error" and "bad0.png" in bad["error"]["message"]
    assert bad["error"]["type"] == "CorruptInputError"
    document = json.loads((out / "page0.json").read_text())
    assert document["source"] == str(root / "page0.png")

    # Rerun: the 4 unchanged inputs are skipped, the corrupt ones are tried again.
    summary = run_local(plan([str(root)], out, "json", settings), settings, out / MANIFEST_NAME, jobs=0)
    assert (summary.ok, summary.failed, summary.skipped) == (0, 2, 4)
    # A changed input is read again; so is everything when an option changes.
    Image.new("RGB", (500, 500), "white").save(root / "page0.png")
    summary = run_local(plan([str(root)], out, "json", settings), settings, out / MANIFEST_NAME, jobs=0)
    assert (summary.ok, summary.skipped) == (1, 3)
    other = _settings(deskew=False)
    summary = run_local(plan([str(root)], out, "json", other), other, out / MANIFEST_NAME, jobs=0)
    assert (summary.ok, summary.skipped) == (4, 0)
    # A deleted output is recreated.
    (out / "page2.json").unlink()
    summary = run_local(plan([str(root)], out, "json", other), other, out / MANIFEST_NAME, jobs=0)
    assert (summary.ok, summary.skipped) == (1, 3)


def test_worker_processes_give_the_same_outputs(tmp_path):
    root = _make_inputs(tmp_path / "in", good=3, corrupt=1)
    settings = _settings()
    inline = run_local(
        plan([str(root)], tmp_path / "a", "json", settings), settings, tmp_path / "a" / MANIFEST_NAME, jobs=0
    )
    pooled = run_local(
        plan([str(root)], tmp_path / "b", "json", settings),
        settings,
        tmp_path / "b" / MANIFEST_NAME,
        jobs=2,
        recycle_after=1,
    )
    assert (pooled.ok, pooled.failed) == (inline.ok, inline.failed) == (3, 1)
    for name in ("page0.json", "page2.json", "sub/page1.json"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_batch_cli_exit_code_and_rerun(tmp_path):
    root = _make_inputs(tmp_path / "in", good=2, corrupt=1)
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(root), "-o", str(out), "--engine", "fake", "-j", "0"])
    assert result.exit_code == 1, result.output
    assert "2 read" in result.output and "1 failed" in result.output
    shutil.rmtree(root / "bad0.png", ignore_errors=True)
    (root / "bad0.png").unlink()
    result = runner.invoke(
        app, ["batch", str(root), "-o", str(out), "--engine", "fake", "-j", "0", "--format", "text"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "page0.txt").exists()
    result = runner.invoke(
        app, ["batch", str(root), "-o", str(out), "--engine", "fake", "-j", "0", "--format", "text"]
    )
    assert result.exit_code == 0 and "2 skipped" in result.output
    result = runner.invoke(app, ["batch", str(root), "-o", str(out), "--engine", "fake", "--set", "dpi=5"])
    assert result.exit_code == 2 and "dpi" in result.output


def test_uri_inputs_through_pyarrow_filesystems(tmp_path):
    pytest.importorskip("pyarrow.fs")
    from clearocr.batch import read_input_bytes

    root = _make_inputs(tmp_path / "in", good=2, corrupt=0)
    pairs = expand_inputs([f"file://{root}"])
    assert [rel for _, rel in pairs] == ["page0.png", "sub/page1.png"]
    assert pairs[0][0] == f"file://{root}/page0.png"
    assert read_input_bytes(pairs[0][0]) == (root / "page0.png").read_bytes()
    with pytest.raises(InputError, match="no such file"):
        expand_inputs([f"file://{root}/missing.png"])
    settings = _settings()
    out = tmp_path / "out"
    summary = run_local(
        plan([f"file://{root}"], out, "json", settings), settings, out / MANIFEST_NAME, jobs=0
    )
    assert summary.ok == 2 and (out / "sub" / "page1.json").exists()
