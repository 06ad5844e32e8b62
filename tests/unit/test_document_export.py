import json
import xml.etree.ElementTree as ET

from clearocr.document import Document, Line, Page, PreprocessStep, Word, join_texts
from clearocr.export import export
from clearocr.export.hocr import to_hocr


def make_document() -> Document:
    words = [Word("Total", (10, 10, 60, 30), 0.98), Word("9.00", (200, 11, 240, 29), 0.91)]
    page1 = Page(
        number=1,
        width=300,
        height=400,
        dpi=150.0,
        lines=[Line.from_words(words)],
        preprocessing=[PreprocessStep("deskew", {"angle": 1.2})],
        engine="fake",
    )
    page2 = Page(
        number=3,
        width=300,
        height=400,
        rotation=90,
        lines=[
            Line.from_words([Word("a<b&c", (1, 2, 3, 4), 0.5)]),
            Line.from_words([Word("last", (1, 12, 30, 20), 0.7)]),
        ],
    )
    return Document(source="scan.pdf", pages=[page1, page2])


def test_text_joins_lines_and_pages():
    assert make_document().text == "Total 9.00\fa<b&c\nlast"


def test_json_shape_is_the_documented_schema():
    data = json.loads(make_document().to_json())
    assert {"schema", "source", "pages", "text"} <= set(data)
    assert data["schema"] == "clearocr.document/1" and data["source"] == "scan.pdf"
    page = data["pages"][0]
    assert {"number", "width", "height", "rotation", "lines"} <= set(page)
    assert (page["number"], page["width"], page["height"], page["rotation"]) == (1, 300, 400, 0)
    line = page["lines"][0]
    assert set(line) == {"text", "bbox", "confidence", "words"}
    assert line["bbox"] == [10, 10, 240, 30]
    assert set(line["words"][0]) == {"text", "bbox", "confidence"}
    assert all(0.0 <= w["confidence"] <= 1.0 for w in line["words"])
    assert page["preprocessing"] == [{"name": "deskew", "angle": 1.2}]
    assert data["pages"][1]["number"] == 3 and data["text"] == make_document().text


def test_line_confidence_is_character_weighted():
    line = make_document().pages[0].lines[0]
    assert abs(line.confidence - (0.98 * 5 + 0.91 * 4) / 9) < 1e-9


def test_hocr_is_well_formed_with_boxes_and_escaped_text():
    hocr = to_hocr(make_document())
    root = ET.fromstring(hocr.split("\n", 1)[1].split("\n", 1)[1])  # skip XML decl + doctype
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    pages = root.findall(".//h:div[@class='ocr_page']", ns)
    assert len(pages) == 2
    words = root.findall(".//h:span[@class='ocrx_word']", ns)
    assert [w.text for w in words] == ["Total", "9.00", "a<b&c", "last"]
    assert words[0].get("title") == "bbox 10 10 60 30; x_wconf 98"
    assert "ppageno 2" in pages[1].get("title")


def test_export_dispatch_and_unknown_format():
    assert export(make_document(), "text") == "Total 9.00\n\fa<b&c\nlast\n"
    try:
        export(make_document(), "docx")
    except ValueError as exc:
        assert "text, json, hocr, alto, markdown, pdf" in str(exc)
    else:
        raise AssertionError("unknown format accepted")


def test_cjk_words_are_joined_without_spaces():
    assert join_texts(["发票", "号码", "INV", "12"]) == "发票号码 INV 12"


def para_document() -> Document:
    """A heading, a two-line paragraph, and a three-row table, drawn as boxes (no OCR)."""

    def line(words, y, h=20):
        x, out = 20, []
        for text, width in words:
            out.append(Word(text, (x, y, x + width, y + h), 0.9))
            x += width + 12
        return Line.from_words(out)

    def row(cells, y):
        return Line.from_words([Word(t, (x, y, x + 60, y + 20), 0.8) for t, x in cells])

    lines = [
        line([("Annual", 120), ("Report", 120)], 10, h=40),
        line([("the", 40), ("first", 60), ("line", 60), ("of", 30), ("text", 60)], 80),
        line([("and", 40), ("the", 40), ("second", 80), ("one", 40)], 104),
        row([("Item", 20), ("Qty", 300)], 200),
        row([("pens", 20), ("12", 300)], 226),
        row([("ink", 20), ("3", 300)], 252),
    ]
    return Document("doc.png", [Page(1, 500, 400, lines=lines)], languages=["en"])


