import random

from clearocr.document import Line, Word
from clearocr.layout import quad_to_bbox, reading_order, scale_bbox, words_from_text


def seg(text, x0, y0, x1, y1):
    return Line(text, (x0, y0, x1, y1), 0.9, [Word(text, (x0, y0, x1, y1), 0.9)])


def test_receipt_row_reads_left_to_right_as_one_line():
    segments = [
        seg("9.00", 300, 102, 340, 120),
        seg("SHOP NAME", 100, 10, 250, 30),
        seg("TOTAL", 20, 100, 80, 118),
        seg("CASH", 20, 130, 70, 148),
        seg("10.00", 290, 131, 340, 149),
    ]
    random.Random(1).shuffle(segments)
    lines = reading_order(segments)
    assert [line.text for line in lines] == ["SHOP NAME", "TOTAL 9.00", "CASH 10.00"]
    assert [w.text for w in lines[1].words] == ["TOTAL", "9.00"]
    assert lines[1].bbox == (20, 100, 340, 120)


def test_table_columns_become_rows():
    # Tesseract-style: each column returned as a block, top to bottom.
    column_a = [seg(f"item{i}", 10, 50 + i * 30, 80, 70 + i * 30) for i in range(4)]
    column_b = [seg(f"{i}.00", 200, 51 + i * 30, 240, 71 + i * 30) for i in range(4)]
    lines = reading_order(column_a + column_b)
    assert [line.text for line in lines] == [f"item{i} {i}.00" for i in range(4)]


def test_overlapping_boxes_stay_on_separate_rows():
    lines = reading_order([seg("upper", 10, 10, 100, 30), seg("lower", 20, 22, 90, 42)])
    assert len(lines) == 2


def test_skewed_row_still_merges():
    lines = reading_order([seg("left", 10, 100, 60, 120), seg("right", 400, 108, 450, 128)])
    assert [line.text for line in lines] == ["left right"]


def test_words_from_text_splits_box_proportionally():
    words = words_from_text("ab cd", (0, 0, 50, 10), 0.8)
    assert [w.text for w in words] == ["ab", "cd"]
    assert words[0].bbox == (0, 0, 20, 10) and words[1].bbox == (30, 0, 50, 10)


def test_quad_and_scale_helpers():
    assert quad_to_bbox([[10.2, 5.0], [50.7, 6.0], [50.0, 20.4], [9.9, 19.0]]) == (9, 5, 51, 20)
    assert scale_bbox((10, 10, 100, 100), 0.5, 0.5, 40, 40) == (5, 5, 40, 40)


def test_two_text_columns_read_one_after_the_other():
    title = seg("A TITLE ACROSS THE PAGE", 100, 10, 900, 40)
    left = [seg(f"left line {i} of running text", 50, 60 + i * 30, 470, 80 + i * 30) for i in range(6)]
    right = [seg(f"right line {i} of running text", 530, 65 + i * 30, 950, 85 + i * 30) for i in range(6)]
    lines = reading_order(right + left + [title])
    assert [line.text for line in lines] == ["A TITLE ACROSS THE PAGE"] + [s.text for s in left] + [
        s.text for s in right
    ]


def test_table_with_narrow_amount_column_is_not_split_into_columns():
    items = [seg(f"item description number {i}", 20, 50 + i * 30, 400, 70 + i * 30) for i in range(6)]
    amounts = [seg(f"{i}.00", 800, 51 + i * 30, 850, 71 + i * 30) for i in range(6)]
    lines = reading_order(amounts + items)
    assert [line.text for line in lines] == [f"item description number {i} {i}.00" for i in range(6)]


def test_key_and_value_stay_together_when_columns_are_offset_by_half_a_line():
    left = [seg("Sveavagen 42", 20, 100, 300, 120), seg("VAT no. SE5566", 20, 124, 300, 144)]
    right = [seg("Invoice no:", 500, 110, 620, 130), seg("INV-2024-00172", 800, 109, 950, 129)]
    lines = reading_order(right[::-1] + left)
    assert any(line.text.endswith("Invoice no: INV-2024-00172") for line in lines), [ln.text for ln in lines]
