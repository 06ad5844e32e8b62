"""LLM key-information extraction, constrained to JSON and checked against the page.

The model reads the row-ordered text and answers with a JSON object whose shape is fixed by a JSON
schema (llama.cpp turns it into a grammar; OpenAI-compatible servers take it as ``response_format``).
Every value it returns is then looked for in the document: amounts and dates by their normalised
value, other fields as printed text. A value that cannot be found on the page is dropped, so the model
cannot invent a field; one that is found gets the provenance of the words that print it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from clearocr.document import Document
from clearocr.extraction.evidence import LineRef, make_field, pick_total
from clearocr.extraction.schema import FIELD_NAMES, ExtractedField, InvoiceFields
from clearocr.extraction.values import Match, find_amounts, find_dates, find_percentages
from clearocr.llm import LLMBackend

AMOUNT_FIELDS = {"subtotal", "tax_amount", "total"}
DATE_FIELDS = {"invoice_date", "due_date"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {name: {"type": ["string", "null"], "maxLength": 120} for name in FIELD_NAMES},
    "required": list(FIELD_NAMES),
}
PROMPT = (
    "Extract the invoice or receipt fields from the OCR text below. Copy each value exactly as printed; use "
    "null for a field the text does not contain. Fields: " + ", ".join(FIELD_NAMES) + ".\n\nText:\n"
)


class LLMExtractor:
    """Schema-constrained LLM extraction whose answers must be found in the document.

    Args:
        backend: an LLM backend with :meth:`~clearocr.llm.LLMBackend.chat`.
        languages: ISO codes, for reading dates.
        max_chars: text given to the model (the start of the document; about 4 characters a token).
    """

    name = "llm"

    def __init__(
        self, backend: LLMBackend, languages: Iterable[str] = ("en",), max_chars: int = 4000
    ) -> None:
        self.backend = backend
        self.languages = tuple(languages)
        self.max_chars = max_chars

    def ask(self, document: Document) -> dict[str, Any]:
        """The model's raw answer as a dict (empty when it is not valid JSON)."""
        text = document.text.replace("\f", "\n")[: self.max_chars]
        reply = self.backend.chat(
            [{"role": "user", "content": PROMPT + text}],
            max_tokens=600,
            response_format={"type": "json_object", "schema": SCHEMA},
        ).text
        match = re.search(r"\{.*\}", reply, re.S)
        try:
            data = json.loads(match.group(0)) if match else {}
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def extract(self, document: Document) -> InvoiceFields:
        """Fields the model named and the document prints; the rest are None."""
        answer = self.ask(document)
        refs = [
            LineRef(p.number, i, line, p.height) for p in document.pages for i, line in enumerate(p.lines)
        ]
        fields = InvoiceFields()
        for name in FIELD_NAMES:
            value = answer.get(name)
            if isinstance(value, (int, float)):
                value = str(value)
            if not isinstance(value, str) or not value.strip():
                continue
            located = self.locate(name, value.strip(), refs)
            if located is not None:
                setattr(fields, name, located)
        return fields

    @staticmethod
    def locate(name: str, value: str, refs: list[LineRef]) -> ExtractedField | None:
        """The place in the document that prints ``value`` for field ``name``, or None."""
        if name in AMOUNT_FIELDS:
            return _find_value(find_amounts, find_amounts(value) or find_amounts(value + ".00"), refs)
        if name in DATE_FIELDS:
            return _find_value(find_dates, find_dates(value), refs)
        if name == "tax_rate":
            return _find_value(
                find_percentages, find_percentages(value if "%" in value else value + "%"), refs
            )
        needle = re.sub(r"\s+", " ", value).lower()
        for ref in refs:
            start = re.sub(r"\s+", " ", ref.text).lower().find(needle)
            if start >= 0 and len(needle) >= 2:
                printed = ref.text[start : start + len(needle)]
                field = make_field(
                    ref,
                    Match(printed, printed, start, start + len(needle)),
                    0.6,
                    "schema_json",
                    extractor="llm",
                )
                if name == "currency":
                    field.value = printed.upper()
                return field
        return None


def _find_value(
    finder: Callable[[str], list[Match]], wanted: list[Match], refs: list[LineRef]
) -> ExtractedField | None:
    """The first place whose text, read by ``finder``, holds the same normalised value as ``wanted[0]``."""
    if not wanted:
        return None
    for ref in refs:
        for match in finder(ref.text):
            if match.value == wanted[0].value:
                return make_field(ref, match, 0.6, "schema_json", extractor="llm")
    return None


def merge(rules: InvoiceFields, llm: InvoiceFields) -> InvoiceFields:
    """Rule fields, with the LLM's located answers filling the fields the rules left empty; where both
    found the same value, its confidence rises; where both found a different total, the one that
    subtotal + tax (or the line items) confirms wins (:func:`~clearocr.extraction.evidence.pick_total`)."""
    for name in FIELD_NAMES:
        mine, theirs = getattr(rules, name), getattr(llm, name)
        if name == "total" and mine is not None and theirs is not None and mine.value != theirs.value:
            rules.total = pick_total(rules, [theirs])  # the LLM's total only where the arithmetic backs it
            if rules.total is theirs and "subtotal_plus_tax_equals_total" in rules.checks:
                rules.checks["subtotal_plus_tax_equals_total"] = "passed"
            continue
        if mine is None and theirs is not None:
            setattr(rules, name, theirs)
        elif mine is not None and theirs is not None and mine.value == theirs.value:
            mine.confidence = min(1.0, mine.confidence * 1.1)
            mine.source += "+llm"
    return rules
