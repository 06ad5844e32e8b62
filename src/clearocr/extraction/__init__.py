"""Key information extraction from invoices and receipts.

``clearocr.extract(source_or_document) -> InvoiceFields`` (:func:`clearocr.pipeline.extract`): reads the source first when it is not a
:class:`~clearocr.document.Document`, then runs the rule-and-layout extractor.
"""

from __future__ import annotations

from typing import Any

from clearocr.document import Document
from clearocr.extraction.rules import RuleExtractor
from clearocr.extraction.schema import (
    FIELD_NAMES,
    Alternative,
    ExtractedField,
    InvoiceFields,
    LineItem,
    TaxLine,
)
from clearocr.extraction.scoring import ScoredExtractor
from clearocr.languages import is_auto

__all__ = [
    "FIELD_NAMES",
    "Alternative",
    "ExtractedField",
    "InvoiceFields",
    "LineItem",
    "RuleExtractor",
    "ScoredExtractor",
    "TaxLine",
    "extract",
    "extract_fields",
    "make_extractor",
]

#: Extractor names (the ``extractor`` option) -> classes.
EXTRACTORS: dict[str, type[RuleExtractor] | type[ScoredExtractor]] = {
    "scored": ScoredExtractor,
    "rules": RuleExtractor,
}


def make_extractor(name: str = "scored", languages: Any = ("en",)) -> RuleExtractor | ScoredExtractor:
    """The extractor called ``name`` (``"scored"`` or ``"rules"``) for ``languages`` (ISO codes).

    Raises:
        KeyError: an unknown name.
    """
    return EXTRACTORS[name](tuple(languages or ("en",)))


def extract_fields(
    document: Document, languages: Any = None, extractor: str = "scored", llm: Any = None
) -> InvoiceFields:
    """Fields of an already-read ``document`` with the named extractor, in ``languages`` (ISO codes;
    None or ``["auto"]``: the languages detected when it was read, ``document.languages``); ``llm`` (an
    :class:`~clearocr.llm.LLMBackend`) adds its located answers as candidates (scored) or fills the
    fields the rules left empty (rules).

    Returns:
        :class:`InvoiceFields`.
    """
    # "auto" (or nothing): the languages detected when the document was read.
    langs = tuple((document.languages or ["en"]) if is_auto(languages) else languages)
    chosen = make_extractor(extractor, langs)
    llm_fields = None
    if llm is not None:
        from clearocr.extraction.llm import LLMExtractor

        llm_fields = LLMExtractor(llm, langs).extract(document)
    if isinstance(chosen, ScoredExtractor):
        return chosen.extract(document, llm_fields=llm_fields)
    fields = chosen.extract(document)
    if llm_fields is not None:
        from clearocr.extraction.llm import merge

        fields = merge(fields, llm_fields)
    return fields
