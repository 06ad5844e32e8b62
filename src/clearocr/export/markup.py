"""Helpers the markup exporters (hOCR, ALTO, Markdown) share: XML text, hOCR titles, paragraph blocks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from clearocr.document import Line, Page, is_cjk, paragraphs


def xml_text(root: ET.Element, doctype: str | None = None) -> str:
    """``root`` as indented XML text with an XML declaration (and ``doctype`` when given)."""
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' + (doctype + "\n" if doctype else "")
    return head + body + "\n"


def bbox_title(bbox: tuple[int, int, int, int], **extra: Any) -> str:
    """An hOCR ``title`` property list: ``bbox x0 y0 x1 y1; key value; ...``."""
    parts = ["bbox {} {} {} {}".format(*bbox)]
    parts += [f"{key} {value}" for key, value in extra.items()]
    return "; ".join(parts)


def block_language(lines: list[Line], languages: list[str]) -> str | None:
    """The language of a block: Chinese when it has CJK text and Chinese was asked for, else the
    first language read in (None when the document does not say)."""
    if any(is_cjk(ch) for line in lines for ch in line.text) and "zh" in languages:
        return "zh"
    return languages[0] if languages else None


def paragraph_blocks(page: Page) -> list[tuple[str, list[Line]]]:
    """``(kind, lines)`` per paragraph in reading order: the page's layout blocks
    (:meth:`~clearocr.document.Page.block_lines`), a text region cut further into paragraphs by line
    spacing (:func:`clearocr.document.paragraphs`); titles, tables and ruled boxes stay whole."""
    out: list[tuple[str, list[Line]]] = []
    for kind, lines in page.block_lines():
        if kind in ("title", "table", "paragraph", "box"):
            out.append((kind, lines))
        else:
            out.extend((kind, run) for run in paragraphs(lines))
    return out
