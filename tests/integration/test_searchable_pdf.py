"""Searchable PDF output, checked with a real PDF reader (poppler's pdftotext/pdffonts, from Debian's
poppler-utils, which .ci/run installs) on synthetic pages drawn with known word positions
(tests/fixtures/pages.py): the text reads back, and each word's text sits on its printed word, for
plain, turned (/Rotate), skewed and born-digital inputs."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
import sys

import img2pdf
import pikepdf
import pytest
from PIL import Image
from typer.testing import CliRunner

import clearocr
from clearocr.cli import app
from clearocr.document import Document, Line, Page, Word
from clearocr.errors import PdfOutputError
from clearocr.export.pdf import to_pdf
from clearocr.metrics import cer
from tests.fixtures.pages import text_page

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("pdftotext") is None,
        reason="poppler-utils (pdftotext) is not installed; .ci/run installs it",
    ),
]


def pdftotext(pdf: bytes, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def pdf_words(pdf: bytes) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Per page, pdftotext's words with their boxes in points (top-left origin of the visible page)."""
    html = pdftotext(pdf, "-bbox")
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append(
            [
                (m.group(5), tuple(float(m.group(i)) for i in range(1, 5)))
                for m in re.finditer(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>',
                    page,
                )
            ]
        )
    return pages


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def placed(expected, found, scale, tolerance_pt):
    """Share of expected words (pixel boxes; ``scale`` points per pixel) whose text pdftotext finds with
    its centre within ``tolerance_pt`` of the printed word's centre."""
    hits = 0
    for word, box in expected:
        cx, cy = centre(box)
        cx, cy = cx * scale, cy * scale
        if any(t == word and math.dist((cx, cy), centre(b)) <= tolerance_pt for t, b in found):
            hits += 1
    return hits / len(expected)


@pytest.fixture(scope="module")
def reader():
    with clearocr.Reader() as shared:
        yield shared


@pytest.fixture(scope="module")
def page():
    return text_page()


