"""Exporters: plain text, JSON (schema ``clearocr.document/1``), hOCR, ALTO, Markdown and searchable PDF.

All of them read only the :class:`~clearocr.document.Document` tree.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearocr.document import SCHEMA, Document, Line, Page, _is_cjk, join_texts, printable_name, union_bbox
from clearocr.errors import OptionsError
from clearocr.files import sibling_name
from clearocr.registry import Registry


def to_text(document: Document) -> str:
    """Plain text as pdftotext writes it: every line ends with ``"\\n"``, pages are separated by
    ``"\\f"`` at the start of the next page. (``Document.text`` joins with bare ``"\\f"``.)"""
    return "\n\f".join(page.text for page in document.pages) + "\n"


def to_dict(document: Document) -> dict[str, Any]:
    """``{"schema", "source", "pages": [...], "text"}``; see :class:`~clearocr.document.Page` for pages.

    After post-processing, ``text`` stays the raw OCR text and ``corrected_text`` and ``corrections``
    are added (line and word texts in ``pages`` are the corrected ones)."""
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "source": printable_name(document.source),
        "languages": document.languages,
        "pages": [page.to_dict() for page in document.pages],
        "text": document.text,
        "warnings": [w.to_dict() for w in document.warnings],
    }
    if document.raw_text is not None:
        data["text"] = document.raw_text
        data["corrected_text"] = document.text
        data["corrections"] = [c.to_dict() for c in document.corrections]
    if document.fields is not None:
        data["fields"] = document.fields
    return data


def to_json(document: Document, indent: int | None = 2) -> str:
    return json.dumps(to_dict(document), ensure_ascii=False, indent=indent) + "\n"


def _xml(root: ET.Element, doctype: str | None = None) -> str:
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' + (doctype + "\n" if doctype else "")
    return head + body + "\n"


def _bbox_title(bbox: tuple[int, int, int, int], **extra: Any) -> str:
    parts = ["bbox {} {} {} {}".format(*bbox)]
    parts += [f"{key} {value}" for key, value in extra.items()]
    return "; ".join(parts)


def _block_language(lines: list[Line], languages: list[str]) -> str | None:
    """The language of a block: Chinese when it has CJK text and Chinese was asked for, else the
    first language read in (None when the document does not say)."""
    if any(_is_cjk(ch) for line in lines for ch in line.text) and "zh" in languages:
        return "zh"
    return languages[0] if languages else None


#: Fraction of a line's height below its baseline, for the hOCR ``baseline`` of a line whose engine
#: gives none: the descent of a Latin face (Noto Sans: 0.293 of its 1.362 em line height).
_DESCENT = 0.215


def _paragraph_blocks(page: Page) -> list[tuple[str, list[Line]]]:
    """``(kind, lines)`` per paragraph in reading order: the page's layout blocks
    (:meth:`~clearocr.document.Page.block_lines`), a text region cut further into paragraphs by line
    spacing (:func:`clearocr.layout.paragraphs`); titles, tables and ruled boxes stay whole."""
    from clearocr.layout import paragraphs

    out: list[tuple[str, list[Line]]] = []
    for kind, lines in page.block_lines():
        if kind in ("title", "table", "paragraph", "box"):
            out.append((kind, lines))
        else:
            out.extend((kind, run) for run in paragraphs(lines))
    return out


def to_hocr(document: Document) -> str:
    """hOCR 1.2 (http://kba.github.io/hocr-spec/1.2/) as Tesseract writes it, which OCRmyPDF's
    ``hocrtransform`` and hocr-tools read: ``ocr_page > ocr_carea > ocr_par > ocr_line > ocrx_word``.

    Blocks (``ocr_carea``/``ocr_par``) are the page's paragraphs (:func:`_paragraph_blocks`); ``x_wconf`` is the word
    confidence in percent; ``lang`` is set per paragraph; ``baseline`` is estimated from the line box
    (engines here give no baseline): slope 0, a Latin descent below it."""
    html_el = ET.Element(
        "html",
        {
            "xmlns": "http://www.w3.org/1999/xhtml",
            "xml:lang": document.languages[0] if document.languages else "en",
            "lang": document.languages[0] if document.languages else "en",
        },
    )
    head = ET.SubElement(html_el, "head")
    ET.SubElement(head, "title").text = printable_name(document.source)
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": "clearocr"})
    ET.SubElement(
        head,
        "meta",
        {
            "name": "ocr-capabilities",
            "content": "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocrp_lang",
        },
    )
    body = ET.SubElement(html_el, "body")
    for page in document.pages:
        n = page.number
        title = _bbox_title(
            (0, 0, page.width, page.height), image=f'"{printable_name(document.source)}"', ppageno=n - 1
        )
        if page.dpi:
            title += f"; scan_res {round(page.dpi)} {round(page.dpi)}"
        page_el = ET.SubElement(body, "div", {"class": "ocr_page", "id": f"page_{n}", "title": title})
        for bi, (_, lines) in enumerate(_paragraph_blocks(page), start=1):
            box = union_bbox(line.bbox for line in lines)
            area = ET.SubElement(
                page_el, "div", {"class": "ocr_carea", "id": f"block_{n}_{bi}", "title": _bbox_title(box)}
            )
            par_attrs = {"class": "ocr_par", "id": f"par_{n}_{bi}", "title": _bbox_title(box)}
            lang = _block_language(lines, document.languages)
            if lang:
                par_attrs["lang"] = lang
            par = ET.SubElement(area, "p", par_attrs)
            for line in lines:
                li = page.lines.index(line) + 1
                height = line.bbox[3] - line.bbox[1]
                line_el = ET.SubElement(
                    par,
                    "span",
                    {
                        "class": "ocr_line",
                        "id": f"line_{n}_{li}",
                        "title": _bbox_title(
                            line.bbox,
                            baseline=f"0 {-round(height * _DESCENT)}",
                            x_size=height,
                            x_descenders=round(height * _DESCENT),
                            x_ascenders=0,
                        ),
                    },
                )
                for wi, word in enumerate(line.words, start=1):
                    ET.SubElement(
                        line_el,
                        "span",
                        {
                            "class": "ocrx_word",
                            "id": f"word_{n}_{li}_{wi}",
                            "title": _bbox_title(word.bbox, x_wconf=round(word.confidence * 100)),
                        },
                    ).text = word.text
    return _xml(
        html_el,
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
        ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    )


#: ALTO v4 namespace and the schema version written.
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_VERSION = "4.2"


def to_alto(document: Document) -> str:
    """ALTO XML v4.2 (https://www.loc.gov/standards/alto/): ``Page > PrintSpace > TextBlock > TextLine >
    String`` with ``SP`` between words, in pixels (``MeasurementUnit`` pixel), ``WC`` in ``[0, 1]``,
    ``LANG`` per block. One ``Page`` per page, ``PHYSICAL_IMG_NR`` its 1-based number in the source.
    Blocks are the page's paragraphs (:func:`_paragraph_blocks`); after post-correction the corrected text is
    written (the raw text stays in the JSON)."""

    ET.register_namespace("", ALTO_NS)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")

    def q(tag: str) -> str:
        return f"{{{ALTO_NS}}}{tag}"

    def geometry(bbox: tuple[int, int, int, int]) -> dict[str, str]:
        x0, y0, x1, y1 = bbox
        return {
            "HPOS": str(x0),
            "VPOS": str(y0),
            "WIDTH": str(max(0, x1 - x0)),
            "HEIGHT": str(max(0, y1 - y0)),
        }

    root = ET.Element(
        q("alto"),
        {
            "SCHEMAVERSION": ALTO_VERSION,
            "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation": f"{ALTO_NS} http://www.loc.gov/standards/alto/v4/alto-4-2.xsd",
        },
    )
    description = ET.SubElement(root, q("Description"))
    ET.SubElement(description, q("MeasurementUnit")).text = "pixel"
    info = ET.SubElement(description, q("sourceImageInformation"))
    ET.SubElement(info, q("fileName")).text = printable_name(document.source)
    processing = ET.SubElement(description, q("Processing"), {"ID": "OCR_0"})
    ET.SubElement(processing, q("processingStepDescription")).text = (
        "OCR, then post-correction" if document.corrections else "OCR"
    )
    software = ET.SubElement(processing, q("processingSoftware"))
    ET.SubElement(software, q("softwareName")).text = "clearocr"
    layout = ET.SubElement(root, q("Layout"))
    for page in document.pages:
        n = page.number
        page_attrs = {
            "ID": f"page_{n}",
            "PHYSICAL_IMG_NR": str(n),
            "WIDTH": str(page.width),
            "HEIGHT": str(page.height),
        }
        words = page.words
        if words:
            chars = sum(len(w.text) for w in words) or 1
            page_attrs["PC"] = f"{sum(w.confidence * len(w.text) for w in words) / chars:.4f}"
        page_el = ET.SubElement(layout, q("Page"), page_attrs)
        space = ET.SubElement(page_el, q("PrintSpace"), geometry((0, 0, page.width, page.height)))
        for bi, (_, lines) in enumerate(_paragraph_blocks(page), start=1):
            block_attrs = {"ID": f"block_{n}_{bi}", **geometry(union_bbox(line.bbox for line in lines))}
            lang = _block_language(lines, document.languages)
            if lang:
                block_attrs["LANG"] = lang
            block = ET.SubElement(space, q("TextBlock"), block_attrs)
            for line in lines:
                li = page.lines.index(line) + 1
                line_el = ET.SubElement(block, q("TextLine"), {"ID": f"line_{n}_{li}", **geometry(line.bbox)})
                for wi, word in enumerate(line.words, start=1):
                    if wi > 1:
                        prev = line.words[wi - 2]
                        ET.SubElement(
                            line_el,
                            q("SP"),
                            {
                                "WIDTH": str(max(0, word.bbox[0] - prev.bbox[2])),
                                "VPOS": str(word.bbox[1]),
                                "HPOS": str(prev.bbox[2]),
                            },
                        )
                    ET.SubElement(
                        line_el,
                        q("String"),
                        {
                            "ID": f"string_{n}_{li}_{wi}",
                            **geometry(word.bbox),
                            "CONTENT": word.text,
                            "WC": f"{min(1.0, max(0.0, word.confidence)):.4f}",
                        },
                    )
    return _xml(root)


def _markdown_escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)


def to_markdown(document: Document) -> str:
    """Markdown: per page, its paragraphs (:func:`_paragraph_blocks`) in reading order as
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
        for kind, lines in _paragraph_blocks(page):
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


@dataclass(frozen=True)
class Exporter:
    """An output format: its name, file suffix and how it is made.

    ``render(document)`` returns text; a format with ``needs_source`` (the searchable PDF) is made by
    ``render(document, source)`` from the input too and returns bytes."""

    name: str
    suffix: str
    render: Callable[..., str | bytes]
    needs_source: bool = False
    description: str = ""


def _pdf(document: Document, source: Any = None) -> bytes:
    from clearocr.pdf import to_pdf

    return to_pdf(document, source)


def _pdfa(document: Document, source: Any = None) -> bytes:
    from clearocr.pdf import to_pdf

    return to_pdf(document, source, pdfa=True)


#: Output formats by name: the built-ins below, and third-party ones declared in the
#: ``clearocr.exporters`` entry-point group (an :class:`Exporter`; see :mod:`clearocr.registry`).
EXPORTERS: Registry[Exporter] = Registry("output format", "clearocr.exporters", {}, OptionsError)
for _exporter in (
    Exporter("text", ".txt", to_text, description="plain text, pages separated by form feeds"),
    Exporter("json", ".json", to_json, description="the Document tree (schema clearocr.document/1)"),
    Exporter("hocr", ".hocr", to_hocr, description="hOCR 1.2 with blocks, paragraphs, lines and words"),
    Exporter("alto", ".xml", to_alto, description="ALTO XML v4.2"),
    Exporter("markdown", ".md", to_markdown, description="Markdown: headings, paragraphs, pipe tables"),
    Exporter(
        "pdf",
        ".pdf",
        _pdf,
        needs_source=True,
        description="searchable PDF: the input's pages with an invisible text layer",
    ),
    Exporter(
        "pdfa",
        ".pdf",
        _pdfa,
        needs_source=True,
        description="the searchable PDF as PDF/A-2b, validated (an input that cannot be is an error)",
    ),
):
    EXPORTERS.register(_exporter.name, _exporter)


def exporters() -> list[Exporter]:
    """Every output format (built-in and plugin), built-ins first, in their order.

    Raises:
        OptionsError: a plugin's entry point is not an :class:`Exporter` (naming it).
    """
    out = []
    for name in sorted(
        EXPORTERS.names(),
        key=lambda n: (
            n not in _BUILTIN_FORMATS,
            _BUILTIN_FORMATS.index(n) if n in _BUILTIN_FORMATS else 0,
            n,
        ),
    ):
        exporter = EXPORTERS.get(name)
        if not isinstance(exporter, Exporter):
            raise OptionsError(f"output format {name!r} is {exporter!r}, not a clearocr.export.Exporter")
        out.append(exporter)
    return out


_BUILTIN_FORMATS = ("text", "json", "hocr", "alto", "markdown", "pdf", "pdfa")

#: Output formats by name, with the file suffix each is written with (plugins included).
FORMATS: dict[str, str] = {e.name: e.suffix for e in exporters()}


def export(document: Document, fmt: str, source: Any = None) -> str | bytes:
    """Render ``document`` in format ``fmt`` (one of :data:`FORMATS`).

    Args:
        document: the read document.
        fmt: a format name.
        source: the input the document was read from (path, bytes, PIL image), for formats made
            from it (``pdf``); default: the path in ``document.source``.

    Returns:
        Text (``str``) for text formats, ``bytes`` for ``pdf``.

    Raises:
        OptionsError (a ValueError): unknown format; PdfOutputError (pdf): the source is missing or
        does not match.
    """
    if fmt not in EXPORTERS:
        raise OptionsError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    exporter = EXPORTERS.get(fmt)
    if exporter.needs_source:
        return exporter.render(document, source)
    return exporter.render(document)


def _umask() -> int:
    """The process umask: from /proc on Linux (thread-safe), else by setting it and putting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` through a temp file in the same folder, fsync and a rename, so a
    reader never sees a half-written file and a crash leaves no partial output.

    The file gets the mode a plain ``open()`` would give it (``0o666`` minus the umask), not
    ``mkstemp``'s private ``0o600``.

    Raises:
        OSError: the folder cannot be created or written (nothing is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp adds 8 random characters between prefix and suffix.
    prefix = sibling_name(path.name, ".", ".", reserve=8 + len(".tmp"))
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
