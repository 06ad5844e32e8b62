"""Fields of invoices from many countries: number and date formats by locale, labels under their column,
"$" by country, subtotal by arithmetic, and language detection on short invoices.

Every name, number and label row here is invented for the test; none is copied from an evaluation
document.
"""

import pytest

from clearocr import extract
from clearocr.extraction import ScoredExtractor
from clearocr.extraction.evidence import LEGAL_FORM, title_only
from clearocr.extraction.values import (
    dollar_currency,
    find_amounts,
    find_dates,
    plausible_issue_date,
    whole_currency_document,
)
from clearocr.languages import detect_languages

from .test_extraction import doc


@pytest.mark.parametrize(
    "text, expected",
    [
        # CLDR group separators that text layers keep: no-break space (U+00A0), narrow one (U+202F).
        ("Summa 12\u00a0345,60 kr", ["12345.60"]),
        ("Total TTC 3\u202f099,26 €", ["3099.26"]),
        # Indian grouping (#,##,##0.00).
        ("Grand Total Rs. 2,09,294.96", ["209294.96"]),
        ("Taxable Value 12,34,567.00", ["1234567.00"]),
        # A large bold label glued to its amount by the recogniser; a one-letter prefix is a code.
        ("Rechnungsbetrag1.808,40 €", ["1808.40"]),
        ("Grand TotalRp 48.500", ["48500.00"]),
        ("X12.50", []),
    ],
)
def test_amounts_in_locale_groupings(text, expected):
    assert [m.value for m in find_amounts(text)] == expected


def test_one_group_is_an_amount_only_in_a_currency_without_decimals():
    assert find_amounts("PPN 11% 255.916") == []
    assert [m.value for m in find_amounts("PPN 11% 255.916", whole=True)] == ["255916.00"]
    assert whole_currency_document(["TOTAL Rp 1.234.000", "Tunai 2.000.000"], ("id", "en"))
    assert not whole_currency_document(["Total 1.234,50 €"], ("de", "en"))
    assert whole_currency_document(["Kembali 8.000"], ("id", "en"))  # no currency printed: the language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Fecha 9 de octubre de 2023", "2023-10-09"),
        ("Vto. 21 de feb. de 2022", "2022-02-21"),
        ("Tanggal 3 Agustus 2021", "2021-08-03"),
        ("Jatuh Tempo 15 Desember 2020", "2020-12-15"),
        ("Tgl 2 Maret 2024", "2024-03-02"),
    ],
)
def test_dates_with_de_and_indonesian_months(text, expected):
    assert [m.value for m in find_dates(text)] == [expected]


def test_dollar_sign_is_the_currency_of_the_country_named():
    assert dollar_currency(["CUIT 30-71234567-9", "Total $ 1.500,00"]) == "ARS"
    assert dollar_currency(["RFC XAXX010101000"]) == "MXN"
    assert dollar_currency(["ABN 51 824 753 556"]) == "AUD"
    assert dollar_currency(["Sales tax 8%", "Total $12.00"]) == "USD"
    invoice = doc(
        [
            [("Ferreteria Lumbre SRL", 40)],
            [("CUIT 30-70000001-5", 40)],
            [("Subtotal", 40), ("$ 1.000,00", 500)],
            [("IVA 21%", 40), ("$ 210,00", 500)],
            [("Total", 40), ("$ 1.210,00", 500)],
        ]
    )
    fields = extract(invoice, languages=["es", "en"])
    assert fields.currency is not None and fields.currency.value == "ARS"
    assert fields.total is not None and fields.total.value == "1210.00"


def test_values_are_read_under_their_own_label_in_a_header_row():
    invoice = doc(
        [
            [("Vellamo Trading Oy", 40)],
            [("Invoice No.", 40), ("Invoice Date", 300), ("Due Date", 560)],
            [("QX-4471", 40), ("03/02/2021", 300), ("17/02/2021", 560)],
            [("Total", 40), ("88.50", 560)],
        ]
    )
    fields = ScoredExtractor(("en",)).extract(invoice)
    assert fields.invoice_date is not None and fields.invoice_date.value == "2021-02-03"
    assert fields.due_date is not None and fields.due_date.value == "2021-02-17"


def test_subtotal_without_a_subtotal_label_is_total_minus_tax():
    receipt = doc(
        [
            [("Toko Sinar Pagi", 40)],
            [("Jumlah", 40), ("1.500.000", 500)],
            [("PPN 11%", 40), ("165.000", 500)],
            [("Total", 40), ("Rp 1.665.000", 500)],
        ]
    )
    fields = ScoredExtractor(("id", "en")).extract(receipt)
    assert fields.total is not None and fields.total.value == "1665000.00"
    assert fields.tax_amount is not None and fields.tax_amount.value == "165000.00"
    assert fields.subtotal is not None and fields.subtotal.value == "1500000.00"
    assert fields.subtotal.source.endswith("subtotal_arithmetic")


def test_a_unit_after_a_digit_is_not_a_legal_form():
    assert LEGAL_FORM.search("Kaffee 1kg") is None
    assert LEGAL_FORM.search("Muster GmbH & Co. KG") is not None


def test_priced_item_row_is_not_the_issuer():
    receipt = doc(
        [
            [("Ostrander", 200)],
            [("Lindenweg 4", 200)],
            [("2 x Mehl 1kg", 40), ("3,98", 500)],
            [("Summe", 40), ("3,98 €", 500)],
        ]
    )
    fields = ScoredExtractor(("de", "en")).extract(receipt)
    assert fields.vendor_name is None or "Mehl" not in fields.vendor_name.value


