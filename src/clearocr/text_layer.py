"""PDF text layers: when one is trusted, and how it becomes lines in reading order.

In ``pdf_text="auto"`` a page's text layer stands for the page only when it is good: enough text
(:data:`MIN_LAYER_CHARS`), words of the document's languages (:func:`layer_word_rate`), and text that
agrees with OCR of the page image under it (:func:`layer_ocr_agreement`). A layer that passes is still
judged block by block and line by line (:func:`repair_layer`): one line of each block, and every line
that looks like an old OCR layer's output, is compared with OCR of its image; a block whose line
disagrees has all its lines compared, and each line that disagrees is replaced by what OCR reads there
(a chart page whose old OCR layer says "sw | \\ +" is read again, while the good text around it is kept).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from clearocr.document import Line, Word, paragraphs
from clearocr.io import LayerWord
from clearocr.languages import LATIN_CANDIDATES, is_auto, is_latin_word
from clearocr.layout import reading_order, words_from_text

log = logging.getLogger(__name__)


#: A PDF page's text layer is used in ``pdf_text="auto"`` mode when it has at least this many
#: letters and digits; fewer (a stamp, a page number on a scanned page) means the page still needs OCR.
MIN_LAYER_CHARS = 30

#: A text layer is trusted in ``pdf_text="auto"`` only when at least this fraction of its alphabetic
#: words (3+ letters) are words of the document's languages (wordfreq); an old, bad OCR layer
#: ("Tlie qnick brovvn") or a layer of garbage falls below it and the page is OCRed instead.
MIN_LAYER_WORD_RATE = 0.5
#: ... judged only when the layer has at least this many such words (a short stamp is not judged).
MIN_LAYER_WORDS_JUDGED = 8


def layer_word_rate(words: list[LayerWord], languages: list[str]) -> tuple[float, int] | None:
    """The fraction of the layer's alphabetic words (3+ letters) that are known words in any of
    ``languages`` (wordfreq's Zipf frequency above 1; ``auto``: any of
    :data:`~clearocr.languages.LATIN_CANDIDATES`), and how many were judged; None when the languages
    have no word list (Chinese, Japanese, Korean, or unknown to wordfreq). Only Latin-script words
    are judged, so a Chinese layer is never refused for its Chinese."""
    from wordfreq import available_languages, zipf_frequency

    known = available_languages()
    asked = LATIN_CANDIDATES if is_auto(languages) else languages
    usable = [code for code in asked if code in known and code not in ("zh", "ja", "ko")]
    if not usable:
        return None
    # Latin-script words only: wordfreq's word lists cannot judge a run of CJK characters.
    tokens = [t for w in words for t in re.findall(r"[^\W\d_]{3,}", w.text) if is_latin_word(t)]
    if not tokens:
        return 0.0, 0
    # With auto, twelve languages are asked: their "small" lists (words of frequency >= 1e-6) hold
    # them in about 50 MB, where the full lists take 500 MB.
    wordlist = "small" if is_auto(languages) else "best"
    good = sum(
        1 for t in tokens if any(zipf_frequency(t.lower(), code, wordlist=wordlist) > 1.0 for code in usable)
    )
    return good / len(tokens), len(tokens)


#: In ``pdf_text="auto"``, a layer that passes the word check is compared with OCR of the page image
#: under up to this many of its lines (spread over the page) ...
LAYER_SAMPLE_LINES = 3
#: ... and used only when the two texts agree at least this much (rapidfuzz's normalised Indel
#: similarity of the joined texts, 0-1; a faithful layer scores 0.9-1.0, OCR errors included).
MIN_LAYER_AGREEMENT = 0.6


def layer_ocr_agreement(
    image: Any, lines: list[Line], recognize: Callable[[Any], str], samples: int = LAYER_SAMPLE_LINES
) -> tuple[float, int] | None:
    """How well a text layer matches the printed page: OCR of the image under up to ``samples`` of
    the layer's lines of 8+ characters, evenly spread in reading order (of each, its first words up
    to 12 line heights wide), against the layer's text of those words.

    Args:
        image: the rendered page (H x W x 3 pixels) the layer's boxes refer to.
        lines: the layer's lines (:func:`layer_lines`).
        recognize: the text an OCR engine reads in an image crop of one line.

    Returns:
        ``(similarity in [0, 1], lines sampled)``, or None when no line is long enough to judge.
    """
    candidates = [line for line in lines if len(line.text.strip()) >= 8]
    if not candidates:
        return None
    count = min(samples, len(candidates))
    picks = sorted({round(i * (len(candidates) - 1) / max(1, count - 1)) for i in range(count)})
    layer_text, ocr_text = [], []
    for index in picks:
        line = candidates[index]
        words = line.words or [Word(line.text, line.bbox, 1.0)]
        x0, y0, x1, y1 = line.bbox
        cut = 1  # the first words, up to 12 line heights wide: the recogniser's time grows with width
        while cut < len(words) and words[cut].bbox[2] - x0 <= 12 * max(1, y1 - y0):
            cut += 1
        crop = _crop(image, (x0, y0, words[cut - 1].bbox[2], y1))
        if crop.size == 0:
            continue
        layer_text.append(" ".join(w.text for w in words[:cut]))
        ocr_text.append(recognize(crop))
    if not layer_text:
        return None
    return _similarity(" ".join(layer_text), " ".join(ocr_text)), len(layer_text)


def layer_has_text(words: list[LayerWord]) -> bool:
    """Whether a text layer carries enough text to stand for the page (see :data:`MIN_LAYER_CHARS`)."""
    return sum(ch.isalnum() for w in words for ch in w.text) >= MIN_LAYER_CHARS


def turn_box(box: tuple[int, int, int, int], matrix: Any) -> tuple[int, int, int, int]:
    """A box's corners mapped by a right-angle turn's 3x3 ``matrix``: the axis-aligned box around them."""
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[3])):
        xs.append(matrix[0][0] * x + matrix[0][1] * y + matrix[0][2])
        ys.append(matrix[1][0] * x + matrix[1][1] * y + matrix[1][2])
    return (int(round(min(xs))), int(round(min(ys))), int(round(max(xs))), int(round(max(ys))))


def layer_lines(words: list[LayerWord]) -> list[Line]:
    """Lines in reading order from text-layer words (confidence 1.0: the text is exact).

    PDFium's text page breaks the layer into lines where the baseline changes; a line whose words
    were drawn out of order (neither left to right nor, for right-to-left scripts, right to left) is
    put in left-to-right order of its word boxes. The lines and their order are then rebuilt from
    the boxes (:func:`~clearocr.layout.reading_order`), so a layer drawn in jumbled order reads as
    printed.
    """
    runs: list[list[Word]] = []
    for word in words:
        if word.line_break_before or not runs:
            runs.append([])
        runs[-1].append(Word(word.text, word.bbox, 1.0))
    segments = []
    jumbled: list[bool] = []
    for run in runs:
        starts = [w.bbox[0] for w in run]
        monotonic = starts == sorted(starts) or starts == sorted(starts, reverse=True)
        segments.append(Line.from_words(run if monotonic else sorted(run, key=lambda w: w.bbox[0])))
        jumbled.append(not monotonic)
    return reading_order(_rejoin_jumbled(segments, jumbled))


def _rejoin_jumbled(segments: list[Line], jumbled: list[bool]) -> list[Line]:
    """Segments of a layer drawn out of order, rejoined: PDFium may cut one printed line drawn in
    shuffled order into several lines whose words interleave, and row grouping keeps segments that
    lie on top of each other apart. So a one-row segment from a jumbled run is merged with every
    one-row segment whose horizontal span it overlaps on the same row (vertical overlap of at least
    half the shorter height), words left to right."""
    if not any(jumbled):
        return segments
    # A run holding words of two rows (its box twice as tall as its words) is left as it is.
    one_row = [
        s.bbox[3] - s.bbox[1] <= 1.5 * max(w.bbox[3] - w.bbox[1] for w in s.words) if s.words else False
        for s in segments
    ]
    # Union-find over pairs of segments on one row; segments sorted by top edge, so each is compared
    # only with those that start above its bottom (a sweep, not every pair of the page).
    parent = list(range(len(segments)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    order = sorted(range(len(segments)), key=lambda i: segments[i].bbox[1])
    for position, a in enumerate(order):
        first = segments[a].bbox
        for later in range(position + 1, len(order)):
            b = order[later]
            second = segments[b].bbox
            if second[1] >= first[3]:
                break
            if not (jumbled[a] or jumbled[b]) or not (one_row[a] and one_row[b]):
                continue
            shorter = max(1, min(first[3] - first[1], second[3] - second[1]))
            vertical = min(first[3], second[3]) - max(first[1], second[1])
            horizontal = min(first[2], second[2]) - max(first[0], second[0])
            if vertical >= 0.5 * shorter and horizontal > 0:
                parent[root(b)] = root(a)
    groups: dict[int, list[int]] = {}
    for index in range(len(segments)):
        groups.setdefault(root(index), []).append(index)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(segments[group[0]])
        else:
            words = sorted((w for index in group for w in segments[index].words), key=lambda w: w.bbox[0])
            out.append(Line.from_words(words))
    return out


#: A layer line is checked against OCR on its own, besides one line per block, when more than this
#: share of its characters are symbols (not letters, digits, spaces or common punctuation) ...
MAX_SYMBOL_SHARE = 0.2
#: ... or when fewer than this share of its alphabetic words (2+ of 3+ letters) are known words.
MIN_LINE_WORD_RATE = 0.5
#: Lines with a word taller than this many times the page's median word height are not judged.
MAX_WORD_HEIGHT_RATIO = 2.5
#: A checked line whose text agrees with OCR of its image less than this (normalised Indel similarity)
#: is replaced by the OCR text.
MIN_LINE_AGREEMENT = 0.6
_PUNCTUATION = set(".,:;-/%$€£¥()'\"&#@+*=!?")


def _suspicious(line: Line, languages: list[str]) -> bool:
    """Whether a layer line looks like an old OCR layer's output: many symbols, or unknown words."""
    text = line.text.strip()
    if len(text) < 3:
        return False
    symbols = sum(1 for ch in text if not (ch.isalnum() or ch.isspace() or ch in _PUNCTUATION))
    if symbols > MAX_SYMBOL_SHARE * len(text):
        return True
    judged = layer_word_rate([LayerWord(w.text, w.bbox) for w in line.words], languages)
    return judged is not None and judged[1] >= 2 and judged[0] < MIN_LINE_WORD_RATE


