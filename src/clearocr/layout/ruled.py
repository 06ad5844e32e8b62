"""Text in ruled boxes (forms, org charts, address panels): boxes found from drawn rules (OpenCV line
extraction), read box by box."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clearocr.document import Line
from clearocr.geometry import BBox, union_bbox
from clearocr.geometry import area as _area
from clearocr.geometry import horizontal_overlap as _horizontal_overlap
from clearocr.geometry import vertical_overlap as _vertical_overlap
from clearocr.layout.order import reading_order
from clearocr.layout.xycut import Item, xy_cut

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
    rows); its lines keep their rows inside it. The blocks and every other segment are ordered by :func:`xy_cut`, bands
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
    blocks: list[Item] = [(box, rows, "box") for box, rows, _ in chosen]
    blocks.extend((s.bbox, [s], None) for s in items if id(s) not in inside)
    return xy_cut(blocks)
