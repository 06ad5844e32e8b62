"""Finding and normalising amounts, dates, percentages and currencies in OCR text.

Amounts are located with a regular expression and normalised with price-parser (which resolves
``1.234,56`` vs ``1,234.56``, and the groupings of CLDR's number patterns: ``1 234,56`` with no-break
spaces, Indian ``1,23,456.78``, whole amounts in currencies without decimals); dates are located with
patterns for numeric, month-name and CJK forms and checked with :mod:`datetime`, month names read
from :data:`MONTH_NUMBERS` (every language with a vocabulary file, and Indonesian).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

#: Digit-group separators printed between thousands besides "," and ".": a space, and the no-break
#: spaces CLDR prescribes for Swedish, French and others (U+00A0, U+202F, U+2009), as text layers keep them.
_GROUP_SPACE = "[ \u00a0\u202f\u2009]"
# 1,234.56 / 1.234,56 / 1 234,56 / 1,23,456.78 (Indian grouping) / 9.00 / -0.02, optionally after a
# currency sign or code.
#: Where an amount may start: not inside a word or a number, except right after a word of 3+ letters,
#: as recognisers glue a large bold label to its amount ("Gesamtbetrag4.257,18", "TotalRp 9.029.106").
_AMOUNT_START = r"(?:(?<![\w.,])|(?<=[^\W\d_]{3}))"
AMOUNT_PATTERN = re.compile(
    _AMOUNT_START + r"(?P<cur>RM|USD|EUR|SEK|GBP|MYR|INR|CHF|PLN|NOK|DKK|IDR|Rs\.?|Rp\.?|[$€£¥₹])?\s?"
    rf"(?P<num>-?\d{{1,2}}(?:,\d{{2}})+,\d{{3}}\.\d{{2}}|-?\d{{1,3}}(?:(?:{_GROUP_SPACE}|[.,])\d{{3}})*[.,]\d{{2}}"
    r"|-?\d+[.,]\d{2})(?![\d])"
)
# Whole amounts right after a currency sign or code ("Rs 1939", "$144", "Rp 174.600"), thousands
# grouped by commas or dots.
WHOLE_AMOUNT_PATTERN = re.compile(
    _AMOUNT_START + r"(?P<cur>RM|USD|EUR|SEK|GBP|MYR|INR|IDR|Rs\.?|Rp\.?|[$€£¥₹])\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+|\d+)(?!\d|[.,]\d)"
)
# Whole amounts printed with digit grouping and no decimals, as currencies without minor units are
# (Indonesian rupiah "174,600", Chilean pesos "12.990", Indian rupees "1,74,600"; CLDR's grouping
# patterns #,##0 and #,##,##0): an integer with at least one full group of three digits after a comma,
# or two dot groups, is an amount even without a currency sign. One dot group ("1.000") is not: it is a
# quantity with three decimals as often as a thousand.
GROUPED_AMOUNT_PATTERN = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,2}(?:,\d{2})+,\d{3}|\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3}){2,})(?![\d]|[.,]\d)"
)
# With a currency that has no minor unit in use (:data:`WHOLE_CURRENCIES`), one group is enough:
# "255.916" on a rupiah receipt is 255,916 rupiah, not 255.916.
WHOLE_GROUPED_PATTERN = re.compile(r"(?<![\w.,])(?P<num>\d{1,3}(?:[.,]\d{3})+)(?![\d]|[.,]\d)")
# And a bare integer of 3 to 7 digits ("消費税 10% 277", "PPN 900"): prices under 100 are rare in such
# currencies; not a percentage, a clock time or a year (1900-2099, unless "円" follows: "1980円").
WHOLE_BARE_PATTERN = re.compile(
    r"(?<![\w.,/:\-])(?!(?:19|20)\d\d(?![\d円]))(?P<num>[1-9]\d{2,6})(?![\d.,/:%年月日\-]|\s?%)"
)
#: Currencies printed without decimals (ISO 4217 minor unit 0, or one no longer used: the rupiah).
WHOLE_CURRENCIES = frozenset({"IDR", "JPY", "KRW", "CLP", "VND", "ISK", "PYG", "UGX", "HUF", "COP"})
PERCENT_PATTERN = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?%")

_MONTHS = (
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januari|februari|mars|april|maj|juni|juli|"
    r"augusti|september|oktober|november|december|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|setiembre|octubre|noviembre|diciembre|januar|februar|märz|mai|oktober|dezember|"
    r"janvier|février|fevrier|avril|juin|juillet|août|aout|septembre|octobre|novembre|décembre|"
    r"januari|maart|mei|augustus|okt|dez|ene|abr|ago|dic|janv|févr|avr|juil|déc|mrt|"
    r"maret|agustus|desember|agu|agt|des|"
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|giu|lug|ott|"
    r"janeiro|fevereiro|março|marco|maio|junho|julho|setembro|outubro|novembro|dezembro|fev|"
    r"marts|desember|"
    r"tammikuu|helmikuu|maaliskuu|huhtikuu|toukokuu|kesäkuu|heinäkuu|elokuu|syyskuu|lokakuu|marraskuu|joulukuu|"
    r"stycz|lut|marc|kwie|czerw|lip|sierp|wrze|paźdz|pazdz|listop|grud|"
    r"gen|mag|set|out|sty|kwi|cze|sie|wrz|paź|lis|gru"
)
#: Each month name or abbreviation of :data:`_MONTHS` (the languages with a vocabulary, and Indonesian)
#: -> its number: dates are parsed here, not by dateparser (which tries every locale it knows: 4 ms a
#: date, most of a document's extraction time).
MONTH_NUMBERS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        [
            "jan januari januar janvier janv enero ene gennaio janeiro tammikuu stycz gen sty",
            "feb februari februar février fevrier févr febrero febbraio fevereiro fev helmikuu lut",
            "mar mars marzo märz maart mrt maret março marco marts maaliskuu marc",
            "apr april avril avr abril abr aprile huhtikuu kwie kwi",
            "may maj mayo mai mei maggio maio toukokuu mag",
            "jun juni junio juin giugno junho giu kesäkuu czerw cze",
            "jul juli julio juillet juil luglio julho lug heinäkuu lip",
            "aug augusti agosto août aout augustus ago agustus agu agt elokuu sierp sie",
            "sep sept september septiembre setiembre septembre settembre setembro syyskuu wrze set wrz",
            "oct oktober octubre octobre okt ottobre outubro ott lokakuu paźdz pazdz out paź",
            "nov november noviembre novembre novembro marraskuu listop lis",
            "dec december diciembre dezember décembre dez dic déc desember des dicembre dezembro joulukuu grud gru",
        ],
        start=1,
    )
    for name in names.split()
}
DATE_PATTERNS = [
    ("ymd", re.compile(r"(?<!\d)(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?!\d)")),
    # A four-digit year may run into the clock time printed after it ("03/02/201815:28").
    (
        "num",
        re.compile(
            r"(?<!\d)(\d{1,2})[/.\-](\d{1,2})[/.\-]"
            r"(\d{4}(?=(?:[01]\d|2[0-3]):[0-5]\d)|\d{4}(?!\d)|\d{2}(?!\d))"
        ),
    ),
    ("cjk", re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")),
    # Two-digit years only in compact forms ("25-May-17"): "1 - July 31, 2014" must not read as 2031.
    (
        "text",
        re.compile(
            # "7 de marzo de 2024", "7 de mar. de 2024": Spanish and Portuguese put "de" between.
            rf"(?<![\w])(\d{{1,2}})\.?[\s\-/]*(?:de\s+)?({_MONTHS})[^\W\d_]*\.?"
            rf"(?:[\s\-/,]*(?:de\s+)?(\d{{4}})|[\-/'](\d{{2}}))(?!\d)",
            re.I,
        ),
    ),
    (
        "text_mdy",
        re.compile(
            rf"(?<![\w])({_MONTHS})[^\W\d_]*\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s+(\d{{4}})(?!\d)", re.I
        ),
    ),
]


@dataclass
class Match:
    """A value found in a line's text: normalised value, printed text, and its character span."""

    value: str
    text: str
    start: int
    end: int


