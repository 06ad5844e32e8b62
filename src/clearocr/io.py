"""Loading documents: images (PNG, JPEG, TIFF incl. multi-page, BMP, GIF, WebP) and PDFs.

Sources may be a path (``str`` / ``os.PathLike``), ``bytes``, a binary file object, a PIL image or a
numpy array (``HxW`` grey or ``HxWx3`` RGB / ``HxWx4`` RGBA, ``uint8``). PDF pages are rendered one at a
time with pypdfium2 when asked for, never all at once. Every failure becomes an
:class:`~clearocr.errors.InputError` subclass naming the source and the cause.
"""

from __future__ import annotations

import errno
import functools
import io as _stdio
import logging
import os
import re
import stat
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from struct import error as struct_error
from typing import IO, Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from clearocr.document import BBox
from clearocr.errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    InputPermissionError,
    UnsupportedInputError,
)
from clearocr.options import DEFAULT_MAX_PIXELS, parse_page_spec

Source = str | os.PathLike | bytes | bytearray | IO[bytes] | Image.Image | np.ndarray

#: Image DPI values below this are treated as "unknown" (many files carry a meaningless 1 or 72).
_MIN_CREDIBLE_DPI = 50

log = logging.getLogger("clearocr.io")

#: Pillow formats clearocr opens (an allow-list: Pillow knows ~40 formats, some of which run external
#: programs, e.g. EPS through Ghostscript). The JPEG opener also gives MPO, the multi-picture JPEG
#: that phone cameras write.
IMAGE_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "TIFF", "BMP", "DIB", "GIF", "WEBP", "PPM", "JPEG2000")
IMAGE_FORMAT_NAMES = "PNG, JPEG, TIFF, BMP, GIF, WebP, PNM, JPEG 2000"


@functools.cache
def document_suffixes() -> frozenset[str]:
    """File suffixes (lower case, with the dot) of every format :func:`open_source` reads: the
    extensions Pillow registers for :data:`IMAGE_FORMATS` (and MPO), and ``.pdf``. The one list that
    folder walks (batch) and the CLI use, so a format that ``read`` opens is never passed over as
    "not a document" elsewhere."""
    Image.init()
    allowed = set(IMAGE_FORMATS) | {"MPO"}
    return frozenset({ext for ext, fmt in Image.registered_extensions().items() if fmt in allowed} | {".pdf"})


#: PDF pages are rendered with at most this many pixels: a larger page (a poster, a 44-inch sheet) is
#: rendered at a lower DPI that fits, recorded in the page's preprocessing. 36 Mpx holds an A4 page at
#: 600 dpi (34.8 Mpx); the OCR image is shrunk to ``max_side`` afterwards anyway.
MAX_RENDER_PIXELS = 36_000_000

#: A PDF page that fits :data:`MAX_RENDER_PIXELS` only below this resolution is refused
#: (ImageTooLargeError) instead of being rendered: the PDF specification's largest page (14,400 units,
#: 200 inches a side) fits at 30 dpi, and a page of a million points would need under 1 dpi, where no
#: print is legible.
MIN_RENDER_DPI = 20

#: Images whose sides differ by more than this factor are refused: no page or text line is that
#: thin, and the engine would have to upscale such a strip by the same factor (a 100000x10 PNG of
#: 1.4 KB once cost 6 GB). A single text line is typically 10:1 to 60:1.
MAX_ASPECT_RATIO = 200

#: Image files larger than this are refused before being read (a scan that is a real image is far
#: smaller; PDFs are opened from the path without being read into memory).
MAX_IMAGE_FILE_BYTES = 256 * 1024 * 1024

#: Leading bytes of formats people send by mistake, for an error that says what the file is.
_KNOWN_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"%!PS", 0, "a PostScript/EPS file"),
    (b"\xc5\xd0\xd3\xc6", 0, "an EPS file (DOS binary)"),
    (b"PK\x03\x04", 0, "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"ftypheic", 4, "a HEIC image (convert it to JPEG or PNG first)"),
    (b"ftypheix", 4, "a HEIC image (convert it to JPEG or PNG first)"),
    (b"ftypmif1", 4, "a HEIF image (convert it to JPEG or PNG first)"),
    (b"ftypavif", 4, "an AVIF image (convert it to PNG first)"),
    (b"8BPS", 0, "a Photoshop document"),
    (b"\xd0\xcf\x11\xe0", 0, "an old Microsoft Office document"),
    (b"<svg", 0, "an SVG drawing (render it to PNG first)"),
    (b"<?xml", 0, "an XML file (an SVG drawing?)"),
    (b"<!DOCTYPE", 0, "an HTML file"),
    (b"<html", 0, "an HTML file"),
    (b"\x00\x00\x01\x00", 0, "a Windows icon"),
)


