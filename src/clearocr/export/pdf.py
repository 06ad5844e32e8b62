"""Searchable PDF output: the input's pages with an invisible, selectable OCR text layer.

How it is made, with kept libraries only (no PDF syntax written here):

* **The pages.** A PDF input keeps its own pages (content streams, fonts, images, page boxes) as
  pikepdf opens them; pages that were not read are dropped. An image input becomes one PDF page per
  image frame through img2pdf, losslessly (a JPEG is embedded as it is; EXIF orientation becomes
  ``/Rotate``); images img2pdf refuses are decoded by clearocr and embedded as PNG.
* **The text.** Each OCR'd page's words are laid out by OCRmyPDF's fpdf2 renderer
  (``ocrmypdf.fpdf_renderer``, OCRmyPDF >= 17): invisible text (render mode 3), one word per box,
  horizontally scaled to the box width, with font fallback down to OCRmyPDF's glyphless font, so any
  script (Chinese included) is searchable and copies out as Unicode.
* **The graft.** The text page becomes a Form XObject drawn on the original page through one matrix:
  text-page points -> box pixels -> (inverse of the orientation turn and deskew rotation,
  :attr:`~clearocr.document.Page.transform`) -> input page-image pixels -> PDF user space, the last
  step measured with PDFium's own device-to-page map (``FPDF_DeviceToPage``), the one used to render
  the page for OCR. So ``/Rotate``, CropBox origins and a straightened scan all land the words on the
  printed ones. Pages whose text came from their own text layer are left untouched.

The result is written by pikepdf (qpdf) with object streams; with ``pdfa=True`` by
``pikepdf.pdfa.save`` as PDF/A-2b, validated before it is returned.
"""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clearocr.document import Document, Page, is_cjk, paragraphs
from clearocr.errors import PdfOutputError
from clearocr.export.base import Exporter
from clearocr.io import check_regular_file, is_pdf, open_source
from clearocr.preprocess import right_angle_matrix

log = logging.getLogger(__name__)

#: Font sizes and text are laid out at this resolution, in box pixels per PDF point.
_TEXT_LAYER_DPI = 72.0


def _require() -> None:
    try:
        import img2pdf  # noqa: F401
        import pikepdf  # noqa: F401
        from ocrmypdf.font import MultiFontManager  # noqa: F401
        from ocrmypdf.fpdf_renderer import Fpdf2MultiPageRenderer  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a broken install
        raise PdfOutputError(
            f"searchable PDF output needs ocrmypdf>=17, pikepdf and img2pdf ({exc}); "
            "reinstall clearocr (pip install clearocr)"
        ) from None


def matrix3(affine: tuple[float, ...]) -> np.ndarray:
    """The 3x3 homogeneous matrix of a 2x3 affine ``(a, b, c, d, e, f)`` (:mod:`clearocr.geometry`)."""
    a, b, c, d, e, f = affine
    return np.array([[a, b, c], [d, e, f], [0.0, 0.0, 1.0]])