def parse_amount(text: str) -> Decimal | None:
    """``"1.234,56"`` -> ``Decimal("1234.56")``; None when ``text`` holds no amount."""
    from price_parser import Price

    price = Price.fromstring(text)
    return price.amount


def find_amounts(text: str, whole: bool = False) -> list[Match]:
    """Amounts in ``text``, left to right, normalised to ``"1234.56"``: numbers with two decimals, whole
    numbers right after a currency sign or code, and whole numbers with digit grouping
    (:data:`GROUPED_AMOUNT_PATTERN`: ``174,600``, ``1,74,600``, ``1.234.567``).

    Args:
        whole: the document's currency has no minor unit (:func:`whole_currency_document`): any
            grouped integer (``255.916``, ``4,500``) is an amount.
    """
    found = []
    for match in WHOLE_AMOUNT_PATTERN.finditer(text):
        value = f"{Decimal(re.sub(r'[.,]', '', match.group('num'))):.2f}"
        found.append(Match(value, match.group("num"), match.start("num"), match.end("num")))
    if whole:
        for match in WHOLE_BARE_PATTERN.finditer(text):
            value = f"{Decimal(match.group('num')):.2f}"
            found.append(Match(value, match.group("num"), match.start("num"), match.end("num")))
    for match in (WHOLE_GROUPED_PATTERN if whole else GROUPED_AMOUNT_PATTERN).finditer(text):
        if any(m.start <= match.start("num") < m.end for m in found):
            continue
        value = f"{Decimal(re.sub(r'[.,]', '', match.group('num'))):.2f}"
        found.append(Match(value, match.group("num"), match.start("num"), match.end("num")))
    for match in AMOUNT_PATTERN.finditer(text):
        if any(m.start <= match.start("num") < m.end for m in found):
            continue
        number = match.group("num")
        amount = parse_amount(re.sub(_GROUP_SPACE, "", number))
        if amount is None:
            continue
        try:
            value = f"{Decimal(amount).quantize(Decimal('0.01'))}"
        except InvalidOperation:
            continue
        if number.startswith("-") and not value.startswith("-"):
            value = "-" + value
        found.append(Match(value, number, match.start("num"), match.end("num")))
    found.sort(key=lambda m: m.start)
    return found


