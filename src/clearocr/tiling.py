"""Reading a large page in overlapping tiles when its text would be too small for the detector.

PP-OCR-style engines shrink the whole page to a fixed detector size (RapidOCR: 1,280 px on the longer
side). On a page of small print scanned at a high resolution (A4 at 600 dpi, 22 px type) that shrink
leaves glyphs of 3 px, the detector finds nothing, and the page reads as empty. Such a page is cut
into tiles the detector sees at full scale, as slicing-aided inference does for small objects
(Akyon et al., "Slicing Aided Hyper Inference and Fine-tuning for Small Object Detection", ICIP 2022):
tiles overlap by several words; a word a tile sees cut by its edge is left to the neighbouring tile that
sees it whole, and a word two tiles both read whole is kept once, from the tile whose core (the cores
partition the page, each boundary halfway through two tiles' overlap) holds it deepest. A line cut
into pieces by tile borders is rejoined by the row grouping of :func:`clearocr.layout.reading_order`.

Whether to tile is decided from the glyphs themselves (connected components of the binarised page: their
ink-weighted median height), not from the page's size or DPI. On the scribeocr pages and the
OmniDocBench Chinese pages that measure is 8-14 px at the detector's scale (none is tiled); on an A4 page
at 600 dpi with 22 px type it is 2.6 px.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from clearocr.document import Line, Word
from clearocr.preprocess import analysis_copy

log = logging.getLogger(__name__)

#: Median glyph height (pixels, :func:`median_glyph_height`: mostly the x-height) the detector needs to see:
#: on rendered DejaVu pages (tests/fixtures/pages.py vocabulary) RapidOCR's PP-OCRv6 small read 99% of
#: the words at a median glyph height of 4-5 px (8 px type) and 0% at 3 px (6 px type). With a margin:
MIN_DETECTOR_GLYPH_PX = 4.5

#: Glyph heights are measured only when the detector shrinks the page by at least this factor (smaller
#: pages are seen at a scale where any legible glyph stays legible).
MEASURE_BELOW_SCALE = 0.5

#: Tiles overlap by this many median glyph heights (about six to eight average words), within bounds.
OVERLAP_GLYPHS = 24
MIN_OVERLAP_PX = 128
MAX_OVERLAP_PX = 640

#: At least this many glyph-like components are needed to measure a height (a page of a few marks is
#: not judged).
MIN_COMPONENTS = 30


def median_glyph_height(image: np.ndarray) -> float | None:
    """The ink-weighted median height in pixels of the glyph-like connected components of a page image:
    the height below which half of the glyphs' ink lies. Components are dark (after Otsu
    binarisation), at least 2 px tall, at most 4 times as wide as tall, and shorter than a tenth of the
    page (rules, frames and pictures are left out). Weighting by ink keeps speckle, dither and dotted
    rules (thousands of 2-3 px specks on a scanned org chart) from passing for small print. None when
    fewer than :data:`MIN_COMPONENTS` are found.

    Args:
        image: RGB ``uint8`` array (``HxWx3``) or grey (``HxW``); dark text on a light ground.
    """
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if count <= 1:
        return None
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    keep = (heights >= 2) & (widths <= 4 * heights) & (heights < grey.shape[0] / 10)
    if int(keep.sum()) < MIN_COMPONENTS:
        return None
    heights, ink = heights[keep], stats[1:, cv2.CC_STAT_AREA][keep]
    order = np.argsort(heights, kind="stable")
    cumulative = np.cumsum(ink[order])
    return float(heights[order][int(np.searchsorted(cumulative, cumulative[-1] / 2))])


#: A page is not shrunk (``max_side``) below the scale at which its glyphs' ink-weighted median height
#: is this many pixels: the detector read 99% of the words of 8 px type (median glyph 4-5 px) at full
#: scale, and the tiles let it see the page at full scale, so a little above that keeps print legible.
MIN_WORKING_GLYPH_PX = 6.0

#: Windows (pixels at full resolution) sampled to measure a large page's glyphs, and how many.
SAMPLE_WINDOW = 1024
SAMPLE_WINDOWS = 4


def legible_scale(image: np.ndarray) -> tuple[float, float] | None:
    """The smallest factor ``image`` may be shrunk by with its glyphs still legible
    (:data:`MIN_WORKING_GLYPH_PX`), and the glyph height measured, or None when no glyphs were found.

    The glyphs are measured at full resolution (shrinking first would merge small print into grey), in
    the :data:`SAMPLE_WINDOWS` windows of the page with the most ink (found on a 1,000 px copy), so an
    88 Mpx scan costs a few megapixels of connected components, not 88.
    """
    import cv2

    height, width = image.shape[:2]
    small = analysis_copy(image)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if small.ndim == 3 else small
    # Darkness below the paper, not a threshold: small print is faint grey on the 1,000 px copy.
    ink = np.clip(float(np.median(grey)) - grey.astype(np.float32), 0, 255)
    scale = small.shape[0] / height
    cell = max(1, int(SAMPLE_WINDOW * scale))
    density = cv2.boxFilter(ink, -1, (cell, cell), normalize=False)
    picks: list[tuple[int, int]] = []
    for _ in range(SAMPLE_WINDOWS):
        row, column = (int(v) for v in np.unravel_index(int(np.argmax(density)), density.shape))
        if density[row, column] <= 0:
            break
        picks.append((int(row / scale), int(column / scale)))
        # The next window elsewhere.
        density[max(0, row - cell) : row + cell, max(0, column - cell) : column + cell] = 0
    heights = []
    for y, x in picks:
        top, left = max(0, y - SAMPLE_WINDOW // 2), max(0, x - SAMPLE_WINDOW // 2)
        measured = median_glyph_height(image[top : top + SAMPLE_WINDOW, left : left + SAMPLE_WINDOW])
        if measured is not None:
            heights.append(measured)
    if not heights:
        return None
    glyph = float(np.median(heights))
    return min(1.0, MIN_WORKING_GLYPH_PX / glyph), glyph


@dataclass
class TilePlan:
    """How a page is read: whole (``tiles`` empty) or in tiles.

    Attributes:
        glyph_height: median glyph height in pixels of the page image (None: not measured).
        detector_scale: the factor the engine's detector would shrink the whole page by.
        tiles: ``(x0, y0, x1, y1)`` tiles in pixels of the page image; empty: read the page whole.
        cores: for each tile, ``(left, top, right, bottom)``: the part whose words it owns. The cores
            partition the page, each boundary halfway through the overlap of two neighbouring tiles.
        overlap: the least number of pixels by which neighbouring tiles overlap.
    """

    glyph_height: float | None
    detector_scale: float
    tiles: list[tuple[int, int, int, int]]
    cores: list[tuple[float, float, float, float]] = field(default_factory=list)
    overlap: int = 0


def plan_tiles(image: np.ndarray, detector_side: int | None) -> TilePlan:
    """Decide whether ``image`` must be read in tiles for a detector that sees pages at most
    ``detector_side`` pixels on their longer side (None: the engine does not shrink pages).

    A page is tiled when its median glyph height at the detector's scale is under
    :data:`MIN_DETECTOR_GLYPH_PX`; tiles are then ``detector_side`` pixels square (the detector sees
    them at full scale), laid out evenly with at least the overlap between neighbours.
    """
    height, width = image.shape[:2]
    if not detector_side or max(height, width) <= detector_side:
        return TilePlan(None, 1.0, [])
    scale = detector_side / max(height, width)
    if scale > MEASURE_BELOW_SCALE:
        return TilePlan(None, scale, [])
    glyph = median_glyph_height(image)
    if glyph is None or glyph * scale >= MIN_DETECTOR_GLYPH_PX:
        return TilePlan(glyph, scale, [])
    overlap = int(min(MAX_OVERLAP_PX, max(MIN_OVERLAP_PX, OVERLAP_GLYPHS * glyph)))
    overlap = min(overlap, detector_side // 3)
    rows, columns = _spans(height, detector_side, overlap), _spans(width, detector_side, overlap)
    row_cores, column_cores = _cores(rows), _cores(columns)
    tiles, cores = [], []
    for (y0, y1), (top, bottom) in zip(rows, row_cores):
        for (x0, x1), (left, right) in zip(columns, column_cores):
            tiles.append((x0, y0, x1, y1))
            cores.append((left, top, right, bottom))
    return TilePlan(glyph, scale, tiles, cores, overlap)


def _spans(length: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Evenly spaced ``(start, end)`` spans of at most ``size`` covering ``length``, each overlapping
    the next by at least ``overlap``."""
    if length <= size:
        return [(0, length)]
    count = int(np.ceil((length - overlap) / (size - overlap)))
    step = (length - size) / (count - 1)
    return [(int(round(i * step)), int(round(i * step)) + size) for i in range(count)]