def _judged_words(line: Line) -> tuple[tuple[int, int, int, int], str]:
    """The box and text of a line's first words, up to 12 word heights wide: the part OCR is asked
    to read (the recogniser's time grows with width; the words' own boxes keep to one row even where
    the line's box spans two rows of neighbouring columns)."""
    words = line.words or [Word(line.text, line.bbox, 1.0)]
    height = max(1, max(w.bbox[3] - w.bbox[1] for w in words))
    cut = 1
    while cut < len(words) and words[cut].bbox[2] - words[0].bbox[0] <= 12 * height:
        cut += 1
    chosen = words[:cut]
    box = (
        min(w.bbox[0] for w in chosen),
        min(w.bbox[1] for w in chosen),
        max(w.bbox[2] for w in chosen),
        max(w.bbox[3] for w in chosen),
    )
    return box, " ".join(w.text for w in chosen)


def _crop(image: Any, box: tuple[int, int, int, int], scale_to: int | None = 64) -> Any:
    """The image under ``box`` with a margin of 30% of its height (scaled to ``scale_to`` px high)."""
    import cv2

    height, width = image.shape[:2]
    x0, y0, x1, y1 = box
    margin = max(2, int(0.3 * (y1 - y0)))
    crop = image[
        max(0, y0 - margin) : min(height, y1 + margin), max(0, x0 - margin) : min(width, x1 + margin)
    ]
    if scale_to and crop.size and crop.shape[0] > scale_to:
        scale = scale_to / crop.shape[0]
        crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), scale_to), interpolation=cv2.INTER_AREA)
    return crop