def device_to_page(pdf: Any, index: int, width_px: int, height_px: int) -> np.ndarray:
    """3x3 map from pixel coordinates of page ``index`` rendered at ``width_px x height_px`` (as
    :class:`~clearocr.io.PdfSource` renders it) to PDF user space, measured with PDFium.

    Args:
        pdf: an open ``pypdfium2.PdfDocument``, or the PDF's bytes (opened and closed here)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdf if isinstance(pdf, pdfium.PdfDocument) else pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        try:
            out_x, out_y = ctypes.c_double(), ctypes.c_double()

            def user(x: int, y: int) -> tuple[float, float]:
                pdfium_c.FPDF_DeviceToPage(
                    page.raw, 0, 0, width_px, height_px, 0, x, y, ctypes.byref(out_x), ctypes.byref(out_y)
                )
                return out_x.value, out_y.value

            # Integer device points far apart, so PDFium's rounding is negligible.
            ox, oy = user(0, 0)
            xx, xy = user(width_px, 0)
            yx, yy = user(0, height_px)
        finally:
            page.close()
    finally:
        if doc is not pdf:
            doc.close()
    return np.array(
        [
            [(xx - ox) / width_px, (yx - ox) / height_px, ox],
            [(xy - oy) / width_px, (yy - oy) / height_px, oy],
            [0.0, 0.0, 1.0],
        ]
    )


def _separated(words: list[Any], min_gap: float = 0.2) -> list[tuple[int, int, int, int]]:
    """Word boxes of one line, pulled apart so that neighbours are at least ``min_gap`` x the line
    height apart.

    Engines pad word boxes (RapidOCR's come from CTC character spans), so neighbours often touch or
    overlap. Text extractors find word breaks from geometry alone (poppler's pdftotext drops space
    characters and breaks words at gaps over 0.1 em), so text drawn into touching boxes runs
    together. The gap is opened around the middle of the two boxes, taking at most a quarter of
    either word's width; boxes already far enough apart are kept exactly. Between two Chinese
    characters (no space in the text) overlaps are cut, no gap is opened."""
    boxes = [list(w.bbox) for w in words]
    order = sorted(range(len(boxes)), key=lambda i: boxes[i][0])
    for left, right in zip(order, order[1:]):
        a, b = boxes[left], boxes[right]
        height = max(a[3] - a[1], b[3] - b[1], 1)
        gap = int(round(min_gap * height))
        if b[0] - a[2] >= gap or min(a[3], b[3]) <= max(a[1], b[1]):
            continue
        if is_cjk(words[left].text[-1:]) and is_cjk(words[right].text[:1]):
            # No space between Chinese characters: touching is right; only an overlap is cut.
            if b[0] < a[2]:
                a[2] = b[0] = (a[2] + b[0]) // 2
            continue
        mid = (a[2] + b[0]) / 2.0
        a[2] = int(max(a[0] + 0.75 * (a[2] - a[0]), min(a[2], mid - gap / 2.0)))
        b[0] = int(round(min(b[2] - 0.75 * (b[2] - b[0]), max(b[0], mid + gap / 2.0))))
    return [(b[0], b[1], b[2], b[3]) for b in boxes]


@dataclass
class LayerPlan:
    """What one page's text layer draws: blocks of lines of ``(text, box, confidence)`` words, in a
    ``width x height`` pixel space that ``to_source`` (3x3) maps onto the input page image."""

    width: int
    height: int
    to_source: np.ndarray
    blocks: list[list[list[tuple[str, tuple[int, int, int, int], float]]]]


#: A deskew rotation smaller than this (degrees) is drawn as part of the layer's matrix; larger ones
#: get upright words placed on the skewed ones (see :func:`layer_plan`).
_UPRIGHT_ABOVE_DEGREES = 0.1


def layer_plan(page: Page) -> LayerPlan:
    """Where the words go. Unskewed pages (and right-angle turns) keep their lines and the layer is
    mapped back by the inverse of :attr:`Page.transform`. On a page that was straightened, words are
    drawn upright at their places on the skewed scan, one per line: text rotated by a few degrees
    is split into letters by extractors (poppler groups glyphs only along the page axes)."""

    transform = matrix3(page.transform)
    assert page.source_size is not None
    src_w, src_h = page.source_size
    turn = right_angle_matrix(page.rotation, src_w, src_h)
    straighten = transform @ np.linalg.inv(turn)
    angle = np.degrees(np.arctan2(straighten[1, 0], straighten[0, 0]))
    blocks = [
        [
            [(w.text, b, w.confidence) for w, b in zip(line.words, _separated(line.words)) if w.text.strip()]
            for line in lines
        ]
        for lines in paragraphs(page.lines)
    ]
    if abs(angle) <= _UPRIGHT_ABOVE_DEGREES:
        return LayerPlan(page.width, page.height, np.linalg.inv(transform), blocks)
    width, height = (src_h, src_w) if page.rotation in (90, 270) else (src_w, src_h)
    back = np.linalg.inv(straighten)
    upright = []
    for block in blocks:
        lines = []
        for line in block:
            for text, (x0, y0, x1, y1), confidence in line:
                cx, cy, _ = back @ np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0, 1.0])
                half_w, half_h = (x1 - x0) / 2.0, (y1 - y0) / 2.0
                box = (
                    int(round(cx - half_w)),
                    int(round(cy - half_h)),
                    int(round(cx + half_w)),
                    int(round(cy + half_h)),
                )
                box = (max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3]))
                if box[2] > box[0] and box[3] > box[1]:
                    lines.append([(text, box, confidence)])
        upright.append(lines)
    return LayerPlan(width, height, np.linalg.inv(turn), upright)


def ocr_tree(plan: LayerPlan, number: int, dpi: float = _TEXT_LAYER_DPI) -> Any:
    """A plan as OCRmyPDF's ``OcrElement`` tree (``ocr_page > ocr_par > ocr_line > ocrx_word``)."""
    from ocrmypdf.models.ocr_element import BoundingBox, OcrClass, OcrElement

    def box(b: tuple[int, int, int, int]) -> BoundingBox:
        return BoundingBox(left=b[0], top=b[1], right=max(b[0], b[2]), bottom=max(b[1], b[3]))

    def union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    paragraphs = []
    for block in plan.blocks:
        lines = []
        for line in block:
            if not line:
                continue
            words = [
                OcrElement(ocr_class=OcrClass.WORD, bbox=box(b), text=t, confidence=c) for t, b, c in line
            ]
            lines.append(
                OcrElement(ocr_class=OcrClass.LINE, bbox=box(union([b for _, b, _ in line])), children=words)
            )
        if lines:
            paragraphs.append(
                OcrElement(
                    ocr_class=OcrClass.PARAGRAPH,
                    bbox=box(union([b for line in block for _, b, _ in line])),
                    children=lines,
                )
            )
    return OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=BoundingBox(0, 0, plan.width, plan.height),
        children=paragraphs,
        dpi=dpi,
        page_number=number - 1,
    )


