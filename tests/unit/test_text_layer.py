"""Per-line judgement of a PDF text layer (issue 26, item 4) with fake OCR: lines that disagree are read
again, lines that agree are kept, and a line carrying a stamp-sized word is never judged."""

from __future__ import annotations

import numpy as np

from clearocr.document import Line, Word
from clearocr.text_layer import repair_layer


def _line(text: str, y: int, height: int = 20) -> Line:
    words, x = [], 20
    for token in text.split():
        words.append(Word(token, (x, y, x + 12 * len(token), y + height), 1.0))
        x += 12 * len(token) + 10
    return Line.from_words(words)


def test_lines_that_disagree_with_ocr_are_read_again_and_the_rest_kept():
    # Each line's band of the page is painted its own grey; the fake OCR reads a crop by its grey.
    printed = {60: "Invoice number 4471", 120: "Total amount due", 180: "Thank you for your order"}
    image = np.full((400, 600, 3), 255, np.uint8)
    tops = {60: 40, 120: 100, 180: 200}
    for grey, top in tops.items():
        image[top : top + 20, :] = grey
    lines = [
        _line("Invoice number 4471", 40),
        _line("sw | \\ + ~", 100),
        _line("Thank you for your order", 200),
    ]

    def read(crop):
        values = crop.reshape(-1, 3)[:, 0]
        return printed[int(np.bincount(values[values < 255]).argmax())]

    def read_region(region):
        box = (6, 6, 130, 26)  # over the layer line's words (the region has a 6 px margin)
        return [Line("Total amount due", box, 0.95, [Word("Total amount due", box, 0.95)])]

    repaired, report = repair_layer(image, lines, read, ["auto"], read_region=read_region)
    assert [line.text for line in repaired] == [
        "Invoice number 4471",
        "Total amount due",
        "Thank you for your order",
    ]
    assert report["replaced"] == 1 and repaired[0] is lines[0] and repaired[2] is lines[2]


def test_a_line_with_a_stamp_sized_word_is_not_judged():
    image = np.full((400, 600, 3), 255, np.uint8)
    stamp = _line("Extra members on", 100)
    stamp.words.append(Word("PAID", (300, 40, 560, 260), 1.0))
    lines = [_line("Invoice number 4471", 40), stamp, _line("Thank you", 300)]
    repaired, report = repair_layer(image, lines, lambda crop: "something else entirely", ["en"])
    assert repaired[1] is stamp
    assert report["replaced"] == 2  # the other two disagree with this fake OCR and are read again
