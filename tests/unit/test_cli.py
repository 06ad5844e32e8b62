"""CLI with the fake engine: stdout, output folders, atomic writes, failures and exit codes."""

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from clearocr.cli import app, output_names

runner = CliRunner()


def make_image(path):
    Image.fromarray(np.full((300, 400, 3), 255, np.uint8)).save(path)
    return path


def test_single_file_prints_text(tmp_path):
    image = make_image(tmp_path / "receipt.png")
    result = runner.invoke(app, ["read", str(image), "--engine", "fake", "--no-orientation"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == ["TOTAL 9.00", "Thanks"]


def test_json_format_shape(tmp_path):
    image = make_image(tmp_path / "receipt.png")
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["schema"] == "clearocr.document/1" and data["pages"][0]["lines"][0]["words"]


def test_batch_to_folder_with_one_corrupt_file(tmp_path):
    good = [make_image(tmp_path / f"scan{i}.png") for i in range(2)]
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff garbage")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["read", str(good[0]), str(bad), str(good[1]), "-o", str(out), "-f", "json", "-e", "fake"]
    )
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["scan0.json", "scan1.json"]  # no temp files left
    assert "broken.jpg" in result.output and "2 of 3" in result.output
    assert json.loads((out / "scan1.json").read_text())["source"].endswith("scan1.png")


def test_single_failure_exit_code_is_the_errors(tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["read", str(empty), "-e", "fake"])
    assert result.exit_code == 8 and "0 bytes" in result.output


def test_bad_options_and_languages(tmp_path):
    image = make_image(tmp_path / "a.png")
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "--dpi", "5"])
    assert result.exit_code == 2 and "dpi" in result.output
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "--lang", "klingon"])
    assert result.exit_code == 3 and "klingon" in result.output
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "--pages", "3"])
    assert result.exit_code == 8 and "1 page" in result.output


def test_hocr_output_file(tmp_path):
    image = make_image(tmp_path / "a.png")
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "-f", "hocr", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert "ocrx_word" in (tmp_path / "o" / "a.hocr").read_text()


def test_output_names_disambiguate_same_stem(tmp_path):
    from pathlib import Path

    assert output_names([Path("a/x.png"), Path("a/y.pdf")], ".json") == ["x.json", "y.json"]
    assert output_names([Path("a/x.png"), Path("b/y.pdf")], ".json") == ["a/x.json", "b/y.json"]
    assert output_names([Path("x.png"), Path("x.pdf")], ".txt") == ["x.png.txt", "x.pdf.txt"]


def test_engines_command_lists_engines():
    result = runner.invoke(app, ["engines", "--json"])
    assert result.exit_code == 0
    names = [e["name"] for e in json.loads(result.stdout)]
    assert names[0] == "rapidocr" and "tesseract" in names


def test_engine_crash_is_reported_per_file_and_batch_goes_on(tmp_path):
    images = [make_image(tmp_path / f"p{i}.png") for i in range(2)]
    result = runner.invoke(app, ["read", *map(str, images), "-e", "crashing", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.count("unexpected RuntimeError") == 2 and "p1.png" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_read_with_extract_adds_fields_and_extract_csv(tmp_path):
    image = make_image(tmp_path / "r.png")
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "-f", "json", "--extract", "invoice"])
    assert json.loads(result.stdout)["fields"]["total"]["value"] == "9.00"
    result = runner.invoke(app, ["extract", str(image), "-e", "fake", "-f", "csv"])
    assert result.exit_code == 0
    header, row = result.stdout.strip().splitlines()
    assert header.startswith("source,invoice_number") and row.endswith(",9.00")
    plain = runner.invoke(app, ["read", str(image), "-e", "fake", "-f", "json"])
    assert "fields" not in json.loads(plain.stdout)


def test_read_with_lexical_correction_adds_corrected_text(tmp_path):
    image = make_image(tmp_path / "r.png")
    result = runner.invoke(app, ["read", str(image), "-e", "fake", "-f", "json", "--correct", "lexical"])
    data = json.loads(result.stdout)
    assert (
        data["corrected_text"] == data["text"] and data["corrections"] == []
    )  # nothing to fix in "TOTAL 9.00"


