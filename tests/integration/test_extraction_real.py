"""Extraction on real pages: every returned field's box, cropped and read again, shows the value."""

import re

import numpy as np
import pytest
from PIL import Image

import clearocr
from clearocr.extraction import RuleExtractor

pytestmark = pytest.mark.slow


def alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def covers(reader, page: np.ndarray, bbox, printed: str) -> bool:
    """The box holds the printed value: its content alone, read again, matches the value (allowing
    one OCR slip on these noisy crops: partial ratio >= 85)."""
    from rapidfuzz import fuzz

    return fuzz.partial_ratio(alnum(printed), alnum(read_box(reader, page, bbox))) >= 85


def read_box(reader, page: np.ndarray, bbox, margin: int = 4) -> str:
    """OCR of exactly the box (plus a few pixels), pasted on a white canvas so the detector has room."""
    x0, y0, x1, y1 = bbox
    crop = page[max(0, y0 - margin) : y1 + margin, max(0, x0 - margin) : x1 + margin]
    height, width = crop.shape[:2]
    canvas = np.full((height + 2 * 40, width + 2 * 40, 3), 255, np.uint8)
    canvas[40 : 40 + height, 40 : 40 + width] = crop
    return reader.read(canvas, orientation=False, deskew=False, languages="en").text


@pytest.fixture(scope="module")
def reader():
    with clearocr.Reader() as shared:
        yield shared


def test_fields_of_scanned_invoice_and_their_boxes(reader, samples):
    path = samples / "invoice.png"
    document = reader.read(path)
    fields = RuleExtractor(["en", "sv"]).extract(document)
    values = fields.values()
    assert values["invoice_number"] == "INV-2024-00172"
    assert values["invoice_date"] == "2024-03-14" and values["due_date"] == "2024-04-13"
    assert values["vendor_name"] == "Nordic Paper Supplies AB"
    assert values["total"] is None  # page 1 of 3 prints no total: nothing is guessed
    page = np.asarray(Image.open(path).convert("RGB"))
    checked = 0
    for name in ("invoice_number", "invoice_date", "due_date", "vendor_name", "vendor_tax_id", "buyer_name"):
        field = getattr(fields, name)
        assert field is not None and field.page == 1, name
        assert covers(reader, page, field.bbox, field.text), (
            name,
            field.text,
            read_box(reader, page, field.bbox),
        )
        checked += 1
    assert checked == 6


def test_totals_on_the_scanned_pdf_reconcile(reader, samples):
    document = reader.read(samples / "invoice-3pages-scanned.pdf", dpi=150)
    fields = RuleExtractor(["en", "sv"]).extract(document)
    values = fields.values()
    assert (values["subtotal"], values["tax_amount"], values["tax_rate"], values["total"]) == (
        "692.90",
        "173.22",
        "25",
        "866.12",
    )
    assert values["currency"] == "SEK" and fields.total.page == 2
    assert fields.checks == {
        "subtotal_plus_tax_equals_total": "passed",
        "tax_rate_matches_tax_amount": "passed",
        "line_items_sum_equals_subtotal": "passed",
    }
    assert len(fields.line_items) == 14
    first = fields.line_items[0]
    assert (first.quantity.value, first.unit_price.value, first.amount.value) == ("20", "4.95", "99.00")


def test_cli_extract_json(samples):
    import json

    from typer.testing import CliRunner

    from clearocr.cli import app

    result = CliRunner().invoke(
        app, ["extract", str(samples / "invoice-3pages.pdf"), "--format", "json", "--lang", "en,sv"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["fields"]["total"]["value"] == "866.12" and data["fields"]["total"]["page"] == 2


SROIE = __import__("pathlib").Path(__file__).resolve().parents[3] / "shared" / "data" / "sroie2019"


@pytest.mark.skipif(not SROIE.is_dir(), reason="../shared/data/sroie2019 not present")
@pytest.mark.parametrize("receipt", ["000", "048", "186"])
def test_provenance_boxes_on_real_receipts(reader, receipt):
    """On real SROIE receipts, each field's box, cut out and read again, prints the field's text."""
    path = SROIE / "img" / f"{receipt}.jpg"
    document = reader.read(path, languages="en")
    fields = RuleExtractor(["en"]).extract(document)
    page = np.asarray(Image.open(path).convert("RGB"))
    found = 0
    for name in ("invoice_date", "total", "vendor_name"):
        field = getattr(fields, name)
        if field is None:
            continue
        assert covers(reader, page, field.bbox, field.text), (
            receipt,
            name,
            field.text,
            read_box(reader, page, field.bbox),
        )
        found += 1
    assert found >= 2
