"""Rule extractor on hand-built documents (no OCR): values, provenance, absence, arithmetic checks.

Every name, address and number here is invented; none is copied from an evaluation document.
"""

import pytest

from clearocr import extract
from clearocr.document import Document, Line, Page, Word
from clearocr.extraction import RuleExtractor
from clearocr.extraction.values import find_amounts, find_currencies, find_dates, find_percentages


def doc(rows, width=800, height=1200):
    """A one-page document: each row is a list of (text, x0) cells at 40 px line pitch."""
    lines = []
    for i, cells in enumerate(rows):
        y = 40 + i * 40
        words = []
        for text, x in cells:
            for j, token in enumerate(text.split()):
                x0 = x + j * 60
                words.append(Word(token, (x0, y, x0 + 50, y + 20), 0.95))
        lines.append(Line.from_words(words))
    return Document("test", [Page(number=1, width=width, height=height, lines=lines)])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Total 1,234.56", ["1234.56"]),
        ("Summa 1.234,56 kr", ["1234.56"]),
        ("1 234,56", ["1234.56"]),
        ("RM9.00 and $1,250.00", ["9.00", "1250.00"]),
        ("Qty 3 items", []),
        ("Rounding -0.02", ["-0.02"]),
        # Currencies without minor units: digit grouping alone marks a whole amount (CLDR #,##0 and
        # the Indian #,##,##0); one dot group is a quantity as often as a thousand, so it needs a sign.
        ("TOTAL 174,600", ["174600.00"]),
        ("Jumlah 1,74,600", ["174600.00"]),
        ("Monto 1.234.567", ["1234567.00"]),
        ("Total Rp 174.600", ["174600.00"]),
        ("QTY 1.000 X 4.50", ["4.50"]),
        ("Invoice 2024,001", []),
    ],
)
def test_amounts(text, expected):
    assert [m.value for m in find_amounts(text)] == expected


@pytest.mark.parametrize(
    "text, day_first, expected",
    [
        ("14/11/2019", True, "2019-11-14"),
        ("03/04/2018", True, "2018-04-03"),
        ("03/04/2018", False, "2018-03-04"),
        ("12/25/2018", True, "2018-12-25"),
        ("2024-03-14", True, "2024-03-14"),
        ("14 mars 2024", True, "2024-03-14"),
        ("17 May 2016 10:12am", True, "2016-05-17"),
        ("Jan 5, 2014", True, "2014-01-05"),
        ("2023年08月25日", True, "2023-08-25"),
        ("11.01.19", True, "2019-01-11"),
    ],
)
def test_dates(text, day_first, expected):
    assert find_dates(text, day_first)[0].value == expected


def test_no_date_in_amounts_or_phone_numbers():
    assert find_dates("TOTAL 9.00 TEL 07-2614733") == []


def test_percent_and_currency():
    assert [m.value for m in find_percentages("VAT 25% and GST 6 % and 7,5%")] == ["25", "6", "7.5"]
    assert [m.value for m in find_currencies("Summa 100 kr", ("sv",))] == ["SEK"]
    assert [m.value for m in find_currencies("Total RM 9.00 ($)")] == ["MYR", "USD"]


def test_invoice_fields_with_provenance_and_checks():
    document = doc(
        [
            [("Nordic Paper Supplies AB", 40), ("INVOICE", 600)],
            [("Sveavägen 42, Stockholm", 40), ("Invoice no:", 450), ("INV-2024-00172", 620)],
            [("VAT no. SE556677889901", 40), ("Invoice date:", 450), ("2024-03-14", 620)],
            [("Due date:", 450), ("2024-04-13", 620)],
            [("Subtotal", 450), ("692.90", 650)],
            [("VAT 25%", 450), ("173.22", 650)],
            [("Total due (SEK)", 450), ("866.12", 650)],
        ]
    )
    fields = RuleExtractor(["en", "sv"]).extract(document)
    values = fields.values()
    assert values["invoice_number"] == "INV-2024-00172"
    assert values["invoice_date"] == "2024-03-14" and values["due_date"] == "2024-04-13"
    assert values["vendor_name"] == "Nordic Paper Supplies AB"
    assert values["total"] == "866.12" and values["subtotal"] == "692.90" and values["tax_amount"] == "173.22"
    assert (
        values["tax_rate"] == "25"
        and values["currency"] == "SEK"
        and values["vendor_tax_id"] == "SE556677889901"
    )
    assert fields.checks == {
        "subtotal_plus_tax_equals_total": "passed",
        "tax_rate_matches_tax_amount": "passed",
    }
    total = fields.total
    assert total.page == 1 and total.line_index == 6 and total.bbox == (650, 280, 700, 300)
    assert 0.0 <= total.confidence <= 1.0


