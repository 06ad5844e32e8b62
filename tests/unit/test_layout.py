import random

from clearocr.document import Line, Word
from clearocr.geometry import quad_to_bbox, scale_bbox
from clearocr.layout import reading_order, words_from_text


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


def test_table_region_beside_unboxed_running_text_is_read_before_it():
    """A financial table on the left (one layout region) beside commentary the model did not box:
    the table's rows are read first, each row one line, then the commentary, line by line."""
    from clearocr.layout import has_columns, layout_reading_order

    table = []
    for i in range(10):
        table += [
            seg(f"item{i}", 100, 100 + 30 * i, 250, 125 + 30 * i),
            seg(f"{i}.5", 400, 100 + 30 * i, 460, 125 + 30 * i),
        ]
    text = [seg(f"commentary line {i} runs across", 520, 112 + 41 * i, 980, 140 + 41 * i) for i in range(6)]
    regions = [("table", (90, 90, 470, 400))]
    assert has_columns(regions, table + text, page_width=1000)
    lines = [line.text for line in layout_reading_order(text[::-1] + table[::-1], regions)]
    assert lines == [f"item{i} {i}.5" for i in range(10)] + [s.text for s in text]


def test_narrow_cells_beside_a_table_region_are_not_a_column():
    """Amounts the model left outside its table box are narrow cells, not running text."""
    from clearocr.layout import has_columns

    labels = [seg(f"item{i}", 100, 100 + 30 * i, 250, 125 + 30 * i) for i in range(6)]
    amounts = [seg(f"{i}.00", 700, 100 + 30 * i, 760, 125 + 30 * i) for i in range(6)]
    assert not has_columns([("table", (90, 90, 400, 300))], labels + amounts, page_width=1000)


def test_a_region_holding_other_regions_is_dropped_unless_they_are_its_columns():
    from clearocr.layout import specific_regions

    regions = [("table", (0, 0, 1000, 1000)), ("text", (600, 100, 950, 500)), ("title", (10, 10, 50, 50))]
    body = [seg(f"body line {i}", 610, 110 + 40 * i, 940, 140 + 40 * i) for i in range(5)]
    side = [seg(f"side {i}", 20, 117 + 33 * i, 300, 139 + 33 * i) for i in range(6)]  # its own pitch
    assert specific_regions(regions, body + side) == regions[1:]
    # The inner region is the description column of the outer table: its rows run on.
    amounts = [seg(f"{i}.00", 300, 110 + 40 * i, 360, 140 + 40 * i) for i in range(5)]
    assert specific_regions(regions, body + amounts) == [regions[0], regions[2]]


def test_sidebar_is_read_whole_before_the_body_beside_it():
    """A sidebar (a key/value table, then a list) beside two body paragraphs, with a gap across both
    columns at the same height: the columns are cut before the rows."""
    from clearocr.layout import layout_reading_order

    side_top = [seg(f"key{i} value{i}", 100, 100 + 30 * i, 400, 125 + 30 * i) for i in range(5)]
    side_low = [seg(f"report title {i}", 100, 300 + 30 * i, 420, 325 + 30 * i) for i in range(6)]
    body_top = [seg(f"first paragraph line {i}", 500, 100 + 35 * i, 1000, 128 + 35 * i) for i in range(5)]
    body_low = [seg(f"second paragraph line {i}", 500, 300 + 35 * i, 1000, 328 + 35 * i) for i in range(6)]
    regions = [
        ("table", (90, 90, 410, 250)),
        ("text", (490, 90, 1010, 270)),
        ("text", (490, 290, 1010, 520)),
    ]
    lines = [line.text for line in layout_reading_order(body_low + side_low + body_top + side_top, regions)]
    assert lines == [s.text for s in side_top + side_low + body_top + body_low]