#: The UTF-8 byte-order mark some editors put before a text format (PostScript, SVG, HTML).
_UTF8_BOM = b"\xef\xbb\xbf"


def describe_bytes(data: bytes) -> str | None:
    """What ``data`` is, when it is a well-known format clearocr does not read (None otherwise): judged
    by its leading signature, after whitespace and a UTF-8 byte-order mark."""
    head = data[:64].removeprefix(_UTF8_BOM).lstrip()
    for signature, offset, what in _KNOWN_SIGNATURES:
        probe = data if offset else head
        if probe[offset : offset + len(signature)].lower() == signature.lower():
            return what
    return None


@dataclass
class LayerWord:
    """A word from a PDF text layer: its text and its bbox in pixels at the render DPI."""

    text: str
    bbox: BBox
    line_break_before: bool = False


@dataclass
class PageImage:
    """One page ready for preprocessing and OCR.

    Attributes:
        number: 1-based page number in the source.
        image: RGB ``uint8`` array of shape ``(height, width, 3)``.
        dpi: resolution in dots per inch, or None when unknown.
        layer_words: words of the PDF text layer (empty for images and image-only pages).
        steps: loading-time steps worth recording (EXIF transpose, alpha flattening).
        layer_turn: clockwise degrees (0, 90, 180, 270) that turn ``image`` so that the text layer
            reads upright: a PDF page whose ``/Rotate`` shows upright text sideways.
    """

    number: int
    image: np.ndarray
    dpi: float | None
    layer_words: list[LayerWord] = field(default_factory=list)
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    layer_turn: int = 0


def source_name(source: Any) -> str:
    """A printable name for ``source``: the path as given, or ``<bytes>``, ``<PIL image>`` ..."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray)):
        return "<bytes>"
    if isinstance(source, Image.Image):
        return "<PIL image>"
    if isinstance(source, np.ndarray):
        return "<array>"
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    return f"<{type(source).__name__}>"


def to_rgb_array(image: Image.Image) -> np.ndarray:
    """Any PIL mode as an RGB ``uint8`` array; transparent areas become white (paper), not black."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba)
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        image = Image.fromarray(scale_to_uint8(np.asarray(image, dtype=np.float64)))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image))


class NoFinitePixelsError(ValueError):
    """An image whose every sample is NaN or infinite (raised by :func:`scale_to_uint8`)."""