def test_extract_with_an_unloadable_llm_is_a_clear_error(tmp_path):
    image = make_image(tmp_path / "r.png")
    result = runner.invoke(
        app, ["extract", str(image), "-e", "fake", "--llm-model", str(tmp_path / "missing.gguf")]
    )
    assert result.exit_code != 0 and "missing.gguf" in result.output


def test_split_pages_writes_one_file_per_page(tmp_path, samples):
    """--split-pages: out.page-0001.txt ... for each page read (fake engine, the 3-page sample)."""
    out = tmp_path / "inv.txt"
    result = runner.invoke(
        app,
        [
            "read",
            str(samples / "invoice-3pages-scanned.pdf"),
            "-e",
            "fake",
            "--no-orientation",
            "--pdf-text",
            "ocr",
            "-p",
            "1,3",
            "-o",
            str(out),
            "--split-pages",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inv.page-0001.txt", "inv.page-0003.txt"]
    assert (
        "TOTAL" in (tmp_path / "inv.page-0003.txt").read_text()
        and "\f" not in (tmp_path / "inv.page-0001.txt").read_text()
    )
    refused = runner.invoke(app, ["read", str(samples / "invoice.png"), "-e", "fake", "--split-pages"])
    assert refused.exit_code == 2 and "--split-pages" in refused.output


def test_verbose_logs_pages_and_quiet_logs_nothing(tmp_path, samples):
    """-v sends the clearocr logger's INFO records (page read, with time and steps) to stderr; by default
    and with -q there are none."""
    image = tmp_path / "a.png"
    image.write_bytes((samples / "invoice.png").read_bytes())
    loud = runner.invoke(app, ["-v", "read", str(image), "-e", "fake", "-o", str(tmp_path / "a.txt")])
    assert loud.exit_code == 0, loud.output
    assert "clearocr.pipeline" in loud.output and "page 1 (1 of 1) read in" in loud.output
    plain = runner.invoke(app, ["read", str(image), "-e", "fake", "-o", str(tmp_path / "b.txt")])
    assert plain.exit_code == 0 and "clearocr.pipeline" not in plain.output
    quiet = runner.invoke(app, ["-q", "read", str(image), "-e", "fake", "-o", str(tmp_path / "c.txt")])
    assert quiet.exit_code == 0 and "INFO" not in quiet.output


def test_library_logs_and_never_prints(samples):
    """In a process of its own (as an application using the library): records reach the application's
    handler; nothing is printed to stdout or stderr by the library itself."""
    import subprocess
    import sys

    code = f"""
import logging
import clearocr
import tests.conftest  # registers the fake engine
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.name + ": " + record.getMessage())
assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("clearocr").handlers)
logging.getLogger("clearocr").setLevel(logging.INFO)
logging.getLogger("clearocr").addHandler(Keep())
clearocr.read({str(samples / "invoice.png")!r}, engine="fake")
assert any(r.startswith("clearocr.pipeline") and "read in" in r for r in records), records
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == ""
    assert "clearocr" not in run.stderr and "read in" not in run.stderr  # (other libraries may warn)


def test_output_is_never_cut_or_wrapped_when_piped(tmp_path):
    """Issue 26, item 21: extract's table keeps every cell whole and an error names a long path on one
    line (CliRunner is not a terminal, as a pipe is not)."""
    deep = tmp_path / ("a-folder-with-a-long-name-" * 3) / ("and-another-one-" * 3)
    deep.mkdir(parents=True)
    image = make_image(deep / "receipt-with-a-long-file-name.png")
    result = runner.invoke(app, ["extract", str(image), "--engine", "fake"])
    assert result.exit_code == 0, result.output
    assert any(str(image) in line for line in result.output.splitlines())
    assert "…" not in result.output
    missing = deep / "missing-receipt-with-a-long-name.png"
    result = runner.invoke(app, ["read", str(missing), "--engine", "fake"])
    assert result.exit_code != 0 and any(str(missing) in line for line in result.output.splitlines())
