"""Markdown exporter: headings, paragraphs and pipe tables in reading order."""

from __future__ import annotations

import re
from typing import Any

from clearocr.document import Document, Line, join_texts
from clearocr.export.base import Exporter
from clearocr.export.markup import paragraph_blocks


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


def to_markdown(document: Document) -> str:
    """Markdown: per page, its paragraphs (:func:`~clearocr.export.markup.paragraph_blocks`) in reading order as
    paragraphs (running text joined by spaces, a hyphen at a line end joined; a block whose lines do
    not fill its width, such as an address, keeps its line breaks), a block of one
    short line in type at least 1.4x the page's median line height as a heading (``##``), and runs
    of lines that read as table rows (three or more lines whose words fall into the same two or more
    columns) as pipe tables. Pages are separated by a horizontal rule with the page number.
    Markdown syntax characters in the text are escaped. Blocks the layout model called titles are
    headings too."""

    out: list[str] = []
    for index, page in enumerate(document.pages):
        if index:
            out.append(f"\n---\n<!-- page {page.number} -->\n")
        heights = sorted(line.bbox[3] - line.bbox[1] for line in page.lines) or [1]
        median = heights[len(heights) // 2]
        for kind, lines in paragraph_blocks(page):
            table = _table_rows(lines)
            if table is not None:
                width = max(len(row) for row in table)
                rows = [row + [""] * (width - len(row)) for row in table]
                out.append("| " + " | ".join(_markdown_escape(c) for c in rows[0]) + " |")
                out.append("|" + "---|" * width)
                out += ["| " + " | ".join(_markdown_escape(c) for c in row) + " |" for row in rows[1:]]
                out.append("")
                continue
            block_width = max(1, max(ln.bbox[2] for ln in lines) - min(ln.bbox[0] for ln in lines))
            prose = all(ln.bbox[2] - ln.bbox[0] >= 0.7 * block_width for ln in lines[:-1])
            text = ""
            for line in lines:
                if not text:
                    text = line.text
                elif not prose:  # a form or an address: keep its lines (Markdown hard breaks)
                    text += "  \n" + line.text
                elif text.endswith("-") and line.text[:1].islower():
                    text = text[:-1] + line.text
                else:
                    text = join_texts([text, line.text])
            height = lines[0].bbox[3] - lines[0].bbox[1]
            if (kind == "title" or (len(lines) == 1 and height >= 1.4 * median)) and len(text) <= 80:
                out.append(f"## {_markdown_escape(text)}\n")
            else:
                out.append("  \n".join(_markdown_escape(part) for part in text.split("  \n")) + "\n")
    return "\n".join(out).rstrip() + "\n"


def _table_rows(lines: list[Line], min_rows: int = 3) -> list[list[str]] | None:
    """Cells of ``lines`` when they read as a table: every line's words split into cells at gaps
    wider than twice the line height, every row with the same number (two or more) of cells, and
    each column's cells lined up across rows on their left edges, right edges (numbers) or centres,
    within 1.5 line heights. None otherwise."""
    if len(lines) < min_rows:
        return None
    rows: list[list[list[Any]]] = []
    for line in lines:
        cells: list[list[Any]] = []  # [x0, x1, text]
        height = max(1, line.bbox[3] - line.bbox[1])
        for word in line.words:
            if cells and word.bbox[0] - cells[-1][1] <= 2 * height:
                cells[-1][1] = word.bbox[2]
                cells[-1][2] = join_texts([cells[-1][2], word.text])
            else:
                cells.append([word.bbox[0], word.bbox[2], word.text])
        rows.append(cells)
    counts = {len(r) for r in rows}
    if len(counts) != 1 or counts.pop() < 2:
        return None
    tolerance = 1.5 * max(line.bbox[3] - line.bbox[1] for line in lines)
    for column in zip(*rows):
        spreads = []
        for edge in (lambda c: c[0], lambda c: c[1], lambda c: (c[0] + c[1]) / 2):
            values = [edge(c) for c in column]
            spreads.append(max(values) - min(values))
        if min(spreads) > tolerance:
            return None
    return [[cell[2] for cell in row] for row in rows]


EXPORTER = Exporter("markdown", ".md", to_markdown, description="Markdown: headings, paragraphs, pipe tables")