def scale_to_uint8(samples: np.ndarray) -> np.ndarray:
    """Grey or colour samples of any numeric type as ``uint8`` 0-255, for 16-bit, 32-bit integer and
    floating-point images (scientific TIFFs, arrays from other tools).

    Floats in [0, 1] are scaled by 255 and values in [0, 255] kept; other ranges (negative values,
    16- or 32-bit samples above 255) are stretched linearly from their minimum (or 0, when none is
    negative) to their maximum. NaN and infinite samples carry no ink: they become white (paper).

    Raises:
        NoFinitePixelsError: no sample is a finite number (an image of NaN has nothing to read).
    """
    values = np.asarray(samples, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.any():
        raise NoFinitePixelsError("no pixel has a finite value (every sample is NaN or infinite)")
    low, high = float(values[finite].min()), float(values[finite].max())
    if samples.dtype.kind == "f" and low >= 0.0 and high <= 1.0:
        scaled = values * 255.0
    elif low >= 0.0 and high <= 255.0:
        scaled = values
    else:
        low = min(low, 0.0)
        scaled = (values - low) * (255.0 / ((high - low) or 1.0))
    scaled = np.where(finite, scaled, 255.0)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


class SourceDocument(ABC):
    """An opened source: its name, page count, and pages rendered on demand.

    Use :func:`open_source` to make one; close it (or use ``with``) to free the file handle.
    """

    name: str
    page_count: int

    @abstractmethod
    def page(self, number: int) -> PageImage:
        """Load or render page ``number`` (1-based)."""

    def iter_pages(self, spec: str | None = None) -> Iterator[PageImage]:
        """Yield the selected pages one by one (``spec`` as in :func:`parse_page_spec`)."""
        for number in parse_page_spec(spec, self.page_count, self.name):
            yield self.page(number)

    def close(self) -> None:
        pass

    def __enter__(self) -> SourceDocument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageSource(SourceDocument):
    """A single- or multi-frame image (TIFF pages, GIF/WebP frames) read with Pillow."""

    def __init__(
        self, image: Image.Image, name: str, max_pixels: int, keep_open: Any = None, owned: bool = True
    ) -> None:
        self._owned = owned  # False: the caller's PIL image, which must stay usable after reading
        self.name = name
        self._image = image
        self._keep_open = keep_open
        self._max_pixels = max_pixels
        self._format = image.format or "the"
        try:
            self.page_count = max(1, getattr(image, "n_frames", 1))
        except (OSError, SyntaxError, ValueError, EOFError, struct_error) as exc:
            raise CorruptInputError(
                name, f"{self._format} frames cannot be counted: damaged or truncated ({exc})"
            ) from None

    def page(self, number: int) -> PageImage:
        image = self._image
        try:
            if self.page_count > 1:
                image.seek(number - 1)
            width, height = image.size
            if width * height > self._max_pixels:
                raise ImageTooLargeError(
                    self.name,
                    f"image is {width}x{height} = {width * height:,} pixels, over the limit of "
                    f"{self._max_pixels:,} (possible decompression bomb; raise max_pixels if it is real)",
                )
            if width == 0 or height == 0:
                raise EmptyInputError(self.name, "image has zero width or height")
            check_aspect(self.name, width, height)
            steps: list[tuple[str, dict[str, Any]]] = []
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                image.load()
            for warning in caught:  # e.g. "Corrupt EXIF data": recorded, not printed on stderr
                log.warning("%s: %s", self.name, warning.message)
                steps.append(("decoder_warning", {"message": str(warning.message)[:200]}))
            frame = image
            exif_orientation = image.getexif().get(0x0112, 1)
            if exif_orientation not in (None, 1):
                frame = ImageOps.exif_transpose(image)
                steps.append(("exif_transpose", {"exif_orientation": int(exif_orientation)}))
            dpi = _image_dpi(image)
            array = to_rgb_array(frame)
        except InputError:
            raise
        except NoFinitePixelsError as exc:
            raise EmptyInputError(self.name, f"{self._format} image has nothing to read: {exc}") from None
        except (OSError, SyntaxError, ValueError, EOFError, struct_error, MemoryError) as exc:
            what = f"page {number}: " if self.page_count > 1 else ""
            raise CorruptInputError(
                self.name, f"{what}{self._format} image data is damaged or truncated ({exc})"
            ) from None
        return PageImage(number=number, image=array, dpi=dpi, steps=steps)

    def close(self) -> None:
        try:
            if self._owned:
                self._image.close()
        finally:
            if self._keep_open is not None:
                self._keep_open.close()


def check_aspect(name: str, width: int, height: int) -> None:
    """Refuse images far thinner than any page or text line (see :data:`MAX_ASPECT_RATIO`).

    Raises:
        UnsupportedInputError: the longer side is more than ``MAX_ASPECT_RATIO`` times the shorter.
    """
    longer, shorter = max(width, height), max(1, min(width, height))
    if longer > MAX_ASPECT_RATIO * shorter:
        raise UnsupportedInputError(
            name,
            f"image is {width}x{height} pixels, {longer // shorter}:1; clearocr reads pages and text "
            f"lines up to {MAX_ASPECT_RATIO}:1 (crop or split it)",
        )


def _image_dpi(image: Image.Image) -> float | None:
    dpi: Any = image.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, (tuple, list)) else float(dpi)
    except (TypeError, ValueError):
        return None
    return round(value, 1) if value >= _MIN_CREDIBLE_DPI else None  # PNG stores dots per metre


