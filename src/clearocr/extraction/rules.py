"""Rule-and-layout key information extraction: keyword lexicons + row geometry, zero-shot.

Each field is found by a keyword in one of the supported languages (English, Swedish, Spanish,
German, French, Dutch, Chinese) and a value of the right type on the same row to its right, or on
the row below; vendors come from the header region (legal-form suffixes, text size). Everything is
deterministic and fast (no model). Values keep provenance: page, line index and the bbox of the words
that print them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from clearocr.document import BBox, Document, Line, union_bbox
from clearocr.extraction.schema import ExtractedField, InvoiceFields, LineItem, TaxLine
from clearocr.extraction.values import (
    Match,
    find_amounts,
    find_currencies,
    find_dates,
    find_percentages,
    numeric_date_order,
)
from clearocr.extraction.vocab import available_languages, vocabulary

#: The rule extractor knows every language's labels at once (``vocab/*.toml``, see
#: :mod:`clearocr.extraction.vocab`); the scored extractor uses the requested languages' only.
_ALL = vocabulary(available_languages())
TOTAL_STRONG = _ALL.total_strong
TOTAL_WEAK = _ALL.total_weak
TOTAL_EXCLUDE = _ALL.total_exclude
SUBTOTAL = _ALL.subtotal
TAX = _ALL.tax
TAX_EXCLUDE = _ALL.tax_exclude
INVOICE_NUMBER = _ALL.invoice_number
DUE_DATE = _ALL.due_date
INVOICE_DATE = _ALL.invoice_date
DATE_GENERIC = _ALL.date_generic
NOT_INVOICE_DATE = _ALL.not_invoice_date
TAX_ID = _ALL.tax_id
BUYER = _ALL.buyer
NOT_VENDOR = _ALL.not_vendor
ITEM_HEADER = _ALL.item_header
RECIPIENT = _ALL.recipient
# Legal forms of company names, with the OCR confusions seen in them ("SIN BHD", "5/B"): a pattern,
# not a word list, so it stays here. PLT/LLP: Malaysian and common-law limited liability partnerships.
_LEGAL_FORMS = (
    r"S[DIl1]N\.?\s*BHD\.?|BHD|[S5]/B|PLT|LLP|AB|HB|KB|GMBH|AG|KG|LTD\.?|LIMITED|INC\.?|LLC|CORP\.?|"
    r"CORPORATION|S\.L\.?|S\.A\.?|SARL|SAS|B\.V\.?|N\.V\.?|PLC|OY|A/S|AS|PTE|有限公司|公司"
)
# Trade words that end a business name on receipts ("... HARDWARE", "... RESTAURANT") without a legal form.
_TRADE_WORDS = r"ENTERPRISES?|TRADING|RESTAURANT|HARDWARE|STATIONERY|MARKETING|CO\.|COMPANY"
#: A legal form or a trade word that ends a company name.
LEGAL_SUFFIX = re.compile(rf"(?<![A-Za-z])({_LEGAL_FORMS}|{_TRADE_WORDS})(?![A-Za-z])", re.IGNORECASE)
#: A legal form proper (a registered company's name), not a trade word.
LEGAL_FORM = re.compile(rf"(?<![A-Za-z])({_LEGAL_FORMS})(?![A-Za-z])", re.IGNORECASE)

NUMBER_TOKEN = re.compile(r"(?:RM|\$|€|£)?-?\d{1,3}(?:[ ,.]\d{3})*(?:[.,]\d{1,3})?")

# Company registration numbers printed after a name: "(682288-V)", "273500-U", "(139386 X)", "Co. No. 113825-W".
REGISTRATION = re.compile(
    r"\s*(?:\(\s*)?(?:(?:co|company)\.?\s*(?:reg\.?\s*)?no\.?\s*:?\s*)?[A-Z]{0,3}\d{5,}[\s-]*[A-Z]{0,3}\b\)?"
    r"|\s*\(?\b(?:co|company)\.?\s*(?:reg\.?\s*)?no\b.*$",
    re.I,
)


_TRAILING_TITLE = re.compile(
    r"\s+("
    + "|".join(sorted(map(re.escape, _ALL.words["document_titles"]), key=len, reverse=True))
    + r")\s*$",
    re.I,
)


#: Legal details printed in footers next to the issuer's name (registers, tax and bank ids).
COMPANY_DATA = re.compile(
    r"(?i)\b(kvk|btw|iban|bic|handelsregister|registergericht|hrb|hra|siret|siren|rcs|ust-?id|ust\.?-?idnr|"
    r"vat of|org\.?\s*nr|organisationsnummer|registered office|company (?:no|number)|sitz der gesellschaft|"
    r"geschäftsführer|cif|nif|kvk-nummer|n° tva)\b"
)
_FOOTER_SEPARATORS = re.compile(r"\s*(?:[•·|–—]|\s{2,}|\bVertreten durch\b|:)\s*")
_NAME_EXTENSION = re.compile(r"^(?:\s*&\s*Co\.?(?:\s*(?:KG|OHG|AG))?|\s+(?:KG|AG|mbH))+")


def footer_names(text: str) -> list[tuple[str, int, int]]:
    """Company names with a legal form in a footer row: ``(name, start, end)`` spans.

    The name is the legal form plus up to three words before it that carry a capital letter
    ("e-Luscious Nederland B.V.", "(VAT of Storyblok GmbH ..." -> "Storyblok GmbH"), extended by
    "& Co. KG".
    """
    found: list[tuple[str, int, int]] = []
    for match in LEGAL_SUFFIX.finditer(text):
        if (
            re.fullmatch(r"(?i)co\.|as|ag|kg|company", match.group(0))
            and found
            and match.start() <= found[-1][2] + 6
        ):
            continue  # the "Co. KG" of a name already taken
        words = list(re.finditer(r"\S+", text[: match.start()]))
        start = match.start()
        taken = 0
        for word in reversed(words):
            token = word.group(0)
            if (
                taken >= 3
                or not any(ch.isupper() for ch in token)
                or token.endswith((":", ",", ")"))
                or any(ch.isdigit() for ch in token)
            ):
                break
            start = word.start()
            taken += 1
        if not taken:
            continue
        end = match.end()
        extension = _NAME_EXTENSION.match(text[end:])
        if extension:
            end += extension.end()
        name = text[start:end].lstrip("(").strip()
        if _name_like(name):
            found.append((name, start + (len(text[start:end]) - len(text[start:end].lstrip("("))), end))
    return found


def _strip_title(text: str) -> str:
    """A name without a document title printed after it ("Amazon Web Services Invoice")."""
    stripped = _TRAILING_TITLE.sub("", text).strip()
    letters = sum(ch.isalpha() for ch in stripped)
    if letters < 6 or re.search(r"(?i)\b(tax|simplified|official|cash|sales|original|copy)\s*$", stripped):
        return text  # "TAX INVOICE", "OFFICIAL RECEIPT": a title, not a name
    return stripped


def _strip_registration(text: str) -> str:
    """A name without the registration number printed after it (the whole text if nothing is left)."""
    stripped = REGISTRATION.split(text.strip(), maxsplit=1)[0].strip(" ,-")
    return stripped or text.strip()


def _canonical_legal_form(text: str) -> str:
    """Legal forms are a closed vocabulary: undo the OCR confusions seen in them ("5/B" -> "S/B",
    "SIN BHD" -> "SDN BHD"); the printed text is kept separately."""
    text = re.sub(r"(?<![A-Za-z])5/B(?![A-Za-z])", "S/B", text)
    return re.sub(r"(?<![A-Za-z])S[Il1]N(\.?\s*BHD)", r"SDN\1", text, flags=re.I)


def _is_recipient_label(text: str) -> bool:
    """A row that is only recipient labels ("Factuuradres Afleveradres", "Bill to   Ship to")."""
    rest = RECIPIENT.sub("", text)
    return RECIPIENT.search(text) is not None and sum(ch.isalpha() for ch in rest) < 4


def _name_like(text: str) -> bool:
    """A row that can be part of a company name: mostly letters, no long numbers, not a title."""
    text = text.strip()
    letters = sum(ch.isalpha() for ch in text)
    return letters >= 3 and letters >= 0.7 * len(text.replace(" ", "")) and not NOT_VENDOR.search(text)


ADDRESS_STOP = re.compile(
    r"(?i)(tel|phone|fax|gst|reg\.?\s*no|co\.?\s*reg|vat|e-?mail|@|www\.|http|invoice|receipt|date|"
    r"doc(ument)?\s*no|cashier|tax|org\.?\s*nr|\(\s*\d{4,}|^\s*\(?\d{5,}-?[A-Z]\)?\s*$|"
    r"\b\d{2,4}[- ]\d{6,8}\b|\b\d{2,4}-\d{3,4}\s?\d{4}\b)"
)


@dataclass
class LineRef:
    """A line of the document with its page number and index on that page."""

    page: int
    index: int
    line: Line
    page_height: int

    @property
    def text(self) -> str:
        return self.line.text


def locate(ref: LineRef, start: int, end: int) -> tuple[BBox, float]:
    """Bbox and mean OCR confidence of the words printing ``line.text[start:end]``."""
    words = [
        w for w, (s, e) in zip(ref.line.words, ref.line.word_spans()) if s >= 0 and s < end and e > start
    ]
    if not words:
        return ref.line.bbox, ref.line.confidence
    return union_bbox(w.bbox for w in words), sum(w.confidence for w in words) / len(words)


def make_field(
    ref: LineRef,
    match: Match,
    certainty: float,
    rule: str,
    value: str | None = None,
    extractor: str = "rules",
) -> ExtractedField:
    """An ExtractedField for ``match`` in ``ref``: confidence = the words' OCR confidence x ``certainty``;
    ``source`` = ``"<extractor>:<rule>"``."""
    bbox, ocr_confidence = locate(ref, match.start, match.end)
    return ExtractedField(
        value=match.value if value is None else value,
        text=match.text,
        confidence=max(0.0, min(1.0, ocr_confidence * certainty)),
        page=ref.page,
        bbox=bbox,
        line_index=ref.index,
        source=f"{extractor}:{rule}",
    )


def _after_keyword(
    refs: Sequence[LineRef], position: int, keyword_end: int, finder: Callable[[str], list[Match]]
) -> tuple[LineRef, Match] | None:
    """The first value right of a keyword on its row, else the first value on the next row."""
    ref = refs[position]
    found = [m for m in finder(ref.text) if m.start >= keyword_end]
    if found:
        return ref, found[0]
    if position + 1 < len(refs) and refs[position + 1].page == ref.page:
        below = refs[position + 1]
        found = finder(below.text)
        if found:
            return below, found[0]
    return None


def arithmetic_total(fields: InvoiceFields) -> Decimal | None:
    """The total the other amounts imply: subtotal + tax when both are known, else the line items'
    sum when there is no subtotal (None when neither is known)."""
    if fields.subtotal and fields.tax_amount:
        if Decimal(fields.subtotal.value) <= 0:
            return None  # "0.00" read for a subtotal is a misplaced value, not a basis for the total
        return Decimal(fields.subtotal.value) + Decimal(fields.tax_amount.value)
    if fields.line_items and not fields.subtotal and not fields.tax_amount:
        amounts = [Decimal(item.amount.value) for item in fields.line_items if item.amount]
        return sum(amounts, Decimal(0)) if amounts else None
    return None


def pick_total(
    fields: InvoiceFields, candidates: Sequence[ExtractedField], cash_change: Decimal | None = None
) -> ExtractedField | None:
    """Among total candidates (from keyword rows, or from several extractors), the one the arithmetic
    confirms: when the chosen total disagrees with subtotal + tax (or the line items' sum) and another
    candidate agrees to the cent, that one is taken (``source`` gains ``+arithmetic``). Otherwise the
    chosen total stays, and so does a total that cash minus change (``cash_change``) confirms."""
    expected = arithmetic_total(fields)
    chosen = fields.total
    if chosen is not None and cash_change is not None and Decimal(chosen.value) == cash_change:
        return chosen
    if expected is None or (chosen is not None and abs(Decimal(chosen.value) - expected) <= Decimal("0.01")):
        return chosen
    for candidate in candidates:
        if abs(Decimal(candidate.value) - expected) <= Decimal("0.01"):
            candidate.source += "+arithmetic"
            return candidate
    return chosen


class RuleExtractor:
    """Keyword-and-layout extractor. Stateless; :meth:`extract` is thread-safe.

    Args:
        languages: ISO 639-1 codes of the document (they settle ``kr`` and, with the dates on the page,
            whether ``03/04/2018`` is day first).
    """

    name = "rules"

    def __init__(self, languages: Iterable[str] = ("en",)) -> None:
        self.languages = tuple(languages)

    def extract(self, document: Document) -> InvoiceFields:
        """Fields of ``document`` (an OCR'd or text-layer Document); absent fields are None."""
        refs = [
            LineRef(page.number, index, line, page.height)
            for page in document.pages
            for index, line in enumerate(page.lines)
        ]
        fields = InvoiceFields()
        if not refs:
            return fields
        order = numeric_date_order([r.text for r in refs])
        day_first = order if order is not None else "en-us" not in self.languages
        fields.total, cash_change = self._total(refs)
        total_candidates = self._total_candidates
        fields.subtotal = self._keyword_amount(refs, SUBTOTAL, exclude=None, rule="subtotal")
        fields.tax_amount, fields.tax_rate = self._tax(refs)
        fields.invoice_number = self._invoice_number(refs)
        fields.due_date = self._date(refs, DUE_DATE, day_first, rule="due_date")
        fields.invoice_date = self._date(refs, INVOICE_DATE, day_first, rule="invoice_date", exclude=DUE_DATE)
        if fields.invoice_date is None:
            fields.invoice_date = self._date(
                refs, DATE_GENERIC, day_first, rule="date", exclude=NOT_INVOICE_DATE
            )
        if fields.invoice_date is None:
            fields.invoice_date = self._first_date(refs, day_first, fields.due_date)
        fields.vendor_name, vendor_index = self._vendor(refs)
        fields.vendor_address = self._address(refs, vendor_index)
        fields.vendor_tax_id = self._tax_id(refs)
        fields.buyer_name = self._buyer(refs)
        fields.currency = self._currency(refs)
        fields.line_items = self._line_items(refs)
        fields.total = pick_total(fields, total_candidates, cash_change)
        self._reconcile(fields, cash_change)
        return fields

    # -- line items ----------------------------------------------------------------------------
    def _line_items(self, refs: Sequence[LineRef]) -> list[LineItem]:
        """Rows of the item table: a description, then two or more numbers at the right end
        (quantity, unit price, amount). On each page, the rows after an item-table header up to the
        totals; on a page without a header, only rows whose quantity x unit price = amount."""
        items: list[LineItem] = []
        pages = sorted({r.page for r in refs})
        for page in pages:
            rows = [r for r in refs if r.page == page]
            header = next((i for i, r in enumerate(rows) if len(ITEM_HEADER.findall(r.text)) >= 2), None)
            for ref in rows[(header + 1) if header is not None else 0 :]:
                if (
                    TOTAL_STRONG.search(ref.text)
                    or SUBTOTAL.search(ref.text)
                    or re.search(r"(?i)^\s*(total|totalt|summa|gesamt)\b", ref.text)
                ):
                    if header is not None:
                        break
                    continue
                found = self._item_row(ref)
                if found is not None and (header is not None or found[1]):
                    items.append(found[0])
        return items

    @staticmethod
    def _item_row(ref: LineRef) -> tuple[LineItem, bool] | None:
        """The row as a line item, and whether its quantity x unit price equals its amount."""
        words = ref.line.words
        spans = ref.line.word_spans()
        numbers: list[int] = []
        index = len(words) - 1
        while index >= 0 and re.fullmatch(r"(?i)[A-Z]{1,2}", words[index].text) and len(numbers) == 0:
            index -= 1  # a trailing tax code ("SR", "S", "Z")
        while index >= 0 and NUMBER_TOKEN.fullmatch(words[index].text):
            numbers.insert(0, index)
            index -= 1
        if len(numbers) < 2 or index < 0 or spans[index][0] < 0:
            return None
        description = ref.line.text[: spans[index][1]].strip()
        if (
            sum(ch.isalpha() for ch in description) < 3
            or TAX.search(description)
            or TOTAL_EXCLUDE.search(description)
        ):
            return None

        def field(word_index: int, value: str, certainty: float, rule: str) -> ExtractedField:
            start, end = spans[word_index]
            return make_field(ref, Match(value, words[word_index].text, start, end), certainty, rule)

        def number(word_index: int) -> Decimal | None:
            found = find_amounts(words[word_index].text)
            text = found[0].value if found else words[word_index].text.replace(",", ".")
            try:
                return Decimal(text)
            except Exception:
                return None

        numbers = numbers[-3:]  # quantity, unit price, amount at most; earlier numbers describe the item
        index = numbers[0] - 1
        if index < 0:
            return None
        description = ref.line.text[: spans[index][1]].strip() if spans[index][0] >= 0 else description
        values = [number(i) for i in numbers]
        if any(v is None for v in values):
            return None
        amount_i, amount = numbers[-1], values[-1]
        quantity_i = numbers[0] if len(numbers) >= 3 or "." not in words[numbers[0]].text else None
        unit_i = numbers[-2] if len(numbers) >= 3 or quantity_i is None else None
        consistent = False
        known = [v for v in values if v is not None]  # all of them (checked above): typed as known
        amount = known[-1]
        if quantity_i is not None and unit_i is not None:
            consistent = abs(
                known[numbers.index(quantity_i)] * known[numbers.index(unit_i)] - amount
            ) <= Decimal("0.011")
        certainty = 0.9 if consistent else 0.6
        item = LineItem(
            description=make_field(
                ref, Match(description, description, 0, len(description)), certainty, "item_description"
            ),
            amount=field(amount_i, f"{amount:.2f}", certainty, "item_amount"),
        )
        if quantity_i is not None:
            item.quantity = field(
                quantity_i, f"{known[numbers.index(quantity_i)].normalize():f}", certainty, "item_quantity"
            )
        if unit_i is not None:
            item.unit_price = field(
                unit_i, f"{values[numbers.index(unit_i)]:.2f}", certainty, "item_unit_price"
            )
        return item, consistent

    # -- amounts -----------------------------------------------------------------------------
    def _total(self, refs: Sequence[LineRef]) -> tuple[ExtractedField | None, Decimal | None]:
        self._total_candidates: list[ExtractedField] = []
        candidates: list[tuple[int, Decimal, int, ExtractedField]] = []
        cash = change = None
        for position, ref in enumerate(refs):
            lowered = ref.text.lower()
            amounts = find_amounts(ref.text)
            if amounts and re.search(r"(?i)\b(cash|tunai|tendered|paid)\b", lowered) and cash is None:
                cash = Decimal(amounts[-1].value)
            if amounts and re.search(r"(?i)\bchange\b", lowered) and change is None:
                change = Decimal(amounts[-1].value)
            if TOTAL_EXCLUDE.search(ref.text) and not TOTAL_STRONG.search(ref.text):
                continue
            strong = TOTAL_STRONG.search(ref.text)
            keyword = strong or TOTAL_WEAK.search(ref.text)
            if not keyword:
                continue
            found = [m for m in amounts if m.start >= keyword.end()]
            hit = (ref, found[-1]) if found else _after_keyword(refs, position, len(ref.text), find_amounts)
            if hit is None:
                continue
            tier = 2 if strong else 1
            value = Decimal(hit[1].value)
            field = make_field(hit[0], hit[1], 0.95 if strong else 0.8, "total_strong" if strong else "total")
            candidates.append((tier, value, position, field))
        cash_change = (cash - change) if cash is not None and change is not None else None
        self._total_candidates = [c[3] for c in candidates]
        if any(c[1] > 0 for c in candidates):
            candidates = [c for c in candidates if c[1] > 0]  # "Amount due 0.00" on a paid invoice
        if not candidates:
            return None, cash_change
        if cash_change is not None:
            matching = [c for c in candidates if c[1] == cash_change]
            if matching:
                best = max(matching, key=lambda c: (c[0], c[2]))
                return best[3], cash_change
        best_tier = max(c[0] for c in candidates)
        best = max((c for c in candidates if c[0] == best_tier), key=lambda c: (c[1], c[2]))
        rounded = self._rounded_total(refs, best[2], best[1])
        return (rounded or best[3]), cash_change

    @staticmethod
    def _rounded_total(refs: Sequence[LineRef], after: int, total: Decimal) -> ExtractedField | None:
        """A "Rounding ... 45.35" row after a 45.34 total: the amount actually due (cash rounding to
        0.05, as Malaysian and Swedish receipts print it)."""
        for ref in refs[after + 1 : after + 5]:
            if not re.search(r"(?i)round", ref.text):
                continue
            for match in find_amounts(ref.text):
                value = Decimal(match.value)
                if value != total and abs(value - total) <= Decimal("0.05") and value >= 1:
                    return make_field(ref, match, 0.9, "rounded_total")
        return None

    def _keyword_amount(self, refs, pattern, exclude, rule: str) -> ExtractedField | None:
        for position, ref in enumerate(refs):
            keyword = pattern.search(ref.text)
            if not keyword or (exclude is not None and exclude.search(ref.text)):
                continue
            hit = _after_keyword(refs, position, keyword.end(), find_amounts)
            if hit:
                return make_field(hit[0], hit[1], 0.85, rule)
        return None

    def _tax(self, refs: Sequence[LineRef]) -> tuple[ExtractedField | None, ExtractedField | None]:
        amount = rate = None
        for _position, ref in enumerate(refs):
            keyword = TAX.search(ref.text)
            if not keyword or TAX_EXCLUDE.search(ref.text):
                continue
            if rate is None:
                percents = find_percentages(ref.text)
                if percents:
                    rate = make_field(ref, percents[0], 0.9, "tax_rate")
            if amount is None:
                found = [m for m in find_amounts(ref.text) if m.start >= keyword.end()]
                if found:
                    amount = make_field(ref, found[-1], 0.85, "tax_amount")
        return amount, rate

    # -- identifiers and dates -----------------------------------------------------------------
    def _invoice_number(self, refs: Sequence[LineRef]) -> ExtractedField | None:
        token = re.compile(r"[#:.]?\s*([A-Z0-9][A-Z0-9/_\-.]*\d[A-Z0-9/_\-.]*)", re.IGNORECASE)

        def usable(value: str) -> bool:
            return len(value) >= 3 and not find_dates(value) and not find_amounts(value)

        for position, ref in enumerate(refs):
            keyword = INVOICE_NUMBER.search(ref.text)
            if not keyword:
                continue
            match = token.match(ref.text[keyword.end() :].lstrip(" :#.-—"))
            if match:
                value = match.group(1).rstrip(".")
                start = ref.text.find(value, keyword.end())
                if usable(value) and start >= 0:
                    return make_field(
                        ref, Match(value, value, start, start + len(value)), 0.85, "invoice_number"
                    )
            # A table header ("Klantnummer  Factuurnummer") with the values on the row below, same column.
            below = self._value_below(refs, position, keyword.start(), keyword.end())
            if below is not None:
                below_ref, word_index = below
                word = below_ref.line.words[word_index]
                if re.fullmatch(r"[A-Z0-9][A-Z0-9/_\-.]*\d[A-Z0-9/_\-.]*", word.text, re.I) and usable(
                    word.text
                ):
                    return ExtractedField(
                        value=word.text,
                        text=word.text,
                        confidence=word.confidence * 0.75,
                        page=below_ref.page,
                        bbox=word.bbox,
                        line_index=below_ref.index,
                        source="rules:invoice_number_below",
                    )
        return None

    @staticmethod
    def _value_below(
        refs: Sequence[LineRef], position: int, start: int, end: int
    ) -> tuple[LineRef, int] | None:
        """The word on the next row whose box overlaps the keyword's columns the most."""
        ref = refs[position]
        if position + 1 >= len(refs) or refs[position + 1].page != ref.page:
            return None
        x0, _, x1, _ = locate(ref, start, end)[0]
        below = refs[position + 1]
        best, best_overlap = None, 0
        for index, word in enumerate(below.line.words):
            overlap = min(x1, word.bbox[2]) - max(x0, word.bbox[0])
            if overlap > best_overlap:
                best, best_overlap = index, overlap
        return (below, best) if best is not None else None

    def _date(self, refs, pattern, day_first: bool, rule: str, exclude=None) -> ExtractedField | None:
        for position, ref in enumerate(refs):
            keyword = pattern.search(ref.text)
            if not keyword or (exclude is not None and exclude.search(ref.text)):
                continue
            hit = _after_keyword(refs, position, keyword.end(), lambda t: find_dates(t, day_first))
            if hit:
                return make_field(hit[0], hit[1], 0.9, rule)
        return None

    def _first_date(self, refs, day_first: bool, due: ExtractedField | None) -> ExtractedField | None:
        for ref in refs:
            for match in find_dates(ref.text, day_first):
                if due is None or match.value != due.value:
                    return make_field(ref, match, 0.7, "first_date")
        return None

    # -- parties -------------------------------------------------------------------------------
    def _vendor(self, refs: Sequence[LineRef]) -> tuple[ExtractedField | None, int | None]:
        first_page = [r for r in refs if r.page == refs[0].page]
        header = first_page[:8]
        heights = sorted(r.line.bbox[3] - r.line.bbox[1] for r in first_page)
        median = max(1, heights[len(heights) // 2])
        # (score, header position or None for a footer name, line, (footer name, start, end) or None)
        best: tuple[float, int | None, LineRef, tuple[str, int, int] | None] | None = None
        footer = [r for r in first_page[-10:] if r not in header]
        footer_text = " ".join(r.text for r in footer).casefold()
        header_text = " ".join(r.text for r in header).casefold()
        for position, ref in enumerate(header):
            text = _strip_title(REGISTRATION.split(ref.text.strip(), maxsplit=1)[0].strip(" ,-"))
            letters = sum(ch.isalpha() for ch in text)
            if letters < 3 or letters < 0.5 * len(text.replace(" ", "")):
                continue
            score = (ref.line.bbox[3] - ref.line.bbox[1]) / median - 0.15 * position
            if LEGAL_SUFFIX.search(text):
                score += 2.0
            if NOT_VENDOR.search(text) and not LEGAL_SUFFIX.search(text):
                score -= 2.0
            recipient = RECIPIENT.search(ref.text)
            if recipient and LEGAL_SUFFIX.search(ref.text[: recipient.start()]):
                pass  # "Storyblok GmbH    Bill to": the name comes first; the label is cut off below
            elif recipient or re.search(r"\w:\s*$", ref.text):
                score -= 3.0  # the addressee ("ATTN:", "Bill to"), or a label waiting for its value
            elif position > 0 and _is_recipient_label(header[position - 1].text):
                score -= 3.0  # the first row under "Factuuradres" / "Bill to": the addressee's name
            suffix = LEGAL_SUFFIX.search(text)
            key = (text[: suffix.end()] if suffix else text).strip().casefold()
            if suffix and len(key) >= 4 and key in footer_text:
                score += 1.5  # the same name in the footer's legal details
            if best is None or score > best[0]:
                best = (score, position, ref, None)
        # Footer: the issuer's legal name next to its registers and tax ids ("Kvk", "BTW", "HRB" ...).
        for index, ref in enumerate(footer):
            nearby = " ".join(r.text for r in footer[index : index + 4])
            for name, start, end in footer_names(ref.text):
                score = 2.0 + (1.0 if COMPANY_DATA.search(nearby) else 0.0)
                score += 1.5 if name.casefold() in header_text else 0.0
                if best is None or score > best[0]:
                    best = (score, None, ref, (name, start, end))
        if best is None:
            return None, None
        if best[3] is not None:
            ref = best[2]
            name, start, end = best[3]
            value = _canonical_legal_form(name)
            return make_field(ref, Match(value, name, start, end), 0.8, "vendor_footer"), refs.index(ref)
        ref = best[2]
        position = refs.index(ref)
        text = _strip_title(_strip_registration(ref.text))
        recipient = RECIPIENT.search(text)
        if recipient and LEGAL_SUFFIX.search(text[: recipient.start()]):
            text = text[: recipient.start()].strip(" ,|-")
        # Drop a document title merged into the same row ("Nordic Paper Supplies AB    INVOICE").
        suffix = None
        for suffix in LEGAL_SUFFIX.finditer(text):  # noqa: B007 (the last match is wanted)
            pass
        if suffix is not None and NOT_VENDOR.search(text[suffix.end() :]):
            text = text[: suffix.end()].strip()
        used = [ref]
        # A name printed over two rows: "POPULAR BOOK" / "CO. (M) SDN BHD", or "HOME MASTER HARDWARE &" / "ELECTRICAL".
        head = LEGAL_SUFFIX.search(text)
        if head is not None and len(text[: head.start()].split()) < 2 and position > 0:
            above = refs[position - 1]
            if above.page == ref.page and _name_like(above.text):
                text = f"{above.text.strip()} {text}"
                used.insert(0, above)
        elif text.endswith("&") and position + 1 < len(refs) and _name_like(refs[position + 1].text):
            below = refs[position + 1]
            text = f"{text} {_strip_registration(below.text)}"
            used.append(below)
        certainty = 0.9 if LEGAL_SUFFIX.search(text) else 0.6
        printed, text = text, _canonical_legal_form(text)
        if len(used) == 1:
            field = make_field(ref, Match(text, printed, 0, len(printed)), certainty, "vendor_header")
        else:
            confidence = sum(u.line.confidence for u in used) / len(used) * certainty
            field = ExtractedField(
                value=text,
                text=printed,
                confidence=confidence,
                page=ref.page,
                bbox=union_bbox(u.line.bbox for u in used),
                line_index=used[0].index,
                source="rules:vendor_header",
            )
        return field, refs.index(used[-1])

    def _address(self, refs: Sequence[LineRef], vendor_index: int | None) -> ExtractedField | None:
        if vendor_index is None:
            return None
        parts: list[LineRef] = []
        for ref in refs[vendor_index + 1 : vendor_index + 7]:
            if ref.page != refs[vendor_index].page:
                break
            if ADDRESS_STOP.search(ref.text):
                if parts:
                    break
                continue  # a registration number right under the name
            parts.append(ref)
        if not parts:
            return None
        text = " ".join(p.text.strip() for p in parts)
        bbox = union_bbox(p.line.bbox for p in parts)
        confidence = sum(p.line.confidence for p in parts) / len(parts) * 0.7
        return ExtractedField(
            value=text,
            text=text,
            confidence=confidence,
            page=parts[0].page,
            bbox=bbox,
            line_index=parts[0].index,
            source="rules:address_block",
        )

    def _tax_id(self, refs: Sequence[LineRef]) -> ExtractedField | None:
        # Upper-case letters and digits; spaces only between digit groups ("SE 5566 7788").
        token = re.compile(r"[:#.]?\s*([A-Z]{0,3}\s?\d[\dA-Z\-.]*(?:\s\d[\dA-Z\-.]*)*)")
        for ref in refs:
            keyword = TAX_ID.search(ref.text)
            if keyword:
                match = token.search(ref.text, keyword.end())
                if match and sum(ch.isdigit() for ch in match.group(1)) >= 6:
                    value = match.group(1).strip().rstrip(".")
                    return make_field(
                        ref,
                        Match(value.replace(" ", ""), value, match.start(1), match.end(1)),
                        0.85,
                        "tax_id",
                    )
        return None

    def _buyer(self, refs: Sequence[LineRef]) -> ExtractedField | None:
        for position, ref in enumerate(refs):
            keyword = BUYER.search(ref.text)
            if not keyword or re.match(
                r"(?i)\s*(no|nr|number|id|#|nummer|número)\b", ref.text[keyword.end() :]
            ):
                continue
            rest = ref.text[keyword.end() :].strip(" :")
            if len(rest) >= 3 and sum(ch.isalpha() for ch in rest) >= 3:
                start = ref.text.index(rest, keyword.end())
                return make_field(ref, Match(rest, rest, start, start + len(rest)), 0.75, "buyer")
            if position + 1 < len(refs):
                below = refs[position + 1]
                name = below.text.strip()
                if sum(ch.isalpha() for ch in name) >= 3:
                    return make_field(below, Match(name, name, 0, len(name)), 0.7, "buyer_below")
        return None

    def _currency(self, refs: Sequence[LineRef]) -> ExtractedField | None:
        counts: dict[str, list[tuple[LineRef, Match]]] = {}
        for ref in refs:
            for match in find_currencies(ref.text, self.languages):
                counts.setdefault(match.value, []).append((ref, match))
        if not counts:
            return None
        code, hits = max(counts.items(), key=lambda item: len(item[1]))
        certainty = 0.95 if len(counts) == 1 else 0.7
        return make_field(hits[0][0], hits[0][1], certainty, "currency")

    # -- arithmetic ------------------------------------------------------------------------------
    @staticmethod
    def _reconcile(fields: InvoiceFields, cash_change: Decimal | None) -> None:
        reconcile(fields, cash_change)


def reconcile(fields: InvoiceFields, cash_change: Decimal | None, items_delimited: bool = True) -> None:
    """Arithmetic checks into ``fields.checks`` (``passed``, ``failed``, ``not_checkable``) with the
    sums in ``fields.check_details``; a passed check raises the confidence of its fields, a failed one
    lowers it.

    A check is ``not_checkable`` when one of its figures is missing, or cannot be complete: line
    items found without an item-table header (``items_delimited`` False) may miss rows, so their sum
    proves nothing. A tax rate is checked against the subtotal (tax on top) or against the total (tax
    included, as receipts print it: total x rate / (100 + rate)); with several rates, per tax line.
    """

    def adjust(field: ExtractedField | None, factor: float) -> None:
        if field is not None:
            field.confidence = max(0.0, min(1.0, field.confidence * factor))

    def record(name: str, ok: bool | None, detail: str) -> None:
        fields.checks[name] = "not_checkable" if ok is None else ("passed" if ok else "failed")
        fields.check_details[name] = detail

    cent = Decimal("0.02")
    total = Decimal(fields.total.value) if fields.total else None
    subtotal = Decimal(fields.subtotal.value) if fields.subtotal else None
    tax = Decimal(fields.tax_amount.value) if fields.tax_amount else None
    if total is not None and subtotal is not None and tax is not None:
        ok = abs(subtotal + tax - total) <= cent
        record(
            "subtotal_plus_tax_equals_total", ok, f"{subtotal} + {tax} = {subtotal + tax} vs total {total}"
        )
        for field in (fields.total, fields.subtotal, fields.tax_amount):
            adjust(field, 1.1 if ok else 0.8)
    elif total is not None and (subtotal is not None or tax is not None):
        missing = "tax" if subtotal is not None else "subtotal"
        record("subtotal_plus_tax_equals_total", None, f"no {missing} on the document")
    taxes = fields.taxes or (
        [TaxLine(amount=fields.tax_amount, rate=fields.tax_rate)]
        if fields.tax_amount and fields.tax_rate
        else []
    )
    rated = [t for t in taxes if t.rate is not None]
    if rated:
        results: list[bool | None] = []
        details = []
        for line in rated:
            assert line.rate is not None
            rate, amount = Decimal(line.rate.value), Decimal(line.amount.value)
            bases = [b for b in (subtotal,) if b is not None and len(rated) == 1]
            on_top = [abs(b * rate / 100 - amount) <= Decimal("0.05") for b in bases]
            included = (
                abs(total * rate / (100 + rate) - amount) <= Decimal("0.05")
                if total is not None and len(rated) == 1
                else None
            )
            if any(on_top) or included:
                results.append(True)
            elif bases or included is not None:
                results.append(False)
            else:
                results.append(None)
            details.append(f"{line.rate.value}% -> {amount}")
        known = [r for r in results if r is not None]
        ok_all = None if not known or len(known) < len(results) else all(known)
        if len(rated) > 1 and ok_all is None:
            detail = "several rates and no base per rate: " + "; ".join(details)
        else:
            detail = (
                "; ".join(details)
                + (f" of subtotal {subtotal}" if subtotal is not None else "")
                + (f" (or included in total {total})" if total is not None else "")
            )
        record("tax_rate_matches_tax_amount", ok_all, detail)
        if ok_all is not None:
            adjust(fields.tax_rate, 1.1 if ok_all else 0.8)
    if fields.line_items and (fields.subtotal or fields.total):
        target = fields.subtotal or fields.total
        assert target is not None
        items_sum = sum((Decimal(item.amount.value) for item in fields.line_items if item.amount), Decimal(0))
        name = "line_items_sum_equals_" + ("subtotal" if fields.subtotal else "total")
        ok = abs(items_sum - Decimal(target.value)) <= cent
        detail = f"{len(fields.line_items)} items sum to {items_sum} vs {target.value}"
        if not ok and not items_delimited:
            record(name, None, detail + " (rows found without an item-table header: some may be missing)")
        else:
            record(name, ok, detail)
            for item in fields.line_items:
                adjust(item.amount, 1.1 if ok else 0.9)
    if total is not None and cash_change is not None:
        ok = cash_change == total
        record("cash_minus_change_equals_total", ok, f"cash - change = {cash_change} vs total {total}")
        adjust(fields.total, 1.1 if ok else 0.9)
