"""Layout blocks in reading order by recursive XY-cut (Nagy and Seth, "Hierarchical representation of
optically scanned documents", 1984) over the page's text regions and lines."""

from __future__ import annotations

from collections.abc import Sequence

from clearocr.document import Block, Line, paragraphs
from clearocr.geometry import BBox, union_bbox
from clearocr.geometry import area as _area
from clearocr.layout.order import median, reading_order
from clearocr.layout.regions import overlap_area, same_row, specific_regions

Item = tuple[BBox, list[Line], str | None]


def _cut(items: list[Item], axis: int, widest: bool = False) -> list[list[Item]]:
    """Items split at the gaps along ``axis`` (1: horizontal cuts by y, 0: vertical cuts by x); with
    ``widest``, only at the gaps at least 80% as wide as the widest one."""
    ordered = sorted(items, key=lambda it: it[0][axis])
    groups: list[list[Item]] = [[ordered[0]]]
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
    return median([b[2] - b[0] for b in boxes]) < 8 * median([b[3] - b[1] for b in boxes])


def _tabular(group: list[Item]) -> bool:
    """Whether a column's items can all be parts of a table: loose segments, tables, and regions
    whose lines are cell-like (:func:`_cell_like`)."""
    return all(
        kind in (None, "table") or (kind != "box" and _cell_like([line.bbox for line in lines]))
        for _, lines, kind in group
    )


def _join_row_sharing(columns: list[list[Item]]) -> list[list[Item]]:
    """Neighbouring columns joined again when they are the columns of one table: at least half of
    the smaller side's segments sit on a row of the other side (:func:`same_row`), and both sides
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
            if sum(1 for box in few if any(same_row(box, other) for other in many)) >= 0.5 * len(few):
                if loose:
                    previous.extend(group)
                else:  # one table: its cells become rows, in one block
                    cells = [line for _, lines, _ in previous + group for line in lines]
                    rows = reading_order(cells, columns=False)
                    joined[-1] = [(union_bbox(line.bbox for line in rows), rows, "table")]
                continue
        joined.append(group)
    return joined


#: A band across the top of a page, cut from the columns below it by a gap across the whole page and
#: holding a region the layout model calls a page header, is read first when it is at most this
#: share of the page's text height (:func:`xy_cut`).
PAGE_HEADER_MAX_HEIGHT = 0.2


def xy_cut(items: list[Item], depth: int = 0) -> list[tuple[str | None, list[Line]]]:
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
    one_row = loose_only and height <= 1.5 * median([b[3] - b[1] for b, _, _ in items])
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
                return xy_cut(first, depth + 1) + xy_cut(rest, depth + 1)
        for groups in (columns,) if len(tall) >= 2 else (_cut(items, 1, widest=True), columns):
            if len(groups) > 1:
                return [block for group in groups for block in xy_cut(group, depth + 1)]
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
    min_gap = max(4.0, 0.5 * median([s.bbox[3] - s.bbox[1] for s in group]))
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
                aligned = sum(1 for a in few if any(same_row(a.bbox, b.bbox) for b in many))
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
    outside them, are ordered by :func:`xy_cut`, so lines of a column the model did not box are
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
            area = overlap_area(segment.bbox, box)
            if area > best_area:
                best, best_area = index, area
        if best is not None and best_area >= 0.5 * _area(segment.bbox):
            members[best].append(segment)
        else:
            loose.append(segment)
    blocks: list[Item] = []
    for index, group in members.items():
        for part in _split_at_gutters(regions[index][1], group, items) if group else []:
            lines = reading_order(part, min_row_overlap, columns=False)
            blocks.append((union_bbox(s.bbox for s in part), lines, regions[index][0]))
    blocks.extend((segment.bbox, [segment], None) for segment in loose)
    return xy_cut(blocks) if blocks else []


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