def test_receipt_total_prefers_grand_total_over_subtotal_and_cash():
    document = doc(
        [
            [("KEDAI MAJU SDN BHD", 100)],
            [("Date: 14/11/2019", 40)],
            [("SUBTOTAL", 40), ("8.98", 400)],
            [("Rounding", 40), ("0.02", 400)],
            [("Grand Total", 40), ("9.00", 400)],
            [("CASH", 40), ("10.00", 400)],
            [("CHANGE", 40), ("1.00", 400)],
        ]
    )
    fields = RuleExtractor().extract(document)
    assert fields.total.value == "9.00" and fields.checks["cash_minus_change_equals_total"] == "passed"
    assert fields.vendor_name.value == "KEDAI MAJU SDN BHD" and fields.invoice_date.value == "2019-11-14"


def test_absent_fields_are_none_not_guessed():
    fields = RuleExtractor().extract(doc([[("Meeting notes", 40)], [("bring the charts", 40)]]))
    values = fields.values()
    assert values["total"] is None and values["invoice_date"] is None and values["invoice_number"] is None
    assert values["currency"] is None and fields.checks == {}
    assert RuleExtractor().extract(Document("empty", [])).values()["total"] is None


def test_extract_accepts_a_document_and_dict_shape():
    fields = extract(doc([[("TOTAL", 40), ("12.50", 400)]]))
    data = fields.to_dict()
    assert data["total"]["value"] == "12.50" and set(data["total"]) >= {
        "value",
        "text",
        "confidence",
        "page",
        "bbox",
        "source",
    }
    assert data["invoice_date"] is None


def test_vendor_name_without_registration_and_with_canonical_legal_form():
    document = doc(
        [
            [("77 HARI MART 5/B (612345-K)", 40)],
            [("LOT 12, JALAN MERAK,", 40)],
            [("TOTAL", 40), ("9.00", 500)],
        ]
    )
    vendor = RuleExtractor().extract(document).vendor_name
    assert vendor.value == "77 HARI MART S/B" and vendor.text == "77 HARI MART 5/B"
    two_rows = doc([[("SINAR PAPER", 40)], [("CO. (M) SDN BHD", 40)], [("(204417-T)", 40)]])
    assert RuleExtractor().extract(two_rows).vendor_name.value == "SINAR PAPER CO. (M) SDN BHD"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Grand Total Rs 1939", ["1939.00"]),
        ("Total $144", ["144.00"]),
        ("RM 45.35", ["45.35"]),
        ("Rs 1,939.50 paid", ["1939.50"]),
        ("Qty 12 pcs", []),
    ],
)
def test_whole_amounts_only_after_currency(text, expected):
    assert [m.value for m in find_amounts(text)] == expected


def test_month_name_dates_with_spaces_and_no_two_digit_year_from_ranges():
    assert [m.value for m in find_dates("Invoice Date: August 3 , 2014")] == ["2014-08-03"]
    assert "2031-07-01" not in [m.value for m in find_dates("period July 1 - July 31 , 2014")]


def test_vendor_rules_for_titles_addressees_and_labels():
    hosting = doc(
        [
            [("Cloudberry Hosting Services Invoice", 40)],
            [("ATTN: Larkspur Labs Limited", 40)],
            [("Account number:", 40)],
        ]
    )
    assert RuleExtractor().extract(hosting).vendor_name.value == "Cloudberry Hosting Services"
    fjordline = doc(
        [
            [("Invoice", 600)],
            [("VAT Number DE123456789", 40)],
            [("Fjordline Media GmbH", 40), ("Bill to", 400), ("Ship to", 600)],
        ]
    )
    assert RuleExtractor().extract(fjordline).vendor_name.value == "Fjordline Media GmbH"
    title = doc([[("TAX INVOICE", 200)], [("PetroKita Bukit Indah", 40)]])
    assert RuleExtractor().extract(title).vendor_name.value == "PetroKita Bukit Indah"


