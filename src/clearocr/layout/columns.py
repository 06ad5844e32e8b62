"""Column gutters found from the page's own whitespace, and text lines split where they cross one.

A gutter is a vertical strip of whitespace that stays empty over many consecutive text lines and has
text on both sides: the maximal-whitespace-rectangle idea of Breuel ("Two geometric algorithms for
layout analysis", DAS 2002) restricted to tall rectangles bounded by text, with the tab-stop test of
Tesseract's column finder (Smith, "Hybrid page layout analysis via tab-stop detection", ICDAR 2009):
the text beside a real gutter starts (or ends) at one x, line after line.

Whitespace is judged from ink, not from the text detector's boxes: a detector often draws one box
across two justified columns (the word gaps of justified text are as wide as a narrow gutter), but
the ink inside that box still has the gutter's gap at the same x as every other line. A gap is a
gutter only by its vertical continuity, never by its width alone, so justified word gaps (which
wander from line to line) are not mistaken for gutters and narrow gutters are not missed.

:func:`find_gutters` finds them; :func:`split_at` cuts a detected line at a gutter by its word boxes.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from clearocr.document import Line, Word, join_texts
from clearocr.geometry import union_bbox

#: A gap is a gutter only when it stays open over at least this many consecutive scanlines (text
#: lines at distinct heights). Word gaps of justified text line up by chance over two or three lines
#: (a "river"), rarely over five, and never with the text beside them aligned (see :func:`_aligned`).
MIN_GUTTER_LINES = 5

#: The text beside a gutter is aligned when at least this share of its line starts (right side) or
#: line ends (left side) lie within half a line height of their median: a tab stop.
TAB_STOP_SHARE = 0.6

Runs = list[tuple[int, int]]


@dataclass
class InkPage:
    """A binarised page image and the factor from page-image pixels (where line boxes are) to it.

    Attributes:
        ink: ``(height, width)`` boolean array, True where there is ink.
        scale: multiply a page-image coordinate by this to index ``ink``.
    """

    ink: Any
    scale: float = 1.0

    @classmethod
    def from_image(cls, image: Any, scale: float = 1.0) -> InkPage:
        """Binarise ``image`` (RGB or grey ``uint8``) with Otsu's threshold (Otsu 1979): dark is ink.

        Args:
            image: the image the engine read, ``scale`` times the page image's size.
            scale: :attr:`scale`.
        """
        import cv2
        import numpy as np

        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
        _, binary = cv2.threshold(np.ascontiguousarray(grey), 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        return cls(binary > 0, scale)

    def runs(self, line: Line, min_gap: int) -> Runs:
        """The x intervals (page-image pixels) of ``line``'s ink in the middle half of its box (where
        lower-case letters are, so ascenders of the line below do not count), joined across gaps
        narrower than ``min_gap``."""
        import numpy as np

        x0, y0, x1, y1 = line.bbox
        quarter = (y1 - y0) / 4
        s = self.scale
        top, bottom = int(round((y0 + quarter) * s)), int(round((y1 - quarter) * s))
        left, right = int(round(x0 * s)), int(round(x1 * s))
        height, width = self.ink.shape[:2]
        top, bottom = max(0, top), min(height, max(bottom, top + 1))
        left, right = max(0, left), min(width, right)
        if right <= left or bottom <= top:
            return []
        counts = self.ink[top:bottom, left:right].sum(axis=0)
        # A column is ink when a few pixels of it are: lone specks of scanner noise are not.
        dark = counts >= max(1, int(0.08 * (bottom - top)))
        xs = np.flatnonzero(dark)
        if xs.size == 0:
            return []
        return _join([(left + int(a), left + int(b) + 1) for a, b in _spans(xs)], min_gap * s, 1.0 / s)

    def ink_height(self, line: Line) -> float:
        """The height (page-image pixels) of ``line``'s ink: rows of its box where at least 2% of the
        columns are dark, first to last (0.4% of the columns: one ascender letter in a long line); about the type size, where detectors pad boxes alike."""
        import numpy as np

        s = self.scale
        x0, y0, x1, y1 = (int(round(v * s)) for v in line.bbox)
        box = self.ink[max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)]
        if box.size == 0:
            return float(line.bbox[3] - line.bbox[1])
        rows = np.flatnonzero(box.sum(axis=1) >= max(2, 0.004 * box.shape[1]))
        return float(rows[-1] - rows[0] + 1) / s if rows.size else float(line.bbox[3] - line.bbox[1])


def _spans(xs: Any) -> list[tuple[int, int]]:
    """Runs of consecutive integers in the sorted array ``xs`` as ``(first, last)``."""
    import numpy as np

    breaks = np.flatnonzero(np.diff(xs) > 1)
    starts = [int(xs[0]), *(int(xs[i + 1]) for i in breaks)]
    ends = [*(int(xs[i]) for i in breaks), int(xs[-1])]
    return list(zip(starts, ends))


def _join(runs: Sequence[tuple[float, float]], min_gap: float, factor: float = 1.0) -> Runs:
    """Sorted ``runs`` joined across gaps narrower than ``min_gap``, each end times ``factor``."""
    joined: list[list[float]] = []
    for a, b in sorted(runs):
        if joined and a - joined[-1][1] < min_gap:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    return [(int(a * factor), int(round(b * factor))) for a, b in joined]


def word_runs(line: Line, min_gap: int) -> Runs:
    """:meth:`InkPage.runs` from ``line``'s word boxes, for pages with no image at hand."""
    return _join([(w.bbox[0], w.bbox[2]) for w in line.words] or [(line.bbox[0], line.bbox[2])], min_gap)