def find_percentages(text: str) -> list[Match]:
    """Percentages such as ``25%`` or ``6 %``, normalised to ``"25"`` / ``"6"`` / ``"7.5"``."""
    out = []
    for match in PERCENT_PATTERN.finditer(text):
        number = match.group(1).replace(",", ".")
        value = number.rstrip("0").rstrip(".") if "." in number else number
        out.append(Match(value, match.group(0), match.start(), match.end()))
    return out


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 70 else (year + 1900 if year < 100 else year)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value.isoformat() if 1990 <= year <= 2100 else None


def find_dates(text: str, day_first: bool = True) -> list[Match]:
    """Dates in ``text`` as ISO ``YYYY-MM-DD``, left to right (see :func:`_find_dates`; cached: the
    extractor asks about the same rows many times)."""
    return [Match(m.value, m.text, m.start, m.end) for m in _find_dates(text, day_first)]


@lru_cache(maxsize=4096)
def _find_dates(text: str, day_first: bool = True) -> tuple[Match, ...]:
    """Dates in ``text`` as ISO ``YYYY-MM-DD``, left to right.

    Args:
        day_first: reading of ambiguous numeric dates such as ``03/04/2018`` (day/month when True).
            Dates whose first or second number is over 12 are read the only way they can be.
    """
    found: list[Match] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            iso = None
            if kind in ("ymd", "cjk"):
                iso = _iso(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            elif kind == "num":
                first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
                if first > 12 or (day_first and second <= 12):
                    iso = _iso(year, second, first)
                else:
                    iso = _iso(year, first, second)
            elif kind == "text":
                month = MONTH_NUMBERS[match.group(2).lower()]
                year = _year(match.group(3) or match.group(4))
                iso = _iso(year, month, int(match.group(1)))
            else:
                month = MONTH_NUMBERS[match.group(1).lower()]
                iso = _iso(int(match.group(3)), month, int(match.group(2)))
            if iso:
                found.append(Match(iso, match.group(0), match.start(), match.end()))
                taken.append((match.start(), match.end()))
    found.sort(key=lambda m: m.start)
    return tuple(found)


def numeric_date_order(texts: list[str]) -> bool | None:
    """Whether a document writes numeric dates day first (True), month first (False), or None when
    none of its dates is unambiguous (a first number over 12 means day first, a second one month first)."""
    pattern = DATE_PATTERNS[1][1]
    votes = 0
    horizon = date.today().year + 10  # "10-28-47" is an id, not a date that shows the order
    for text in texts:
        for match in pattern.finditer(text):
            if _year(match.group(3)) > horizon:
                continue
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                votes += 1
            elif second > 12 >= first:
                votes -= 1
    return None if votes == 0 else votes > 0


CURRENCY_CODES = {
    "USD",
    "BRL",
    "MXN",
    "CLP",
    "COP",
    "NZD",
    "EUR",
    "SEK",
    "GBP",
    "MYR",
    "INR",
    "CHF",
    "PLN",
    "NOK",
    "DKK",
    "CNY",
    "JPY",
    "CAD",
    "AUD",
    "SGD",
    "IDR",
    "ARS",
}
CURRENCY_SIGNS = {
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "¥": "CNY",
    "元": "CNY",
    "円": "JPY",
    "￥": "CNY",
    "R$": "BRL",
    "RM": "MYR",
    "Rs": "INR",
    "Rs.": "INR",
    "Rp": "IDR",
    "Rp.": "IDR",
    "zł": "PLN",
}
_CURRENCY_PATTERN = re.compile(
    r"(?<![A-Za-z])(" + "|".join(sorted(CURRENCY_CODES, key=len, reverse=True)) + r")(?![A-Za-z])"
    r"|(R\$|\$|€|£|₹|¥|￥|元|円|zł)|(?<![A-Za-z])(RM|Rs\.?|Rp\.?)(?=\s?-?\d|\)|\s*$|:)|(?<![A-Za-z])(kr|SEK|Kr)(?![A-Za-z])"
)


def find_currencies(text: str, languages: tuple[str, ...] = ()) -> list[Match]:
    """Currency codes and signs in ``text`` as ISO 4217 codes; ``kr`` is SEK, NOK or DKK by language."""
    out = []
    for match in _CURRENCY_PATTERN.finditer(text):
        token = next(group for group in match.groups() if group)
        if token in CURRENCY_CODES:
            code = token
        elif token.lower() == "kr":
            code = (
                "NOK" if "no" in languages or "nb" in languages else ("DKK" if "da" in languages else "SEK")
            )
        else:
            code = CURRENCY_SIGNS.get(token, "")
            if code == "CNY" and token in ("¥", "￥") and "ja" in languages:
                code = "JPY"  # the same sign: yen on a Japanese document
        if code:
            out.append(Match(code, token, match.start(), match.end()))
    return out


def whole_currency_document(texts: list[str], languages: tuple[str, ...] = ()) -> bool:
    """Whether a document prices in a currency without decimals: most of its currency marks name one
    of :data:`WHOLE_CURRENCIES` ("Rp", "IDR", "¥" on a Japanese page), or it is in Indonesian and
    prints no other currency. Then a grouped integer is an amount (see :func:`find_amounts`)."""
    codes = [m.value for text in texts for m in find_currencies(text, languages)]
    if "ja" in languages:
        codes = ["JPY" if code == "CNY" else code for code in codes]
    if codes:
        whole = sum(1 for code in codes if code in WHOLE_CURRENCIES)
        return whole > len(codes) / 2
    return bool(languages) and languages[0] == "id"


#: Countries that write their own currency with "$", told by the tax-id name or the phone country
#: code printed on the document (CUIT: Argentina's tax id, RFC: Mexico's, RUT: Chile's, NIT: Colombia's,
#: ABN: Australia's, UEN: Singapore's, NZBN: New Zealand's, HST/GST number with a BN: Canada's).
DOLLAR_COUNTRIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bCUIT\b|\bCUIL\b|\+54\b"), "ARS"),
    (re.compile(r"\bRFC\b|\+52\b"), "MXN"),
    (re.compile(r"\bRUT\b|\+56\b"), "CLP"),
    (re.compile(r"\bNIT\b|\+57\b"), "COP"),
    (re.compile(r"\bABN\b|\+61\b"), "AUD"),
    (re.compile(r"\bUEN\b|\+65\b"), "SGD"),
    (re.compile(r"\bNZBN\b|\+64\b"), "NZD"),
    (re.compile(r"\b(?:GST/HST|HST)\b"), "CAD"),
)


