"""Scored extractor on synthetic documents (no OCR).

Every document here is built in the test from invented names, numbers and addresses (``doc`` lays
words out on a 40 px row pitch); none is copied from an evaluation set.
"""

import json

import pytest

from clearocr import extract
from clearocr.document import Document
from clearocr.extraction import ScoredExtractor, make_extractor
from clearocr.extraction.scoring import FieldModel, ScoringModel, load_model
from clearocr.extraction.vocab import CONCEPTS, available_languages, keyword_pattern, vocabulary

from .test_extraction import doc


def test_every_vocabulary_file_parses_and_names_known_concepts():
    languages = available_languages()
    assert {"en", "sv", "es", "de", "fr", "nl", "zh"} <= set(languages)
    for language in languages:
        merged = vocabulary((language,))
        assert language in merged.languages and "en" in merged.languages
        assert set(merged.words) == set(CONCEPTS)
    swedish = vocabulary(("sv",))
    assert swedish.due_date.search("Förfallodatum: 2024-05-01")
    assert swedish.invoice_date.search("FAKTURADATUM")
    assert vocabulary(("es",)).due_date.search("Fecha de vencimiento")
    assert not vocabulary(("en",)).due_date.search("Förfallodatum")  # only the requested languages
    assert vocabulary(("en-us",)).day_first is False and vocabulary(("en",)).day_first is True


def test_keyword_pattern_matches_whole_labels_with_flexible_spaces():
    pattern = keyword_pattern(["sub total"])
    assert (
        pattern.search("SUBTOTAL 5.00") and pattern.search("Sub  Total") and not pattern.search("subtotals")
    )
    assert not keyword_pattern([]).search("anything")


def test_the_shipped_model_names_its_provenance_and_scores_each_field():
    model = load_model()
    assert {"total", "invoice_date", "vendor_name", "vendor_address", "invoice_number"} <= set(model.fields)
    assert "extraction_cv.py" in model.provenance["fitted_by"]


def test_conditional_logit_softmax_and_evidence():
    model = FieldModel(coef={"a": 2.0, "b": -1.0}, intercept=0.0)
    probabilities = model.softmax([{"a": 1.0}, {"b": 1.0}, {}])
    assert sum(probabilities) == pytest.approx(1.0)
    assert probabilities[0] > probabilities[2] > probabilities[1]
    assert model.evidence({"a": 1.0, "b": 1.0}) == ["a (+2.00)", "b (-1.00)"]


def receipt():
    return doc(
        [
            [("SERI TANJUNG TRADING SDN BHD", 100)],
            [("(771234-P)", 200)],
            [("NO. 8, JALAN KENARI 3,", 100)],
            [("47100 PUCHONG, SELANGOR.", 100)],
            [("TEL: 03-8075 1234", 100)],
            [("Date: 14/11/2019 10:12", 40)],
            [("Mineral water 1.50", 40)],
            [("Bread loaf 3.20", 40)],
            [("SUBTOTAL", 40), ("4.70", 400)],
            [("Rounding", 40), ("0.00", 400)],
            [("TOTAL", 40), ("4.70", 400)],
            [("CASH", 40), ("10.00", 400)],
            [("CHANGE", 40), ("5.30", 400)],
        ]
    )


def test_receipt_fields_carry_score_evidence_and_runner_up():
    fields = ScoredExtractor(["en"]).extract(receipt())
    values = fields.values()
    assert values["vendor_name"] == "SERI TANJUNG TRADING SDN BHD"
    assert values["invoice_date"] == "2019-11-14"
    assert values["total"] == "4.70"
    assert values["vendor_address"] == "NO. 8, JALAN KENARI 3, 47100 PUCHONG, SELANGOR."
    total = fields.total
    assert total.source.startswith("scored:") and 0.0 < total.score <= 1.0 and total.evidence
    assert total.runner_up is not None and total.runner_up.value != "4.70"
    data = fields.to_dict()["total"]
    assert {"score", "evidence", "runner_up"} <= set(data)
    json.dumps(fields.to_dict())  # JSON-ready
    assert fields.checks["cash_minus_change_equals_total"] == "passed"
    assert fields.checks["subtotal_plus_tax_equals_total"] == "not_checkable"  # no tax row
    assert "no tax" in fields.check_details["subtotal_plus_tax_equals_total"]


