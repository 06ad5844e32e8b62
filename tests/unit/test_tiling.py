"""Tiled reading of pages whose glyphs the detector would shrink away (issue 26, item 2), with a fake
recogniser: every word is kept exactly once, whole, in page coordinates."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from clearocr.document import Line, Word
from clearocr.tiling import median_glyph_height, plan_tiles, read_tiles


def _page(
    width: int, height: int, font_px: int
) -> tuple[np.ndarray, list[tuple[str, tuple[int, int, int, int]]]]:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("DejaVuSans.ttf", font_px)
    words = []
    y, index = 20, 0
    while y < height - 2 * font_px:
        x = 20.0
        while True:
            text = f"w{index}"
            box = draw.textbbox((x, y), text, font=font)
            if box[2] > width - 20:
                break
            draw.text((x, y), text, font=font, fill="black")
            words.append((text, tuple(int(v) for v in box)))
            x = box[2] + font_px
            index += 1
        y += int(font_px * 1.8)
    return np.asarray(image), words


def _fake_recogniser(words, tiles):
    """A recogniser that 'detects' the page's words inside each tile in turn (read_tiles reads the
    tiles in order); a word cut by the tile's edge is read as a fragment, as a real engine reads half a
    word."""
    order = iter(tiles)

    def recognise(crop: np.ndarray) -> list[Line]:
        x0, y0, _, _ = next(order)
        height, width = crop.shape[:2]
        out = []
        for text, (a, b, c, d) in words:
            a, b, c, d = a - x0, b - y0, c - x0, d - y0
            if c <= 0 or d <= 0 or a >= width or b >= height:
                continue
            read = text[:2] if (a < 0 or c > width or b < 0 or d > height) else text
            box = (max(0, a), max(0, b), min(width, c), min(height, d))
            out.append(Line(read, box, 0.9, [Word(read, box, 0.9)]))
        return out

    return recognise


def test_small_glyphs_on_a_large_page_are_planned_in_tiles():
    image, _ = _page(3000, 900, 14)
    plan = plan_tiles(image, 1280)
    assert plan.tiles and plan.glyph_height is not None
    assert plan.glyph_height * plan.detector_scale < 4.5
    assert all(x1 - x0 <= 1280 and y1 - y0 <= 1280 for x0, y0, x1, y1 in plan.tiles)
    # Large type on the same page size is read whole, and so is any page the detector sees at full scale.
    big, _ = _page(3000, 900, 60)
    assert not plan_tiles(big, 1280).tiles
    assert not plan_tiles(image, None).tiles
    assert not plan_tiles(image[:, :1200], 1280).tiles


def test_every_word_is_kept_once_and_whole():
    image, words = _page(3000, 1400, 14)
    plan = plan_tiles(image, 1280)
    assert len(plan.tiles) >= 6
    segments = read_tiles(image, plan, _fake_recogniser(words, plan.tiles))
    read = sorted(w.text for s in segments for w in s.words)
    assert read == sorted(text for text, _ in words)
    boxes = {w.text: w.bbox for s in segments for w in s.words}
    assert all(boxes[text] == box for text, box in words)


def test_glyph_height_of_a_blank_page_is_unknown():
    assert median_glyph_height(np.full((400, 400, 3), 255, np.uint8)) is None


def test_a_word_on_a_core_boundary_read_slightly_differently_by_two_tiles_is_kept_once():
    image, words = _page(3000, 1400, 14)
    plan = plan_tiles(image, 1280)
    base = _fake_recogniser(words, plan.tiles)
    calls = iter(range(len(plan.tiles)))

    def jittered(crop):  # each tile's detector places boxes a pixel differently
        shift = 1 if next(calls) % 2 else -1
        out = []
        for line in base(crop):
            moved = [
                Word(w.text, (w.bbox[0], max(0, w.bbox[1] + shift), w.bbox[2], w.bbox[3] + shift), 0.9)
                for w in line.words
            ]
            out.append(Line.from_words(moved))
        return out

    segments = read_tiles(image, plan, jittered)
    assert sorted(w.text for s in segments for w in s.words) == sorted(text for text, _ in words)


def test_a_large_scan_of_small_print_is_not_shrunk_past_legibility():
    from clearocr.tiling import MIN_WORKING_GLYPH_PX, legible_scale

    image, _ = _page(6000, 1500, 14)
    scale, glyph = legible_scale(image)
    assert 6 <= glyph <= 12 and scale == min(1.0, MIN_WORKING_GLYPH_PX / glyph)
    assert scale > 3000 / 6000  # max_side 3000 alone would have halved glyphs of this size
    assert legible_scale(np.full((4000, 4000, 3), 255, np.uint8)) is None
