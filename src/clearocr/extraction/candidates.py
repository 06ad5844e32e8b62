"""Candidate values of the scored fields and their features: every amount, date, header line, footer
name, address run and identifier on a page, with the labels, positions and arithmetic that speak for
it (see :mod:`clearocr.extraction.scoring` for how they are scored)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal

from clearocr.document import Document, union_bbox
from clearocr.extraction.evidence import (
    ADDRESS_STOP,
    COMPANY_DATA,
    LEGAL_FORM,
    LEGAL_SUFFIX,
    REGISTRATION,
    LineRef,
    _canonical_legal_form,
    _is_recipient_label,
    _strip_registration,
    _strip_title,
    footer_names,
    locate,
    title_only,
)
from clearocr.extraction.values import (
    Match,
    default_day_first,
    find_amounts,
    find_currencies,
    find_dates,
    find_percentages,
    numeric_date_order,
    plausible_issue_date,
    whole_currency_document,
)
from clearocr.extraction.vocab import Vocabulary, vocabulary

_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])[:.][0-5]\d(?:[:.][0-5]\d)?(?!\d)")
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)|(?<!\d)\d{3}\s\d{2}(?!\d)|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b")
_PHONE = re.compile(r"\b\d{2,4}[- ]\d{6,8}\b|\b\d{2,4}-\d{3,4}\s?\d{4}\b|\+\d[\d\s.-]{7,}")
# An identifier: a token with a digit, after an optional series prefix of 1-3 capitals and a space
# ("FV 48824", a Polish invoice series; "A 0001-00000123").
_ID_TOKEN = re.compile(r"[#:]?((?:(?-i:[A-Z]{1,3})\s(?=\d))?[A-Z0-9][A-Z0-9/_\-.]*\d[A-Z0-9/_\-.]*)", re.I)


@dataclass
class Candidate:
    """One possible value of a field, with the features that argue for or against it.

    Attributes:
        field: the field it is a candidate for (one of :data:`SCORED_FIELDS`).
        value: normalised value (ISO date, ``"12.50"``, text).
        text: as printed.
        refs: the lines printing it (the first holds ``start:end``; multi-line candidates span whole lines).
        start: character offset in ``refs[0].text`` (0 for whole lines).
        end: end offset in ``refs[0].text``.
        source: the generator that proposed it (``amount``, ``date``, ``header``, ``footer``, ``llm``...).
        features: ``{name: value}``; names the model does not know are ignored, missing ones are 0.
    """

    field: str
    value: str
    text: str
    refs: list[LineRef]
    start: int
    end: int
    source: str
    features: dict[str, float] = dataclass_field(default_factory=dict)

    @property
    def bbox_and_confidence(self) -> tuple[tuple[int, int, int, int], float]:
        """The bbox of the printed value (pixels) and the mean OCR confidence of its words."""
        if self.source == "llm":
            return self.refs[0].line.bbox, self.refs[0].line.confidence
        if len(self.refs) == 1:
            return locate(self.refs[0], self.start, self.end)
        box = union_bbox(r.line.bbox for r in self.refs)
        return box, sum(r.line.confidence for r in self.refs) / len(self.refs)


# -- the document as candidates see it ------------------------------------------------------------
@dataclass
class Context:
    """What every feature needs about one document, computed once."""

    refs: list[LineRef]
    vocab: Vocabulary
    day_first: bool
    languages: tuple[str, ...]
    amounts: list[list[Match]]
    median_height: dict[int, float]
    page_width: dict[int, int]
    cash_change: Decimal | None = None
    cash_values: set[Decimal] = dataclass_field(default_factory=set)
    sub_plus_tax: set[Decimal] = dataclass_field(default_factory=set)
    items_sum: Decimal | None = None
    whole_amounts: bool = False

    @classmethod
    def of(cls, document: Document, languages: Sequence[str]) -> Context:
        """The context of ``document`` read with the vocabularies of ``languages``."""
        refs = [
            LineRef(page.number, index, line, page.height)
            for page in document.pages
            for index, line in enumerate(page.lines)
        ]
        vocab = vocabulary(tuple(languages) or ("en",))
        order = numeric_date_order([r.text for r in refs])
        whole = whole_currency_document([r.text for r in refs], tuple(languages))
        medians: dict[int, float] = {}
        for page in document.pages:
            heights = sorted(ln.bbox[3] - ln.bbox[1] for ln in page.lines) or [1]
            medians[page.number] = max(1.0, float(heights[len(heights) // 2]))
        ctx = cls(
            refs=refs,
            vocab=vocab,
            day_first=order
            if order is not None
            else default_day_first([r.text for r in refs], tuple(languages), vocab.day_first),
            languages=tuple(languages),
            amounts=[find_amounts(r.text, whole=whole) for r in refs],
            median_height=medians,
            page_width={p.number: max(1, p.width) for p in document.pages},
            whole_amounts=whole,
        )
        ctx._arithmetic()
        return ctx

    def _arithmetic(self) -> None:
        cash = change = None
        subtotals: list[Decimal] = []
        taxes: list[Decimal] = []
        v = self.vocab
        for ref, amounts in zip(self.refs, self.amounts):
            if not amounts:
                continue
            last = Decimal(amounts[-1].value)
            if v.cash.search(ref.text) and not v.change.search(ref.text):
                self.cash_values.add(last)
                cash = last if cash is None else cash
            if v.change.search(ref.text) and change is None:
                change = last
            if v.subtotal.search(ref.text):
                subtotals.append(last)
            if v.tax.search(ref.text) and not v.tax_exclude.search(ref.text):
                taxes.append(last)
        if cash is not None and change is not None:
            self.cash_change = cash - change
        self.sub_plus_tax = {s + t for s in subtotals for t in taxes if s > 0}

    def height(self, ref: LineRef) -> float:
        """The line's height over the page's median line height."""
        return (ref.line.bbox[3] - ref.line.bbox[1]) / self.median_height[ref.page]

    def position(self, ref: LineRef) -> float:
        """Vertical centre of the line over the page height (0 top, 1 bottom)."""
        return (ref.line.bbox[1] + ref.line.bbox[3]) / 2 / max(1, ref.page_height)


def _registration_only(text: str) -> bool:
    """A line that is nothing but a company registration number ("(867388-U)", "(JM0840871-WV)",
    "Company No: JM0632980-V"), which a name or an address does not continue into."""
    return not REGISTRATION.sub("", text).strip(" ,.;:()-")


def _not_address(text: str) -> bool:
    """A line an address does not contain: a label of another concept (phone, tax id, document
    title, date), a registration number alone, a phone number, or a clock time."""
    return bool(
        ADDRESS_STOP.search(text)
        or _registration_only(text)
        or _PHONE.search(text)
        or _TIME.search(text)
        or find_dates(text)
    )


def _has(pattern: re.Pattern[str], text: str) -> float:
    return 1.0 if pattern.search(text) else 0.0


# -- candidate generators -------------------------------------------------------------------------
def total_candidates(ctx: Context) -> list[Candidate]:
    """Every amount on the document, with label, position, size, rank and arithmetic features."""
    v = ctx.vocab
    values = [Decimal(m.value) for ms in ctx.amounts for m in ms]
    if not values:
        return []
    distinct = sorted(set(values), reverse=True)
    rank_of = {value: index for index, value in enumerate(distinct)}
    counts: dict[Decimal, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    last_page = max(r.page for r in ctx.refs)
    out = []
    for position, (ref, amounts) in enumerate(zip(ctx.refs, ctx.amounts)):
        above = ctx.refs[position - 1] if position > 0 and ctx.refs[position - 1].page == ref.page else None
        above_label = above is not None and not ctx.amounts[position - 1]
        for index, match in enumerate(amounts):
            value = Decimal(match.value)
            left = ref.text[: match.start]
            strong = v.total_strong.search(left)
            weak = v.total_weak.search(left)
            features = {
                "kw_total_strong_row": 1.0 if strong else 0.0,
                "kw_total_weak_row": 1.0 if weak and not strong else 0.0,
                "kw_total_exclude_row": _has(v.total_exclude, ref.text),
                "kw_subtotal_row": _has(v.subtotal, ref.text),
                "kw_tax_row": 1.0 if v.tax.search(ref.text) and not v.tax_exclude.search(ref.text) else 0.0,
                "kw_cash_row": _has(v.cash, ref.text),
                "kw_change_row": _has(v.change, ref.text),
                "kw_rounding_row": _has(v.rounding, ref.text),
                "kw_total_strong_above": _has(v.total_strong, above.text) if above and above_label else 0.0,
                "kw_total_weak_above": _has(v.total_weak, above.text) if above and above_label else 0.0,
                "no_label_row": 1.0 if sum(ch.isalpha() for ch in left) < 2 else 0.0,
                "rightmost_on_row": 1.0 if index == len(amounts) - 1 else 0.0,
                "is_max": 1.0 if value == distinct[0] else 0.0,
                "value_rank": rank_of[value] / max(1, len(distinct) - 1) if len(distinct) > 1 else 0.0,
                "repeats": min(3, counts[value] - 1) / 3,
                "eq_cash_minus_change": 1.0
                if ctx.cash_change is not None and value == ctx.cash_change
                else 0.0,
                "eq_cash": 1.0 if value in ctx.cash_values else 0.0,
                "eq_subtotal_plus_tax": 1.0 if value in ctx.sub_plus_tax else 0.0,
                "eq_items_sum": 1.0 if ctx.items_sum is not None and value == ctx.items_sum else 0.0,
                "y": ctx.position(ref),
                "height": min(3.0, ctx.height(ref)) - 1.0,
                "currency_sign": 1.0
                if find_currencies(ref.text[max(0, match.start - 5) : match.end + 4])
                else 0.0,
                "zero": 1.0 if value == 0 else 0.0,
                "negative": 1.0 if value < 0 else 0.0,
                "last_page": 1.0 if ref.page == last_page else 0.0,
                "percent_row": 1.0 if find_percentages(ref.text) else 0.0,
            }
            out.append(
                Candidate("total", match.value, match.text, [ref], match.start, match.end, "amount", features)
            )
    return out


def date_candidates(ctx: Context) -> list[Candidate]:
    """Every date on the document, with label (invoice date, generic, due, other), order and position."""
    v = ctx.vocab
    found = [
        (i, m)
        for i, ref in enumerate(ctx.refs)
        for m in find_dates(ref.text, ctx.day_first)
        if plausible_issue_date(m.value)
    ]
    if not found:
        return []
    values = sorted({m.value for _, m in found})
    out = []
    for rank, (position, match) in enumerate(found):
        ref = ctx.refs[position]
        above = ctx.refs[position - 1] if position > 0 and ctx.refs[position - 1].page == ref.page else None
        above_text = above.text if above is not None and not find_dates(above.text, ctx.day_first) else ""
        left = ref.text[: match.start]
        numeric = re.fullmatch(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}", match.text.strip())
        parts = re.findall(r"\d+", match.text)
        ambiguous = bool(numeric) and int(parts[0]) <= 12 and int(parts[1]) <= 12 and parts[0] != parts[1]
        features = {
            "kw_invoice_date_row": _has(v.invoice_date, left),
            "kw_date_row": _has(v.date_generic, left),
            "kw_due_row": _has(v.due_date, ref.text),
            "kw_other_date_row": _has(v.not_invoice_date, ref.text),
            "kw_invoice_date_above": _has(v.invoice_date, above_text),
            "kw_date_above": _has(v.date_generic, above_text),
            "kw_due_above": _has(v.due_date, above_text),
            "kw_other_date_above": _has(v.not_invoice_date, above_text),
            "first_date": 1.0 if rank == 0 else 0.0,
            "date_rank": rank / max(1, len(found) - 1) if len(found) > 1 else 0.0,
            "earliest": 1.0 if match.value == values[0] and len(values) > 1 else 0.0,
            "latest": 1.0 if match.value == values[-1] and len(values) > 1 else 0.0,
            "time_on_row": 1.0 if _TIME.search(ref.text[match.end :] + " " + left) else 0.0,
            "repeats": min(3, sum(1 for _, m in found if m.value == match.value) - 1) / 3,
            "ambiguous_order": 1.0 if ambiguous else 0.0,
            "month_name": 0.0 if re.fullmatch(r"[\d\s/.\-年月日]+", match.text) else 1.0,
            "y": ctx.position(ref),
            "label_row": 1.0 if sum(ch.isalpha() for ch in left) >= 3 else 0.0,
        }
        out.append(
            Candidate(
                "invoice_date", match.value, match.text, [ref], match.start, match.end, "date", features
            )
        )
    return out


def _clean_name(ctx: Context, text: str) -> str:
    """A header line as a name: no registration number, no document title, no recipient label."""
    cleaned = _strip_title(_strip_registration(text))
    recipient = ctx.vocab.recipient.search(cleaned)
    if recipient and recipient.start() > 0:
        cleaned = cleaned[: recipient.start()].strip(" ,|-")
    suffix = None
    for suffix in LEGAL_SUFFIX.finditer(cleaned):  # noqa: B007 (the last match is wanted)
        pass
    if suffix is not None and ctx.vocab.not_vendor.search(cleaned[suffix.end() :]):
        cleaned = cleaned[: suffix.end()].strip()
    return cleaned.strip()


def _name_features(ctx: Context, text: str, refs: list[LineRef], header: list[LineRef]) -> dict[str, float]:
    v = ctx.vocab
    stripped = text.replace(" ", "")
    letters = sum(ch.isalpha() for ch in text)
    first = refs[0]
    position = header.index(first) if first in header else 10
    previous = header[position - 1] if 0 < position < len(header) else None
    following = (
        ctx.refs[ctx.refs.index(refs[-1]) + 1] if ctx.refs.index(refs[-1]) + 1 < len(ctx.refs) else None
    )
    suffix = LEGAL_SUFFIX.search(text)
    key = (text[: suffix.end()] if suffix else text).strip().casefold()
    others = " ".join(r.text for r in ctx.refs if r not in refs).casefold()
    box = union_bbox(r.line.bbox for r in refs)
    width = ctx.page_width[first.page]
    return {
        "position": position / 10,
        "first_text_line": 1.0
        if position == next((i for i, r in enumerate(header) if sum(c.isalpha() for c in r.text) >= 3), -1)
        else 0.0,
        "height": min(3.0, max(ctx.height(r) for r in refs)) - 1.0,
        "legal_suffix": 1.0 if suffix else 0.0,
        "legal_form": 1.0 if LEGAL_FORM.search(text) else 0.0,
        "not_vendor_kw": _has(v.not_vendor, text) if not suffix else 0.0,
        "recipient_kw": _has(v.recipient, first.text),
        "under_recipient_label": 1.0 if previous is not None and _is_recipient_label(previous.text) else 0.0,
        "label_colon": 1.0 if re.search(r"\w:\s*$", first.text) or ":" in text else 0.0,
        # Repeated in the footer or elsewhere, but not merely as the stem of a fuller legal name of
        # the header (a logo's "ACME" over "ACME SERVICES LTD": the legal name is the company's).
        "repeated_elsewhere": 1.0
        if len(key) >= 4
        and key in others
        and (
            suffix is not None
            or not any(
                key in r.text.casefold() and LEGAL_FORM.search(r.text) for r in header if r not in refs
            )
        )
        else 0.0,
        "letter_ratio": letters / max(1, len(stripped)),
        "upper_ratio": sum(ch.isupper() for ch in text) / max(1, letters),
        "has_digits": 1.0 if any(ch.isdigit() for ch in text) else 0.0,
        "words": min(6, len(text.split())) / 6,
        "two_lines": 1.0 if len(refs) > 1 else 0.0,
        "next_is_address": 1.0
        if following is not None
        and (_POSTCODE.search(following.text) or re.search(r"\d+.*,", following.text))
        else 0.0,
        "next_is_registration": 1.0
        if following is not None and REGISTRATION.fullmatch(following.text.strip())
        else 0.0,
        "width": (box[2] - box[0]) / width,
        "off_centre": abs((box[0] + box[2]) / 2 / width - 0.5),
        "phone_or_mail": 1.0 if _PHONE.search(text) or "@" in text or "www" in text.lower() else 0.0,
        "short": 1.0 if letters < 5 else 0.0,
        "ends_incomplete": 1.0 if len(refs) == 1 and text.rstrip().endswith(("&", ",", "-")) else 0.0,
    }


def vendor_candidates(ctx: Context) -> list[Candidate]:
    """The 10 topmost lines of page 1 (by their boxes, so that a sender block that the layout reads
    after the recipient's is still in the header), in reading order, and each pair of neighbours
    among them (a name over two rows), and every legal name in the page's last 10 lines (the
    issuer's footer), cleaned of registration numbers, document titles and recipient labels."""
    first_page = [r for r in ctx.refs if r.page == ctx.refs[0].page]
    top = {id(r) for r in sorted(first_page, key=lambda r: r.line.bbox[1])[:10]}
    header = [r for r in first_page if id(r) in top]
    footer = [r for r in first_page[-10:] if r not in header]
    out = []
    for index, ref in enumerate(header):
        text = _clean_name(ctx, ref.text)
        letters = sum(ch.isalpha() for ch in text)
        if letters < 3 or letters < 0.5 * len(text.replace(" ", "")):
            continue
        if ctx.amounts[ctx.refs.index(ref)] and not LEGAL_FORM.search(text):
            continue  # a row with a price ("4 x Coffee 38,962.00") is an item, not a party's name
        if title_only(ref.text):
            continue  # a document title of any language ("FACTURA A", "Kopie factuur", "PAYMENT RECEIPT")
        features = _name_features(ctx, text, [ref], header)
        if not (text.rstrip().endswith("&") and index + 1 < len(header)):
            # A name does not end with "&": that row continues on the next one (kept as the pair below).
            out.append(_name_candidate(ctx, text, text, [ref], "header", features))
        if index + 1 < len(header):
            below = header[index + 1]
            second = _clean_name(ctx, below.text)
            if (
                sum(ch.isalpha() for ch in second) >= 2
                and not ADDRESS_STOP.search(below.text)
                and not _registration_only(below.text)
            ):
                joined = f"{text} {second}"
                features = _name_features(ctx, joined, [ref, below], header)
                head = LEGAL_SUFFIX.search(second)
                alphabetic = [ch for ch in ref.text if ch.isalpha()]
                features.update(
                    {
                        "join_head_short": 1.0
                        if head is not None and len(second[: head.start()].split()) < 2
                        else 0.0,
                        "join_first_has_suffix": 1.0 if LEGAL_SUFFIX.search(text) else 0.0,
                        "join_second_has_suffix": 1.0 if head is not None else 0.0,
                        "join_first_lower": 1.0
                        if alphabetic and sum(ch.islower() for ch in alphabetic) > 0.6 * len(alphabetic)
                        else 0.0,
                        "join_first_ends_amp": 1.0 if text.rstrip().endswith("&") else 0.0,
                        "join_height_gap": min(2.0, abs(ctx.height(ref) - ctx.height(below))),
                        "join_second_label": 1.0
                        if ":" in below.text or re.search(r"(?i)\b(no|reg)\b", second)
                        else 0.0,
                    }
                )
                out.append(_name_candidate(ctx, joined, joined, [ref, below], "header_two_rows", features))
    heights = [c.features["height"] for c in out if not c.features["two_lines"]]
    first_suffix = next((c for c in out if c.features["legal_suffix"] and not c.features["two_lines"]), None)
    for c in out:
        c.features["tallest"] = (
            1.0 if heights and not c.features["two_lines"] and c.features["height"] >= max(heights) else 0.0
        )
        c.features["first_with_suffix"] = (
            1.0
            if first_suffix is not None and c.refs[0] is first_suffix.refs[0] and not c.features["two_lines"]
            else 0.0
        )
    header_text = " ".join(r.text for r in header).casefold()
    for index, ref in enumerate(footer):
        nearby = " ".join(r.text for r in footer[index : index + 4])
        for name, start, end in footer_names(ref.text):
            features = _name_features(ctx, name, [ref], header)
            features.update(
                {
                    "footer": 1.0,
                    "company_data_nearby": 1.0 if COMPANY_DATA.search(nearby) else 0.0,
                    "in_header": 1.0 if name.casefold() in header_text else 0.0,
                    "position": 1.0,
                }
            )
            candidate = _name_candidate(ctx, name, name, [ref], "footer", features)
            candidate.start, candidate.end = start, end
            out.append(candidate)
    return out


def _name_candidate(
    ctx: Context, text: str, printed: str, refs: list[LineRef], source: str, features: dict[str, float]
) -> Candidate:
    value = _canonical_legal_form(text)
    start = refs[0].text.find(printed) if len(refs) == 1 else -1
    if start < 0:
        start, end = 0, len(refs[0].text)
    else:
        end = start + len(printed)
    return Candidate("vendor_name", value, printed.strip(), refs, start, end, source, features)


def address_candidates(ctx: Context, vendor: Candidate | None) -> list[Candidate]:
    """Runs of 1-6 consecutive lines starting within 3 lines under the vendor (or under the first
    lines of page 1 when no vendor was found): postcode, stop words (phone, tax ids, titles), commas."""
    first_page = [r for r in ctx.refs if r.page == ctx.refs[0].page]
    if vendor is not None and vendor.refs[-1] in first_page:
        anchor = first_page.index(vendor.refs[-1]) + 1
    else:
        anchor = 1
    out = []
    for skip in range(0, 3):
        start = anchor + skip
        for length in range(1, 7):
            run = first_page[start : start + length]
            if len(run) < length or not run:
                break
            text = " ".join(r.text.strip() for r in run)
            following = first_page[start + length] if start + length < len(first_page) else None
            skipped = first_page[anchor:start]
            features = {
                "skip": skip / 2,
                "lines": length / 6,
                "postcode": 1.0 if _POSTCODE.search(text) else 0.0,
                "last_has_postcode": 1.0 if _POSTCODE.search(run[-1].text) else 0.0,
                "stop_inside": sum(1 for r in run if _not_address(r.text)) / length,
                "next_is_stop": 1.0 if following is None or _not_address(following.text) else 0.0,
                "skipped_stop": 1.0 if skipped and all(_not_address(r.text) for r in skipped) else 0.0,
                "ends_with_comma": 1.0 if run[-1].text.rstrip().endswith(",") else 0.0,
                "ends_with_period": 1.0 if run[-1].text.rstrip().endswith(".") else 0.0,
                "next_has_postcode": 1.0
                if following is not None and _POSTCODE.search(following.text)
                else 0.0,
                "next_ends_with_period": 1.0
                if following is not None
                and following.text.rstrip().endswith(".")
                and not _not_address(following.text)
                else 0.0,
                "legal_suffix_inside": 1.0 if any(LEGAL_SUFFIX.search(r.text) for r in run) else 0.0,
                "height": min(3.0, max(ctx.height(r) for r in run)) - 1.0,
                "letter_ratio": sum(ch.isalpha() for ch in text) / max(1, len(text.replace(" ", ""))),
                "no_vendor": 1.0 if vendor is None else 0.0,
                "first_has_registration": 1.0
                if re.search(r"(?i)\breg\b|\(\s*\d{5,}|\d{5,}-[A-Z]\b", run[0].text)
                else 0.0,
                "first_line_stop": 1.0 if _not_address(run[0].text) else 0.0,
                "first_no_digits": 1.0 if not any(ch.isdigit() for ch in run[0].text) else 0.0,
            }
            out.append(
                Candidate(
                    "vendor_address", text, text, list(run), 0, len(run[0].text), "address_run", features
                )
            )
    return out


def _sign_of_another_noun(before: str, vocab: Vocabulary) -> bool:
    """Whether a number sign with no invoice-number label belongs to the word printed right before it
    ("Store # 0421", "Survey ID #", "Table No: 5") rather than to the document ("Receipt # 55", "# 55",
    "Faktura Nr")."""
    words = re.findall(r"[^\W\d_]{2,}", before)
    if not words or not re.search(r"[^\W\d_]{2,}\W{0,3}\s*$", before):
        return False
    return not vocab.document_titles.search(words[-1]) and not vocab.not_vendor.search(words[-1])


def invoice_number_candidates(ctx: Context) -> list[Candidate]:
    """Identifiers (a token with a digit) after an invoice-number label or number sign on its row,
    or under the label in the next row's same column."""
    v = ctx.vocab
    out: list[Candidate] = []
    seen: set[tuple[int, int]] = set()
    for position, ref in enumerate(ctx.refs):
        label = v.invoice_number.search(ref.text)
        sign = v.number_signs.search(ref.text)
        if sign and any(t.start() <= sign.start() < t.end() for t in v.tax_id.finditer(ref.text)):
            sign = None  # the "N°" of "N° TVA", the "号" of "纳税人识别号": a tax id's label, not a number's
        if sign and not label and _sign_of_another_noun(ref.text[: sign.start()], v):
            sign = None  # "Store #", "Survey ID #", "Table No": the number of something else
        if not label and not sign:
            continue
        anchor = label or sign
        assert anchor is not None
        specific = label is not None and bool(
            re.search(r"(?i)(no|nr|number|#|nummer|número|numero|n°|nº)", label.group(0))
        )
        for rank, token in enumerate(_ID_TOKEN.finditer(ref.text, anchor.end())):
            value = token.group(1).rstrip(".")
            if (ref.index, token.start(1)) in seen or rank > 2:
                continue
            seen.add((ref.index, token.start(1)))
            out.append(
                _number_candidate(ctx, ref, value, token.start(1), label, sign, specific, rank, below=False)
            )
        if position + 1 < len(ctx.refs) and ctx.refs[position + 1].page == ref.page:
            below = ctx.refs[position + 1]
            x0, _, x1, _ = locate(ref, anchor.start(), anchor.end())[0]
            for word, (start, _end) in zip(below.line.words, below.line.word_spans()):
                overlap = min(x1, word.bbox[2]) - max(x0, word.bbox[0])
                whole = _ID_TOKEN.fullmatch(word.text)
                if overlap > 0 and whole and start >= 0:
                    value = whole.group(1).rstrip(".")
                    out.append(
                        _number_candidate(
                            ctx, below, value, start + whole.start(1), label, sign, specific, 0, below=True
                        )
                    )
    return out


def _number_candidate(
    ctx: Context,
    ref: LineRef,
    value: str,
    start: int,
    label: re.Match[str] | None,
    sign: re.Match[str] | None,
    specific: bool,
    rank: int,
    below: bool,
) -> Candidate:
    digits = sum(ch.isdigit() for ch in value)
    features = {
        "kw_invoice_number": 1.0 if label and specific else 0.0,
        "kw_invoice_word": 1.0 if label and not specific else 0.0,
        "number_sign": 1.0 if sign else 0.0,
        "below_label": 1.0 if below else 0.0,
        "token_rank": rank / 2,
        "length": min(16, len(value)) / 16,
        "has_letters": 1.0 if any(ch.isalpha() for ch in value) else 0.0,
        "digit_ratio": digits / max(1, len(value)),
        "looks_like_date": 1.0 if find_dates(value) else 0.0,
        "looks_like_amount": 1.0 if find_amounts(value) else 0.0,
        "short": 1.0 if len(value) < 4 else 0.0,
        "y": ctx.position(ref),
        "phone_row": 1.0 if re.search(r"(?i)\b(tel|phone|fax|mobile)\b", ref.text) else 0.0,
        "tax_id_row": _has(ctx.vocab.tax_id, ref.text),
    }
    return Candidate("invoice_number", value, value, [ref], start, start + len(value), "identifier", features)
