"""PDF sources: pages rendered one at a time with pypdfium2, with their text layer's words."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from clearocr.errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    ImageTooLargeError,
    InputError,
)
from clearocr.io.base import (
    MAX_RENDER_PIXELS,
    MIN_RENDER_DPI,
    LayerWord,
    PageImage,
    SourceDocument,
    _read_head,
    check_aspect,
    to_rgb_array,
)


class PdfSource(SourceDocument):
    """A PDF read with pypdfium2; pages are rendered lazily at ``dpi``.

    The text layer (if any) is extracted per page with character boxes, for ``pdf_text`` auto/layer.
    """

    def __init__(self, data: Any, name: str, dpi: int, max_pixels: int, want_layer: bool) -> None:
        import pypdfium2 as pdfium

        self.name = name
        self.dpi = dpi
        self._max_pixels = max_pixels
        self._want_layer = want_layer
        try:
            self._pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            code = getattr(exc, "err_code", None)
            head = data if isinstance(data, bytes) else _read_head(data, 16 << 20)
            # PDFium does not set an error for an empty page tree: its last error is then stale
            # ("Success", or whatever a previous file left), so look for page objects ourselves.
            if code == pdfium.raw.FPDF_ERR_SUCCESS or (
                re.search(rb"/Type\s*/Pages\b", head)
                and not re.search(rb"/Type\s*/Page(?![a-zA-Z])", head)
                and len(head) < (16 << 20)
            ):
                raise EmptyInputError(name, "PDF has no pages (its page tree is empty)") from None
            if code == pdfium.raw.FPDF_ERR_PASSWORD and b"/Encrypt" not in head:
                # PDFium also says "password" for some unencrypted files it cannot open (an empty page tree).
                raise CorruptInputError(
                    name, "PDFium cannot open it: no pages or a damaged page tree"
                ) from None
            if code == pdfium.raw.FPDF_ERR_PASSWORD:
                raise EncryptedPDFError(
                    name, "PDF is password-protected; decrypt it first (e.g. qpdf --decrypt)"
                ) from None
            if code == pdfium.raw.FPDF_ERR_SECURITY:
                raise EncryptedPDFError(name, "PDF uses an unsupported security handler") from None
            if code == pdfium.raw.FPDF_ERR_FORMAT:
                raise CorruptInputError(
                    name, "PDF is damaged or truncated (PDFium: file not in PDF format or corrupted)"
                ) from None
            raise CorruptInputError(name, f"not a readable PDF ({exc})") from None
        self.page_count = len(self._pdf)
        if self.page_count == 0:
            self._pdf.close()
            raise EmptyInputError(name, "PDF has 0 pages")

    def page(self, number: int) -> PageImage:
        import pypdfium2 as pdfium

        dpi = float(self.dpi)
        steps: list[tuple[str, dict[str, Any]]] = []
        try:
            page = self._pdf[number - 1]
        except (pdfium.PdfiumError, IndexError) as exc:
            raise CorruptInputError(self.name, f"page {number} cannot be loaded ({exc})") from None
        try:
            width_pt, height_pt = page.get_size()
            if not (width_pt >= 1 and height_pt >= 1):
                raise EmptyInputError(
                    self.name, f"page {number} has no area ({width_pt:g} x {height_pt:g} pt)"
                )
            check_aspect(f"{self.name}: page {number}", round(width_pt), round(height_pt))
            budget = min(self._max_pixels, MAX_RENDER_PIXELS)
            pixels = (width_pt * dpi / 72.0) * (height_pt * dpi / 72.0)
            if pixels > budget:
                # A huge page (a poster, a 44-inch sheet): render it at the DPI that fits the budget.
                fitted = float(np.floor(dpi * (budget / pixels) ** 0.5))
                if fitted < MIN_RENDER_DPI:
                    raise ImageTooLargeError(
                        self.name,
                        f"page {number} is {width_pt / 72:,.0f} x {height_pt / 72:,.0f} inches: it fits the "
                        f"{budget:,}-pixel page budget only at {dpi * (budget / pixels) ** 0.5:.2g} dpi, below "
                        f"the {MIN_RENDER_DPI} dpi where print can be read",
                    )
                steps.append(
                    (
                        "render_dpi",
                        {
                            "dpi": fitted,
                            "requested_dpi": dpi,
                            "reason": f"{width_pt / 72:.1f} x {height_pt / 72:.1f} in page over "
                            f"{budget:,} pixels at {dpi:g} dpi",
                        },
                    )
                )
                dpi = fitted
            scale = dpi / 72.0
            bitmap = page.render(scale=scale, rotation=0)
            image = to_rgb_array(bitmap.to_pil())
            layer = self._layer_words(page, image.shape[1], image.shape[0]) if self._want_layer else []
            turn = self._layer_turn(page) if layer else 0
        except InputError:
            raise
        except pdfium.PdfiumError as exc:
            raise CorruptInputError(self.name, f"page {number} cannot be rendered ({exc})") from None
        finally:
            page.close()
        return PageImage(number=number, image=image, dpi=dpi, layer_words=layer, steps=steps, layer_turn=turn)

    @staticmethod
    def _layer_turn(page: Any) -> int:
        """The clockwise turn that makes the text layer upright on the rendered page: the page's
        ``/Rotate`` undone when most of its characters are upright in the page's own space
        (PDFium's character angle, sampled on up to 200 characters), else 0."""
        import math

        import pypdfium2.raw as pdfium_c

        rotation = page.get_rotation() % 360
        if not rotation:
            return 0
        textpage = page.get_textpage()
        try:
            count = textpage.count_chars()
            step = max(1, count // 200)
            angles = [pdfium_c.FPDFText_GetCharAngle(textpage.raw, i) for i in range(0, count, step)]
        finally:
            textpage.close()
        upright = sum(1 for a in angles if 0 <= a and min(a, 2 * math.pi - a) < math.radians(10))
        return (360 - rotation) % 360 if angles and upright > len(angles) / 2 else 0

    @staticmethod
    def _layer_words(page: Any, width_px: int, height_px: int) -> list[LayerWord]:
        """Words of the page's text layer with pixel boxes (top-left origin) on the page as rendered
        at ``width_px x height_px``.

        Character boxes are in PDF user space; PDFium's own page-to-device transform
        (``FPDF_PageToDevice``) maps them onto the rendered bitmap, so ``/Rotate`` and a MediaBox
        or CropBox whose origin is not (0, 0) land where the text is drawn.
        """
        import ctypes

        import pypdfium2.raw as pdfium_c

        device_x, device_y = ctypes.c_int(), ctypes.c_int()

        def to_device(x: float, y: float) -> tuple[int, int]:
            pdfium_c.FPDF_PageToDevice(
                page.raw, 0, 0, width_px, height_px, 0, x, y, ctypes.byref(device_x), ctypes.byref(device_y)
            )
            return device_x.value, device_y.value

        textpage = page.get_textpage()
        try:
            count = textpage.count_chars()
            if count <= 0:
                return []
            text = textpage.get_text_range(0, count)
            per_char = len(text) == count
            words: list[LayerWord] = []
            chars: list[str] = []
            boxes: list[tuple[float, float, float, float]] = []
            pending_break = False

            def flush() -> None:
                nonlocal pending_break
                if chars and boxes:
                    corners = [to_device(x, y) for b in boxes for x, y in ((b[0], b[1]), (b[2], b[3]))]
                    xs = [c[0] for c in corners]
                    ys = [c[1] for c in corners]
                    bbox = (max(0, min(xs)), max(0, min(ys)), min(width_px, max(xs)), min(height_px, max(ys)))
                    words.append(LayerWord("".join(chars), bbox, pending_break))
                    pending_break = False
                chars.clear()
                boxes.clear()

            for index in range(count):
                char = text[index] if per_char else textpage.get_text_range(index, 1)
                if not char or char.isspace() or char == "\x00":
                    flush()
                    if char in ("\r", "\n"):
                        pending_break = True
                    continue
                box = textpage.get_charbox(index)
                if boxes and box[0] < boxes[-1][0] - 1 and box[3] < boxes[-1][1]:
                    flush()  # the next char sits left of and below this one: a new line
                    pending_break = True
                chars.append(char)
                if box[2] > box[0] and box[3] > box[1]:
                    boxes.append(box)
            flush()
            return words
        finally:
            textpage.close()

    def close(self) -> None:
        self._pdf.close()
