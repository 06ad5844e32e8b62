"""The one result tree every engine returns and every exporter reads.

``Document -> Page -> Line -> Word``, with :class:`Block` runs of a page's lines on top. Coordinates follow the usual OCR conventions:

* ``bbox`` is ``(x0, y0, x1, y1)`` in integer pixels of the page image, origin at the top-left corner,
  ``x1``/``y1`` exclusive. The page image is the input page after orientation correction and deskew, at
  the resolution it was loaded or rendered at (any internal up- or down-scaling is undone), so boxes can
  be drawn straight onto ``Page.width x Page.height``.
* ``confidence`` is a float in ``[0, 1]`` (Tesseract's 0-100 is divided by 100).

The shape is modelled on docTR's ``Document -> Page -> Block -> Line -> Word``; the lines stay one flat
list in reading order (see :mod:`clearocr.layout`) and each block names a consecutive run of them, so
code that reads ``page.lines`` is unaffected by blocks.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from clearocr.geometry import IDENTITY, Affine, BBox, union_bbox
from clearocr.geometry import horizontal_overlap as _horizontal_overlap

__all__ = [
    "IDENTITY",
    "SCHEMA",
    "Affine",
    "BBox",
    "Block",
    "Correction",
    "Document",
    "Line",
    "Page",
    "PreprocessStep",
    "ReadWarning",
    "Word",
    "is_cjk",
    "join_texts",
    "paragraphs",
    "printable_name",
    "union_bbox",
]

#: Version tag written into every JSON export; later releases add keys, never rename them.
SCHEMA = "clearocr.document/1"


def printable_name(name: str) -> str:
    """``name`` as text any UTF-8 output can hold: a file name that is not valid UTF-8 (held by
    Python with surrogate escapes, :func:`os.fsdecode`) shows its odd bytes as ``\\xff``; every other
    name is returned unchanged."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def is_cjk(char: str) -> bool:
    """Whether ``char`` is Chinese, Japanese or Korean (or a full-width form), by its Unicode name."""
    name = unicodedata.name(char, "")
    return name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "FULLWIDTH", "IDEOGRAPHIC"))


def join_texts(parts: Sequence[str]) -> str:
    """Join word or segment texts with spaces, except between two CJK characters."""
    out = ""
    for part in parts:
        if not part:
            continue
        if out and not (is_cjk(out[-1]) and is_cjk(part[0])):
            out += " "
        out += part
    return out


def paragraphs(
    lines: Sequence[Line], max_gap: float = 0.8, min_height_ratio: float = 0.6
) -> list[list[Line]]:
    """Group lines already in reading order into paragraphs (layout blocks) for hOCR, ALTO and Markdown.

    A line continues the current paragraph when it starts below the previous line by at most
    ``max_gap`` times the taller of the two line heights, the two overlap horizontally, and their
    heights are within ``min_height_ratio`` of each other (a heading in larger type starts a block of
    its own). The thresholds follow the usual leading of printed text (line spacing 1.0-1.5 em);
    they were chosen on rendered test pages, not fitted to an evaluation set.

    Args:
        lines: one page's lines in reading order (``Page.lines``).

    Returns:
        The lines, cut into consecutive runs; every line is in exactly one run, order kept.
    """
    blocks: list[list[Line]] = []
    for line in lines:
        if blocks:
            prev = blocks[-1][-1]
            h_prev = max(1, prev.bbox[3] - prev.bbox[1])
            h_line = max(1, line.bbox[3] - line.bbox[1])
            gap = line.bbox[1] - prev.bbox[3]
            similar = min(h_prev, h_line) / max(h_prev, h_line) >= min_height_ratio
            below = -0.5 * min(h_prev, h_line) <= gap <= max_gap * max(h_prev, h_line)
            if similar and below and _horizontal_overlap(prev.bbox, line.bbox) > 0:
                blocks[-1].append(line)
                continue
        blocks.append([line])
    return blocks