def test_line_items_and_their_sum_check():
    document = doc(
        [
            [("Description", 40), ("Qty", 400), ("Unit price", 500), ("Amount", 650)],
            [("Recycled envelopes C5, box of 100", 40), ("5", 400), ("12.40", 500), ("62.00", 650)],
            [("Laser toner cartridge TN-2420", 40), ("2", 400), ("68.90", 500), ("137.80", 650)],
            [("Subtotal", 500), ("199.80", 650)],
            [("Call us +46 8 123 456 78", 40)],
        ]
    )
    fields = RuleExtractor().extract(document)
    rows = [
        (i.description.value, i.quantity.value, i.unit_price.value, i.amount.value) for i in fields.line_items
    ]
    assert rows == [
        ("Recycled envelopes C5, box of 100", "5", "12.40", "62.00"),
        ("Laser toner cartridge TN-2420", "2", "68.90", "137.80"),
    ]
    assert fields.checks["line_items_sum_equals_subtotal"] == "passed"
    assert fields.line_items[0].amount.bbox == (650, 80, 700, 100)
    assert fields.to_dict()["line_items"][1]["amount"] == "137.80"


def test_llm_extractor_keeps_only_values_found_in_the_document():
    import json as _json

    from clearocr.extraction.llm import LLMExtractor
    from clearocr.llm.fake import FakeBackend

    document = doc(
        [
            [("Kedai Maju", 40)],
            [("Bill No: B-7781", 40)],
            [("Date: 14/11/2019", 40)],
            [("Amount", 40), ("RM 12.50", 400)],
        ]
    )
    answer = {
        "vendor_name": "Kedai Maju",
        "invoice_date": "2019-11-14",
        "total": "12.50",
        "invoice_number": "INV-999",
        "tax_amount": "3.00",
        "currency": "RM",
    }
    backend = FakeBackend(replies=[_json.dumps(answer)])
    fields = LLMExtractor(backend).extract(document)
    values = fields.values()
    assert (
        values["vendor_name"] == "Kedai Maju"
        and values["invoice_date"] == "2019-11-14"
        and values["total"] == "12.50"
    )
    assert values["invoice_number"] is None and values["tax_amount"] is None  # invented: not on the page
    assert fields.total.bbox[0] >= 400 and fields.total.source == "llm:schema_json"
    assert backend.prompts[0][0]["content"].endswith("Amount RM 12.50")


def test_extract_merges_llm_answers_into_empty_fields():
    import json as _json

    from clearocr.llm.fake import FakeBackend

    document = doc([[("Kedai Maju", 40)], [("Bill No: B-7781", 40)], [("Paid 12.50", 40)]])
    fields = extract(
        document, llm=FakeBackend(replies=[_json.dumps({"total": "12.50", "vendor_name": "Kedai Maju"})])
    )
    # Scored (default): the LLM's answers are evidence on the candidates that hold the same value.
    assert fields.total.value == "12.50" and any(
        e.startswith("llm_agrees") for e in fields.vendor_name.evidence
    )
    # Rules: the LLM's answers fill the fields the rules left empty.
    rules = extract(
        document,
        extractor="rules",
        llm=FakeBackend(replies=[_json.dumps({"total": "12.50", "vendor_name": "Kedai Maju"})]),
    )
    assert rules.total.value == "12.50" and rules.vendor_name.source.endswith("+llm")
    assert extract(document, extractor="rules", llm=FakeBackend(replies=["not json"])).total is None