def test_a_region_straddling_a_page_gutter_is_split_there():
    """A detector box that runs from the sidebar into the body below a gutter that runs down the page
    is cut at the gutter; a table under a full-width paragraph keeps its column gaps, and so does a
    table whose cells share rows across the gutter."""
    from clearocr.layout.xycut import _split_at_gutters

    above = [seg(f"left {i}", 100, 100 + 30 * i, 400, 125 + 30 * i) for i in range(8)]
    above += [seg(f"right {i}", 500, 100 + 30 * i, 900, 125 + 30 * i) for i in range(8)]
    left = [seg(f"contact {i}", 100, 405 + 37 * i, 380, 430 + 37 * i) for i in range(3)]  # its own pitch
    right = [seg(f"row {i} 1.0 2.0", 520, 400 + 30 * i, 900, 425 + 30 * i) for i in range(3)]
    parts = _split_at_gutters((90, 390, 910, 520), left + right, above + left + right)
    assert [sorted(s.text for s in part) for part in parts] == [
        sorted(s.text for s in left),
        sorted(s.text for s in right),
    ]
    paragraph = [
        seg(f"a paragraph across the page, line {i}", 100, 100 + 30 * i, 900, 125 + 30 * i) for i in range(8)
    ]
    cells = [seg(f"c{i}", 100, 400 + 30 * i, 300, 425 + 30 * i) for i in range(3)]
    cells += [seg(f"{i}.0", 600, 400 + 30 * i, 700, 425 + 30 * i) for i in range(3)]
    assert len(_split_at_gutters((90, 390, 710, 500), cells, paragraph + cells)) == 1
    aligned = [seg(f"item {i}", 100, 400 + 30 * i, 380, 425 + 30 * i) for i in range(3)]
    assert len(_split_at_gutters((90, 390, 910, 500), aligned + right, above + aligned + right)) == 1


def test_blocks_cover_the_lines_and_loose_lines_become_paragraphs():
    from clearocr.layout import layout_blocks, to_blocks

    title = seg("A Title Across", 100, 20, 1000, 70)
    body = [seg(f"body line {i}", 100, 100 + 30 * i, 1000, 125 + 30 * i) for i in range(4)]
    notes = [seg(f"note {i}", 100, 400 + 30 * i, 600, 425 + 30 * i) for i in range(2)]
    lines, blocks = to_blocks(layout_blocks([title, *body, *notes], [("title", (90, 10, 1010, 80))]))
    assert [(b.kind, b.start, b.end) for b in blocks] == [
        ("title", 0, 1),
        ("paragraph", 1, 5),
        ("paragraph", 5, 7),
    ]
    assert [line.text for line in lines] == [s.text for s in [title, *body, *notes]]


def test_loose_labels_and_amounts_with_tight_leading_stay_rows():
    """Rows whose boxes overlap vertically (tight leading) leave no horizontal gap; the vertical gap
    between labels and amounts must not make them two columns."""
    from clearocr.layout import layout_reading_order

    labels = [
        seg(name, 250, 2406 + 47 * i, 480, 2461 + 47 * i)
        for i, name in enumerate(["Net", "VAT 21%", "Total"])
    ]
    amounts = [
        seg(f"{v} EUR", 605, 2408 + 47 * i, 755, 2458 + 47 * i) for i, v in enumerate(["10", "2.10", "12.10"])
    ]
    region = [seg(f"paragraph {i}", 1300, 2000 + 40 * i, 2300, 2030 + 40 * i) for i in range(4)]
    lines = layout_reading_order(amounts + labels + region, [("text", (1290, 1990, 2310, 2170))])
    assert [line.text for line in lines][-3:] == ["Net 10 EUR", "VAT 21% 2.10 EUR", "Total 12.10 EUR"]


def test_a_table_whose_columns_were_boxed_one_by_one_reads_row_by_row():
    """The layout model sometimes boxes each column of a table as a text region: cell-like regions
    whose cells share rows are read as the table's rows; two columns of running text on the same
    baseline grid stay columns."""
    from clearocr.layout import layout_reading_order

    names = [seg(f"Item {i}", 100, 100 + 40 * i, 260, 130 + 40 * i) for i in range(5)]
    prices = [seg(f"{i}.50", 500, 100 + 40 * i, 580, 130 + 40 * i) for i in range(5)]
    regions = [("text", (90, 90, 270, 300)), ("text", (490, 90, 590, 300))]
    lines = [line.text for line in layout_reading_order(prices + names, regions)]
    assert lines == [f"Item {i} {i}.50" for i in range(5)]

    left = [
        seg(f"left column line {i} of running text here", 100, 100 + 40 * i, 600, 130 + 40 * i)
        for i in range(5)
    ]
    right = [
        seg(f"right column line {i} of running text here", 700, 100 + 40 * i, 1200, 130 + 40 * i)
        for i in range(5)
    ]
    regions = [("text", (90, 90, 610, 300)), ("text", (690, 90, 1210, 300))]
    lines = [line.text for line in layout_reading_order(right + left, regions)]
    assert lines == [s.text for s in left + right]