@dataclass
class Word:
    """One recognised word.

    Attributes:
        text: the word as read, never empty.
        bbox: ``(x0, y0, x1, y1)`` pixels, top-left origin.
        confidence: recognition confidence in ``[0, 1]``.
    """

    text: str
    bbox: BBox
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "bbox": list(self.bbox), "confidence": round(self.confidence, 4)}


@dataclass
class Line:
    """One line of text in reading order: the words of one visual row, left to right.

    Attributes:
        text: the words joined by single spaces (none between two CJK characters).
        bbox: union of the word boxes.
        confidence: character-weighted mean of the word confidences, in ``[0, 1]``.
        words: the words, left to right.
    """

    text: str
    bbox: BBox
    confidence: float
    words: list[Word] = field(default_factory=list)

    @classmethod
    def from_words(cls, words: list[Word]) -> Line:
        """Build a line from words already in reading order (``words`` must not be empty)."""
        chars = sum(len(w.text) for w in words) or 1
        confidence = sum(w.confidence * len(w.text) for w in words) / chars
        return cls(
            text=join_texts([w.text for w in words]),
            bbox=union_bbox(w.bbox for w in words),
            confidence=confidence,
            words=list(words),
        )

    def word_spans(self) -> list[tuple[int, int]]:
        """Character span ``(start, end)`` of each word inside :attr:`text`, searched left to right;
        ``(-1, -1)`` for a word the text does not contain (after a line-level rewrite)."""
        spans, cursor = [], 0
        for word in self.words:
            start = self.text.find(word.text, cursor)
            if start < 0:
                spans.append((-1, -1))
                continue
            spans.append((start, start + len(word.text)))
            cursor = start + len(word.text)
        return spans

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "bbox": list(self.bbox),
            "confidence": round(self.confidence, 4),
            "words": [w.to_dict() for w in self.words],
        }


@dataclass
class Block:
    """A layout block: consecutive lines of a page that belong together.

    Attributes:
        kind: ``"paragraph"`` (lines grouped by spacing, :func:`paragraphs`),
            ``"box"`` (the text of a ruled box read as a unit: :func:`clearocr.layout.boxed_blocks`) or the
            layout model's class of the region (CDLA's ``"text"``, ``"title"``, ``"table"``,
            ``"header"``, ``"footer"``, ``"figure_caption"``, ``"table_caption"``, ``"reference"``,
            ``"equation"``).
        bbox: union of its lines' boxes, pixels.
        start, end: its lines are ``Page.lines[start:end]``.
    """

    kind: str
    bbox: BBox
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "bbox": list(self.bbox), "lines": [self.start, self.end]}


