"""Lone glyphs outside the detector's boxes, read by the real PP-OCR recogniser (clearocr.recovery).

PP-OCR's detector misses some lone digits and colons on real receipts; it finds them on clean drawn
pages, so here the detected segments are given without them, and the real recogniser must read what
:func:`~clearocr.recovery.missed_clusters` cuts out."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from clearocr.document import Line, Word
from clearocr.engines.rapidocr import RapidOcrEngine
from clearocr.recovery import recover_missed

pytestmark = pytest.mark.slow

NAMES = ["RICE", "TEA", "NOODLES", "TOFU", "EGG", "BREAD", "MILK", "SUGAR", "COFFEE"]


def test_lone_quantities_are_read_by_the_recogniser():
    rng = random.Random(11)
    font = ImageFont.truetype("DejaVuSansMono.ttf", 26)
    image = Image.new("RGB", (760, 60 + 8 * 40), "white")
    draw = ImageDraw.Draw(image)
    segments, quantities = [], []
    for row in range(8):
        y = 30 + row * 40
        quantity = str(rng.randint(1, 9))
        quantities.append(quantity)
        draw.text((40, y), quantity, font=font, fill="black")
        for x, text in (
            (120, " ".join(rng.sample(NAMES, 2))),
            (560, f"{rng.randint(1, 40)}.{rng.randint(0, 99):02d}"),
        ):
            draw.text((x, y), text, font=font, fill="black")
            x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
            box = (x0 - 5, y0 - 8, x1 + 5, y1 + 8)
            segments.append(Line(text, box, 0.99, [Word(text, box, 0.99)]))
    engine = RapidOcrEngine()
    try:
        found = recover_missed(np.array(image), segments, engine, ["en"])
    finally:
        engine.close()
    assert [line.text for line in sorted(found, key=lambda line: line.bbox[1])] == quantities
    for line in found:
        assert line.bbox[0] < 120 and line.confidence >= 0.9