def test_swedish_invoice_keeps_due_date_and_invoice_date_apart():
    document = doc(
        [
            [("Fjällbacka Kontorsvaror AB", 40), ("FAKTURA", 600)],
            [("Förfallodatum:", 450), ("2024-05-14", 620)],
            [("Fakturadatum:", 450), ("2024-04-14", 620)],
            [("Fakturanummer:", 450), ("30418", 620)],
            [("Att betala", 450), ("1 250,00 kr", 620)],
        ]
    )
    fields = ScoredExtractor(["sv"]).extract(document)
    assert fields.invoice_date.value == "2024-04-14" and fields.due_date.value == "2024-05-14"
    assert fields.invoice_number.value == "30418"
    assert fields.total.value == "1250.00" and fields.currency.value == "SEK"


@pytest.mark.parametrize(
    "row, expected",
    [
        ([("Factura Nº", 400), ("A-2024/117", 560)], "A-2024/117"),
        ([("INV#", 400), ("88213", 500)], "88213"),
        ([("Invoice No.", 400), ("CX-4471", 560)], "CX-4471"),
    ],
)
def test_number_signs_and_inv_hash(row, expected):
    document = doc([[("Tormenta Suministros S.L.", 40)], row, [("Total", 400), ("99.00", 560)]])
    assert ScoredExtractor(["es", "en"]).extract(document).invoice_number.value == expected


def test_several_tax_rates_are_listed_and_summed():
    document = doc(
        [
            [("Nordvik Livs AB", 40)],
            [("Summa exkl. moms", 400), ("300.00", 600)],
            [("Moms 12%", 400), ("12.00", 600)],
            [("Moms 25%", 400), ("50.00", 600)],
            [("Att betala", 400), ("362.00", 600)],
        ]
    )
    fields = ScoredExtractor(["sv"]).extract(document)
    assert [(t.rate.value, t.amount.value) for t in fields.taxes] == [("12", "12.00"), ("25", "50.00")]
    assert fields.tax_amount.value == "62.00" and fields.tax_rate is None
    assert fields.checks["subtotal_plus_tax_equals_total"] == "passed"
    # Two rates and no base printed per rate: the rates cannot be checked, which is not a failure.
    assert fields.checks["tax_rate_matches_tax_amount"] == "not_checkable"
    assert [t["rate"] for t in fields.to_dict()["taxes"]] == ["12", "25"]


def test_tax_included_in_a_receipt_total_passes_the_rate_check():
    document = doc(
        [
            [("KEDAI SINAR JAYA", 40)],
            [("Total incl. GST", 40), ("10.60", 400)],
            [("GST 6%", 40), ("0.60", 400)],
        ]
    )
    fields = ScoredExtractor(["en"]).extract(document)
    assert fields.total.value == "10.60"
    assert fields.checks["tax_rate_matches_tax_amount"] == "passed"


def test_item_rows_without_a_header_do_not_fail_the_sum_check():
    # Only one row reads as an item (quantity x price = amount); the other item rows have no numbers
    # the extractor can check, so their sum says nothing about the total.
    document = doc(
        [
            [("KEDAI SINAR JAYA", 40)],
            [("Teh tarik 2 1.50 3.00", 40)],
            [("Nasi lemak special", 40), ("6.50", 400)],
            [("TOTAL", 40), ("9.50", 400)],
        ]
    )
    fields = ScoredExtractor(["en"]).extract(document)
    assert fields.total.value == "9.50"
    assert fields.checks.get("line_items_sum_equals_total") in (None, "not_checkable")
    assert "failed" not in fields.checks.values()


def test_llm_answer_is_a_candidate_that_can_decide():
    from clearocr.extraction.scoring import Candidate

    model = ScoringModel(fields={"total": FieldModel(coef={"kw": 1.0}, intercept=0.0)}, provenance={})
    extractor = ScoredExtractor(["en"], model=model)
    ref = None
    plain = Candidate("total", "5.00", "5.00", [ref], 0, 4, "amount", {"kw": 1.0})
    other = Candidate("total", "7.00", "7.00", [ref], 0, 4, "amount", {"kw": 1.0})
    from clearocr.extraction.schema import ExtractedField

    answer = ExtractedField(
        value="7.00", text="7.00", confidence=0.9, page=1, bbox=(0, 0, 1, 1), line_index=0
    )
    candidates = extractor._with_llm("total", [plain, other], answer)
    best, p, _ = extractor.choose("total", candidates)
    assert best is other and other.features["llm_agrees"] == 1.0 and p > 0.5


