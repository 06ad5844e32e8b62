"""Text the detector missed: ink outside every detected box, read by the recogniser alone.

PP-OCR's DB detector (Liao et al., "Real-time Scene Text Detection with Differentiable Binarization",
AAAI 2020) scores an isolated narrow glyph near zero: on SROIE receipts a quantity column of lone "1"s
and the colons that stand apart between a label and its value ("CODE : 300") are not detected at all
at the detector scales tried (1280 to 2048 px), so they are silently absent from the text. Classic OCR
finds text from the other end, from connected components of the binarised page (Tesseract's blob
finding, Smith 2007); this module does that for what the detector left: the page is binarised (Otsu
1979), the ink beside the detected boxes in their rows is grouped into glyph-sized clusters, and each
cluster is read by the recogniser as one crop (:meth:`~clearocr.engines.OcrEngine.recognize_crops`).
A reading is kept only when the recogniser is sure of it, so specks, rules and pictures, which it
reads with low confidence or as nothing, add no text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from clearocr.document import Line, Word
from clearocr.layout import InkPage, words_from_text

if TYPE_CHECKING:
    from clearocr.engines import OcrEngine

log = logging.getLogger(__name__)

#: A reading of a missed cluster is kept at this recogniser confidence or above.
MIN_CONFIDENCE = 0.9
#: At most this many clusters are read on a page (bounded time on a page of pictures or noise).
MAX_CLUSTERS = 100
#: Fewer detected lines than this give no reliable text height: nothing is looked for.
MIN_LINES = 3


def text_height(segments: Sequence[Line]) -> float:
    """The median height (pixels) of the detected segments' boxes."""
    heights = sorted(s.bbox[3] - s.bbox[1] for s in segments)
    return float(heights[len(heights) // 2])


def missed_clusters(image: Any, segments: Sequence[Line]) -> list[tuple[int, int, int, int]]:
    """Boxes ``(x0, y0, x1, y1)`` (pixels of ``image``) of clusters of ink beside the detected
    segments, in their rows, that no segment's box covers.

    A row is a segment's box; its middle half (where every glyph of the line has ink and the
    ascenders and descenders of the rows above and below do not reach) is projected onto the x axis,
    and the ink columns outside every segment, joined across gaps narrower than a third of the
    text height, are the clusters. A cluster is kept when it is off the image's edges, stands apart from every box (a cluster glued to one is a piece
    of its word), its components stay inside the row's box (a rule or a frame runs on beyond it) and
    they are at least 0.3 of the text height tall (a colon is; a dash or a speck is not) but do not
    fill the row's box from top to bottom (the detector's boxes are padded; a paper edge does) and
    are at least 0.15 of their height wide (a hairline is not). Its box is
    the glyphs' own: the components in the row's box that stay inside it.

    Args:
        image: the page image the engine read (RGB ``uint8``, ``(height, width, 3)``).
        segments: what the engine detected there (boxes in the same pixels).

    Returns:
        Cluster boxes, top to bottom; empty when there are fewer than :data:`MIN_LINES` segments.
    """
    import cv2
    import numpy as np

    if len(segments) < MIN_LINES:
        return []
    height, width = image.shape[:2]
    h = text_height(segments)
    if h < 6:
        return []
    ink = InkPage.from_image(image).ink  # Otsu, as the column finder binarises the page
    _count, labels, stats, _ = cv2.connectedComponentsWithStats(ink.view(np.uint8), connectivity=8)
    covered = np.zeros(width, dtype=bool)
    bounds = np.array([[round(v) for v in segment.bbox] for segment in segments], dtype=np.int64)
    boxes: list[tuple[int, int, int, int]] = []
    gap = max(1, int(round(h / 3)))
    touch = max(1, int(round(0.15 * h)))
    for segment in segments:
        x0, y0, x1, y1 = (int(round(v)) for v in segment.bbox)
        quarter = (y1 - y0) // 4
        top, bottom = max(0, y0 + quarter), min(height, y1 - quarter)
        if bottom <= top:
            continue
        covered[:] = False
        # The boxes that reach into this row's middle cover their columns.
        for ox0, _, ox1, _ in bounds[(bounds[:, 1] < bottom) & (bounds[:, 3] > top)].tolist():
            covered[max(0, ox0) : max(0, ox1)] = True
        columns = ink[top:bottom].sum(axis=0)
        dark = (columns >= max(1, int(0.08 * (bottom - top)))) & ~covered
        xs = np.flatnonzero(dark)
        if xs.size == 0:
            continue
        runs: list[list[int]] = []
        for x in xs.tolist():
            if runs and x - runs[-1][1] <= gap:
                runs[-1][1] = x
            else:
                runs.append([x, x])
        row_top, row_bottom = max(0, y0), min(height, y1)
        for a, b in runs:
            if a <= 0 or b >= width - 1 or b - a + 1 > 12 * h:
                continue  # at the image's edge (a scanner border), or as long as a whole line
            if covered[max(0, a - touch) : a].any() or covered[b + 1 : b + 1 + touch].any():
                continue  # glued to a detected box: a piece of its word, not a word of its own
            middle = np.unique(labels[top:bottom, a : b + 1][ink[top:bottom, a : b + 1]])
            spans = stats[middle]
            # A glyph's strokes stay inside its row; a rule or a frame runs on above or below it.
            if (spans[:, 1] < row_top - touch).any() or (
                spans[:, 1] + spans[:, 3] > row_bottom + touch
            ).any():
                continue
            # The glyphs: the components in the row's box that stay inside it (not the descenders and
            # ascenders of the rows above and below), a colon's dots included.
            parts = stats[
                np.unique(labels[row_top:row_bottom, a : b + 1][ink[row_top:row_bottom, a : b + 1]])
            ]
            parts = parts[
                (parts[:, 1] >= row_top - touch) & (parts[:, 1] + parts[:, 3] <= row_bottom + touch)
            ]
            glyph_top, glyph_bottom = int(parts[:, 1].min()), int((parts[:, 1] + parts[:, 3]).max())
            if glyph_bottom - glyph_top < 0.3 * h:
                continue  # lower than a colon: a dash, a dot or a speck
            glyph_height = glyph_bottom - glyph_top
            if glyph_height >= 0.9 * (row_bottom - row_top):
                continue  # fills the row's box: the detector pads its boxes around glyphs, not so
            if b - a + 1 < 0.15 * glyph_height:
                continue  # thinner than a digit or a colon: a hairline or a paper edge
            box = (a, glyph_top, b + 1, glyph_bottom)
            if any(_overlaps(box, seen) for seen in boxes):
                continue
            boxes.append(box)
    boxes.sort(key=lambda b: (b[1], b[0]))
    return boxes


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Whether two boxes overlap by more than half of the smaller one's width and height."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    hh = min(a[3], b[3]) - max(a[1], b[1])
    return w > 0.5 * min(a[2] - a[0], b[2] - b[0]) and hh > 0.5 * min(a[3] - a[1], b[3] - b[1])


def recover_missed(
    image: Any, segments: Sequence[Line], engine: OcrEngine, languages: Sequence[str]
) -> list[Line]:
    """Segments for text the detector missed (see the module's docstring), in ``image``'s pixels.

    Args:
        image: the page image the engine read (RGB ``uint8``).
        segments: the engine's segments on it.
        engine: the :class:`~clearocr.engines.OcrEngine` that read the page; one that does not
            override ``recognize_crops`` (it has no recogniser of its own) recovers nothing.
        languages: the languages the page is read in.

    Returns:
        New one-word segments, each read with confidence >= :data:`MIN_CONFIDENCE`.
    """
    from clearocr.engines import OcrEngine

    # Only engines with a recogniser of their own: the default recognize_crops detects again, and a
    # detector that finds lone glyphs (Tesseract's) has not missed them.
    if type(engine).recognize_crops is OcrEngine.recognize_crops:
        return []
    boxes = missed_clusters(image, segments)
    if not boxes:
        return []
    if len(boxes) > MAX_CLUSTERS:
        log.debug("%d missed clusters: more than %d, none read", len(boxes), MAX_CLUSTERS)
        return []
    height, width = image.shape[:2]
    h = text_height(segments)
    # The glyphs with a margin: a quarter of the text height at the sides, 0.15 of it above and below
    # (more takes in the rows above and below; on SROIE's lone digits the recogniser was surer so).
    pad, margin = int(round(0.25 * h)), int(round(0.15 * h))
    boxes = [(x0, max(0, y0 - margin), x1, min(height, y1 + margin)) for x0, y0, x1, y1 in boxes]
    crops = [image[y0:y1, max(0, x0 - pad) : min(width, x1 + pad)] for x0, y0, x1, y1 in boxes]
    readings = [
        (text.strip(), float(confidence)) for text, confidence in engine.recognize_crops(crops, languages)
    ]
    readings = _in_context(image, segments, engine, languages, boxes, readings, h)
    found = []
    for (text, confidence), box in zip(readings, boxes):
        if not text or confidence < MIN_CONFIDENCE:
            continue
        bbox = box
        words = (
            [Word(text, bbox, float(confidence))]
            if " " not in text
            else words_from_text(text, bbox, float(confidence))
        )
        found.append(Line(text=text, bbox=bbox, confidence=float(confidence), words=words))
    return found


def _in_context(
    image: Any,
    segments: Sequence[Line],
    engine: OcrEngine,
    languages: Sequence[str],
    boxes: list[tuple[int, int, int, int]],
    readings: list[tuple[str, float]],
    h: float,
) -> list[tuple[str, float]]:
    """Unsure one- or two-character readings read again with the nearer word beside them (within
    two text heights, on the same row): a colon alone is ambiguous (read at 0.4-0.75 on SROIE), next
    to its label or its value it is not. The crop spanning the cluster and that segment is read; when
    the reading is the segment's text with one or two characters before or after it (on the
    cluster's side), and its confidence (a mean over the characters) is at least
    :data:`MIN_CONFIDENCE` and no more than 0.02 below the segment's own, those characters are the
    cluster's reading."""
    height, width = image.shape[:2]
    pad = int(round(0.25 * h))
    wanted: list[tuple[int, Line, bool, tuple[int, int, int, int]]] = []
    for index, ((text, confidence), box) in enumerate(zip(readings, boxes)):
        if not 0 < len(text) <= 2 or confidence >= MIN_CONFIDENCE:
            continue
        near: list[tuple[float, Line, bool]] = []
        for s in segments:
            if min(s.bbox[3], box[3]) - max(s.bbox[1], box[1]) < 0.5 * (box[3] - box[1]):
                continue  # not on the cluster's row
            if s.bbox[2] <= box[0] + 1:
                near.append((box[0] - s.bbox[2], s, False))  # to the left: the cluster follows it
            elif s.bbox[0] >= box[2] - 1:
                near.append((s.bbox[0] - box[2], s, True))  # to the right: the cluster precedes it
        near = [n for n in near if n[0] <= 2 * h]
        if not near:
            continue
        _, segment, before = min(near, key=lambda n: n[0])
        x0 = max(0, box[0] - pad) if before else int(segment.bbox[0])
        x1 = int(round(segment.bbox[2])) if before else min(width, box[2] + pad)
        y0 = int(min(segment.bbox[1], box[1]))
        y1 = min(height, int(round(max(segment.bbox[3], box[3]))))
        wanted.append((index, segment, before, (x0, y0, x1, y1)))
    if not wanted:
        return readings
    crops = [image[y0:y1, x0:x1] for *_, (x0, y0, x1, y1) in wanted]
    out = list(readings)
    for (index, segment, before, _), (text, confidence) in zip(
        wanted, engine.recognize_crops(crops, languages)
    ):
        joined, known = "".join(text.split()), "".join(segment.text.split())
        if before:
            extra = joined[: len(joined) - len(known)] if joined.endswith(known) else ""
        else:
            extra = joined[len(known) :] if joined.startswith(known) else ""
        if 0 < len(extra) <= 2 and confidence >= max(MIN_CONFIDENCE, segment.confidence - 0.02):
            out[index] = (extra, float(confidence))
    return out
