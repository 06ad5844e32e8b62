"""Page layout: reading order from boxes and layout blocks.

- :mod:`~clearocr.layout.columns`: column gutters from whitespace (:func:`find_gutters`), lines cut
  at them (:func:`split_at`);
- :mod:`~clearocr.layout.order`: rows rebuilt from segment boxes, columns of running text, wrapped
  tables (:func:`reading_order`);
- :mod:`~clearocr.layout.regions`: text regions from a layout model (:class:`LayoutDetector`);
- :mod:`~clearocr.layout.xycut`: layout blocks in reading order by recursive XY-cut
  (:func:`layout_reading_order`, :func:`layout_blocks`);
- :mod:`~clearocr.layout.ruled`: text in ruled boxes (:func:`ruled_boxes`, :func:`boxed_blocks`).

Paragraphs (line grouping by spacing) belong to the document model: :func:`clearocr.document.paragraphs`.
"""

from __future__ import annotations

from clearocr.document import paragraphs
from clearocr.layout.columns import MIN_GUTTER_LINES, Gutter, InkPage, find_gutters, split_at
from clearocr.layout.order import (
    WRAPPED_HEADER_SIMILARITY,
    merge_segments,
    reading_order,
    text_columns,
    words_from_text,
)
from clearocr.layout.regions import (
    COLUMN_REGION_CLASSES,
    TEXT_REGION_CLASSES,
    LayoutDetector,
    has_columns,
    specific_regions,
)
from clearocr.layout.ruled import BOX_MAX_ROWS, RULE_INK_MARGIN, boxed_blocks, ruled_boxes
from clearocr.layout.xycut import PAGE_HEADER_MAX_HEIGHT, layout_blocks, layout_reading_order, to_blocks

__all__ = [
    "MIN_GUTTER_LINES",
    "BOX_MAX_ROWS",
    "COLUMN_REGION_CLASSES",
    "PAGE_HEADER_MAX_HEIGHT",
    "RULE_INK_MARGIN",
    "TEXT_REGION_CLASSES",
    "WRAPPED_HEADER_SIMILARITY",
    "Gutter",
    "InkPage",
    "LayoutDetector",
    "boxed_blocks",
    "find_gutters",
    "has_columns",
    "layout_blocks",
    "layout_reading_order",
    "merge_segments",
    "paragraphs",
    "reading_order",
    "ruled_boxes",
    "specific_regions",
    "split_at",
    "text_columns",
    "to_blocks",
    "words_from_text",
]
