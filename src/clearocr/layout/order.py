"""Reading order from boxes: rows rebuilt so that a receipt's ``TOTAL ........ 9.00`` or an invoice table
row reads left to right as one line, whatever order the engine returned its segments in (PP-OCR
returns them in detection order; Tesseract reads table columns as separate blocks); columns of running
text read one after the other."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from clearocr.document import Line, Word, is_cjk, join_texts
from clearocr.geometry import BBox, union_bbox
from clearocr.geometry import horizontal_overlap as _horizontal_overlap
from clearocr.geometry import vertical_overlap as _vertical_overlap
from clearocr.layout.columns import Gutter, InkPage, find_gutters, split_at, word_runs


def words_from_text(text: str, bbox: BBox, confidence: float) -> list[Word]:
    """Split a segment's text into words with boxes proportional to character counts.

    Used when an engine gives a segment box but no word boxes: an estimate, exact at both ends.
    """
    tokens = text.split()
    if not tokens:
        return []
    x0, y0, x1, y1 = bbox
    total = len(text) or 1
    width = max(1, x1 - x0)
    words = []
    cursor = 0
    for token in tokens:
        start = text.index(token, cursor)
        end = start + len(token)
        cursor = end
        words.append(
            Word(
                token,
                (x0 + int(width * start / total), y0, x0 + int(round(width * end / total)), y1),
                confidence,
            )
        )
    return words


def merge_segments(segments: Iterable[Line]) -> Line:
    """One line from segments of the same row, sorted left to right."""
    ordered = sorted(segments, key=lambda s: s.bbox[0])
    words = [w for s in ordered for w in s.words]
    chars = sum(len(s.text) for s in ordered) or 1
    return Line(
        text=join_texts([s.text for s in ordered]),
        bbox=union_bbox(s.bbox for s in ordered),
        confidence=sum(s.confidence * len(s.text) for s in ordered) / chars,
        words=words,
    )


def _fragments(items: Sequence[Line], min_overlap: float = 0.8) -> list[list[Line]]:
    """Chain segments that sit on exactly the same baseline, left to right ("Invoice no:" and its
    value), so that row grouping cannot split a key from its value when the rows of neighbouring
    columns are offset by half a line."""
    fragments: list[list[Line]] = []
    for segment in sorted(items, key=lambda s: s.bbox[0]):
        best, best_overlap = None, min_overlap
        for fragment in fragments:
            last = fragment[-1]
            if last.bbox[2] > segment.bbox[0] + 2:
                continue  # not strictly to the left
            overlap = _vertical_overlap(segment.bbox, last.bbox)
            if overlap >= best_overlap:
                best, best_overlap = fragment, overlap
        if best is None:
            fragments.append([segment])
        else:
            best.append(segment)
    return fragments


def _rows(items: Sequence[Line], min_row_overlap: float) -> list[Line]:
    """Group segments into visual rows (see :func:`reading_order`), top to bottom."""
    median_height = max(1.0, median([s.bbox[3] - s.bbox[1] for s in items]))
    pieces = [(union_bbox(s.bbox for s in fragment), fragment) for fragment in _fragments(items)]
    rows: list[list[Line]] = []
    for bbox, fragment in sorted(pieces, key=lambda p: ((p[0][1] + p[0][3]) / 2, p[0][0])):
        height = bbox[3] - bbox[1]
        best, best_overlap = None, min_row_overlap
        if height <= 3 * median_height:
            for row in rows[-8:]:  # only recent rows can share a vertical span with this one
                row_box = union_bbox(s.bbox for s in row)
                overlap = min(_vertical_overlap(bbox, s.bbox) for s in row)
                overlap = min(overlap, _vertical_overlap(bbox, row_box) + 0.25)
                if overlap < best_overlap:
                    continue
                if any(_horizontal_overlap(piece.bbox, s.bbox) > 0.3 for piece in fragment for s in row):
                    continue
                best, best_overlap = row, overlap
        if best is None:
            rows.append(list(fragment))
        else:
            best.extend(fragment)
    lines = [merge_segments(row) for row in rows]
    lines.sort(key=lambda line: ((line.bbox[1] + line.bbox[3]) / 2, line.bbox[0]))
    return lines


def _bands(items: Sequence[Line]) -> list[list[Line]]:
    """Split segments into horizontal bands at vertical whitespace at least one median line height
    tall (narrower gaps are ordinary line spacing), top to bottom."""
    bands: list[list[Line]] = []
    bottom = None
    min_gap = median([s.bbox[3] - s.bbox[1] for s in items])
    for segment in sorted(items, key=lambda s: s.bbox[1]):
        if bottom is None or segment.bbox[1] >= bottom + min_gap:
            bands.append([segment])
            bottom = segment.bbox[3]
        else:
            bands[-1].append(segment)
            bottom = max(bottom, segment.bbox[3])
    return bands


def median(values: list[int]) -> float:
    """The upper median of ``values`` (0.0 for none)."""
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2]) if ordered else 0.0


#: A side of a gutter is running text when its lines (those within three line heights of the gutter)
#: have at least this many words and this many line heights of width, by median: lines of prose. A
#: receipt's prices, a table's cells and a form's values are narrower, so tables keep their rows.
RUNNING_TEXT_WORDS = 3
RUNNING_TEXT_WIDTH = 6.0


def _words(text: str) -> int:
    """Words of prose in ``text``: tokens with two letters or more (not amounts, quantities, currency
    signs or percentages, which fill a table's cells); two CJK characters count as one word (about a
    Latin word's width)."""
    cjk = sum(1 for ch in text if is_cjk(ch))
    latin = sum(1 for token in text.split() if sum(ch.isalpha() and not is_cjk(ch) for ch in token) >= 2)
    return latin + cjk // 2


def _running_text(side: Sequence[Line], height: float, least: int = 3) -> bool:
    if len(side) < least:
        return False
    words = median([_words(s.text) for s in side])
    width = median([s.bbox[2] - s.bbox[0] for s in side])
    return words >= RUNNING_TEXT_WORDS and width >= RUNNING_TEXT_WIDTH * height


def _partition(band: Sequence[Line], gutter: Gutter) -> tuple[list[Line], list[Line], list[Line], list[Line]]:
    """``(above, left, right, below)``: the band's lines above the gutter's rows, beside it (lines that
    cross it cut in two, :func:`~clearocr.layout.columns.split_at`), and below."""
    above: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    below: list[Line] = []
    for segment in band:
        middle = (segment.bbox[1] + segment.bbox[3]) / 2
        if middle < gutter.y0:
            above.append(segment)
        elif middle > gutter.y1:
            below.append(segment)
        elif segment.bbox[0] < gutter.x < segment.bbox[2]:
            parts = split_at(segment, gutter.x)
            left.extend(p for p in parts[:1] if p is not None)
            right.extend(p for p in parts[1:] if p is not None)
        elif (segment.bbox[0] + segment.bbox[2]) / 2 < gutter.x:
            left.append(segment)
        else:
            right.append(segment)
    return above, left, right, below


def _within_breaks(
    band: Sequence[Line], gutter: Gutter, height: float, page: InkPage | None = None
) -> Gutter:
    """``gutter`` ended at a break in its rows (line middles more than 1.5 line pitches apart, the
    pitch of the side with the closer lines) before the first later group of rows where the text on
    neither side is like the lines of its column (type as tall, as wide, as many words): a table
    across the page under the columns whose cell gap continues the gutter, footnotes in smaller type,
    a page number. The rest of a longer column after its paragraph breaks, and rows after a
    paragraph break that happens to line up in both columns, stay. (Above the columns the gutter
    reaches up until a line crosses it, :func:`_reach_up`.)"""
    _, left, right, _ = _partition(band, gutter)
    sides = (left, right)

    def size(segment: Line) -> float:  # the type size: detectors pad boxes of small and large type alike
        return page.ink_height(segment) if page is not None else float(segment.bbox[3] - segment.bbox[1])

    def middle(segment: Line) -> float:
        return (segment.bbox[1] + segment.bbox[3]) / 2

    pitches = []
    for side in sides:
        middles = sorted(middle(s) for s in side)
        steps = [b - a for a, b in zip(middles, middles[1:]) if b - a > height / 4]
        if steps:
            pitches.append(statistics.median(steps))
    if not pitches:
        return gutter
    groups: list[list[Line]] = []
    last = None
    for segment in sorted(left + right, key=middle):
        if last is None or middle(segment) - last > 1.5 * min(pitches):
            groups.append([])
        groups[-1].append(segment)
        last = middle(segment)
    if len(groups) < 2:
        return gutter

    def like(part: list[Line], side: list[Line]) -> bool:
        """Whether lines ``part`` go on ``side``'s column: one of them at least is like its other
        lines, type as tall, as wide and as many words (not footnotes in smaller type, a page number,
        table cells)."""
        rest = [s for s in side if s not in part]
        if not part or not rest:
            return False
        tall = statistics.median(map(size, rest)) or 1.0
        wide = median([s.bbox[2] - s.bbox[0] for s in rest]) or 1
        words = min(RUNNING_TEXT_WORDS, median([_words(s.text) for s in rest]))
        return any(
            0.9 <= size(s) / tall <= 1.15 and s.bbox[2] - s.bbox[0] >= 0.6 * wide and _words(s.text) >= words
            for s in part
        )

    def prose(group: list[Line]) -> bool:
        return any(like([s for s in side if s in group], side) for side in sides)

    y1 = gutter.y1
    # The tail: the columns end at the first group after them that is not like them (a table under
    # them, and the footnotes and page number under that).
    end = next((i for i in range(1, len(groups)) if not prose(groups[i])), len(groups))
    if end < len(groups):
        y1 = int(max(middle(s) for s in groups[end - 1]) + height / 4)
    return gutter if y1 == gutter.y1 or y1 <= gutter.y0 else replace(gutter, y1=y1)


def _reach_up(band: Sequence[Line], gutter: Gutter, height: float, page: InkPage | None = None) -> Gutter:
    """``gutter`` carried up over the lines above its rows that leave it open, to the first line whose
    ink crosses its middle third (a title across the columns) or the top of the band.

    A gutter is found from the first row with text on both sides; the whitespace itself reaches as
    far as no text crosses it (Breuel 2002's maximal whitespace rectangles). What stands above one
    column only, beside the top of the other (a title over the body beside a sidebar's first rows,
    a title over one column of three), then goes with its column instead of in rows across both.
    """
    third = (gutter.x1 - gutter.x0) / 3
    low, high = gutter.x0 + third, gutter.x1 - third
    min_gap = max(2, int(height / 4))
    y0 = gutter.y0
    for segment in sorted(
        (s for s in band if (s.bbox[1] + s.bbox[3]) / 2 < gutter.y0), key=lambda s: s.bbox[3], reverse=True
    ):
        runs = page.runs(segment, min_gap) if page is not None else word_runs(segment, min_gap)
        if any(a < high and b > low for a, b in runs):
            break
        y0 = min(y0, segment.bbox[1])
    return gutter if y0 == gutter.y0 else replace(gutter, y0=y0)


def _column_split(
    band: Sequence[Line], page: InkPage | None
) -> tuple[list[Line], list[Line], list[Line], list[Line], Gutter] | None:
    """Cut a band at its tallest column gutter (:func:`~clearocr.layout.columns.find_gutters`) whose
    sides are both running text (:data:`RUNNING_TEXT_WORDS`, :data:`RUNNING_TEXT_WIDTH`) over four lines
    or more each (a chance gap through a few lines of one paragraph is not a gutter), judged on the
    gutter's own rows; the cut then reaches up as far as the whitespace does (:func:`_reach_up`).

    Returns:
        ``(above, left, right, below, gutter)`` (see :func:`_partition`), or None when there is no such
        gutter.
    """
    height = median([s.bbox[3] - s.bbox[1] for s in band]) or 1.0
    for found in find_gutters(band, page):
        gutter = _within_breaks(band, found, height, page)
        _, left, right, _ = _partition(band, gutter)
        near_left = [s for s in left if gutter.x0 - s.bbox[2] <= 3 * height]
        near_right = [s for s in right if s.bbox[0] - gutter.x1 <= 3 * height]
        if _running_text(near_left, height, least=4) and _running_text(near_right, height, least=4):
            gutter = _reach_up(band, gutter, height, page)
            return (*_partition(band, gutter), gutter)
    return None


#: A wrapped table's header (:func:`_wrapped_table`): copies of the header whose cells agree at
#: least this much (rapidfuzz's normalised Indel similarity, case-folded) are one header repeated;
#: OCR noise such as ``Tabla No.`` for ``Table No.`` stays above it.
WRAPPED_HEADER_SIMILARITY = 0.8


def _header_cells(line: Line) -> list[tuple[int, int, str]]:
    """``(x0, x1, text)`` cells of a row: its words split at gaps wider than the row's height."""
    cells: list[list[Any]] = []
    height = max(1, line.bbox[3] - line.bbox[1])
    for word in sorted(line.words, key=lambda w: w.bbox[0]):
        if cells and word.bbox[0] - cells[-1][1] <= height:
            cells[-1][1] = max(cells[-1][1], word.bbox[2])
            cells[-1][2] = join_texts([cells[-1][2], word.text])
        else:
            cells.append([word.bbox[0], word.bbox[2], word.text])
    return [(int(a), int(b), str(t)) for a, b, t in cells]


def _repeated_header(rows: list[Line]) -> tuple[int, list[float]] | None:
    """``(row index, cuts)`` when one of ``rows[:3]`` is a table header repeated two to four times
    side by side (see :func:`_wrapped_table`); ``cuts`` are the x positions between the copies."""
    from rapidfuzz.distance import Indel

    for index, header in enumerate(rows[:3]):
        cells = _header_cells(header)
        if not all(any(ch.isalpha() for ch in c[2]) for c in cells):
            continue
        for copies in (2, 3, 4):
            size, extra = divmod(len(cells), copies)
            if extra or size < 2:
                continue
            parts = [cells[i * size : (i + 1) * size] for i in range(copies)]
            if all(
                Indel.normalized_similarity(a[2].casefold(), b[2].casefold()) >= WRAPPED_HEADER_SIMILARITY
                for part in parts[1:]
                for a, b in zip(parts[0], part)
            ):
                return index, [(parts[i][-1][1] + parts[i + 1][0][0]) / 2 for i in range(copies - 1)]
    return None


def _crosses(segments: Sequence[Line], cuts: list[float]) -> bool:
    return any(s.bbox[0] < cut < s.bbox[2] for s in segments for cut in cuts)


def _wrapped_table(
    bands: list[list[Line]], at: int, rows: list[Line], min_row_overlap: float
) -> tuple[list[Line], int] | None:
    """A table wrapped into side-by-side copies (a long list printed as ``Part No. | Table No. ||
    Part No. | Table No.``), read copy after copy: the left copy's rows, then the next copy's.

    One of the first three ``rows`` of ``bands[at]`` must be a header repeated two to four times:
    each copy of two or more cells, every cell with a letter, the copies' cell texts alike
    (:data:`WRAPPED_HEADER_SIMILARITY`). The table runs from the header down through the following
    bands while no segment crosses a cut between the copies; it is read copy by copy only when every
    copy holds at least three rows below its header. Rows above the header keep their place.

    Returns:
        ``(lines, next band index)``, or None when ``bands[at]`` does not start such a table.
    """
    found = _repeated_header(rows)
    if found is None:
        return None
    index, cuts = found
    top = rows[index].bbox[1]
    table = [s for s in bands[at] if (s.bbox[1] + s.bbox[3]) / 2 >= top]
    if _crosses(table, cuts):
        return None
    end = at + 1
    while end < len(bands) and not _crosses(bands[end], cuts):
        table += bands[end]
        end += 1
    edges = [float("-inf"), *cuts, float("inf")]
    strips = [
        [s for s in table if edges[i] <= (s.bbox[0] + s.bbox[2]) / 2 < edges[i + 1]]
        for i in range(len(cuts) + 1)
    ]
    strip_rows = [_rows(strip, min_row_overlap) if strip else [] for strip in strips]
    if any(len(r) < 4 for r in strip_rows):  # the header and three rows at least
        return None
    return rows[:index] + [line for r in strip_rows for line in r], end


def text_columns(segments: Sequence[Line], page: InkPage | None = None) -> list[Gutter]:
    """The column gutter :func:`reading_order` cuts the page at first, else those it cuts the page's
    bands at (one per band at most): empty when the page has no columns of running text.

    Args:
        segments: engine segments with bboxes in one page's pixels.
        page: the binarised page image (see :func:`reading_order`).
    """
    items = [s for s in segments if s.words and s.text.strip()]
    whole = _column_split(items, page) if items else None
    if whole is not None:
        return [whole[4]]
    gutters = []
    for band in _bands(items) if items else []:
        split = _column_split(band, page)
        if split is not None:
            gutters.append(split[4])
    return gutters


def _order(
    items: Sequence[Line], min_row_overlap: float, columns: bool, page: InkPage | None = None, depth: int = 0
) -> list[Line]:
    deeper = columns and depth < 12
    split = _column_split(items, page) if deeper else None
    if split is not None:
        return [
            line
            for part in split[:4]
            if part
            for line in _order(part, min_row_overlap, columns, page, depth + 1)
        ]
    lines: list[Line] = []
    bands = _bands(items)
    at = 0
    while at < len(bands):
        band = bands[at]
        at += 1
        rows = _rows(band, min_row_overlap)
        wrapped = _wrapped_table(bands, at - 1, rows, min_row_overlap)
        if wrapped is not None:
            lines.extend(wrapped[0])
            at = wrapped[1]
        elif len(bands) > 1 and deeper:
            lines.extend(_order(band, min_row_overlap, columns, page, depth + 1))
        else:
            lines.extend(rows)
    return lines


def reading_order(
    segments: Sequence[Line],
    min_row_overlap: float = 0.5,
    columns: bool = True,
    page: InkPage | None = None,
) -> list[Line]:
    """Rebuild reading order: text columns top to bottom, left column first; rows left to right.

    A simplified recursive XY-cut (Nagy & Seth, "Hierarchical representation of optically scanned
    documents", 1984), gutters first: the page is cut at its tallest column gutter, found from
    whitespace that stays open line after line (:func:`~clearocr.layout.columns.find_gutters`), when
    both sides are running text (see :func:`_column_split`), so receipts and table rows stay whole:
    what is above the gutter's rows, then its left side, its right side, and what is below, each
    ordered the same way. Lines that cross a gutter (a detector's box over two justified columns)
    are cut there. A gutter runs on across blank rows (a gap between paragraphs that happens to line
    up across columns), so only a line across it (a title) ends it. A part with no gutter is cut
    into horizontal bands at vertical whitespace, and each band is ordered the same way. Inside a band or column, a segment
    joins the row whose vertical span it overlaps most (at least ``min_row_overlap`` of the shorter
    height) unless it sits horizontally on top of a segment already in that row; rows read left to
    right. Segments taller than three times the median height (vertical text, logos) keep their own
    row.

    Args:
        segments: engine segments with bboxes in one page's pixel space.
        min_row_overlap: fraction of the shorter height two segments must share to be one row.
        columns: detect text columns; False reads every band as rows across the whole page.
        page: the binarised page image, to find gutters from ink; None uses the word boxes.

    Returns:
        Lines in reading order; each line's words are left to right.
    """
    items = [s for s in segments if s.words and s.text.strip()]
    if not items:
        return []
    return _order(items, min_row_overlap, columns, page)
