"""Plain-text and JSON exporters: the two that serialise the tree without drawing anything."""

from __future__ import annotations

from clearocr.document import Document
from clearocr.export.base import Exporter


def to_text(document: Document) -> str:
    """Plain text as pdftotext writes it: every line ends with ``"\\n"``, pages are separated by
    ``"\\f"`` at the start of the next page. (``Document.text`` joins with bare ``"\\f"``.)"""
    return "\n\f".join(page.text for page in document.pages) + "\n"


def to_json(document: Document, indent: int | None = 2) -> str:
    """The Document tree as JSON (schema ``clearocr.document/1``): :meth:`Document.to_json`."""
    return document.to_json(indent=indent)


TEXT = Exporter("text", ".txt", to_text, description="plain text, pages separated by form feeds")
JSON = Exporter("json", ".json", to_json, description="the Document tree (schema clearocr.document/1)")