def text_layer_pdf(plans: list[tuple[int, LayerPlan]], dpi: float = _TEXT_LAYER_DPI) -> bytes:
    """One invisible-text page per plan, each ``width x height`` pixels at ``dpi`` (default: 1 pt
    per pixel)."""
    import tempfile

    from ocrmypdf.font import MultiFontManager
    from ocrmypdf.fpdf_renderer import Fpdf2MultiPageRenderer

    data = [(number - 1, ocr_tree(plan, number, dpi), dpi) for number, plan in plans]
    with tempfile.TemporaryDirectory(prefix="clearocr-pdf-") as tmp:
        out = Path(tmp) / "text.pdf"
        Fpdf2MultiPageRenderer(data, MultiFontManager(), invisible_text=True).render(out)
        return out.read_bytes()


def _source_bytes(document: Document, source: Any) -> bytes:
    from PIL import Image as PILImage

    if source is None:
        source = document.source
        if not (isinstance(source, str) and os.path.isfile(source)):
            raise PdfOutputError(
                f"{document.source}: a searchable PDF needs the input document; pass source= "
                "(its path, bytes or PIL image)"
            )
    if isinstance(source, (str, os.PathLike)):
        check_regular_file(source)
        return Path(source).read_bytes()
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, PILImage.Image):
        buffer = io.BytesIO()
        source.save(buffer, format="PNG")
        return buffer.getvalue()
    if isinstance(source, np.ndarray):
        buffer = io.BytesIO()
        PILImage.fromarray(source).save(buffer, format="PNG")
        return buffer.getvalue()
    raise PdfOutputError(f"{document.source}: cannot make a PDF from a {type(source).__name__}")


def _image_pages_pdf(document: Document, data: bytes) -> bytes:
    """A PDF with one page per image frame: img2pdf on the file as it is (lossless), or, when img2pdf
    refuses it or its pages do not match the frames read, the frames as decoded here, as PNG."""
    import img2pdf
    import pypdfium2 as pdfium

    def matches(pdf: bytes) -> bool:
        doc = pdfium.PdfDocument(pdf)
        try:
            for page in document.pages:
                if page.source_size is None or page.number > len(doc):
                    return False
                w_pt, h_pt = doc[page.number - 1].get_size()
                w_px, h_px = page.source_size
                if abs((w_pt / h_pt) / (w_px / h_px) - 1) > 0.01:
                    return False
            return True
        finally:
            doc.close()

    try:
        pdf = img2pdf.convert(data, rotation=img2pdf.Rotation.ifvalid)
        if matches(pdf):
            return pdf
        log.info("%s: img2pdf pages do not match the frames read; embedding decoded frames", document.source)
    except Exception as exc:  # img2pdf raises its own and PIL errors for what it does not embed
        log.info(
            "%s: img2pdf cannot embed the image as it is (%s); embedding it decoded, as PNG",
            document.source,
            exc,
        )
    from PIL import Image as PILImage

    frames = []
    with open_source(data, name=document.source) as src:
        for page in document.pages:
            image = src.page(page.number)
            buffer = io.BytesIO()
            dpi = image.dpi or 72.0
            PILImage.fromarray(image.image).save(buffer, format="PNG", dpi=(dpi, dpi))
            frames.append(buffer.getvalue())
    return img2pdf.convert(frames)


