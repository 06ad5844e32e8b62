"""The pipeline end to end with the fake engine (no models): rows, rescaling, layer text, errors."""

import numpy as np
import pytest
from PIL import Image

import clearocr
from clearocr.engines import create_engine, engine_names, list_engines
from clearocr.errors import EngineUnavailableError, UnsupportedLanguageError
from tests.conftest import FakeEngine


def test_rows_merged_and_boxes_mapped_back_to_page_pixels():
    image = np.full((100, 200, 3), 255, np.uint8)  # small: the pipeline upscales it for the engine
    with clearocr.Reader(engine="fake", orientation=False, deskew=False) as reader:
        document = reader.read(image)
        engine = reader.engine("fake")
    page = document.pages[0]
    assert engine.sizes[0][0] > 200  # the engine saw an upscaled image ...
    assert (page.width, page.height) == (200, 100)  # ... the boxes are in page pixels
    assert [line.text for line in page.lines] == ["TOTAL 9.00", "Thanks"]
    assert page.lines[0].bbox == (20, 10, 180, 16)
    assert [s.name for s in page.preprocessing] == ["upscale"]
    assert engine.closed  # the reader closed it on exit


def test_engines_are_loaded_once_per_reader():
    FakeEngine.instances.clear()
    image = np.full((400, 1200, 3), 255, np.uint8)
    with clearocr.Reader(engine="fake", orientation=False) as reader:
        for _ in range(3):
            reader.read(image)
    assert len(FakeEngine.instances) == 1 and FakeEngine.instances[0].calls == 3


def test_pdf_text_layer_modes(samples):
    pdf = samples / "invoice-3pages.pdf"
    with clearocr.Reader(engine="fake", orientation=False, deskew=False, dpi=72) as reader:
        auto = reader.read(pdf, pages="1")
        forced = reader.read(pdf, pages="1", pdf_text="ocr")
    assert auto.pages[0].text_source == "layer" and auto.pages[0].engine == "pdf-text-layer"
    assert "Invoice no: INV-2024-00172" in auto.text
    assert "Nordic Paper Supplies AB INVOICE" in auto.pages[0].text.splitlines()[0]
    assert forced.pages[0].text_source == "ocr" and "TOTAL 9.00" in forced.text


def test_layer_mode_never_ocrs_an_image_page(samples):
    with clearocr.Reader(engine="crashing", dpi=50) as reader:
        document = reader.read(samples / "invoice-3pages-scanned.pdf", pages="1", pdf_text="layer")
    assert document.pages[0].lines == [] and document.pages[0].text_source == "layer"


def test_unsupported_language_fails_before_reading(tmp_path):
    with pytest.raises(UnsupportedLanguageError) as info:
        clearocr.Reader(engine="fake").read(tmp_path / "missing.png", languages="en,xx")
    assert "xx" in str(info.value) and "en" in str(info.value)


def test_unknown_engine():
    with pytest.raises(EngineUnavailableError, match="unknown OCR engine 'nope'"):
        create_engine("nope")
    assert engine_names()[0] == "rapidocr"
    names = {info.name: info for info in list_engines()}
    assert names["rapidocr"].default and names["fake"].version == "fake 1.0"


def test_read_from_pil_names_source():
    document = clearocr.Reader(engine="fake", orientation=False).read(Image.new("RGB", (300, 200), "white"))
    assert document.source == "<PIL image>" and document.pages[0].number == 1