def _boxed_page(boxes, grey=170):
    """A white page with ``boxes`` drawn as faint dotted grey rules (as on a scanned org chart)."""
    import numpy as np

    page = np.full((900, 1400, 3), 255, np.uint8)
    for x0, y0, x1, y1 in boxes:
        for x in range(x0, x1 + 1, 3):
            page[y0 : y0 + 2, x : x + 2] = grey
            page[y1 - 1 : y1 + 1, x : x + 2] = grey
        for y in range(y0, y1 + 1, 3):
            page[y : y + 2, x0 : x0 + 2] = grey
            page[y : y + 2, x1 - 1 : x1 + 1] = grey
    return page


def test_faint_dotted_ruled_boxes_are_found():
    from clearocr.layout import ruled_boxes

    drawn = [(100, 100, 500, 260), (600, 100, 1000, 260), (100, 400, 500, 560)]
    found = ruled_boxes(_boxed_page(drawn), text_height=30)
    assert len(found) == 3
    for box in drawn:
        assert any(all(abs(a - b) <= 6 for a, b in zip(box, f)) for f in found), (box, found)
    blank = _boxed_page([])
    assert ruled_boxes(blank, text_height=30) == []


def test_boxes_side_by_side_are_read_box_by_box():
    from clearocr.layout import boxed_blocks

    boxes = [(100, 100, 500, 260), (600, 100, 1000, 260), (100, 400, 500, 560), (600, 400, 1000, 560)]
    segments = []
    for number, (x0, y0, _, _) in enumerate(boxes):
        for row, word in enumerate(("Name", "Role", "Date")):
            segments.append(seg(f"{word}{number}", x0 + 40, y0 + 20 + 40 * row, x0 + 240, y0 + 50 + 40 * row))
    segments.append(seg("Footer line of the page", 100, 700, 900, 730))
    random.Random(3).shuffle(segments)
    groups = boxed_blocks(segments, boxes)
    assert groups is not None
    read = [(kind, [line.text for line in lines]) for kind, lines in groups]
    assert read == [
        ("box", ["Name0", "Role0", "Date0"]),
        ("box", ["Name1", "Role1", "Date1"]),
        ("box", ["Name2", "Role2", "Date2"]),
        ("box", ["Name3", "Role3", "Date3"]),
        (None, ["Footer line of the page"]),
    ]
    # Without the boxes the same segments are rows across the page (labels apart from their values).
    assert reading_order(segments)[0].text == "Name0 Name1"


def test_ruled_table_columns_and_one_row_cells_keep_rows():
    from clearocr.layout import boxed_blocks

    # A table ruled column by column: two tall boxes of 10 rows each.
    columns = [(100, 100, 300, 700), (320, 100, 520, 700)]
    cells = [
        seg(f"c{c}r{r}", x0 + 10, 110 + 55 * r, x0 + 90, 140 + 55 * r)
        for c, (x0, _, _, _) in enumerate(columns)
        for r in range(10)
    ]
    assert boxed_blocks(cells, columns) is None
    # A full grid: every cell a box holding one line.
    grid = [(100 + 200 * c, 100 + 50 * r, 300 + 200 * c, 150 + 50 * r) for r in range(3) for c in range(3)]
    singles = [seg(f"g{i}", b[0] + 10, b[1] + 10, b[0] + 90, b[1] + 40) for i, b in enumerate(grid)]
    assert boxed_blocks(singles, grid) is None