def _similarity(first: str, second: str) -> float:
    from rapidfuzz.distance import Indel

    normal = [re.sub(r"\s+", " ", text).strip().casefold() for text in (first, second)]
    return Indel.normalized_similarity(normal[0], normal[1])


def repair_layer(
    image: Any,
    lines: list[Line],
    recognize: Callable[[Any], str],
    languages: list[str],
    read_region: Callable[[Any], list[Line]] | None = None,
) -> tuple[list[Line], dict[str, int]]:
    """The layer's lines with those that disagree with OCR of the page replaced by the OCR reading.

    One line per block (the longest; blocks: :func:`clearocr.document.paragraphs`) and every
    suspicious line (:func:`_suspicious`) is judged: its first words (:func:`_judged_words`) against
    OCR of their image. Where a block's line disagrees, every line of the block is judged. A line whose
    agreement is under :data:`MIN_LINE_AGREEMENT` is replaced by OCR of the region under it (lines with
    a word over :data:`MAX_WORD_HEIGHT_RATIO` times the page's type, a stamp or a watermark, are not judged)
    (``read_region``: detection and recognition, so a box over two rows reads as two lines); where OCR
    reads nothing there the layer's line is kept.

    Args:
        image: the rendered page (H x W x 3) the boxes refer to.
        lines: the layer's lines in reading order (:func:`layer_lines`).
        recognize: the text an OCR engine reads in an image of one line.
        languages: the document's languages (for the word check; ``["auto"]`` allowed).
        read_region: an OCR engine's segments in an image region (boxes in the region's pixels);
            None: the line's text is replaced by ``recognize`` of its whole box.

    Returns:
        ``(lines, report)``: the lines in reading order, and ``{"checked": n, "replaced": m}``.
    """
    index = {id(line): i for i, line in enumerate(lines)}
    checked: dict[int, bool] = {}
    heights = sorted(w.bbox[3] - w.bbox[1] for line in lines for w in line.words)
    typical = heights[len(heights) // 2] if heights else 0

    def judgeable(line: Line) -> bool:
        # A word far taller than the page's type (a "PAID" stamp, a watermark) makes a crop no OCR of
        # one line can read: such lines keep the layer's text.
        return bool(line.words) and all(
            w.bbox[3] - w.bbox[1] <= MAX_WORD_HEIGHT_RATIO * typical for w in line.words
        )

    def disagrees(line: Line) -> bool:
        position = index[id(line)]
        if not judgeable(line):
            return False
        if position not in checked:
            box, text = _judged_words(line)
            crop = _crop(image, box)
            reading = recognize(crop) if crop.size else ""
            checked[position] = bool(reading.strip()) and _similarity(text, reading) < MIN_LINE_AGREEMENT
        return checked[position]

    bad: set[int] = set()
    for block in paragraphs(lines):
        sample = max(block, key=lambda line: len(line.text))
        candidates = [sample] + [
            line for line in block if line is not sample and _suspicious(line, languages)
        ]
        flagged = [line for line in candidates if disagrees(line)]
        if sample in flagged:  # the block's own line disagrees: judge all of it
            flagged = [line for line in block if disagrees(line)]
        bad.update(index[id(line)] for line in flagged)
    out: list[Line] = []
    for position, line in enumerate(lines):
        if position not in bad:
            out.append(line)
            continue
        replacement = _read_again(image, line, recognize, read_region)
        out.extend(replacement if replacement else [line])
    return out, {"checked": len(checked), "replaced": len(bad)}


def _centred_in(word: tuple[int, int, int, int], box: tuple[int, int, int, int]) -> bool:
    """Whether ``word``'s centre lies in ``box`` widened by half its height on each side."""
    pad = (box[3] - box[1]) / 2
    centre_x, centre_y = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
    return box[0] - pad <= centre_x <= box[2] + pad and box[1] <= centre_y <= box[3]


def _read_again(
    image: Any, line: Line, recognize: Callable[[Any], str], read_region: Callable[[Any], list[Line]] | None
) -> list[Line]:
    """OCR of the region under a layer line, as lines in page coordinates (empty: OCR read nothing)."""
    height, width = image.shape[:2]
    x0, y0, x1, y1 = line.bbox
    margin = max(2, int(0.3 * (y1 - y0)))
    left, top = max(0, x0 - margin), max(0, y0 - margin)
    if read_region is None:
        text = re.sub(r"\s+", " ", recognize(_crop(image, line.bbox))).strip()
        return [Line(text, line.bbox, 0.9, words_from_text(text, line.bbox, 0.9))] if text else []
    region = image[top : min(height, y1 + margin), left : min(width, x1 + margin)]
    targets = [w.bbox for w in line.words] or [line.bbox]
    segments = []
    for segment in read_region(region) if region.size else []:
        moved = [
            Word(w.text, (w.bbox[0] + left, w.bbox[1] + top, w.bbox[2] + left, w.bbox[3] + top), w.confidence)
            for w in segment.words
        ]
        # The margin shows parts of neighbouring lines: keep the words centred on the layer's words.
        words = [w for w in moved if any(_centred_in(w.bbox, box) for box in targets)]
        if words:
            segments.append(Line.from_words(words))
    words = sorted((w for segment in segments for w in segment.words), key=lambda w: w.bbox[0])
    if not words:
        return []
    heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
    if y1 - y0 <= 1.8 * heights[len(heights) // 2]:  # the layer's line is one row: keep it one line
        return [Line.from_words(words)]
    return reading_order(segments, columns=False)