def test_absent_fields_and_empty_documents():
    fields = ScoredExtractor(["en"]).extract(doc([[("Meeting notes", 40)], [("bring the charts", 40)]]))
    values = fields.values()
    assert values["total"] is None and values["invoice_date"] is None and values["invoice_number"] is None
    assert fields.checks == {}
    assert ScoredExtractor().extract(Document("empty", [])).values()["total"] is None


def test_extractor_option_reaches_extract_and_the_factory():
    document = receipt()
    assert extract(document, extractor="rules").total.source.startswith("rules:")
    assert extract(document).total.source.startswith("scored:")
    assert type(make_extractor("rules", ["en"])).__name__ == "RuleExtractor"
    with pytest.raises(KeyError):
        make_extractor("nonsense")


@pytest.mark.parametrize(
    "text, registration_only, not_address",
    [
        ("(771234-P)", True, True),
        ("(JX0123456-WV)", True, True),
        ("Company No: KT0456789-A", True, True),
        ("(LLP0004321-KUL)", True, True),
        ("03 Feb 2019 18:40", False, True),
        ("+603-555.0199", False, True),
        ("NO. 8, JALAN KENARI 3,", False, False),
        ("47100 PUCHONG, SELANGOR.", False, False),
    ],
)
def test_lines_an_address_does_not_contain(text, registration_only, not_address):
    from clearocr.extraction.candidates import _not_address, _registration_only

    assert _registration_only(text) is registration_only
    assert _not_address(text) is not_address


def test_address_starts_after_a_registration_and_a_printed_time():
    # An invented receipt whose header prints the time and the registration number between the
    # name and the address, as some till printers do.
    document = doc(
        [
            [("MERANTI BAKERY SDN BHD", 100)],
            [("03 Feb 2019 18:40", 200)],
            [("(JX0123456-WV)", 200)],
            [("12, Jalan Cempaka 4/2, Taman Cempaka,", 60)],
            [("81200 Kota Jaya, Johor", 100)],
            [("TAX INVOICE", 200)],
            [("Bun 2.00", 40)],
            [("TOTAL", 40), ("2.00", 400)],
        ]
    )
    values = ScoredExtractor(["en"]).extract(document).values()
    assert values["vendor_name"] == "MERANTI BAKERY SDN BHD"
    assert values["vendor_address"] == "12, Jalan Cempaka 4/2, Taman Cempaka, 81200 Kota Jaya, Johor"


def test_a_registration_row_is_not_joined_to_the_name():
    document = doc(
        [
            [("BRIGHT LEAF PHARMACY PLT", 100)],
            [("(LLP0004321-KUL)", 200)],
            [("NO 3, JALAN MAWAR 7,", 100)],
            [("68000 AMPANG, SELANGOR", 100)],
            [("TOTAL", 40), ("9.90", 400)],
        ]
    )
    assert ScoredExtractor(["en"]).extract(document).values()["vendor_name"] == "BRIGHT LEAF PHARMACY PLT"


def test_a_logo_short_name_yields_to_the_legal_name_below_it():
    document = doc(
        [
            [("KORALIS", 250)],
            [("KORALIS TRAVEL SDN BHD (512345-K)", 100)],
            [("No 5 Jalan Kenanga 2/1", 100)],
            [("56000 Kuala Lumpur", 100)],
            [("Email: hello@koralis.example", 100)],
            [("TOTAL", 40), ("120.00", 400)],
        ]
    )
    assert ScoredExtractor(["en"]).extract(document).values()["vendor_name"] == "KORALIS TRAVEL SDN BHD"


def test_a_name_row_ending_in_ampersand_continues_on_the_next_row():
    document = doc(
        [
            [("SINAR JAYA PAINT &", 100)],
            [("ELECTRICAL", 200)],
            [("NO. 4, JALAN DAHLIA 1,", 100)],
            [("40170 SHAH ALAM, SELANGOR.", 100)],
            [("TOTAL", 40), ("15.00", 400)],
        ]
    )
    assert (
        ScoredExtractor(["en"]).extract(document).values()["vendor_name"] == "SINAR JAYA PAINT & ELECTRICAL"
    )