def to_pdf(document: Document, source: Any = None, *, pdfa: bool = False) -> bytes:
    """A searchable PDF of ``document``: its pages with invisible OCR text on the printed words.

    Args:
        document: a read document whose pages carry ``source_size`` (documents read by this version).
        source: the input the document was read from: a path, bytes, PIL image or array. Default: the
            path in ``document.source``.
        pdfa: write PDF/A-2b (archival): pikepdf adds the sRGB output intent and the XMP declaration,
            repairs what it can, and validates the bytes with its PDF/A validator; a file it cannot
            approve (a born-digital input with fonts that are not embedded, JavaScript, ...) is a
            PdfOutputError naming the findings, not a PDF that only claims to be PDF/A.

    Returns:
        The PDF file's bytes: one page per page of ``document``, in its order. For a PDF input the
        pages are the input's own, unchanged except for the added text (pages not read are left out);
        for an image input, the image at its own resolution.

    Raises:
        PdfOutputError: no source, or it does not match the document (fewer pages, other sizes);
        InputError and its subclasses for a source that cannot be read.
    """
    _require()
    import pikepdf

    data = _source_bytes(document, source)

    base_bytes = data if is_pdf(data[:1024]) else _image_pages_pdf(document, data)
    try:
        base = pikepdf.open(io.BytesIO(base_bytes))
    except pikepdf.PdfError as exc:
        raise PdfOutputError(f"{document.source}: the source PDF cannot be opened ({exc})") from None
    with base:
        count = len(base.pages)
        wanted = [p.number for p in document.pages]
        if any(n > count for n in wanted):
            raise PdfOutputError(
                f"{document.source}: the source has {count} pages; the document has page "
                f"{max(wanted)}: pass the input the document was read from"
            )
        ocr_pages = [p for p in document.pages if p.text_source == "ocr" and p.words]
        for page in ocr_pages:
            if page.source_size is None:
                raise PdfOutputError(
                    f"{document.source}: page {page.number} has no source_size "
                    "(a document saved by an older version); read it again"
                )
        if ocr_pages:
            plans = [(page.number, layer_plan(page)) for page in ocr_pages]
            import pypdfium2 as pdfium

            text_pdf = pikepdf.open(io.BytesIO(text_layer_pdf(plans)))
            pages_map = pdfium.PdfDocument(base_bytes)  # opened once: PDFium's page-to-device maps
            try:
                for text_page, page, (_, plan) in zip(text_pdf.pages, ocr_pages, plans):
                    _graft(base, pages_map, page, plan, text_page)
            finally:
                pages_map.close()
        # Keep only the pages read, in the document's order (a page read twice is copied).
        if wanted != list(range(1, count + 1)):
            originals = list(base.pages)
            kept = [originals[n - 1] for n in wanted]
            while len(base.pages):
                del base.pages[-1]
            seen: set[tuple[int, int]] = set()
            for page_obj in kept:
                key = page_obj.obj.objgen
                base.pages.append(
                    page_obj if key not in seen else pikepdf.Page(base.copy_foreign(page_obj.obj))
                )
                seen.add(key)
        out = io.BytesIO()
        if pdfa:
            from pikepdf.pdfa import PdfaError
            from pikepdf.pdfa import save as save_pdfa

            try:
                save_pdfa(base, out, "2b", output_intent="sRGB")
            except PdfaError as exc:
                findings = "; ".join(str(f) for f in exc.report.findings[:3])
                raise PdfOutputError(
                    f"{document.source}: cannot be made PDF/A-2b ({findings}); write a plain PDF (-f pdf)"
                ) from None
        else:
            base.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
        return out.getvalue()


def _graft(base: Any, pages_map: Any, page: Page, plan: LayerPlan, text_page: Any) -> None:
    """Draw ``text_page`` (the plan's space, 1 pt per pixel) on ``base.pages[page.number - 1]``."""
    import pikepdf

    target = base.pages[page.number - 1]
    assert page.source_size is not None
    to_user = device_to_page(pages_map, page.number - 1, *page.source_size)
    # text-page points (origin bottom-left) -> box pixels (origin top-left)
    flip = np.array([[1.0, 0.0, 0.0], [0.0, -1.0, float(plan.height)], [0.0, 0.0, 1.0]])
    matrix = to_user @ plan.to_source @ flip
    form = base.copy_foreign(text_page.as_form_xobject())
    name = target.add_resource(form, pikepdf.Name.XObject, prefix="OCR")
    a, c, e = matrix[0]
    b, d, f = matrix[1]
    instructions = [
        pikepdf.ContentStreamInstruction([], pikepdf.Operator("q")),
        pikepdf.ContentStreamInstruction([float(v) for v in (a, b, c, d, e, f)], pikepdf.Operator("cm")),
        pikepdf.ContentStreamInstruction([name], pikepdf.Operator("Do")),
        pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")),
    ]
    # The page's own content is wrapped in q/Q so that a graphics state it leaves behind (an
    # unbalanced cm) cannot move the text layer.
    target.contents_coalesce()
    target.contents_add(
        base.make_stream(
            pikepdf.unparse_content_stream([pikepdf.ContentStreamInstruction([], pikepdf.Operator("q"))])
        ),
        prepend=True,
    )
    target.contents_add(
        base.make_stream(
            pikepdf.unparse_content_stream(
                [pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q"))] + instructions
            )
        )
    )


def _pdfa(document: Document, source: Any = None) -> bytes:
    return to_pdf(document, source, pdfa=True)


PDF = Exporter(
    "pdf",
    ".pdf",
    to_pdf,
    needs_source=True,
    description="searchable PDF: the input's pages with an invisible text layer",
)
PDFA = Exporter(
    "pdfa",
    ".pdf",
    _pdfa,
    needs_source=True,
    description="the searchable PDF as PDF/A-2b, validated (an input that cannot be is an error)",
)
