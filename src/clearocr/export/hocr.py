"""hOCR 1.2 exporter."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from clearocr.document import Document, printable_name, union_bbox
from clearocr.export.base import Exporter
from clearocr.export.markup import bbox_title, block_language, paragraph_blocks, xml_text

#: Fraction of a line's height below its baseline, for the hOCR ``baseline`` of a line whose engine
#: gives none: the descent of a Latin face (Noto Sans: 0.293 of its 1.362 em line height).
_DESCENT = 0.215


def to_hocr(document: Document) -> str:
    """hOCR 1.2 (http://kba.github.io/hocr-spec/1.2/) as Tesseract writes it, which OCRmyPDF's
    ``hocrtransform`` and hocr-tools read: ``ocr_page > ocr_carea > ocr_par > ocr_line > ocrx_word``.

    Blocks (``ocr_carea``/``ocr_par``) are the page's paragraphs (:func:`~clearocr.export.markup.paragraph_blocks`); ``x_wconf`` is the word
    confidence in percent; ``lang`` is set per paragraph; ``baseline`` is estimated from the line box
    (engines here give no baseline): slope 0, a Latin descent below it."""
    html_el = ET.Element(
        "html",
        {
            "xmlns": "http://www.w3.org/1999/xhtml",
            "xml:lang": document.languages[0] if document.languages else "en",
            "lang": document.languages[0] if document.languages else "en",
        },
    )
    head = ET.SubElement(html_el, "head")
    ET.SubElement(head, "title").text = printable_name(document.source)
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": "clearocr"})
    ET.SubElement(
        head,
        "meta",
        {
            "name": "ocr-capabilities",
            "content": "ocr_page ocr_carea ocr_par ocr_line ocrx_word ocrp_wconf ocrp_lang",
        },
    )
    body = ET.SubElement(html_el, "body")
    for page in document.pages:
        n = page.number
        title = bbox_title(
            (0, 0, page.width, page.height), image=f'"{printable_name(document.source)}"', ppageno=n - 1
        )
        if page.dpi:
            title += f"; scan_res {round(page.dpi)} {round(page.dpi)}"
        page_el = ET.SubElement(body, "div", {"class": "ocr_page", "id": f"page_{n}", "title": title})
        for bi, (_, lines) in enumerate(paragraph_blocks(page), start=1):
            box = union_bbox(line.bbox for line in lines)
            area = ET.SubElement(
                page_el, "div", {"class": "ocr_carea", "id": f"block_{n}_{bi}", "title": bbox_title(box)}
            )
            par_attrs = {"class": "ocr_par", "id": f"par_{n}_{bi}", "title": bbox_title(box)}
            lang = block_language(lines, document.languages)
            if lang:
                par_attrs["lang"] = lang
            par = ET.SubElement(area, "p", par_attrs)
            for line in lines:
                li = page.lines.index(line) + 1
                height = line.bbox[3] - line.bbox[1]
                line_el = ET.SubElement(
                    par,
                    "span",
                    {
                        "class": "ocr_line",
                        "id": f"line_{n}_{li}",
                        "title": bbox_title(
                            line.bbox,
                            baseline=f"0 {-round(height * _DESCENT)}",
                            x_size=height,
                            x_descenders=round(height * _DESCENT),
                            x_ascenders=0,
                        ),
                    },
                )
                for wi, word in enumerate(line.words, start=1):
                    ET.SubElement(
                        line_el,
                        "span",
                        {
                            "class": "ocrx_word",
                            "id": f"word_{n}_{li}_{wi}",
                            "title": bbox_title(word.bbox, x_wconf=round(word.confidence * 100)),
                        },
                    ).text = word.text
    return xml_text(
        html_el,
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
        ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    )


#: ALTO v4 namespace and the schema version written.


EXPORTER = Exporter("hocr", ".hocr", to_hocr, description="hOCR 1.2 with blocks, paragraphs, lines and words")
