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


def test_layout_blocks_read_row_aligned_columns_one_after_the_other():
    """Two columns whose lines sit on the same rows (a sidebar beside the main text): with the layout
    model's two text regions, the title comes first, then the left column, then the right."""
    from clearocr.layout import has_columns, layout_reading_order

    left = [seg(f"main line {i}", 100, 100 + 40 * i, 600, 130 + 40 * i) for i in range(8)]
    right = [seg(f"side note {i}", 700, 100 + 40 * i, 1000, 130 + 40 * i) for i in range(8)]
    title = seg("A Title Across", 100, 20, 1000, 70)
    segments = right[::-1] + [title] + left[::-1]
    regions = [("title", (90, 10, 1010, 80)), ("text", (90, 90, 610, 440)), ("text", (690, 90, 1010, 440))]
    assert has_columns(regions, segments, page_width=1100)
    text = [line.text for line in layout_reading_order(segments, regions)]
    assert text == ["A Title Across"] + [f"main line {i}" for i in range(8)] + [
        f"side note {i}" for i in range(8)
    ]


def test_receipt_blocks_are_not_columns_and_no_segment_is_lost():
    from clearocr.layout import has_columns, layout_reading_order

    rows = [
        seg("TOTAL", 20, 100, 120, 120),
        seg("9.00", 300, 100, 360, 120),
        seg("CASH", 20, 130, 110, 150),
        seg("10.00", 290, 130, 360, 150),
    ]
    regions = [("text", (10, 90, 130, 160)), ("text", (280, 90, 370, 160))]
    assert not has_columns(regions, rows, page_width=400)  # two lines each: a receipt's labels and amounts
    loose = [seg("outside", 500, 500, 560, 520)]
    lines = layout_reading_order(rows + loose, regions)
    words = sorted(w.text for line in lines for w in line.words)
    assert words == sorted(w.text for s in rows + loose for w in s.words)
