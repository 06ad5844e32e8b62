"""The Tesseract engine (optional extra) on the sample invoice; skipped where it is not installed."""

import pytest

import clearocr
from clearocr.engines import engine_class
from clearocr.errors import UnsupportedLanguageError

pytestmark = [pytest.mark.slow, pytest.mark.tesseract]


@pytest.fixture(scope="module")
def tesseract():
    info = engine_class("tesseract").info()
    if not info.available:
        pytest.skip(info.reason)
    return info


def test_reads_invoice_rows(tesseract, samples):
    with clearocr.Reader(engine="tesseract") as reader:
        document = reader.read(samples / "invoice.png")
    assert "INV-2024-00172" in document.text
    row = next(line for line in document.text.splitlines() if line.startswith("A4 copy paper"))
    assert row.endswith("99.00"), row  # table columns merged into the row
    assert all(0 <= w.confidence <= 1 for w in document.pages[0].words)


def test_missing_language_data_names_the_package(tesseract):
    missing = [code for code in ("de", "fr", "it", "ru") if code not in tesseract.languages]
    if not missing:
        pytest.skip("all probe languages installed")
    with pytest.raises(UnsupportedLanguageError, match="tesseract-ocr-"):
        engine_class("tesseract").resolve_languages(["en", missing[0]])
