"""The review page reads as a page for people (issue 26, item 22): checks as words, preprocessing as
sentences, no repeated text when nothing was corrected, every tax line of a tax. Made-up document."""

from __future__ import annotations

from clearocr.document import Document, Line, Page, PreprocessStep, Word
from clearocr.export.review import to_review_html


def _document() -> Document:
    lines = ["Corner Shop", "VAT 6% 0.60", "VAT 12% 1.20", "VAT 25% 5.00", "TOTAL 47.80"]
    boxes = [(10, 20 + 30 * i, 300, 45 + 30 * i) for i in range(len(lines))]
    page = Page(
        1,
        400,
        300,
        lines=[Line(t, b, 0.95, [Word(t, b, 0.95)]) for t, b in zip(lines, boxes)],
        preprocessing=[
            PreprocessStep("deskew", {"angle": 1.23456, "reason": "the page was turned slightly"}),
            PreprocessStep("tiles", {"tiles": 6, "overlap": 144}),
        ],
    )
    document = Document("receipt.png", [page])
    field = {"text": "VAT 6% 0.60", "confidence": 0.9, "page": 1, "bbox": list(boxes[1]), "source": "rules"}
    document.fields = {
        "tax_amount": {**field, "value": "6.80"},
        "total": {**field, "value": "47.80", "text": "TOTAL 47.80", "bbox": list(boxes[4])},
        "taxes": [
            {"amount": "0.60", "rate": "6", "label": "VAT 6%"},
            {"amount": "1.20", "rate": "12", "label": "VAT 12%"},
            {"amount": "5.00", "rate": "25", "label": "VAT 25%"},
        ],
        "checks": {"subtotal_plus_tax_equals_total": "failed", "tax_rate_matches_tax_amount": "passed"},
        "check_details": {"subtotal_plus_tax_equals_total": "41.00 + 6.80 = 47.80 vs total 48.80"},
    }
    return document


def test_review_page_reads_as_a_page_for_people():
    html = to_review_html(_document(), images=False)
    assert "&#34;passed&#34;" not in html and '"passed"' not in html.split("<script>")[0].split("<body>")[1]
    assert (
        "\u2713 passed" in html and "\u2717 failed" in html and "41.00 + 6.80 = 47.80 vs total 48.80" in html
    )
    assert "{&#34;" not in html and "the page was turned slightly" in html and "angle: 1.23" in html
    assert "No corrections on this page" in html and 'class="corrected"' not in html
    assert "VAT 6%: 0.60 + VAT 12%: 1.20 + VAT 25%: 5.00" in html