def test_footer_names_and_the_issuer_from_the_footers_legal_details():
    from clearocr.extraction.evidence import footer_names

    assert [n for n, *_ in footer_names("(VAT of Fjordline Media GmbH ATU12345678)")] == [
        "Fjordline Media GmbH"
    ]
    assert [n for n, *_ in footer_names("Wegweiser GmbH & Co. KG Vertreten durch: Registergericht:")] == [
        "Wegweiser GmbH & Co. KG"
    ]
    assert footer_names("Sarl au capital de 10 000€") == []
    filler = [[(f"Item line {i} 10.00", 40)] for i in range(12)]
    # The header's first name sits under the recipient labels: it is the addressee, not the issuer.
    brewly = doc(
        [
            [("Brewly", 40)],
            [("Factuuradres Afleveradres", 40)],
            [("Tulip Works bv", 40)],
            *filler,
            [("e-Smaak Nederland B.V. iov Brewly.com", 40)],
            [("Kanaalweg 12, 9201 AB, Drachten", 40)],
            [("Kvk nummer: 01234567 BTW-nr: NL0012.34.567.B01", 40)],
        ]
    )
    vendor = RuleExtractor().extract(brewly).vendor_name
    assert vendor.value == "e-Smaak Nederland B.V." and vendor.source == "rules:vendor_footer"
    assert vendor.line_index == 15
    # A name in both the header and the footer's legal details beats the addressee below it.
    wegweiser = doc(
        [
            [("wegweiser", 40)],
            [("Rechnung", 40)],
            [("Wegweiser GmbH & Co. KG • Am Lindenhof 7", 40)],
            [("Nordstern Daten GmbH Rechnungs-Nr 04417", 40)],
            *filler,
            [("Wegweiser GmbH & Co. KG Vertreten durch: Registergericht:", 40)],
        ]
    )
    assert RuleExtractor().extract(wegweiser).vendor_name.value.startswith("Wegweiser GmbH & Co. KG")


def test_arithmetic_picks_the_total_among_candidates_and_extractors():
    from clearocr.extraction.llm import merge
    from clearocr.extraction.schema import ExtractedField, InvoiceFields

    # The grand total was misread with an extra digit; subtotal + VAT confirm the plain "Total" row.
    misread = doc(
        [
            [("Subtotal", 40), ("80.00", 600)],
            [("VAT 25%", 40), ("20.00", 600)],
            [("Total", 40), ("100.00", 600)],
            [("Grand total", 40), ("1000.00", 600)],
        ]
    )
    fields = RuleExtractor().extract(misread)
    assert fields.total.value == "100.00" and fields.total.source.endswith("+arithmetic")
    assert fields.checks["subtotal_plus_tax_equals_total"] == "passed"
    # Rules and LLM disagree on the total: the arithmetic decides, else the rules' answer stays.
    rules = RuleExtractor().extract(
        doc(
            [
                [("Subtotal", 40), ("80.00", 600)],
                [("VAT 25%", 40), ("20.00", 600)],
                [("Grand total", 40), ("1000.00", 600)],
            ]
        )
    )
    assert rules.checks["subtotal_plus_tax_equals_total"] == "failed"
    llm = InvoiceFields(
        total=ExtractedField(
            value="100.00",
            text="100.00",
            confidence=0.6,
            page=1,
            bbox=(0, 0, 1, 1),
            line_index=2,
            source="llm",
        )
    )
    assert (
        merge(rules, llm).total.value == "100.00"
        and rules.checks["subtotal_plus_tax_equals_total"] == "passed"
    )
    unconfirmed = InvoiceFields(
        total=ExtractedField(
            value="55.00", text="55.00", confidence=0.6, page=1, bbox=(0, 0, 1, 1), line_index=2, source="llm"
        )
    )
    assert merge(RuleExtractor().extract(misread), unconfirmed).total.value == "100.00"


def test_a_receipt_in_a_currency_without_minor_units_gets_its_total():
    """Amounts printed as whole numbers with grouping (Indonesian rupiah): the total is found and the
    currency named, with no decimals anywhere on the page."""
    from clearocr.extraction import ScoredExtractor

    receipt = doc(
        [
            [("TOKO MAKMUR JAYA", 100)],
            [("Jl. Merdeka No. 12, Bandung", 100)],
            [("Nasi goreng 2 x 25,000", 40), ("50,000", 400)],
            [("Es teh 2 x 12,300", 40), ("24,600", 400)],
            [("Ayam bakar", 40), ("100,000", 400)],
            [("TOTAL", 40), ("Rp 174,600", 400)],
            [("TUNAI", 40), ("200,000", 400)],
            [("KEMBALI", 40), ("25,400", 400)],
        ]
    )
    fields = ScoredExtractor(["en"]).extract(receipt)
    assert fields.values()["total"] == "174600.00"
    assert fields.values()["currency"] == "IDR"