class ArraySource(SourceDocument):
    """A numpy array as a one-page document."""

    def __init__(self, array: np.ndarray, name: str, max_pixels: int) -> None:
        self.name = name
        self.page_count = 1
        if array.ndim == 2:
            array = np.stack([array] * 3, axis=-1)
        if array.ndim != 3 or array.shape[2] not in (3, 4):
            raise UnsupportedInputError(name, f"array shape {array.shape} is not HxW, HxWx3 or HxWx4")
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise EmptyInputError(name, "array has zero width or height")
        if array.dtype != np.uint8:
            if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
                raise UnsupportedInputError(
                    name, f"array of {array.dtype} is not an image (numbers expected)"
                )
            if array.dtype == np.bool_:
                array = np.where(array, 255, 0).astype(np.uint8)
            elif array.shape[0] * array.shape[1] <= max_pixels:
                try:
                    array = scale_to_uint8(array)
                except NoFinitePixelsError as exc:
                    raise EmptyInputError(name, f"array has nothing to read: {exc}") from None
        if array.shape[0] * array.shape[1] > max_pixels:
            raise ImageTooLargeError(name, f"array has more than {max_pixels:,} pixels")
        check_aspect(name, array.shape[1], array.shape[0])
        if array.shape[2] == 4:
            array = to_rgb_array(Image.fromarray(array, "RGBA"))
        self._array = np.ascontiguousarray(array)

    def page(self, number: int) -> PageImage:
        return PageImage(number=number, image=self._array, dpi=None)


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


def _read_all(source: Any, name: str) -> bytes:
    try:
        data = source.read()
    except (OSError, ValueError) as exc:
        raise InputError(name, f"cannot read from file object ({exc})") from None
    if isinstance(data, str):
        raise UnsupportedInputError(name, "file object is in text mode; open it with 'rb'")
    return bytes(data)