def dollar_currency(texts: list[str]) -> str:
    """The currency a "$" stands for on a document: the country's when its tax id or phone country
    code is printed (:data:`DOLLAR_COUNTRIES`; the first found wins), else USD."""
    joined = "\n".join(texts)
    for pattern, code in DOLLAR_COUNTRIES:
        if pattern.search(joined):
            return code
    return "USD"


def plausible_issue_date(iso: str, today: date | None = None) -> bool:
    """Whether ``iso`` (``YYYY-MM-DD``) can be the date a document was issued: not more than a year
    after ``today`` (default: the system date). A receipt's "11-23-42" read as 2042 is an id or a
    misread, not its date; due dates and validity dates may lie further ahead and are not checked."""
    today = today or date.today()
    return date.fromisoformat(iso) <= date(today.year + 1, today.month, min(today.day, 28))


def default_day_first(texts: list[str], languages: tuple[str, ...], language_day_first: bool) -> bool:
    """How an ambiguous numeric date ("03/04/2018") reads when no date on the document settles it: month
    first on an English document priced in US dollars ("$" with no other country named, see
    :func:`dollar_currency`; the United States writes dates month first), else ``language_day_first``
    (the first language's ``date_order``; ``en-us`` reads month first)."""
    if not language_day_first or not languages or languages[0].split("-")[0] != "en":
        return language_day_first
    marks = [m for text in texts for m in find_currencies(text, languages)]
    dollar = any(m.text == "$" for m in marks)
    others = any(m.value != "USD" and m.text != "$" for m in marks)
    return not (dollar and not others and dollar_currency(texts) == "USD")
