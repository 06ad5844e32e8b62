"""Key information extraction from invoices and receipts.

``clearocr.extract(source_or_document) -> InvoiceFields``: reads the source first when it is not a
:class:`~clearocr.document.Document`, then runs the rule-and-layout extractor.
"""

from __future__ import annotations

from typing import Any

from clearocr.document import Document
from clearocr.extraction.rules import RuleExtractor
from clearocr.extraction.schema import FIELD_NAMES, ExtractedField, InvoiceFields, LineItem

__all__ = ["FIELD_NAMES", "ExtractedField", "InvoiceFields", "LineItem", "RuleExtractor", "extract"]


def extract(source: Any, *, languages: Any = None, llm: Any = None, **read_options: Any) -> InvoiceFields:
    """Invoice/receipt fields of ``source`` (a Document, or anything :func:`clearocr.read` accepts).

    Args:
        source: a :class:`~clearocr.document.Document` or a path, bytes, file object, PIL image, array.
        languages: ISO codes (list or ``"en,sv"``); also used to read the source.
        llm: an :class:`~clearocr.llm.LLMBackend`: its schema-constrained answers, when found in the
            document, fill the fields the rules left empty (see :mod:`clearocr.extraction.llm`).
        read_options: passed to :func:`clearocr.read` when ``source`` is not a Document.

    Returns:
        :class:`InvoiceFields`; fields the document does not show are None.

    Raises:
        The errors of :func:`clearocr.read` when the source cannot be read.
    """
    if isinstance(languages, str):
        languages = [code.strip() for code in languages.split(",") if code.strip()]
    if not isinstance(source, Document):
        from clearocr.pipeline import read

        if languages:
            read_options["languages"] = languages
        source = read(source, **read_options)
    fields = RuleExtractor(languages or ("en",)).extract(source)
    if llm is not None:
        from clearocr.extraction.llm import LLMExtractor, merge

        fields = merge(fields, LLMExtractor(llm, languages or ("en",)).extract(source))
    return fields
