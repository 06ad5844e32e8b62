"""The OCRmyPDF plugin, run by OCRmyPDF itself (its CLI in a subprocess, and its plugin manager),
on a scanned PDF made from a synthetic page (tests/fixtures/pages.py) with img2pdf."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import img2pdf
import pytest

from clearocr.metrics import cer
from tests.fixtures.pages import text_page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
    ),
]
OCRMYPDF = [sys.executable, "-m", "ocrmypdf"]


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def scan(tmp_path_factory) -> Path:
    page = text_page(seed=11)
    buffer = io.BytesIO()
    page.image.save(buffer, format="PNG", dpi=(page.dpi, page.dpi))
    path = tmp_path_factory.mktemp("scan") / "scan.pdf"
    path.write_bytes(img2pdf.convert(buffer.getvalue()))
    return path


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def creator(path: Path) -> str:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return str(pdf.docinfo.get("/Creator", ""))


def test_plugin_engine_reads_like_clearocr(scan, tmp_path):
    out = tmp_path / "out.pdf"
    run = subprocess.run(
        [*OCRMYPDF, "--plugin", "clearocr", "--output-type", "pdf", "-l", "eng", str(scan), str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "clearocr" in creator(out)
    ours = subprocess.run(
        [sys.executable, "-m", "clearocr", "read", str(scan)], capture_output=True, text=True, check=True
    ).stdout
    assert cer(norm(ours), norm(pdf_text(out))) <= 0.02


def test_plugin_stays_out_unless_asked(scan, tmp_path):
    if shutil.which("tesseract") is None:
        pytest.skip("OCRmyPDF's own engine (Tesseract) is not installed")
    out = tmp_path / "plain.pdf"
    run = subprocess.run(
        [*OCRMYPDF, "--output-type", "pdf", str(scan), str(out)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "clearocr" not in creator(out) and "Tesseract" in creator(out)


def test_unknown_language_is_a_usage_error(scan, tmp_path):
    run = subprocess.run(
        [
            *OCRMYPDF,
            "--plugin",
            "clearocr",
            "--output-type",
            "pdf",
            "-l",
            "tlh",
            str(scan),
            str(tmp_path / "x.pdf"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0 and "tlh" in run.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_hooks_conform_to_ocrmypdf_pluginspec(scan, tmp_path):
    """OCRmyPDF's plugin manager validates every hook implementation against its pluginspec when
    the plugin registers (pluggy raises PluginValidationError for an unknown hook or a wrong
    argument name); the engine implements every abstract method of pluginspec.OcrEngine."""
    from ocrmypdf._options import OcrOptions
    from ocrmypdf._plugin_manager import get_plugin_manager
    from ocrmypdf.pluginspec import OcrEngine

    from clearocr.ocrmypdf_plugin import ClearOCREngine

    manager = get_plugin_manager(["clearocr"])
    manager._pm.check_pending()  # no hookimpl without a matching hookspec
    options = OcrOptions(
        input_file=scan, output_file=tmp_path / "o.pdf", plugins=["clearocr"], languages=["eng"]
    )
    engine = manager.get_ocr_engine(options=options)
    assert isinstance(engine, ClearOCREngine) and isinstance(engine, OcrEngine)
    assert not getattr(ClearOCREngine, "__abstractmethods__", set())
    assert {"eng", "swe", "spa", "chi_sim", "en", "zh"} <= engine.languages(options)
    # The structured API on a page image: words on the image's pixels, with its DPI.
    import pypdfium2 as pdfium

    image = tmp_path / "page.png"
    pdf = pdfium.PdfDocument(str(scan))
    pdf[0].render(scale=200 / 72).to_pil().save(image, dpi=(200, 200))
    pdf.close()
    tree, text = engine.generate_ocr(image, options, 0)
    assert tree.ocr_class == "ocr_page" and round(tree.dpi) == 200 and len(tree.words) > 20
    assert cer(norm(text_page(seed=11).text), norm(text)) <= 0.02
    hocr, sidecar = tmp_path / "p.hocr", tmp_path / "p.txt"
    engine.generate_hocr(image, hocr, sidecar, options)
    assert "ocrx_word" in hocr.read_text() and norm(sidecar.read_text())