@dataclass(frozen=True)
class Gutter:
    """A column gutter: whitespace from ``x0`` to ``x1`` beside the lines whose middles lie between
    ``y0`` and ``y1`` (page-image pixels), ``lines`` scanlines tall."""

    x0: int
    x1: int
    y0: int
    y1: int
    lines: int

    @property
    def x(self) -> float:
        """The gutter's middle."""
        return (self.x0 + self.x1) / 2


@dataclass
class _Open:
    """A gap being followed down the page: its narrowed extent and the free interval it took in each
    scanline (with that scanline's top and bottom)."""

    a: int
    b: int
    free: list[tuple[int, int, int, int, float]] = field(default_factory=list)


def _aligned(values: list[int], tolerance: float) -> bool:
    if not values:
        return False
    middle = statistics.median(values)
    return sum(1 for v in values if abs(v - middle) <= tolerance) >= TAB_STOP_SHARE * len(values)


def _trimmed(free: list[tuple[int, int, int, int, float]]) -> list[tuple[int, int, int, int, float]]:
    """A gap's scanlines without a first or last one that halves its width: a word gap of a title
    that happened to lie over the gutter is not part of it."""

    def width(part: list[tuple[int, int, int, int, float]]) -> int:
        return min(f[1] for f in part) - max(f[0] for f in part)

    while len(free) > 2 and width(free) < width(free[1:]) / 2:
        free = free[1:]
    while len(free) > 2 and width(free) < width(free[:-1]) / 2:
        free = free[:-1]
    return free


def _trimmed_to_stop(
    free: list[tuple[int, int, int, int, float]], stop: float, right: int, height: float
) -> list[tuple[int, int, int, int, float]]:
    """A gap's scanlines without first or last ones where text right of it starts away from the tab
    stop ``stop`` (more than two line heights: a paragraph indent stays): the rows of a table above
    or under the columns whose cell gap happens to continue the gutter."""

    def off(f: tuple[int, int, int, int, float]) -> bool:
        return f[1] <= right and abs(f[1] - stop) > 2 * height

    while free and off(free[0]):
        free = free[1:]
    while free and off(free[-1]):
        free = free[:-1]
    return free


