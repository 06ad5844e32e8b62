"""The default engine on real pages (the sample invoice shipped in samples/). A few seconds each."""

import json
import socket

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import clearocr
from clearocr.cli import app
from clearocr.metrics import cer, normalize_text

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reader():
    with clearocr.Reader() as shared:
        yield shared


@pytest.fixture(scope="module")
def upright(reader, samples):
    return reader.read(samples / "invoice.png")


def test_invoice_reads_with_boxes_and_confidences(upright, samples):
    text = upright.text
    for expected in ["Nordic Paper Supplies AB", "INV-2024-00172", "Invoice date", "Café Solrosen HB"]:
        assert expected in text, text
    page = upright.pages[0]
    assert (page.width, page.height) == Image.open(samples / "invoice.png").size
    assert page.dpi == 150
    for line in page.lines:
        for word in line.words:
            x0, y0, x1, y1 = word.bbox
            assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height
            assert 0.0 <= word.confidence <= 1.0


def test_table_row_reads_as_one_line(upright):
    lines = upright.pages[0].text.splitlines()
    row = next(line for line in lines if line.startswith("A4 copy paper"))
    assert row.endswith("20 4.95 99.00"), row


def test_word_box_covers_the_printed_word(upright, samples):
    image = np.asarray(Image.open(samples / "invoice.png").convert("L"))
    word = next(w for w in upright.pages[0].words if w.text == "INV-2024-00172")
    x0, y0, x1, y1 = word.bbox
    assert image[y0:y1, x0:x1].min() < 90  # dark ink inside the box
    assert 100 < (x1 - x0) < 220 and 10 < (y1 - y0) < 40


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_rotated_page_reads_like_upright(reader, samples, upright, turns):
    image = np.rot90(np.asarray(Image.open(samples / "invoice.png").convert("RGB")), k=turns).copy()
    document = reader.read(image)
    assert document.pages[0].rotation == 90 * turns
    reference = normalize_text(upright.text)
    assert cer(reference, normalize_text(document.text)) < 0.02


def test_scanned_pdf_pages_and_selection(reader, samples):
    document = reader.read(samples / "invoice-3pages-scanned.pdf", pages="2-3", dpi=150)
    assert [p.number for p in document.pages] == [2, 3]
    assert all(p.text_source == "ocr" for p in document.pages)
    assert "Subtotal" in document.pages[0].text and "Thank you for your order" in document.pages[1].text
    assert document.text.count("\f") == 1


def test_swedish_and_spanish_diacritics(reader):
    from PIL import ImageDraw, ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 36)
    except OSError:
        pytest.skip("DejaVu fonts not installed")
    image = Image.new("RGB", (1100, 220), "white")
    draw = ImageDraw.Draw(image)
    draw.text((30, 30), "Kvitto för köp: smörgås 45,00 kr", fill="black", font=font)
    draw.text((30, 120), "Año: señal, canción y niño", fill="black", font=font)
    text = reader.read(image, languages="sv,es").text
    assert "smörgås" in text and "niño" in text, text


def test_english_keeps_the_accents_it_is_sure_of(reader):
    """The English accent prior (ENGLISH_ACCENT_PRIOR) discounts accents, it does not ban them: a
    clean line of names drawn in DejaVu Sans keeps its accents with ``languages="en"``."""
    from PIL import ImageDraw, ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 36)
    except OSError:
        pytest.skip("DejaVu fonts not installed")
    image = Image.new("RGB", (1100, 120), "white")
    ImageDraw.Draw(image).text((30, 30), "Café Müller, Nürnberg: 12 crêpes", fill="black", font=font)
    text = reader.read(image, languages="en").text
    assert "Müller" in text and "Nürnberg" in text and "Café" in text, text


