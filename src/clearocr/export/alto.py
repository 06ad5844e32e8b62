"""ALTO XML v4.2 exporter."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from clearocr.document import Document, printable_name, union_bbox
from clearocr.export.base import Exporter
from clearocr.export.markup import block_language, paragraph_blocks, xml_text

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
ALTO_VERSION = "4.2"


def to_alto(document: Document) -> str:
    """ALTO XML v4.2 (https://www.loc.gov/standards/alto/): ``Page > PrintSpace > TextBlock > TextLine >
    String`` with ``SP`` between words, in pixels (``MeasurementUnit`` pixel), ``WC`` in ``[0, 1]``,
    ``LANG`` per block. One ``Page`` per page, ``PHYSICAL_IMG_NR`` its 1-based number in the source.
    Blocks are the page's paragraphs (:func:`~clearocr.export.markup.paragraph_blocks`); after post-correction the corrected text is
    written (the raw text stays in the JSON)."""

    ET.register_namespace("", ALTO_NS)
    ET.register_namespace("xsi", "http://www.w3.org/2001/XMLSchema-instance")

    def q(tag: str) -> str:
        return f"{{{ALTO_NS}}}{tag}"

    def geometry(bbox: tuple[int, int, int, int]) -> dict[str, str]:
        x0, y0, x1, y1 = bbox
        return {
            "HPOS": str(x0),
            "VPOS": str(y0),
            "WIDTH": str(max(0, x1 - x0)),
            "HEIGHT": str(max(0, y1 - y0)),
        }

    root = ET.Element(
        q("alto"),
        {
            "SCHEMAVERSION": ALTO_VERSION,
            "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation": f"{ALTO_NS} http://www.loc.gov/standards/alto/v4/alto-4-2.xsd",
        },
    )
    description = ET.SubElement(root, q("Description"))
    ET.SubElement(description, q("MeasurementUnit")).text = "pixel"
    info = ET.SubElement(description, q("sourceImageInformation"))
    ET.SubElement(info, q("fileName")).text = printable_name(document.source)
    processing = ET.SubElement(description, q("Processing"), {"ID": "OCR_0"})
    ET.SubElement(processing, q("processingStepDescription")).text = (
        "OCR, then post-correction" if document.corrections else "OCR"
    )
    software = ET.SubElement(processing, q("processingSoftware"))
    ET.SubElement(software, q("softwareName")).text = "clearocr"
    layout = ET.SubElement(root, q("Layout"))
    for page in document.pages:
        n = page.number
        page_attrs = {
            "ID": f"page_{n}",
            "PHYSICAL_IMG_NR": str(n),
            "WIDTH": str(page.width),
            "HEIGHT": str(page.height),
        }
        words = page.words
        if words:
            chars = sum(len(w.text) for w in words) or 1
            page_attrs["PC"] = f"{sum(w.confidence * len(w.text) for w in words) / chars:.4f}"
        page_el = ET.SubElement(layout, q("Page"), page_attrs)
        space = ET.SubElement(page_el, q("PrintSpace"), geometry((0, 0, page.width, page.height)))
        for bi, (_, lines) in enumerate(paragraph_blocks(page), start=1):
            block_attrs = {"ID": f"block_{n}_{bi}", **geometry(union_bbox(line.bbox for line in lines))}
            lang = block_language(lines, document.languages)
            if lang:
                block_attrs["LANG"] = lang
            block = ET.SubElement(space, q("TextBlock"), block_attrs)
            for line in lines:
                li = page.lines.index(line) + 1
                line_el = ET.SubElement(block, q("TextLine"), {"ID": f"line_{n}_{li}", **geometry(line.bbox)})
                for wi, word in enumerate(line.words, start=1):
                    if wi > 1:
                        prev = line.words[wi - 2]
                        ET.SubElement(
                            line_el,
                            q("SP"),
                            {
                                "WIDTH": str(max(0, word.bbox[0] - prev.bbox[2])),
                                "VPOS": str(word.bbox[1]),
                                "HPOS": str(prev.bbox[2]),
                            },
                        )
                    ET.SubElement(
                        line_el,
                        q("String"),
                        {
                            "ID": f"string_{n}_{li}_{wi}",
                            **geometry(word.bbox),
                            "CONTENT": word.text,
                            "WC": f"{min(1.0, max(0.0, word.confidence)):.4f}",
                        },
                    )
    return xml_text(root)


EXPORTER = Exporter("alto", ".xml", to_alto, description="ALTO XML v4.2")