def _gutter(gap: _Open, left: int, right: int, height: float) -> Gutter | None:
    """The gap as a :class:`Gutter` when it is tall enough, has text close on each side in at least 40%
    of its scanlines, and the text on one side is aligned (a tab stop). Its first and last scanlines are trimmed
    first where they halve its width (:func:`_trimmed`) or where text starts away from the tab stop
    on its right (:func:`_trimmed_to_stop`).

    Tall enough is :data:`MIN_GUTTER_LINES` when the gap is wider than the word gaps of the lines it
    runs between (half again as wide, in most of them), else twice that: in justified text a gutter
    can be no wider than a word gap, and only its length tells it from a river of word gaps.
    """
    free = _trimmed(gap.free)
    starts = [f[1] for f in free if f[1] <= right and f[1] - min(g[1] for g in free) <= 3 * height]
    if _aligned(starts, height / 2):
        free = _trimmed_to_stop(free, statistics.median(starts), right, height)
    if not free:
        return None
    gap = _Open(max(f[0] for f in free), min(f[1] for f in free), free)
    wider = sum(1 for a, b, _, _, spacing in gap.free if b - a >= 1.5 * spacing)
    needed = MIN_GUTTER_LINES if wider >= len(gap.free) / 2 else 2 * MIN_GUTTER_LINES
    if len(gap.free) < needed:
        return None
    reach = 3 * height
    lefts = [a for a, _, _, _, _ in gap.free if a >= left and gap.a - a <= reach]
    rights = [b for _, b, _, _, _ in gap.free if b <= right and b - gap.b <= reach]
    # Text on each side in a good share of its scanlines: columns on different line pitches each
    # reach about half of them (the other half cross only the other column).
    if min(len(lefts), len(rights)) < 0.4 * len(gap.free):
        return None
    if not (_aligned(rights, height / 2) or _aligned(lefts, height / 2)):
        return None
    top = min(f[2] for f in gap.free)
    bottom = max(f[3] for f in gap.free)
    # The rows of the scanlines it crossed (a title just above the first line can reach into that
    # line's scanline with the lower half of its box; its middle is above).
    return Gutter(gap.a, gap.b, top, bottom, len(gap.free))


def _scanlines(lines: Sequence[Line], height: float) -> list[tuple[float, list[int]]]:
    """Heights to look across the page at: each line's middle (those within a quarter of a line height
    taken once), with the indices of the lines whose middle half that height crosses."""
    middles = sorted((line.bbox[1] + line.bbox[3]) / 2 for line in lines)
    ys: list[float] = []
    for y in middles:
        if not ys or y - ys[-1] > height / 4:
            ys.append(y)
    scans = []
    for y in ys:
        hit = []
        for index, line in enumerate(lines):
            quarter = (line.bbox[3] - line.bbox[1]) / 4
            if line.bbox[1] + quarter <= y <= line.bbox[3] - quarter:
                hit.append(index)
        scans.append((y, hit))
    return scans


def find_gutters(lines: Sequence[Line], page: InkPage | None = None) -> list[Gutter]:
    """Column gutters among ``lines`` (boxes in page-image pixels), found from whitespace.

    Each scanline (the middle of a text line) is cut into free intervals: x ranges with no ink of any
    line crossing it, at least a quarter of the median line height wide. A gap is followed from one
    scanline to the next while some free interval still overlaps it by that width (the gap narrows to
    the overlap); a line that crosses it (a title over the columns) ends it. Every free interval between
    ink also starts a gap of its own, so a gutter is found from its first true row even when an older
    gap (a title's word gap above it) runs into it. A followed gap is a gutter when it stays open for
    :data:`MIN_GUTTER_LINES` scanlines (twice that when it is no wider than its lines' word gaps), has
    text within three line heights on each side in at least 40% of them, and the text on one side is
    aligned (:data:`TAB_STOP_SHARE`); see :func:`_gutter` for the trims at its ends.

    Args:
        lines: detected text lines; their ink comes from ``page`` when given, else their word boxes.
        page: the binarised page, or None.

    Returns:
        Gutters, tallest first.
    """
    if len(lines) < MIN_GUTTER_LINES:
        return []
    height = statistics.median(line.bbox[3] - line.bbox[1] for line in lines) or 1.0
    min_gap = max(2, int(height / 4))
    runs = [page.runs(line, min_gap) if page is not None else word_runs(line, min_gap) for line in lines]
    left = min(line.bbox[0] for line in lines)
    right = max(line.bbox[2] for line in lines)
    found: list[Gutter] = []
    open_gaps: list[_Open] = []
    for y, hit in _scanlines(lines, height):
        ink = _join([run for index in hit for run in runs[index]], min_gap)
        edges = [(left - 1, left - 1), *ink, (right + 1, right + 1)]
        free = [(edges[i][1], edges[i + 1][0]) for i in range(len(edges) - 1)]
        free = [(a, b) for a, b in free if b - a >= min_gap]
        top, bottom = int(y - height / 4), int(round(y + height / 4))
        still: dict[tuple[int, int], _Open] = {}
        for gap in open_gaps:
            best, overlap = None, min_gap
            for k, (a, b) in enumerate(free):
                shared = min(b, gap.b) - max(a, gap.a)
                if shared >= overlap:
                    best, overlap = k, shared
            if best is None:
                closed = _gutter(gap, left, right, height)
                if closed is not None:
                    found.append(closed)
                continue
            a, b = free[best]
            gap.a, gap.b = max(a, gap.a), min(b, gap.b)
            gap.free.append((a, b, top, bottom, _spacing(free, best, left, right)))
            if len(still.get((gap.a, gap.b), gap).free) <= len(gap.free):
                still[gap.a, gap.b] = gap  # of two gaps now alike, the one followed longer
        # Every interval between ink may start a gutter, also one an older gap runs into: that gap may
        # have begun in a word gap above (a title's over the columns) and narrows here.
        for k, (a, b) in enumerate(free):
            if a > left and b < right and (a, b) not in still:
                still[a, b] = _Open(a, b, [(a, b, top, bottom, _spacing(free, k, left, right))])
        open_gaps = list(still.values())
    found.extend(g for g in (_gutter(gap, left, right, height) for gap in open_gaps) if g is not None)
    return _distinct(found)


