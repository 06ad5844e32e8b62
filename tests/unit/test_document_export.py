import json
import xml.etree.ElementTree as ET

from clearocr.document import Document, Line, Page, PreprocessStep, Word, join_texts
from clearocr.export import export, to_hocr


def make_document() -> Document:
    words = [Word("Total", (10, 10, 60, 30), 0.98), Word("9.00", (200, 11, 240, 29), 0.91)]
    page1 = Page(number=1, width=300, height=400, dpi=150.0, lines=[Line.from_words(words)],
                 preprocessing=[PreprocessStep("deskew", {"angle": 1.2})], engine="fake")
    page2 = Page(number=3, width=300, height=400, rotation=90,
                 lines=[Line.from_words([Word("a<b&c", (1, 2, 3, 4), 0.5)]),
                        Line.from_words([Word("last", (1, 12, 30, 20), 0.7)])])
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
        export(make_document(), "pdf")
    except ValueError as exc:
        assert "text, json, hocr" in str(exc)
    else:
        raise AssertionError("unknown format accepted")


def test_cjk_words_are_joined_without_spaces():
    assert join_texts(["发票", "号码", "INV", "12"]) == "发票号码 INV 12"