def test_hocr_has_the_levels_hocrtransform_needs():
    root = ET.fromstring(to_hocr(para_document()).split("\n", 2)[2])
    ns = {"h": "http://www.w3.org/1999/xhtml"}
    page = root.find(".//h:div[@class='ocr_page']", ns)
    areas = page.findall("h:div[@class='ocr_carea']", ns)
    assert len(areas) == 3  # heading, paragraph, table
    pars = [a.find("h:p[@class='ocr_par']", ns) for a in areas]
    assert all(p is not None and p.get("lang") == "en" for p in pars)
    lines = pars[1].findall("h:span[@class='ocr_line']", ns)
    assert len(lines) == 2 and "baseline 0 -4" in lines[0].get("title")
    assert [w.text for w in lines[1].findall("h:span[@class='ocrx_word']", ns)] == [
        "and",
        "the",
        "second",
        "one",
    ]


def test_alto_structure_and_schema():
    import os

    from clearocr.export.alto import ALTO_NS, to_alto

    xml = to_alto(para_document())
    root = ET.fromstring(xml.split("\n", 1)[1])
    q = f"{{{ALTO_NS}}}"
    assert root.tag == q + "alto" and root.get("SCHEMAVERSION") == "4.2"
    assert root.find(f"{q}Description/{q}MeasurementUnit").text == "pixel"
    blocks = root.findall(f".//{q}TextBlock")
    assert len(blocks) == 3 and blocks[0].get("LANG") == "en"
    strings = blocks[1].findall(f".//{q}String")
    assert [s.get("CONTENT") for s in strings][:2] == ["the", "first"]
    assert (
        strings[0].get("HPOS") == "20"
        and strings[0].get("WIDTH") == "40"
        and strings[0].get("WC") == "0.9000"
    )
    assert len(blocks[1].findall(f".//{q}SP")) == 7
    # The official schema, where one is available (it is not on PyPI; set CLEAROCR_ALTO_XSD to a copy
    # of alto-4-2.xsd from https://github.com/altoxml/schema to validate against it).
    xsd = os.environ.get("CLEAROCR_ALTO_XSD")
    if xsd:
        import xmlschema

        xmlschema.XMLSchema(xsd).validate(xml)


def test_markdown_heading_paragraph_table():
    from clearocr.export.markdown import to_markdown

    md = to_markdown(para_document())
    assert md.startswith("## Annual Report\n")
    assert "the first line of text and the second one\n" in md
    assert "| Item | Qty |\n|---|---|\n| pens | 12 |\n| ink | 3 |" in md


def test_markdown_escapes_and_separates_pages():
    from clearocr.export.markdown import to_markdown

    doc = Document(
        "x",
        [
            Page(1, 100, 100, lines=[Line.from_words([Word("*bold*", (0, 0, 50, 10), 1.0)])]),
            Page(2, 100, 100, lines=[Line.from_words([Word("#1", (0, 0, 20, 10), 1.0)])]),
        ],
    )
    md = to_markdown(doc)
    assert "\\*bold\\*" in md and "\\#1" in md and "<!-- page 2 -->" in md


def test_blocks_are_additive_json_and_round_trip():
    from clearocr.document import Block

    document = make_document()
    page = document.pages[1]
    page.blocks = [Block("title", (1, 2, 3, 4), 0, 1), Block("text", (1, 12, 30, 20), 1, 2)]
    data = json.loads(document.to_json())
    assert data["pages"][1]["blocks"] == [
        {"kind": "title", "bbox": [1, 2, 3, 4], "lines": [0, 1]},
        {"kind": "text", "bbox": [1, 12, 30, 20], "lines": [1, 2]},
    ]
    assert "lines" in data["pages"][1]  # the flat line list stays
    again = Document.from_dict(data)
    assert again.pages[1].blocks == page.blocks
    assert [kind for kind, _ in again.pages[1].block_lines()] == ["title", "text"]
    # Blocks that no longer cover the lines (a post-processor changed them) are not trusted.
    page.blocks = [Block("title", (1, 2, 3, 4), 0, 1)]
    assert {kind for kind, _ in page.block_lines()} == {"paragraph"}
    assert sum(len(lines) for _, lines in page.block_lines()) == 2


def test_markdown_makes_a_title_block_a_heading():
    from clearocr.document import Block

    lines = [
        Line.from_words([Word("Quarterly", (10, 10, 80, 30), 0.9), Word("review", (90, 10, 150, 30), 0.9)]),
        Line.from_words([Word("Sales", (10, 40, 50, 60), 0.9), Word("grew.", (60, 40, 100, 60), 0.9)]),
    ]
    page = Page(number=1, width=300, height=400, lines=lines)
    plain = export(Document("x.png", [page]), "markdown")
    assert "## Quarterly review" not in plain
    page.blocks = [Block("title", lines[0].bbox, 0, 1), Block("text", lines[1].bbox, 1, 2)]
    assert "## Quarterly review" in export(Document("x.png", [page]), "markdown")