def png(image: Image.Image, dpi: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def test_image_becomes_a_searchable_page(reader, page, tmp_path):
    source = tmp_path / "page.png"
    source.write_bytes(png(page.image, page.dpi))
    document = reader.read(str(source))
    pdf = to_pdf(document)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert len(doc.pages) == 1
        box = [float(v) for v in doc.pages[0].mediabox]
        assert box[2] == pytest.approx(page.image.width * 72 / page.dpi, abs=0.5)
        assert box[3] == pytest.approx(page.image.height * 72 / page.dpi, abs=0.5)
    assert cer(norm(document.text), norm(pdftotext(pdf, "-raw"))) <= 0.01
    assert cer(norm(page.text), norm(pdftotext(pdf, "-raw"))) <= 0.02
    # Every word is drawn where it is printed (within a quarter of the 44 px text height).
    assert placed(page.words, pdf_words(pdf)[0], 72 / page.dpi, 11 * 72 / page.dpi) >= 0.95


def test_turned_pdf_page_text_lands_on_the_visible_words(reader, page):
    """A scan stored sideways with /Rotate 90 (as scanners write it): the text layer must follow the
    page's rotation, so pdftotext's boxes match the upright printed words."""
    sideways = page.image.rotate(90, expand=True)  # stored turned a quarter left ...
    pdf_in = img2pdf.convert(png(sideways, page.dpi), rotation=img2pdf.Rotation["90"])  # ... shown upright
    document = reader.read(pdf_in, name="turned.pdf")
    pdf = to_pdf(document, source=pdf_in)
    assert cer(norm(page.text), norm(pdftotext(pdf, "-raw"))) <= 0.02
    assert placed(page.words, pdf_words(pdf)[0], 72 / page.dpi, 11 * 72 / page.dpi) >= 0.95


def test_skewed_scan_text_follows_the_skew(reader, page):
    """A page scanned 4 degrees askew: OCR runs on the straightened image; the text layer is drawn
    back at the scan's angle, onto the words as they are printed in the kept image."""
    angle = 4.0
    skewed = page.image.rotate(angle, resample=Image.BICUBIC, fillcolor="white")  # about the centre
    document = reader.read(png(skewed, page.dpi), name="skewed.png")
    assert any(s.name == "deskew" and abs(s.params["angle"]) > 3 for s in document.pages[0].preprocessing)
    pdf = to_pdf(document, source=png(skewed, page.dpi))
    w, h = page.image.size
    theta = math.radians(angle)  # PIL turns counter-clockwise on screen (y down)

    def turned(box):
        x, y = centre(box)
        dx, dy = x - w / 2, y - h / 2
        nx = w / 2 + dx * math.cos(theta) + dy * math.sin(theta)
        ny = h / 2 - dx * math.sin(theta) + dy * math.cos(theta)
        return (nx, ny, nx, ny)

    expected = [(word, turned(box)) for word, box in page.words]
    assert placed(expected, pdf_words(pdf)[0], 72 / page.dpi, 14 * 72 / page.dpi) >= 0.9


def test_pdf_input_keeps_its_pages_and_fonts(reader, page, tmp_path):
    """A born-digital page (its own font) and a scanned page: the born-digital one is left as it is,
    the scanned one gets the text layer; page count and sizes are the input's."""
    from fpdf import FPDF

    born = FPDF(unit="pt", format=(612, 792))
    born.add_page()
    born.set_font("Helvetica", size=14)
    born.text(72, 100, "Quarterly garden report for Uppsala")
    scan = pikepdf.open(io.BytesIO(img2pdf.convert(png(page.image, page.dpi))))
    merged = pikepdf.open(io.BytesIO(bytes(born.output())))
    merged.pages.extend(scan.pages)
    path = tmp_path / "mixed.pdf"
    merged.save(path)
    document = reader.read(str(path))
    assert [p.text_source for p in document.pages] == ["layer", "ocr"]
    pdf = to_pdf(document)
    with pikepdf.open(io.BytesIO(pdf)) as out, pikepdf.open(path) as original:
        assert len(out.pages) == 2
        assert [list(p.mediabox) for p in out.pages] == [list(p.mediabox) for p in original.pages]
        assert out.pages[0].Contents.read_bytes() == original.pages[0].Contents.read_bytes()
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "Helvetica" in fonts
    text = pdftotext(pdf, "-raw")
    assert "Quarterly garden report" in text
    assert cer(norm(page.text), norm(text.split("\f")[1])) <= 0.02

    only_second = reader.read(str(path), pages="2")
    with pikepdf.open(io.BytesIO(to_pdf(only_second))) as out:
        assert len(out.pages) == 1 and float(out.pages[0].mediabox[2]) < 600


def test_chinese_words_are_searchable():
    """Chinese text in the layer copies out as Unicode (OCRmyPDF's font fallback, down to its
    glyphless font when no CJK font is installed)."""
    image = Image.new("RGB", (800, 300), "white")
    words = [
        Word("增值税", (100, 100, 260, 150), 0.95),
        Word("发票", (280, 100, 380, 150), 0.93),
        Word("合计", (100, 180, 200, 230), 0.9),
    ]
    page = Page(
        1,
        800,
        300,
        dpi=150.0,
        lines=[Line.from_words(words[:2]), Line.from_words(words[2:])],
        source_size=(800, 300),
    )
    pdf = to_pdf(Document("<PIL image>", [page], languages=["zh"]), source=image)
    text = norm(pdftotext(pdf, "-raw")).replace(" ", "")
    assert "增值税发票" in text and "合计" in text


def test_missing_source_is_a_typed_error():
    page = Page(1, 10, 10, lines=[Line.from_words([Word("a", (0, 0, 5, 5), 1.0)])], source_size=(10, 10))
    with pytest.raises(PdfOutputError, match="pass source="):
        to_pdf(Document("<bytes>", [page]))


def test_cli_writes_a_pdf_and_refuses_other_suffixes(page, tmp_path):
    source = tmp_path / "note.png"
    source.write_bytes(png(page.image, page.dpi))
    runner = CliRunner()
    result = runner.invoke(app, ["read", str(source), "-f", "pdf", "-o", str(tmp_path / "note.pdf")])
    assert result.exit_code == 0, result.output
    data = (tmp_path / "note.pdf").read_bytes()
    assert data.startswith(b"%PDF") and cer(norm(page.text), norm(pdftotext(data, "-raw"))) <= 0.02
    result = runner.invoke(app, ["read", str(source), "-f", "pdf", "-o", str(tmp_path / "note.txt")])
    assert result.exit_code == 2 and "written as .pdf" in result.output


def test_hocr_converts_with_ocrmypdf_hocrtransform(reader, page, tmp_path):
    """Our hOCR through OCRmyPDF's own hOCR -> PDF converter gives the words (it needs
    ocr_carea/ocr_par levels: without them it wrote a PDF with no text)."""
    document = reader.read(png(page.image, page.dpi), name="page.png")
    hocr = tmp_path / "page.hocr"
    hocr.write_text(document.to_hocr(), encoding="utf-8")
    out = tmp_path / "page.pdf"
    subprocess.run([sys.executable, "-m", "ocrmypdf.hocrtransform", str(hocr), str(out)], check=True)

    # Characters compared without spaces: hocrtransform draws each word into its engine box as given,
    # and RapidOCR's padded boxes touch, so pdftotext (which breaks words on gaps) runs some together.
    def letters(text: str) -> str:
        return re.sub(r"\s+", "", text)

    assert cer(letters(page.text), letters(pdftotext(out.read_bytes(), "-raw"))) <= 0.02


def test_pdfa_output_is_validated(reader, page, tmp_path):
    """-f pdfa: PDF/A-2b declared and checked by pikepdf's validator; an input it cannot approve is a
    typed error, never a file that only claims PDF/A."""
    import pikepdf.pdfa

    from clearocr.export import export

    data = png(page.image, page.dpi)
    document = reader.read(data, name="page.png")
    pdf = export(document, "pdfa", data)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert pikepdf.pdfa.check(doc, "2b").findings == []
        assert doc.open_metadata().pdfa_status == "2B"
    assert cer(norm(page.text), norm(pdftotext(pdf, "-raw"))) <= 0.02
    from fpdf import FPDF

    born = FPDF()
    born.add_page()
    born.set_font("Helvetica", size=14)  # a standard font, not embedded: PDF/A forbids that
    born.text(20, 30, "Garden market report")
    born.set_auto_page_break(False)
    with pytest.raises(PdfOutputError, match="PDF/A-2b"):
        export(
            reader.read(bytes(born.output()), name="born.pdf", pdf_text="ocr"), "pdfa", bytes(born.output())
        )
