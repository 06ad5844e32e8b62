"""Ink the detector missed (clearocr.recovery): which clusters are looked at, and what is kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine
from clearocr.recovery import MIN_CONFIDENCE, missed_clusters, recover_missed

FONT_PX = 32
PITCH = 48


def _line(text: str, bbox: tuple[int, int, int, int]) -> Line:
    return Line(text, bbox, 0.99, [Word(text, bbox, 0.99)])


def _page() -> tuple[np.ndarray, list[Line], dict[str, tuple[int, int]]]:
    """Rows "7  WORDS ... 3.50" where the lone digit, a colon apart, a dash, a table rule through
    the rows and a paper edge (hairline pieces, and pieces filling the rows' boxes) are not in any
    segment; the words and amounts are."""
    font = ImageFont.truetype("DejaVuSansMono.ttf", FONT_PX)
    image = Image.new("RGB", (900, 40 + 6 * PITCH), "white")
    draw = ImageDraw.Draw(image)
    segments: list[Line] = []
    where: dict[str, tuple[int, int]] = {}
    for row in range(6):
        y = 20 + row * PITCH
        for x, text in ((200, "ITEM NAME"), (600, "3.50")):
            draw.text((x, y), text, font=font, fill="black")
            x0, y0, x1, y1 = draw.textbbox((x, y), text, font=font)
            segments.append(_line(text, (x0 - 4, y0 - 8, x1 + 4, y1 + 8)))
        draw.text((120, y), "7", font=font, fill="black")  # the lone digit
        where.setdefault("digit", (120, 150))
    y = 20 + 2 * PITCH
    draw.text((430, y), ":", font=font, fill="black")  # a colon apart, between two segments
    where["colon"] = (430, 460)
    draw.line([(480, y + 22), (500, y + 22)], fill="black", width=3)  # a dash: lower than a colon
    where["dash"] = (480, 500)
    draw.line([(540, 5), (540, 40 + 6 * PITCH - 5)], fill="black", width=3)  # a rule through every row
    where["rule"] = (538, 543)
    for segment in segments[::2]:  # a paper edge, broken row by row: each piece a hairline
        y0, y1 = segment.bbox[1], segment.bbox[3]
        draw.line([(30, y0 + 0.2 * (y1 - y0)), (30, y1 - 0.2 * (y1 - y0))], fill="black", width=2)
    where["edge"] = (27, 33)
    for segment in segments[1::2]:  # the same, filling each row's box: not a glyph either
        draw.rectangle([60, segment.bbox[1] + 1, 66, segment.bbox[3] - 1], fill="black")
    where["filled"] = (58, 68)
    return np.array(image), segments, where


def _columns(boxes: list[tuple[int, int, int, int]]) -> list[int]:
    return [(b[0] + b[2]) // 2 for b in boxes]


def test_finds_lone_glyphs_and_nothing_else():
    image, segments, where = _page()
    boxes = missed_clusters(image, segments)
    digit = [b for b in boxes if where["digit"][0] <= b[0] < where["digit"][1]]
    assert len(digit) == 6  # one per row, each in its own row's height
    assert len({b[1] for b in digit}) == 6 and all(b[3] - b[1] < PITCH for b in digit)
    assert any(where["colon"][0] <= c <= where["colon"][1] for c in _columns(boxes))
    for name in ("dash", "rule", "edge", "filled"):
        lo, hi = where[name]
        assert not any(lo <= c <= hi for c in _columns(boxes)), name


def test_a_piece_glued_to_a_box_is_not_a_word_of_its_own():
    image, segments, _ = _page()
    # Every "ITEM NAME" box cut 10 px short: what sticks out is a piece of that word.
    cut = [
        _line(s.text, (s.bbox[0], s.bbox[1], s.bbox[2] - 10, s.bbox[3])) if s.text == "ITEM NAME" else s
        for s in segments
    ]
    right_ends = {int(s.bbox[2]) for s in cut if s.text == "ITEM NAME"}
    for box in missed_clusters(image, cut):
        assert not any(end <= box[0] <= end + 12 for end in right_ends), box


def test_too_few_segments_give_no_text_height():
    image, segments, _ = _page()
    assert missed_clusters(image, segments[:2]) == []


class _DetectsOnly(OcrEngine):
    """An engine with no recogniser of its own (it keeps the default ``recognize_crops``)."""

    name = "detects-only"
    LANGUAGES = {"en": "en"}

    @classmethod
    def info(cls) -> EngineInfo:
        return EngineInfo(cls.name, "test", ["en"])

    def recognize(self, image, languages):  # pragma: no cover - recovery reads crops only
        raise AssertionError("recovery must not detect again")


class _Reads(_DetectsOnly):
    """Injects recogniser readings: the readings of each ``recognize_crops`` call in turn."""

    name = "reads"

    def __init__(self, *calls: list[tuple[str, float]]) -> None:
        self.calls = list(calls)
        self.crops: list[list[np.ndarray]] = []

    def recognize_crops(self, crops, languages):
        self.crops.append(list(crops))
        readings = self.calls.pop(0)
        assert len(readings) == len(crops)
        return readings


def test_keeps_only_sure_readings():
    image, segments, _ = _page()
    count = len(missed_clusters(image, segments))
    readings = [("7", 0.99)] * (count - 2) + [("", 0.0), ("xyz", MIN_CONFIDENCE - 0.2)]
    engine = _Reads(readings)  # nothing short and unsure: no second reading
    found = recover_missed(image, segments, engine, ["en"])
    assert [len(crops) for crops in engine.crops] == [count]
    assert [line.text for line in found] == ["7"] * (count - 2)
    for line in found:
        assert line.words[0].text == "7" and line.confidence == pytest.approx(0.99)
        x0, y0, x1, y1 = line.bbox
        assert 0 <= x0 < x1 <= image.shape[1] and 0 <= y0 < y1 <= image.shape[0]


def test_an_engine_without_a_recogniser_of_its_own_recovers_nothing():
    image, segments, _ = _page()
    assert recover_missed(image, segments, _DetectsOnly(), ["en"]) == []


def test_an_unsure_glyph_is_read_again_beside_its_nearer_word():
    image, segments, where = _page()
    boxes = missed_clusters(image, segments)
    colon = next(
        i for i, b in enumerate(boxes) if where["colon"][0] <= (b[0] + b[2]) // 2 <= where["colon"][1]
    )
    first = [("7", 0.99)] * len(boxes)
    first[colon] = (";", 0.6)
    # The colon's nearer word is "ITEM NAME" to its left; read together with it, the crop says
    # "ITEM NAME:".
    engine = _Reads(first, [("ITEM NAME:", 0.985)])
    found = recover_missed(image, segments, engine, ["en"])
    assert len(engine.crops[1]) == 1
    assert sorted(line.text for line in found) == sorted(["7"] * (len(boxes) - 1) + [":"])
    # The same second reading, unsure of the added character (the mean fell), changes nothing.
    engine = _Reads(first, [("ITEM NAME:", 0.93)])
    assert ":" not in [line.text for line in recover_missed(image, segments, engine, ["en"])]
    # A second reading that does not reproduce the word changes nothing either.
    engine = _Reads(first, [("ITEM HAME:", 0.99)])
    assert {line.text for line in recover_missed(image, segments, engine, ["en"])} == {"7"}