def _cores(spans: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """For each span, the interval it owns: from halfway through its overlap with the previous span
    to halfway through its overlap with the next (unbounded at the ends)."""
    bounds = [-np.inf] + [(spans[i][1] + spans[i + 1][0]) / 2 for i in range(len(spans) - 1)] + [np.inf]
    return [(float(bounds[i]), float(bounds[i + 1])) for i in range(len(spans))]


def _cut(box: tuple[int, int, int, int], tile: tuple[int, int, int, int], width: int, height: int) -> bool:
    """Whether a word touches one of its tile's inner edges (an edge that is not the page's)."""
    x0, y0, x1, y1 = tile
    return (
        (x0 > 0 and box[0] <= x0 + 1)
        or (y0 > 0 and box[1] <= y0 + 1)
        or (x1 < width and box[2] >= x1 - 1)
        or (y1 < height and box[3] >= y1 - 1)
    )


def _depth(box: tuple[int, int, int, int], core: tuple[float, float, float, float]) -> float:
    """How far a word's centre lies inside a core (pixels to its nearest edge; negative outside)."""
    centre_x, centre_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return min(centre_x - core[0], core[2] - centre_x, centre_y - core[1], core[3] - centre_y)


def _cells(box: tuple[int, int, int, int], size: int) -> list[tuple[int, int]]:
    return [
        (cx, cy)
        for cx in range(box[0] // size, box[2] // size + 1)
        for cy in range(box[1] // size, box[3] // size + 1)
    ]


def _same_word(first: tuple[int, int, int, int], second: tuple[int, int, int, int]) -> bool:
    """Whether two word boxes from different tiles are one word read twice: they overlap by at least
    half of the smaller box."""
    width = min(first[2], second[2]) - max(first[0], second[0])
    height = min(first[3], second[3]) - max(first[1], second[1])
    if width <= 0 or height <= 0:
        return False
    smaller = min(
        (first[2] - first[0]) * (first[3] - first[1]), (second[2] - second[0]) * (second[3] - second[1])
    )
    return width * height >= 0.5 * max(1, smaller)


def _has_ink(tile: np.ndarray) -> bool:
    """Whether a tile holds anything darker than its paper (at least 20 pixels 64 levels below it)."""
    grey = tile.min(axis=2) if tile.ndim == 3 else tile
    paper = float(np.percentile(grey[::8, ::8], 90))
    return int(np.count_nonzero(grey < paper - 64)) >= 20


def read_tiles(
    image: np.ndarray,
    plan: TilePlan,
    recognize: Callable[[np.ndarray], Sequence[Line]],
) -> list[Line]:
    """Read ``image`` tile by tile with ``recognize`` (an engine's ``recognize`` for one image) and
    return the segments in page coordinates, each word kept once (see the module docstring).

    Args:
        image: the page image (RGB ``uint8``).
        plan: from :func:`plan_tiles`, with tiles.
        recognize: reads one tile image; returns segments with word boxes in the tile's pixels.

    Returns:
        Segments (one per run of kept words of a detected segment), boxes in pixels of ``image``.
    """
    height, width = image.shape[:2]
    # Every word a tile reads whole (not touching one of the tile's inner edges), with how deep inside
    # the tile's core it lies (negative: outside the core, in the overlap).
    candidates: list[tuple[float, int, int, Word]] = []
    for index, (tile, core) in enumerate(zip(plan.tiles, plan.cores)):
        x0, y0, x1, y1 = tile
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        if not _has_ink(crop):  # a blank margin of a large page: nothing to detect
            continue
        for number, segment in enumerate(recognize(crop)):
            for word in segment.words:
                box = (word.bbox[0] + x0, word.bbox[1] + y0, word.bbox[2] + x0, word.bbox[3] + y0)
                if _cut(box, tile, width, height):
                    continue  # the neighbouring tile sees it whole
                candidates.append((_depth(box, core), index, number, Word(word.text, box, word.confidence)))
    # Duplicates from overlapping tiles: the reading deepest inside its tile's core wins (greedy, as
    # slicing-aided detectors merge their slices' detections); words of one tile never suppress each other.
    candidates.sort(key=lambda item: -item[0])
    grid: dict[tuple[int, int], list[tuple[int, tuple[int, int, int, int]]]] = {}
    cell = max(16, plan.overlap)
    kept: dict[tuple[int, int], list[Word]] = {}
    for _, index, number, word in candidates:
        cells = _cells(word.bbox, cell)
        if any(
            other != index and _same_word(word.bbox, box) for c in cells for other, box in grid.get(c, ())
        ):
            continue
        for c in cells:
            grid.setdefault(c, []).append((index, word.bbox))
        kept.setdefault((index, number), []).append(word)
    segments = [Line.from_words(sorted(words, key=lambda w: w.bbox[0])) for words in kept.values()]
    log.info(
        "page of %dx%d px read in %d tiles (median glyph %.1f px, detector scale %.2f)",
        width,
        height,
        len(plan.tiles),
        plan.glyph_height or 0.0,
        plan.detector_scale,
    )
    return segments
