"""Rule-and-layout key information extraction: keyword lexicons + row geometry, zero-shot.

Each field is found by a keyword in one of the supported languages (English, Swedish, Spanish,
German, French, Dutch, Chinese) and a value of the right type on the same row to its right, or on
the row below; vendors come from the header region (legal-form suffixes, text size). Everything is
deterministic and fast (no model). Values keep provenance: page, line index and the bbox of the words
that print them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from clearocr.document import Document, union_bbox
from clearocr.extraction.evidence import (
    ADDRESS_STOP,
    BUYER,
    COMPANY_DATA,
    DATE_GENERIC,
    DUE_DATE,
    INVOICE_DATE,
    INVOICE_NUMBER,
    ITEM_HEADER,
    LEGAL_SUFFIX,
    NOT_INVOICE_DATE,
    NOT_VENDOR,
    NUMBER_TOKEN,
    RECIPIENT,
    REGISTRATION,
    SUBTOTAL,
    TAX,
    TAX_EXCLUDE,
    TAX_ID,
    TOTAL_EXCLUDE,
    TOTAL_STRONG,
    TOTAL_WEAK,
    LineRef,
    _after_keyword,
    _canonical_legal_form,
    _is_recipient_label,
    _name_like,
    _strip_registration,
    _strip_title,
    footer_names,
    implied_subtotal,
    locate,
    make_field,
    pick_total,
    reconcile,
)
from clearocr.extraction.schema import ExtractedField, InvoiceFields, LineItem
from clearocr.extraction.values import (
    Match,
    default_day_first,
    dollar_currency,
    find_amounts,
    find_currencies,
    find_dates,
    find_percentages,
    numeric_date_order,
    plausible_issue_date,
    whole_currency_document,
)


class RuleExtractor:
    """Keyword-and-layout extractor. Stateless; :meth:`extract` is thread-safe.

    Args:
        languages: ISO 639-1 codes of the document (they settle ``kr`` and, with the dates on the page,
            whether ``03/04/2018`` is day first).
    """

    name = "rules"

    def __init__(self, languages: Iterable[str] = ("en",)) -> None:
        self.languages = tuple(languages)
        #: The document prices in a currency without decimals (set per document by :meth:`extract`).
        self.whole_amounts = False

    def _amounts(self, text: str) -> list[Match]:
        return find_amounts(text, whole=self.whole_amounts)

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
        self.whole_amounts = whole_currency_document([r.text for r in refs], self.languages)
        order = numeric_date_order([r.text for r in refs])
        day_first = (
            order
            if order is not None
            else default_day_first([r.text for r in refs], self.languages, "en-us" not in self.languages)
        )
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
        if fields.subtotal is None:
            fields.subtotal = implied_subtotal(refs, [self._amounts(r.text) for r in refs], fields)
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
            amounts = self._amounts(ref.text)
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
            hit = (ref, found[-1]) if found else _after_keyword(refs, position, len(ref.text), self._amounts)
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

    def _rounded_total(self, refs: Sequence[LineRef], after: int, total: Decimal) -> ExtractedField | None:
        """A "Rounding ... 45.35" row after a 45.34 total: the amount actually due (cash rounding to
        0.05, as Malaysian and Swedish receipts print it)."""
        for ref in refs[after + 1 : after + 5]:
            if not re.search(r"(?i)round", ref.text):
                continue
            for match in self._amounts(ref.text):
                value = Decimal(match.value)
                if value != total and abs(value - total) <= Decimal("0.05") and value >= 1:
                    return make_field(ref, match, 0.9, "rounded_total")
        return None

    def _keyword_amount(self, refs, pattern, exclude, rule: str) -> ExtractedField | None:
        """The amount after the first row labelled by ``pattern`` (on its row, or the next row's,
        under the label). An item table's header ("Désignation ... Montant HT") labels a column of
        item amounts, not the subtotal: it is skipped."""
        for position, ref in enumerate(refs):
            keyword = pattern.search(ref.text)
            if not keyword or (exclude is not None and exclude.search(ref.text)):
                continue
            if len(ITEM_HEADER.findall(ref.text)) >= 2:
                continue
            hit = _after_keyword(refs, position, keyword.end(), self._amounts, keyword.start())
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
                found = [m for m in self._amounts(ref.text) if m.start >= keyword.end()]
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
            hit = _after_keyword(
                refs, position, keyword.end(), lambda t: find_dates(t, day_first), keyword.start()
            )
            if hit:
                return make_field(hit[0], hit[1], 0.9, rule)
        return None

    def _first_date(self, refs, day_first: bool, due: ExtractedField | None) -> ExtractedField | None:
        for ref in refs:
            for match in find_dates(ref.text, day_first):
                if (due is None or match.value != due.value) and plausible_issue_date(match.value):
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
        """The currency named most often; a "$" is the dollar or peso of the country the document
        names (:func:`~clearocr.extraction.values.dollar_currency`)."""
        counts: dict[str, list[tuple[LineRef, Match]]] = {}
        dollar: str | None = None
        for ref in refs:
            for match in find_currencies(ref.text, self.languages):
                if match.text == "$":
                    dollar = dollar or dollar_currency([r.text for r in refs])
                    match = Match(dollar, match.text, match.start, match.end)
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
