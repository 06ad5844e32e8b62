"""What both extractors read a field from: the keyword lexicons (:mod:`clearocr.extraction.vocab`),
legal-name and registration patterns, line references with their boxes, fields made with provenance,
the arithmetic that picks and reconciles totals, and the names in a page's footer."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from clearocr.document import BBox, Line, union_bbox
from clearocr.extraction.schema import ExtractedField, InvoiceFields, TaxLine
from clearocr.extraction.values import (
    Match,
)
from clearocr.extraction.vocab import available_languages, keyword_pattern, vocabulary

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
    r"CORPORATION|S\.L\.?|S\.A\.?|SARL|SAS|B\.V\.?|N\.V\.?|PLC|OY|A/S|AS|PTE|有限公司|公司|"
    # Italian, Portuguese/Brazilian, Danish, Norwegian, Polish, Indonesian, German and French forms.
    r"S\.?R\.?L\.?|S\.P\.A\.?|LTDA\.?|LDA\.?|APS|ASA|SP\.\s?Z\s?O\.\s?O\.?|TBK|OHG|EURL|SASU"
)
# Trade words that end a business name on receipts ("... HARDWARE", "... RESTAURANT") without a legal form.
_TRADE_WORDS = r"ENTERPRISES?|TRADING|RESTAURANT|HARDWARE|STATIONERY|MARKETING|CO\.|COMPANY"
#: A legal form or a trade word that ends a company name.
#: Not after a digit: the "kg" of "1kg" is a unit, not a Kommanditgesellschaft.
LEGAL_SUFFIX = re.compile(rf"(?<![A-Za-z0-9])({_LEGAL_FORMS}|{_TRADE_WORDS})(?![A-Za-z])", re.IGNORECASE)
#: A legal form proper (a registered company's name), not a trade word.
LEGAL_FORM = re.compile(rf"(?<![A-Za-z0-9])({_LEGAL_FORMS})(?![A-Za-z])", re.IGNORECASE)

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


#: Every language's document titles and non-name header words ("Invoice", "Faktura", "A Factura" is
#: "Factura" with its type letter, "PAYMENT RECEIPT", "发票"): a row of nothing else names no issuer.
_TITLE_WORDS = keyword_pattern(list(_ALL.words["document_titles"]) + list(_ALL.words["not_vendor"]))


def title_only(text: str) -> bool:
    """Whether ``text`` is only document-type words and header labels of any language (plus type
    letters, numbering and punctuation): "FACTURA A", "Kopie factuur", "Tax Invoice", "收据"."""
    rest = _TITLE_WORDS.sub(" ", text)
    rest = re.sub(r"(?<![^\W\d_])[A-Za-z](?![^\W\d_])", " ", rest)  # an invoice-type letter ("A", "B", "C")
    return (
        _TITLE_WORDS.search(text) is not None
        and sum(ch.isalpha() for ch in rest) < 3
        and not LEGAL_FORM.search(text)  # "Sida AB": a name that is a word of some language
    )


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
    refs: Sequence[LineRef],
    position: int,
    keyword_end: int,
    finder: Callable[[str], list[Match]],
    keyword_start: int | None = None,
) -> tuple[LineRef, Match] | None:
    """The first value right of a keyword on its row, else a value on the next row: the one printed
    under the keyword (its box overlaps the keyword's columns) when ``keyword_start`` is given and one
    is, as in a header row of labels over a row of values ("No.  Date  Due date" / "17  1/3  1/4");
    otherwise the row's first value."""
    ref = refs[position]
    found = [m for m in finder(ref.text) if m.start >= keyword_end]
    if found:
        return ref, found[0]
    if position + 1 < len(refs) and refs[position + 1].page == ref.page:
        below = refs[position + 1]
        found = finder(below.text)
        if found and keyword_start is not None and len(found) > 1:
            x0, x1 = _label_columns(ref, keyword_start, keyword_end)
            overlaps = [
                (min(x1, box[2]) - max(x0, box[0]), match)
                for match in found
                for box in [locate(below, match.start, match.end)[0]]
            ]
            best = max(overlaps, key=lambda pair: pair[0])
            if best[0] > 0:
                return below, best[1]
        if found:
            return below, found[0]
    return None


def _label_columns(ref: LineRef, start: int, end: int) -> tuple[int, int]:
    """The x extent (pixels) of the label at ``start:end`` of a row, from its last word back over the
    words set at word spacing: a label matched across a column gap ("Fecha      Vencimiento" read as
    "fecha vencimiento") keeps only its last column's words."""
    spans = [
        (word, span)
        for word, span in zip(ref.line.words, ref.line.word_spans())
        if span[0] >= 0 and span[0] < end and span[1] > start
    ]
    if not spans:
        box = locate(ref, start, end)[0]
        return box[0], box[2]
    height = max(1, ref.line.bbox[3] - ref.line.bbox[1])
    first = len(spans) - 1
    while first > 0 and spans[first][0].bbox[0] - spans[first - 1][0].bbox[2] < height:
        first -= 1
    return spans[first][0].bbox[0], spans[-1][0].bbox[2]


def implied_subtotal(
    refs: Sequence[LineRef], amounts: Sequence[list[Match]], fields: InvoiceFields
) -> ExtractedField | None:
    """The subtotal when no label named it: an amount printed on its own row that equals total minus
    tax ("Jumlah 4.336.940" over "PPN 11% 477.063" and "Total 4.814.003"; "金额" on a Chinese VAT
    invoice), the row nearest above the total's. None without a total and a tax, or with no such row.

    Args:
        amounts: the amounts found on each of ``refs`` (as the extractor found them).
    """
    if fields.total is None or fields.tax_amount is None:
        return None
    want = Decimal(fields.total.value) - Decimal(fields.tax_amount.value)
    if want <= 0 or Decimal(fields.tax_amount.value) <= 0:
        return None
    found = None
    for ref, row in zip(refs, amounts):
        if ref.page == fields.total.page and ref.index == fields.total.line_index:
            break
        if ref.page == fields.tax_amount.page and ref.index == fields.tax_amount.line_index:
            continue
        for match in row:
            if Decimal(match.value) == want:
                found = (ref, match)
    return make_field(found[0], found[1], 0.7, "subtotal_arithmetic") if found else None


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