def _spacing(free: list[tuple[int, int]], taken: int, left: int, right: int) -> float:
    """The median width of a scanline's word gaps: its free intervals between ink, but the one at
    ``taken`` (0.0 when there are none)."""
    gaps = [b - a for k, (a, b) in enumerate(free) if k != taken and a >= left and b <= right]
    return statistics.median(gaps) if gaps else 0.0


def _distinct(gutters: list[Gutter]) -> list[Gutter]:
    """Tallest first, dropping a gutter that shares x with a taller one over half of its rows (the same
    gutter followed from another start)."""
    kept: list[Gutter] = []
    for g in sorted(gutters, key=lambda g: (-g.lines, g.x0)):
        if not any(
            min(k.x1, g.x1) > max(k.x0, g.x0) and min(k.y1, g.y1) - max(k.y0, g.y0) > (g.y1 - g.y0) / 2
            for k in kept
        ):
            kept.append(g)
    return kept


def _line_of(words: list[Word], like: Line) -> Line:
    chars = sum(len(w.text) for w in words) or 1
    return Line(
        text=join_texts([w.text for w in words]),
        bbox=union_bbox(w.bbox for w in words),
        confidence=sum(w.confidence * len(w.text) for w in words) / chars if words else like.confidence,
        words=words,
    )


def split_at(line: Line, x: float) -> tuple[Line | None, Line | None]:
    """``line`` cut at ``x`` (page-image pixels) into the part left of it and the part right of it.

    Words go to the side their middle is on. A word the cut runs through with ink on both sides (the
    recogniser read the gutter as no space) is cut between characters, in proportion to its width.

    Returns:
        ``(left, right)``; either is None when no word falls on that side.
    """
    left: list[Word] = []
    right: list[Word] = []
    for word in sorted(line.words, key=lambda w: w.bbox[0]):
        x0, y0, x1, y1 = word.bbox
        if x0 < x < x1 and len(word.text) > 1 and min(x - x0, x1 - x) > (x1 - x0) / (2 * len(word.text)):
            cut = max(1, min(len(word.text) - 1, round(len(word.text) * (x - x0) / (x1 - x0))))
            left.append(Word(word.text[:cut], (x0, y0, int(x), y1), word.confidence))
            right.append(Word(word.text[cut:], (int(x) + 1, y0, x1, y1), word.confidence))
        elif (x0 + x1) / 2 < x:
            left.append(word)
        else:
            right.append(word)
    return (_line_of(left, line) if left else None, _line_of(right, line) if right else None)