def _read_head(path: Any, size: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def _kind(mode: int) -> str | None:
    """Why a file of this ``st_mode`` is not a document (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a document"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file; clearocr does not read pipes (they can block forever)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def check_regular_file(path: str | os.PathLike) -> os.stat_result:
    """``os.stat`` of ``path`` if it is a regular file (after symlinks); else a typed error.

    Raises:
        InputNotFoundError (also a FileNotFoundError): no such file, a dangling symlink (names its target);
        InputPermissionError (also a PermissionError): no permission; InputError: a symlink loop.
        UnsupportedInputError: a directory, FIFO, device or socket.
    """
    name = os.fspath(path)
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(name, "symbolic link loop (the link points back to itself)") from None
        if exc.errno == errno.ENOENT and os.path.islink(path):
            raise InputNotFoundError(
                name, f"dangling symbolic link: its target {os.readlink(os.fspath(path))!r} does not exist"
            ) from None
        if exc.errno == errno.ENOENT:
            raise InputNotFoundError(name, "no such file") from None
        if exc.errno == errno.EACCES:
            raise InputPermissionError(name, "permission denied") from None
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(name[:200] + "...", "file name too long") from None
        raise InputError(name, f"cannot read file ({exc.strerror or exc})") from None
    problem = _kind(info.st_mode)
    if problem:
        raise UnsupportedInputError(name, problem)
    return info


def _read_regular_file(path: Path, name: str, limit: int) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO swapped in after the check is
    refused by ``fstat``, not waited on)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputNotFoundError(name, "no such file") from None
    except PermissionError:
        raise InputPermissionError(name, "permission denied") from None
    except OSError as exc:
        raise InputError(name, f"cannot open file ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        problem = _kind(info.st_mode)
        if problem:
            raise UnsupportedInputError(name, problem)
        if info.st_size > limit:
            raise ImageTooLargeError(
                name, f"file is {info.st_size:,} bytes; image files over {limit:,} bytes are refused"
            )
        try:
            return handle.read(limit + 1)
        except OSError as exc:
            raise InputError(name, f"cannot read file ({exc.strerror or exc})") from None


def image_signature(data: bytes) -> str | None:
    """The image format whose signature ``data`` starts with (of the formats clearocr reads), or None."""
    for magic, fmt in _IMAGE_MAGIC:
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    return None


def _is_pdf(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) is a PDF: it starts with ``%PDF``, or, as PDF readers
    allow, has ``%PDF-`` within its first 1,024 bytes after bytes of no other format. The leading
    signature decides first: a PNG that carries ``%PDF-`` in a metadata chunk is a PNG."""
    start = head[:1024].removeprefix(_UTF8_BOM).lstrip()
    if start.startswith(b"%PDF"):
        return True
    if image_signature(head) is not None or describe_bytes(head) is not None:
        return False
    return b"%PDF-" in head[:1024]


def open_source(
    source: Source,
    *,
    dpi: int = 300,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    want_layer: bool = True,
    name: str | None = None,
) -> SourceDocument:
    """Open ``source`` as a :class:`SourceDocument`.

    Paths must be regular files (a FIFO, device or directory is refused before it is opened, so
    nothing blocks); PDFs are opened from the path (PDFium reads what it needs), images are read
    whole up to :data:`MAX_IMAGE_FILE_BYTES`. Images are decoded only in the formats of
    :data:`IMAGE_FORMATS`.

    Args:
        source: a path, bytes, binary file object, PIL image or numpy array.
        dpi: render resolution for PDF pages, dots per inch (lowered for pages over
            :data:`MAX_RENDER_PIXELS`, and recorded).
        max_pixels: refuse pages over this many pixels.
        want_layer: extract PDF text layers (for ``pdf_text`` auto or layer).
        name: the name errors and the Document use (default: the path, or ``<bytes>`` ...); useful
            for bytes that came from a file elsewhere (an upload, an object store).

    Raises:
        EmptyInputError, CorruptInputError, UnsupportedInputError, EncryptedPDFError,
        ImageTooLargeError, InputError (missing file, dangling link, symlink loop, no permission).
    """
    name = name or source_name(source)
    if isinstance(source, Image.Image):
        if source.format and source.format not in IMAGE_FORMATS + ("MPO",):
            raise UnsupportedInputError(
                name, f"{source.format} images are not read (use {IMAGE_FORMAT_NAMES})"
            )
        return ImageSource(source, name, max_pixels, owned=False)
    if isinstance(source, np.ndarray):
        return ArraySource(source, name, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        info = check_regular_file(path)
        if info.st_size == 0:
            raise EmptyInputError(name, "file is empty (0 bytes)")
        head = _read_head(path, 1024)
        if _is_pdf(head):
            return PdfSource(str(path), name, dpi, max_pixels, want_layer)
        data = _read_regular_file(path, name, MAX_IMAGE_FILE_BYTES)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = _read_all(source, name)
    else:
        raise UnsupportedInputError(
            name,
            f"cannot read a {type(source).__name__}; pass a path, bytes, a binary file, a PIL image or an array",
        )
    if not data:
        raise EmptyInputError(name, "file is empty (0 bytes)")
    if _is_pdf(data):
        return PdfSource(data, name, dpi, max_pixels, want_layer)
    return _open_image_bytes(data, name, max_pixels)


def _open_image_bytes(data: bytes, name: str, max_pixels: int) -> ImageSource:
    what = describe_bytes(data)
    if what:
        raise UnsupportedInputError(
            name, f"is {what}, not an image or PDF (clearocr reads {IMAGE_FORMAT_NAMES} and PDF)"
        )
    buffer = _stdio.BytesIO(data)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Our own max_pixels check (in page(), before decoding) decides; Pillow's warning would
            # only repeat it at its fixed threshold.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(buffer, formats=IMAGE_FORMATS)
        for warning in caught:  # logged, not printed on the user's stderr
            log.warning("%s: %s", name, warning.message)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(name, f"image is too large ({exc})") from None
    except UnidentifiedImageError:
        raise _unidentified(data, name) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct_error) as exc:
        raise CorruptInputError(name, f"image header is damaged ({exc})") from None
    return ImageSource(image, name, max_pixels, keep_open=buffer)


#: Leading bytes of the allowed image formats, to tell a damaged image from something else.
_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"II+\x00", "BigTIFF"),
    (b"MM\x00+", "BigTIFF"),
    (b"BM", "BMP"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
)


def _unidentified(data: bytes, name: str) -> InputError:
    """The error for bytes Pillow could not open in the allowed formats: a damaged file of an allowed
    format (its signature is there), another image format Pillow knows, or not an image at all."""
    fmt = image_signature(data)
    if fmt is not None:
        return CorruptInputError(
            name, f"{fmt} file is damaged or truncated ({len(data):,} bytes; the header cannot be parsed)"
        )
    return CorruptInputError(
        name, f"not an image or PDF that clearocr can read (expected {IMAGE_FORMAT_NAMES} or PDF)"
    )