@dataclass
class PreprocessStep:
    """A preprocessing step applied to a page image, with the parameters it used or found.

    Example: ``PreprocessStep("deskew", {"angle": -1.5})`` (degrees, counter-clockwise positive).
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.params}


@dataclass
class Page:
    """One page of a document.

    Attributes:
        number: 1-based page number in the source (a PDF or multi-page TIFF page index + 1).
        width, height: size in pixels of the page image the boxes refer to.
        dpi: resolution of the page image in dots per inch, if known (PDF render DPI or image metadata).
        rotation: clockwise degrees (0, 90, 180, 270) the input page was turned to read upright.
        lines: text lines in reading order.
        preprocessing: the steps applied, in order.
        text_source: ``"ocr"`` or ``"layer"`` (text taken from a born-digital PDF's text layer).
        engine: name of the OCR engine that read the page (``"pdf-text-layer"`` for layer text).
        source_size: ``(width, height)`` in pixels of the input page image before it was turned or
            straightened (the rendered PDF page, or the image as loaded); None when unknown.
        transform: affine ``(a, b, c, d, e, f)`` from the input page image's pixel coordinates to this
            page's: ``x' = a*x + b*y + c``, ``y' = d*x + e*y + f`` (the orientation turn and the deskew
            rotation, see :class:`~clearocr.preprocess.Prepared`). Identity when the page was neither.
        blocks: the layout blocks, covering :attr:`lines` in order (empty when unknown, e.g. after a
            post-processor changed the number of lines; :meth:`block_lines` then groups by spacing).
    """

    number: int
    width: int
    height: int
    dpi: float | None = None
    rotation: int = 0
    lines: list[Line] = field(default_factory=list)
    preprocessing: list[PreprocessStep] = field(default_factory=list)
    text_source: Literal["ocr", "layer"] = "ocr"
    engine: str = ""
    source_size: tuple[int, int] | None = None
    transform: Affine = IDENTITY
    blocks: list[Block] = field(default_factory=list)

    def block_lines(self) -> list[tuple[str, list[Line]]]:
        """``(kind, lines)`` per layout block in reading order; every line is in exactly one.

        The page's :attr:`blocks` when they cover its lines exactly, else paragraphs found from line
        spacing (:func:`paragraphs`, kind ``"paragraph"``).
        """
        cursor = 0
        for block in self.blocks:
            if block.start != cursor or block.end <= block.start:
                break
            cursor = block.end
        else:
            if self.blocks and cursor == len(self.lines):
                return [(b.kind, self.lines[b.start : b.end]) for b in self.blocks]
        return [("paragraph", lines) for lines in paragraphs(self.lines)]

    @property
    def text(self) -> str:
        """The page's lines joined with ``"\\n"``."""
        return "\n".join(line.text for line in self.lines)

    @property
    def words(self) -> list[Word]:
        """All words of the page in reading order."""
        return [w for line in self.lines for w in line.words]

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "dpi": self.dpi,
            "text_source": self.text_source,
            "engine": self.engine,
            "preprocessing": [s.to_dict() for s in self.preprocessing],
            "source_size": list(self.source_size) if self.source_size else None,
            "transform": list(self.transform),
            "lines": [line.to_dict() for line in self.lines],
            "blocks": [block.to_dict() for block in self.blocks],
        }

    @classmethod
    def from_dict(cls, p: dict[str, Any]) -> Page:
        """Rebuild a Page from its JSON (an element of ``"pages"`` in ``clearocr.document/1``).

        Raises:
            KeyError, TypeError: not a page dict.
        """
        lines = [
            Line(
                ln["text"],
                tuple(ln["bbox"]),
                ln["confidence"],
                [Word(w["text"], tuple(w["bbox"]), w["confidence"]) for w in ln.get("words", [])],
            )
            for ln in p["lines"]
        ]
        steps = [
            PreprocessStep(s["name"], {k: v for k, v in s.items() if k != "name"})
            for s in p.get("preprocessing", [])
        ]
        source_size = p.get("source_size")
        blocks = [
            Block(b["kind"], tuple(b["bbox"]), b["lines"][0], b["lines"][1]) for b in p.get("blocks", [])
        ]
        return cls(
            p["number"],
            p["width"],
            p["height"],
            p.get("dpi"),
            p.get("rotation", 0),
            lines,
            steps,
            p.get("text_source", "ocr"),
            p.get("engine", ""),
            tuple(source_size) if source_size else None,
            tuple(p.get("transform", IDENTITY)),
            blocks,
        )


@dataclass
class Correction:
    """One change made by a post-processor.

    Attributes:
        page: 1-based page number.
        line: index of the line in ``Page.lines`` (None for a page-level change).
        word: index of the word in ``Line.words`` (None for a line-level change).
        before, after: the text before and after.
        by: the post-processor's name.
    """

    page: int
    line: int | None
    word: int | None
    before: str
    after: str
    by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "line": self.line,
            "word": self.word,
            "from": self.before,
            "to": self.after,
            "by": self.by,
        }


