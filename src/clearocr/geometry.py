"""Boxes and affine transforms in page pixels: the ground floor every other module stands on.

A bbox is ``(x0, y0, x1, y1)`` in integer pixels, origin at the top-left corner, ``x1``/``y1``
exclusive; an affine is the 2x3 matrix ``(a, b, c, d, e, f)`` mapping ``(x, y)`` to
``(a*x + b*y + c, d*x + e*y + f)``. Nothing here imports clearocr.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

BBox = tuple[int, int, int, int]
Affine = tuple[float, float, float, float, float, float]

#: The identity transform (``Page.transform`` of a page that was not rotated, deskewed or scaled).
IDENTITY: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def union_bbox(boxes: Iterable[BBox]) -> BBox:
    """Smallest box holding every box in ``boxes``.

    Raises:
        ValueError: ``boxes`` is empty.
    """
    boxes = list(boxes)
    if not boxes:
        raise ValueError("union_bbox() needs at least one box")
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def quad_to_bbox(quad: Any) -> BBox:
    """Axis-aligned ``(x0, y0, x1, y1)`` around a polygon given as ``[[x, y], ...]`` points."""
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return (int(min(xs)), int(min(ys)), int(round(max(xs))), int(round(max(ys))))


def scale_bbox(bbox: BBox, factor_x: float, factor_y: float, width: int, height: int) -> BBox:
    """Scale a box by per-axis factors and clip it to a ``width x height`` image."""
    x0, y0, x1, y1 = bbox
    return (
        max(0, min(width, int(x0 * factor_x))),
        max(0, min(height, int(y0 * factor_y))),
        max(0, min(width, int(round(x1 * factor_x)))),
        max(0, min(height, int(round(y1 * factor_y)))),
    )


def vertical_overlap(a: BBox, b: BBox) -> float:
    """Overlap of the two boxes' vertical spans, as a fraction of the shorter height (0 to 1)."""
    top = max(a[1], b[1])
    bottom = min(a[3], b[3])
    shorter = max(1, min(a[3] - a[1], b[3] - b[1]))
    return max(0, bottom - top) / shorter


def horizontal_overlap(a: BBox, b: BBox) -> float:
    """Overlap of the two boxes' horizontal spans, as a fraction of the narrower width (0 to 1)."""
    left = max(a[0], b[0])
    right = min(a[2], b[2])
    narrower = max(1, min(a[2] - a[0], b[2] - b[0]))
    return max(0, right - left) / narrower


def area(box: BBox) -> int:
    """Area of a box in square pixels, each side counted as at least 1 pixel (so never 0)."""
    return max(1, box[2] - box[0]) * max(1, box[3] - box[1])