def test_a_tax_id_label_sign_is_not_an_invoice_number():
    invoice = doc(
        [
            [("Atelier Brume SARL", 40)],
            [("Facture n°", 40), ("FB-2210", 300)],
            [("Total TTC", 40), ("120,00 €", 500)],
            [("Atelier Brume SARL - N° TVA FR12345678901", 40)],
        ]
    )
    fields = ScoredExtractor(("fr", "en")).extract(invoice)
    assert fields.invoice_number is not None and fields.invoice_number.value == "FB-2210"


def test_a_short_german_invoice_is_detected_as_german():
    text = "Rechnung\nHolzbau Kern GmbH\nRechnungs-Nr. Rechnungsdatum Zahlbar bis\nBezeichnung Menge Betrag\n"
    text += "Bretter 2 kg 12,00\nSumme netto 12,00\nzzgl. 19% MwSt. 2,28\nGesamtbetrag 14,28 €"
    assert detect_languages(text)[0] == "de"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("FACTURA A", True),
        ("Kopie factuur", True),
        ("PAYMENT RECEIPT", True),
        ("增值税普通发票", True),
        ("FAKTUR PENJUALAN", True),
        ("Sida AB", False),  # a name that is also a header word somewhere keeps its legal form
        ("Brume & Fils", False),
        ("Faktura Nordlys AB", False),
    ],
)
def test_document_titles_of_every_language_are_no_issuer(text, expected):
    assert title_only(text) is expected


def test_a_year_run_into_the_clock_time_is_still_a_date():
    assert [m.value for m in find_dates("Tarikh 07/09/201914:05")] == ["2019-09-07"]


def test_a_date_years_ahead_is_not_an_issue_date():
    from datetime import date

    assert plausible_issue_date("2024-05-01", today=date(2026, 1, 10))
    assert plausible_issue_date("2026-12-31", today=date(2026, 1, 10))
    assert not plausible_issue_date("2042-11-23", today=date(2026, 1, 10))
    receipt = doc(
        [
            [("Kedai Runcit Mawar", 40)],
            [("Ref 10-28-47", 40)],
            [("12/03/2019 09:41", 40)],
            [("TOTAL", 40), ("12.30", 500)],
        ]
    )
    fields = ScoredExtractor(("en",)).extract(receipt)
    assert fields.invoice_date is not None and fields.invoice_date.value == "2019-03-12"


def test_yen_and_rupiah_amounts_without_separators_in_a_whole_currency_document():
    assert [m.value for m in find_amounts("消費税 10% 348", whole=True)] == ["348.00"]
    assert [m.value for m in find_amounts("1980円", whole=True)] == ["1980.00"]
    assert find_amounts("発行日 2023年", whole=True) == []
    assert find_amounts("消費税 10% 348") == []  # not in a currency with decimals


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Data 4 set 2022", "2022-09-04"),
        ("Vencimento 12 out 2021", "2021-10-12"),
        ("Termin płatności 7 sie 2021", "2021-08-07"),
        ("Eräpäivä 1 kesäkuuta 2019", "2019-06-01"),
        ("Forfaldsdato 3. marts 2022", "2022-03-03"),
    ],
)
def test_month_names_of_the_other_latin_languages(text, expected):
    assert [m.value for m in find_dates(text)] == [expected]


def test_an_invoice_series_prefix_stays_with_its_number():
    invoice = doc(
        [
            [("Hurtownia Mazur Sp. z o.o.", 40)],
            [("Faktura nr", 40), ("KD 30517", 300)],
            [("Do zapłaty", 40), ("1 230,00 zł", 500)],
        ]
    )
    fields = ScoredExtractor(("pl", "en")).extract(invoice)
    assert fields.invoice_number is not None and fields.invoice_number.value == "KD 30517"


def test_kana_with_han_is_japanese():
    assert detect_languages("請求書 株式会社小川商店 お支払期限 2024年5月31日 ご請求金額 合計")[0] == "ja"


def test_an_ambiguous_date_on_a_us_dollar_receipt_reads_month_first():
    from clearocr.extraction.values import default_day_first

    us = ["Corner Deli", "03/04/2018 12:01", "Sales Tax 0.71", "Total $9.46"]
    assert default_day_first(us, ("en",), True) is False
    assert default_day_first(["Total RM9.46", "03/04/2018"], ("en",), True) is True
    assert default_day_first(["ABN 51 824 753 556", "Total $9.46"], ("en",), True) is True
    receipt = doc([[("Corner Deli", 40)], [("03/04/2018", 40)], [("Total", 40), ("$9.46", 500)]])
    fields = ScoredExtractor(("en",)).extract(receipt)
    assert fields.invoice_date is not None and fields.invoice_date.value == "2018-03-04"


def test_a_number_sign_after_another_noun_is_not_the_invoice_number():
    receipt = doc(
        [
            [("Maple Street Grocer", 40)],
            [("Store # 0421", 40)],
            [("Receipt # 88120", 40)],
            [("Survey ID # 7731-2290-1187", 40)],
            [("TOTAL", 40), ("$14.20", 500)],
        ]
    )
    fields = ScoredExtractor(("en",)).extract(receipt)
    assert fields.invoice_number is not None and fields.invoice_number.value == "88120"
