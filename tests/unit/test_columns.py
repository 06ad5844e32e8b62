"""Column gutters from whitespace (clearocr.layout.columns) and the reading order built on them.

Pages here are made of generated word boxes: no text comes from an evaluation document.
"""

import random

import numpy as np

from clearocr.document import Line, Word, join_texts
from clearocr.layout import InkPage, find_gutters, reading_order, split_at, text_columns

HEIGHT = 30
PITCH = 40


def line_of(words: list[tuple[str, int, int]], y: int, height: int = HEIGHT) -> Line:
    """A detected line from ``(text, x0, x1)`` words on the row at ``y``."""
    boxes = [Word(text, (x0, y, x1, y + height), 0.9) for text, x0, x1 in words]
    return Line(
        join_texts([w.text for w in boxes]),
        (boxes[0].bbox[0], y, boxes[-1].bbox[2], y + height),
        0.9,
        boxes,
    )


def justified(rng: random.Random, x0: int, x1: int, prefix: str) -> list[tuple[str, int, int]]:
    """Words filling ``x0..x1`` exactly, the spare width spread over the gaps (justified text)."""
    count = rng.randint(5, 7)
    widths = [rng.randint(40, 90) for _ in range(count)]
    gap = (x1 - x0 - sum(widths)) / (count - 1)
    words, cursor = [], float(x0)
    for index, width in enumerate(widths):
        words.append((f"{prefix}w{index}", int(cursor), int(cursor + width)))
        cursor += width + gap
    return words


def two_justified_columns(rows: int, gutter: tuple[int, int], joined: bool, seed: int = 0) -> list[Line]:
    """Two justified columns (``100..gutter[0]`` and ``gutter[1]..1100``); with ``joined``, every row is
    one detected line across both columns, as a detector draws it when the gutter is as wide as a
    word gap."""
    rng = random.Random(seed)
    lines = []
    for row in range(rows):
        y = 100 + row * PITCH
        left = justified(rng, 100, gutter[0], f"L{row}")
        right = justified(rng, gutter[1], 1100, f"R{row}")
        if joined:
            lines.append(line_of(left + right, y))
        else:
            lines += [line_of(left, y), line_of(right, y)]
    return lines


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def test_joined_justified_lines_are_cut_at_the_gutter_and_read_column_by_column():
    lines = two_justified_columns(12, (590, 610), joined=True)
    ordered = reading_order(lines)
    assert len(ordered) == 24
    assert all(t.startswith("L") for t in texts(ordered)[:12])
    assert all(t.startswith("R") for t in texts(ordered)[12:])
    assert [t.split()[0] for t in texts(ordered)[:12]] == [f"L{row}w0" for row in range(12)]
    gutters = find_gutters(lines)
    assert len(gutters) == 1 and 590 <= gutters[0].x <= 610


def test_a_gutter_no_wider_than_word_gaps_needs_twice_the_lines():
    # Twenty-pixel gutter in justified text with word gaps of about the same width: five joined rows
    # are indistinguishable from a river of word gaps; ten are a column gutter.
    assert text_columns(two_justified_columns(6, (590, 610), joined=True)) == []
    assert len(text_columns(two_justified_columns(12, (590, 610), joined=True))) == 1


def test_a_title_across_the_columns_is_read_first_and_not_cut():
    lines = two_justified_columns(10, (580, 620), joined=False)
    # The title's word gap happens to lie inside the gutter.
    title = line_of([("Headline", 100, 592), ("Across", 602, 900)], 40)
    ordered = reading_order([*lines, title])
    assert texts(ordered)[0] == "Headline Across"
    assert all(t.startswith("L") for t in texts(ordered)[1:11])


def test_a_table_across_the_page_under_the_columns_keeps_its_rows():
    lines = two_justified_columns(10, (580, 620), joined=False)
    table = [
        line_of([(f"item{i}", 100, 260), (str(i), 520, 560), (f"{i}.00", 1000, 1100)], 100 + (11 + i) * PITCH)
        for i in range(4)
    ]
    ordered = reading_order(lines + table)
    assert texts(ordered)[-4:] == [f"item{i} {i} {i}.00" for i in range(4)]
    assert all(t.startswith("R") for t in texts(ordered)[10:20])


def test_receipt_amount_column_is_not_a_text_column():
    rng = random.Random(3)
    lines = [
        line_of([(f"item{i}", 40, 40 + rng.randint(80, 200)), (f"{i}.50", 420, 480)], 100 + i * PITCH)
        for i in range(12)
    ]
    assert text_columns(lines) == []
    assert texts(reading_order(lines)) == [f"item{i} {i}.50" for i in range(12)]


def test_ink_page_finds_the_gutter_the_detector_boxed_over():
    lines = two_justified_columns(12, (590, 610), joined=True)
    ink = np.zeros((700, 1200), dtype=bool)
    for line in lines:
        for word in line.words:
            x0, y0, x1, y1 = word.bbox
            ink[y0 + 8 : y1 - 8, x0 + 2 : x1 - 2] = True  # glyphs sit inside their word boxes
    page = InkPage(ink)
    # One box per row over both columns, with no word boxes to say where the columns are.
    boxed = [Line(line.text, line.bbox, 0.9, [Word(line.text, line.bbox, 0.9)]) for line in lines]
    gutters = find_gutters(boxed, page)
    assert len(gutters) == 1 and 588 <= gutters[0].x <= 612
    assert page.runs(boxed[0], 7)[0][0] == lines[0].words[0].bbox[0] + 2