def test_boxes_of_an_org_chart_are_read_box_by_box(reader):
    """A page drawn with Pillow: six ruled boxes (grey rules, as scanned org charts and forms have
    them) of three lines each, two rows of three, with invented names. Each box's lines come out
    together, boxes row by row; without the boxes the rows would run across the page."""
    from PIL import ImageDraw, ImageFont

    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 26)
    except OSError:
        pytest.skip("DejaVu fonts not installed")
    people = [
        ("Mira Holt", "Field Sales", "4/9/2031"),
        ("Oskar Lind", "Store Manager", "1/16/2030"),
        ("Ada Varga", "Buyer North", "6/20/2029"),
        ("Tove Berg", "Field Sales", "2/15/2031"),
        ("Ivan Roos", "Store Manager", "8/29/2032"),
        ("Lena Frost", "Buyer South", "9/27/2030"),
    ]
    image = Image.new("RGB", (1500, 900), "white")
    draw = ImageDraw.Draw(image)
    for index, lines in enumerate(people):
        x0, y0 = 80 + 480 * (index % 3), 120 + 360 * (index // 3)
        draw.rectangle((x0, y0, x0 + 400, y0 + 200), outline=(150, 150, 150), width=2)
        for row, text in enumerate(lines):
            draw.text((x0 + 60, y0 + 40 + 45 * row), text, fill="black", font=font)
    document = reader.read(image, languages="en")
    page = document.pages[0]
    boxes = [page.lines[b.start : b.end] for b in page.blocks if b.kind == "box"]
    assert [[line.text for line in box] for box in boxes] == [list(lines) for lines in people], document.text
    assert any(s.name == "layout" and s.params.get("ruled_boxes") == 6 for s in page.preprocessing)


def test_engine_never_touches_the_network(samples, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with clearocr.Reader() as fresh:
        assert "INVOICE" in fresh.read(samples / "invoice.png").text


def test_cli_json_on_sample(samples):
    result = CliRunner().invoke(app, ["read", str(samples / "invoice.png"), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pages"][0]["lines"][0]["words"][0]["bbox"]
    assert "INV-2024-00172" in data["text"]


def test_parallel_recognition_workers_read_the_same_text(upright, samples):
    """``rec_workers=2``: the page's crops read by two sessions at once give the same lines, words and
    confidences as one session; the workers are shut down by ``close()``."""
    with clearocr.Reader(engine_options={"rapidocr": {"rec_workers": 2}}) as parallel:
        document = parallel.read(samples / "invoice.png")
        engine = parallel.engine("rapidocr")
        assert engine._parallel is not None and len(engine._parallel.workers) == 2
    assert [line.text for line in document.pages[0].lines] == [line.text for line in upright.pages[0].lines]
    ours = [round(w.confidence, 4) for w in document.pages[0].words]
    assert ours == [round(w.confidence, 4) for w in upright.pages[0].words]
    assert engine._parallel is None


def test_fast_speed_reads_a_clean_invoice_like_the_default(reader, upright, samples, monkeypatch):
    """``speed="fast"``: the detector at 960 px for the page (its glyphs stay legible there), no
    preprocessing steps, the same engine; the detector's own side is restored after the page."""
    engine = reader.engine("rapidocr")
    sides = []
    recognize = engine.recognize

    def spy(image, languages):
        sides.append(engine._ocr._load_det_model().limit_side_len)
        return recognize(image, languages)

    monkeypatch.setattr(engine, "recognize", spy)
    document = reader.read(samples / "invoice.png", speed="fast")
    assert sides == [960]
    assert engine._ocr._load_det_model().limit_side_len == engine.detector_side == 1280
    assert [step.name for step in document.pages[0].preprocessing if step.name != "layout"] == []
    text = normalize_text(document.text)
    assert cer(normalize_text(upright.text), text) < 0.02, document.text
    assert "INV-2024-00172" in document.text


def test_rapidocr_model_table_is_parsed_once_and_omegaconf_restored():
    """import_rapidocr memoises rapidocr's model table for its own import only (a fresh process)."""
    import subprocess
    import sys

    code = (
        "from omegaconf import OmegaConf\n"
        "original = OmegaConf.load\n"
        "from clearocr.engines.rapidocr import import_rapidocr\n"
        "cls = import_rapidocr()\n"
        "import rapidocr.inference_engine.base as base, rapidocr.utils.model_resolver as resolver\n"
        "assert cls.__name__ == 'RapidOCR'\n"
        "assert OmegaConf.load is original\n"
        "assert resolver._MODEL_CONFIG is base.InferSession.model_info\n"
        "assert OmegaConf.to_container(base.InferSession.model_info) == "
        "OmegaConf.to_container(OmegaConf.load(base.MODEL_URL_PATH))\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_detector_input_is_normalised_in_float32_to_the_same_values():
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    from clearocr.engines.rapidocr import RapidOcrEngine

    engine = RapidOcrEngine(threads=1)
    try:
        detector = engine._detector()
        assert detector.mean.dtype == np.float32 and detector.std.dtype == np.float32
        image = np.random.default_rng(3).integers(0, 256, size=(97, 131, 3), dtype=np.uint8)
        as_configured = DetPreProcess(
            detector.limit_side_len, detector.limit_type, detector.mean.tolist(), detector.std.tolist()
        )
        assert as_configured.mean.dtype == np.float64  # RapidOCR's own arrays from the config's lists
        assert np.array_equal(detector.get_preprocess()(image), as_configured(image))
    finally:
        engine.close()