@dataclass
class ReadWarning:
    """Something the reader noticed that may mean text is missing from the result: a page with no
    text, characters a language restriction removed. Shown on the CLI's stderr, logged, and written
    to the JSON's ``"warnings"`` and the batch manifest; never silent.

    Attributes:
        code: a stable identifier (``"no_text"``, ``"no_text_with_ink"``, ``"script_removed"``).
        message: the warning in words, naming the page.
        page: 1-based page number, or None for the whole document.
    """

    code: str
    message: str
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "page": self.page, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReadWarning:
        return cls(str(data["code"]), str(data["message"]), data.get("page"))


@dataclass
class Document:
    """A read document: its source name and its pages in order.

    Attributes:
        source: the input's name (a path as given, or ``<bytes>`` / ``<PIL image>`` / ``<array>``).
        pages: the selected pages, in the order they appear in the source.
        fields: key fields from :func:`clearocr.extract`, when asked for (JSON key ``"fields"``).
        raw_text: OCR text before post-processing; lines and words hold the corrected text.
        corrections: every post-processor change (JSON ``"corrections"``, with ``"corrected_text"``).
        languages: the languages it was read in (ISO 639-1 codes, from ``ReadOptions.languages``).
        warnings: what may be missing from the result (:class:`ReadWarning`; JSON ``"warnings"``).
    """

    source: str
    pages: list[Page] = field(default_factory=list)
    #: Extracted key fields (``InvoiceFields.to_dict()``) when extraction was asked for, else None.
    fields: dict[str, Any] | None = None
    #: The OCR text before any post-processor ran (None until one runs).
    raw_text: str | None = None
    #: Changes made by post-processors, in order.
    corrections: list[Correction] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Plain text: lines joined with ``"\\n"``, pages with ``"\\f"`` (form feed)."""
        return "\f".join(page.text for page in self.pages)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of schema ``clearocr.document/1``: ``{"schema", "source", "languages",
        "pages": [...], "text", "warnings"}``; see :class:`Page` for pages.

        After post-processing, ``text`` stays the raw OCR text and ``corrected_text`` and ``corrections``
        are added (line and word texts in ``pages`` are the corrected ones); ``fields`` after extraction.
        """
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "source": printable_name(self.source),
            "languages": self.languages,
            "pages": [page.to_dict() for page in self.pages],
            "text": self.text,
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.raw_text is not None:
            data["text"] = self.raw_text
            data["corrected_text"] = self.text
            data["corrections"] = [c.to_dict() for c in self.corrections]
        if self.fields is not None:
            data["fields"] = self.fields
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Rebuild a Document from its JSON (``clearocr.document/1``, as the CLI and the API write it).

        Raises:
            ValueError: not a clearocr document (wrong or missing ``schema``).
        """
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document (schema: {data.get('schema')!r})")
        pages = [Page.from_dict(p) for p in data["pages"]]
        corrections = [
            Correction(c["page"], c["line"], c["word"], c["from"], c["to"], c["by"])
            for c in data.get("corrections", [])
        ]
        raw_text = data["text"] if "corrected_text" in data else None
        warnings = [ReadWarning.from_dict(w) for w in data.get("warnings", [])]
        return cls(
            data["source"],
            pages,
            data.get("fields"),
            raw_text,
            corrections,
            list(data.get("languages", [])),
            warnings,
        )

    def to_json(self, indent: int | None = 2) -> str:
        """JSON text of :meth:`to_dict` (UTF-8 characters kept, not escaped), ending with a newline."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent) + "\n"

    def to_hocr(self) -> str:
        """An hOCR 1.2 XHTML document with ``ocr_page``, ``ocr_line`` and ``ocrx_word`` elements.

        The hOCR exporter is found through the output-format registry (:mod:`clearocr.export`), so the
        model never imports an exporter's code.
        """
        from clearocr.export import export

        rendered = export(self, "hocr")
        return rendered if isinstance(rendered, str) else rendered.decode("utf-8")
