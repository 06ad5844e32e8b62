"""Rule extractor on hand-built documents (no OCR): values, provenance, absence, arithmetic checks."""

import pytest

from clearocr.document import Document, Line, Page, Word
from clearocr.extraction import RuleExtractor, extract
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
    ],
)
def test_amounts(text, expected):
    assert [m.value for m in find_amounts(text)] == expected


@pytest.mark.parametrize(
    "text, day_first, expected",
    [
        ("25/12/2018", True, "2018-12-25"),
        ("03/04/2018", True, "2018-04-03"),
        ("03/04/2018", False, "2018-03-04"),
        ("12/25/2018", True, "2018-12-25"),
        ("2024-03-14", True, "2024-03-14"),
        ("14 mars 2024", True, "2024-03-14"),
        ("25 May 2017 09:41am", True, "2017-05-25"),
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
    assert fields.checks == {"subtotal_plus_tax_equals_total": True, "tax_rate_matches_tax_amount": True}
    total = fields.total
    assert total.page == 1 and total.line_index == 6 and total.bbox == (650, 280, 700, 300)
    assert 0.0 <= total.confidence <= 1.0


def test_receipt_total_prefers_grand_total_over_subtotal_and_cash():
    document = doc(
        [
            [("KEDAI MAJU SDN BHD", 100)],
            [("Date: 25/12/2018", 40)],
            [("SUBTOTAL", 40), ("8.98", 400)],
            [("Rounding", 40), ("0.02", 400)],
            [("Grand Total", 40), ("9.00", 400)],
            [("CASH", 40), ("10.00", 400)],
            [("CHANGE", 40), ("1.00", 400)],
        ]
    )
    fields = RuleExtractor().extract(document)
    assert fields.total.value == "9.00" and fields.checks["cash_minus_change_equals_total"]
    assert fields.vendor_name.value == "KEDAI MAJU SDN BHD" and fields.invoice_date.value == "2018-12-25"


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
            [("99 SPEED MART 5/B (519537-X)", 40)],
            [("LOT P.T. 2811, JALAN ANGSA,", 40)],
            [("TOTAL", 40), ("9.00", 500)],
        ]
    )
    vendor = RuleExtractor().extract(document).vendor_name
    assert vendor.value == "99 SPEED MART S/B" and vendor.text == "99 SPEED MART 5/B"
    two_rows = doc([[("POPULAR BOOK", 40)], [("CO. (M) SDN BHD", 40)], [("(113825-W)", 40)]])
    assert RuleExtractor().extract(two_rows).vendor_name.value == "POPULAR BOOK CO. (M) SDN BHD"


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
    aws = doc(
        [[("Amazon Web Services Invoice", 40)], [("ATTN: iViveLabs Limited", 40)], [("Account number:", 40)]]
    )
    assert RuleExtractor().extract(aws).vendor_name.value == "Amazon Web Services"
    storyblok = doc(
        [
            [("Invoice", 600)],
            [("VAT Number DE355369209", 40)],
            [("Storyblok GmbH", 40), ("Bill to", 400), ("Ship to", 600)],
        ]
    )
    assert RuleExtractor().extract(storyblok).vendor_name.value == "Storyblok GmbH"
    title = doc([[("TAX INVOICE", 200)], [("BHPetrol Subang Airport", 40)]])
    assert RuleExtractor().extract(title).vendor_name.value == "BHPetrol Subang Airport"


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
    assert fields.checks["line_items_sum_equals_subtotal"] is True
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
            [("Date: 25/12/2018", 40)],
            [("Amount", 40), ("RM 12.50", 400)],
        ]
    )
    answer = {
        "vendor_name": "Kedai Maju",
        "invoice_date": "2018-12-25",
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
        and values["invoice_date"] == "2018-12-25"
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
    assert fields.total.value == "12.50" and fields.vendor_name.source.endswith("+llm")
    assert extract(document, llm=FakeBackend(replies=["not json"])).total is None


def test_footer_names_and_the_issuer_from_the_footers_legal_details():
    from clearocr.extraction.rules import footer_names

    assert [n for n, *_ in footer_names("(VAT of Storyblok GmbH ATU72706128)")] == ["Storyblok GmbH"]
    assert [n for n, *_ in footer_names("Medienpilot GmbH & Co. KG Vertreten durch: Registergericht:")] == [
        "Medienpilot GmbH & Co. KG"
    ]
    assert footer_names("Sarl au capital de 10 000€") == []
    filler = [[(f"Item line {i} 10.00", 40)] for i in range(12)]
    # The header's first name sits under the recipient labels: it is the addressee, not the issuer.
    saeco = doc(
        [
            [("Saeco", 40)],
            [("Factuuradres Afleveradres", 40)],
            [("Strategic Corp bosd", 40)],
            *filler,
            [("e-Luscious Nederland B.V. iov Saeco.com", 40)],
            [("Badweg 48, 8401 BL, Gorredijk", 40)],
            [("Kvk nummer: 04080176 BTW-nr: NL8152.54.295.B01", 40)],
        ]
    )
    vendor = RuleExtractor().extract(saeco).vendor_name
    assert vendor.value == "e-Luscious Nederland B.V." and vendor.source == "rules:vendor_footer"
    assert vendor.line_index == 15
    # A name in both the header and the footer's legal details beats the addressee below it.
    medienpilot = doc(
        [
            [("medienpilot", 40)],
            [("Rechnung", 40)],
            [("Medienpilot GmbH & Co. KG • Am Saueracker 23", 40)],
            [("SimFin Analytics GmbH Rechnungs-Nr 02581", 40)],
            *filler,
            [("Medienpilot GmbH & Co. KG Vertreten durch: Registergericht:", 40)],
        ]
    )
    assert RuleExtractor().extract(medienpilot).vendor_name.value.startswith("Medienpilot GmbH & Co. KG")


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
    assert fields.checks["subtotal_plus_tax_equals_total"] is True
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
    assert rules.checks["subtotal_plus_tax_equals_total"] is False
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
    assert merge(rules, llm).total.value == "100.00" and rules.checks["subtotal_plus_tax_equals_total"]
    unconfirmed = InvoiceFields(
        total=ExtractedField(
            value="55.00", text="55.00", confidence=0.6, page=1, bbox=(0, 0, 1, 1), line_index=2, source="llm"
        )
    )
    assert merge(RuleExtractor().extract(misread), unconfirmed).total.value == "100.00"