def test_ink_page_at_a_scale_maps_back_to_page_pixels():
    ink = np.zeros((100, 400), dtype=bool)
    ink[40:60, 20:100] = True
    ink[40:60, 200:380] = True
    line = Line("a b", (0, 10, 200, 40), 0.9, [Word("a b", (0, 10, 200, 40), 0.9)])
    assert InkPage(ink, scale=2.0).runs(line, 4) == [(10, 50), (100, 190)]


def test_split_at_cuts_a_word_read_without_the_gutter_space():
    line = Line(
        "abcdefgh tail",
        (0, 0, 300, 30),
        0.9,
        [Word("abcdefgh", (0, 0, 160, 30), 0.9), Word("tail", (200, 0, 300, 30), 0.8)],
    )
    left, right = split_at(line, 80)
    assert left is not None and right is not None
    assert left.text == "abcd" and right.text == "efgh tail"
    assert left.bbox[2] <= 80 <= right.bbox[0]
    assert split_at(line, 180) == (split_at(line, 180)[0], split_at(line, 180)[1])
    only_left, nothing = split_at(line, 400)
    assert nothing is None and only_left is not None and only_left.text == "abcdefgh tail"


def test_columns_of_different_lengths_with_a_short_last_line():
    lines = [
        line
        for line in two_justified_columns(12, (580, 620), joined=False)
        if not (line.text.startswith("R") and line.bbox[1] >= 100 + 8 * PITCH)
    ]
    last = next(line for line in lines if line.text.startswith("L11"))
    lines[lines.index(last)] = line_of([("L11w0", 100, 180), ("L11w1", 195, 260)], last.bbox[1])
    ordered = texts(reading_order(lines))
    assert [t[:3] for t in ordered] == [f"L{i}w" for i in range(10)] + ["L10", "L11"] + [
        f"R{i}w" for i in range(8)
    ]


def test_footnotes_under_the_left_column_are_read_after_both_columns():
    lines = [
        line
        for line in two_justified_columns(12, (580, 620), joined=False)
        if not (line.text.startswith("R") and line.bbox[1] >= 100 + 9 * PITCH)
    ]
    notes = [
        line_of([(f"{n}", 100, 112), (f"note{n}", 120, 340)], 100 + 14 * PITCH + n * 26, 22) for n in (1, 2)
    ]
    ordered = texts(reading_order(lines + notes))
    assert ordered[-2:] == ["1 note1", "2 note2"]
    assert [t[:1] for t in ordered[:21]] == ["L"] * 12 + ["R"] * 9


def test_footnotes_and_a_page_number_beyond_breaks_are_read_after_the_columns():
    lines = two_justified_columns(12, (580, 620), joined=False)
    notes = [
        line_of([(f"{n}", 100, 112), (f"note{n}", 120, 340)], 100 + 14 * PITCH + n * 26, 22) for n in (1, 2)
    ]
    number = line_of([("17", 630, 660)], 100 + 18 * PITCH)
    ordered = texts(reading_order(lines + notes + [number]))
    assert ordered[-3:] == ["1 note1", "2 note2", "17"]


def test_a_title_over_one_column_goes_with_it_beside_the_other_columns_first_rows():
    """The gutter is found from the first row with text on both sides, but the whitespace reaches up
    past a title that stands over the left column only, beside the right column's first rows (a
    sidebar's key/value table): the title opens the left column and the key/value rows open the
    right one, instead of coming between the title and its column."""
    rng = random.Random(3)
    title = line_of([("Tw0", 100, 260), ("Tw1", 280, 420)], 60, height=50)
    pairs = [
        line_of([(f"K{row}", 660, 760), (f"{row}.50", 1020, 1100)], 120 + row * PITCH) for row in range(4)
    ]
    body = [line_of(justified(rng, 100, 580, f"L{row}"), 280 + row * PITCH) for row in range(10)]
    side = [line_of(justified(rng, 660, 1100, f"R{row}"), 280 + row * PITCH) for row in range(10)]
    ordered = texts(reading_order([title, *pairs, *body, *side]))
    assert ordered[0] == "Tw0 Tw1"
    assert all(t.startswith("L") for t in ordered[1:11])
    assert [t.split()[0] for t in ordered[11:15]] == ["K0", "K1", "K2", "K3"]
    assert all(t.startswith("R") for t in ordered[15:])


def test_a_title_across_the_columns_stops_the_whitespace_reaching_up():
    rng = random.Random(4)
    title = line_of([("Tw0", 100, 500), ("Tw1", 540, 900)], 40, height=50)
    body = [line_of(justified(rng, 100, 580, f"L{row}"), 140 + row * PITCH) for row in range(10)]
    side = [line_of(justified(rng, 620, 1100, f"R{row}"), 140 + row * PITCH) for row in range(10)]
    ordered = texts(reading_order([*side, title, *body]))
    assert ordered[0] == "Tw0 Tw1" and all(t.startswith("L") for t in ordered[1:11])