def test_a_wrapped_cell_of_a_ruled_table_keeps_its_row():
    from clearocr.layout import boxed_blocks

    # One row of a full grid: code | name wrapped on two lines | amount; every cell is a box.
    cells = [(100, 100, 300, 190), (300, 100, 800, 190), (800, 100, 1000, 190)]
    segments = [
        seg("0093-0314", 110, 110, 290, 140),
        seg("SODIUM TABLETS 10MG", 310, 110, 780, 140),
        seg("100", 310, 150, 360, 180),
        seg("$107.84", 810, 110, 990, 140),
    ]
    assert boxed_blocks(segments, cells) is None


def test_one_box_alone_leaves_a_receipt_to_its_rows():
    from clearocr.layout import boxed_blocks

    # A receipt's item header whose last cell wrapped inside a ruled frame; nothing else is boxed.
    header = (600, 100, 700, 170)
    segments = [
        seg("Item", 100, 110, 200, 130),
        seg("Qty", 400, 110, 460, 130),
        seg("S/Price", 610, 110, 690, 130),
        seg("(GST)", 615, 140, 685, 160),
        seg("Bread", 100, 190, 200, 210),
        seg("2", 420, 190, 440, 210),
        seg("4.20", 620, 190, 680, 210),
    ]
    assert boxed_blocks(segments, [header]) is None


def _wrapped(header_right: str, crossing: bool = False):
    """A list printed as two copies side by side: `Part No. Price || Part No. Price`, five rows each."""
    segments = [seg("Parts list", 100, 10, 400, 40)]
    for copy, (x, header) in enumerate(((100, "Part No."), (700, header_right))):
        segments += [seg(header, x, 60, x + 90, 80), seg("Price", x + 250, 60, x + 330, 80)]
        for r in range(5):
            y = 100 + r * 30
            segments += [
                seg(f"{copy}{r}", x, y, x + 40, y + 20),
                seg(f"{copy * 5 + r}.50", x + 250, y, x + 330, y + 20),
            ]
    if crossing:
        segments.append(seg("a note running across both copies", 100, 250, 1000, 270))
    return segments


def test_a_table_wrapped_into_two_copies_is_read_copy_after_copy():
    lines = [line.text for line in reading_order(_wrapped("Part N0."))]  # OCR noise in one header
    assert lines[:3] == ["Parts list", "Part No. Price", "00 0.50"]
    assert lines[6:9] == ["04 4.50", "Part N0. Price", "10 5.50"]
    assert len(lines) == 13


def test_rows_stay_across_when_the_header_is_not_repeated_or_a_line_crosses():
    across = [line.text for line in reading_order(_wrapped("Amount"))]
    assert across[1:3] == ["Part No. Price Amount Price", "00 0.50 10 5.50"]
    crossed = [line.text for line in reading_order(_wrapped("Part No.", crossing=True))]
    assert crossed[1:3] == ["Part No. Price Part No. Price", "00 0.50 10 5.50"]


def test_a_page_header_band_beside_a_column_is_read_before_the_columns():
    """A masthead (a `header` region) on the left, the authors' contacts at the same height on the
    right, then body text and a sidebar: the header band first, then each column."""
    from clearocr.layout import layout_reading_order

    masthead = [seg("ACME RESEARCH", 100, 40, 500, 90)]
    contacts = [seg(f"analyst {i} phone", 700, 40 + 30 * i, 950, 65 + 30 * i) for i in range(3)]
    body = [seg(f"body paragraph line {i}", 100, 200 + 35 * i, 600, 228 + 35 * i) for i in range(20)]
    side = [seg(f"sidebar line {i}", 700, 200 + 35 * i, 950, 228 + 35 * i) for i in range(12)]
    regions = [
        ("header", (90, 30, 510, 100)),
        ("text", (690, 30, 960, 130)),
        ("text", (90, 190, 610, 940)),
        ("text", (690, 190, 960, 660)),
    ]
    lines = [line.text for line in layout_reading_order(side + body + contacts + masthead, regions)]
    assert lines == [s.text for s in masthead + contacts + body + side]
    # Without a header region, the columns are read whole as before (the sidebar test above).
    plain = [("text", box) for _, box in regions]
    lines = [line.text for line in layout_reading_order(side + body + contacts + masthead, plain)]
    assert lines == [s.text for s in masthead + body + contacts + side]
