"""Loading documents: images (PNG, JPEG, TIFF incl. multi-page, BMP, GIF, WebP) and PDFs.

Sources may be a path (``str`` / ``os.PathLike``), ``bytes``, a binary file object, a PIL image or a
numpy array (``HxW`` grey or ``HxWx3`` RGB / ``HxWx4`` RGBA, ``uint8``). PDF pages are rendered one at a
time with pypdfium2 when asked for, never all at once. Every failure becomes an
:class:`~clearocr.errors.InputError` subclass naming the source and the cause.
"""

from __future__ import annotations

import io as _stdio
import os
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from clearocr.document import BBox
from clearocr.errors import (
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    ImageTooLargeError,
    InputError,
    UnsupportedInputError,
)
from clearocr.options import parse_page_spec

Source = Union[str, os.PathLike, bytes, bytearray, IO[bytes], Image.Image, np.ndarray]

#: Image DPI values below this are treated as "unknown" (many files carry a meaningless 1 or 72).
_MIN_CREDIBLE_DPI = 50


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
    """

    number: int
    image: np.ndarray
    dpi: float | None
    layer_words: list[LayerWord] = field(default_factory=list)
    steps: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


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
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        top = array.max() or 1.0
        image = Image.fromarray((array * (255.0 / top)).astype(np.uint8))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image))


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

    def __enter__(self) -> "SourceDocument":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImageSource(SourceDocument):
    """A single- or multi-frame image (TIFF pages, GIF/WebP frames) read with Pillow."""

    def __init__(self, image: Image.Image, name: str, max_pixels: int, keep_open: Any = None,
                 owned: bool = True) -> None:
        self._owned = owned  # False: the caller's PIL image, which must stay usable after reading
        self.name = name
        self._image = image
        self._keep_open = keep_open
        self._max_pixels = max_pixels
        self.page_count = max(1, getattr(image, "n_frames", 1))

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
            image.load()
            steps: list[tuple[str, dict[str, Any]]] = []
            frame = image
            exif_orientation = image.getexif().get(0x0112, 1)
            if exif_orientation not in (None, 1):
                frame = ImageOps.exif_transpose(image)
                steps.append(("exif_transpose", {"exif_orientation": int(exif_orientation)}))
            dpi = _image_dpi(image)
            array = to_rgb_array(frame)
        except InputError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise CorruptInputError(self.name, f"image data is damaged or truncated ({exc})") from None
        return PageImage(number=number, image=array, dpi=dpi, steps=steps)

    def close(self) -> None:
        try:
            if self._owned:
                self._image.close()
        finally:
            if self._keep_open is not None:
                self._keep_open.close()


def _image_dpi(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
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
            raise UnsupportedInputError(
                name, f"array shape {array.shape} is not HxW, HxWx3 or HxWx4"
            )
        if array.dtype != np.uint8:
            if np.issubdtype(array.dtype, np.floating) and array.size and array.max() <= 1.0:
                array = array * 255.0
            array = np.clip(array, 0, 255).astype(np.uint8)
        if array.shape[0] == 0 or array.shape[1] == 0:
            raise EmptyInputError(name, "array has zero width or height")
        if array.shape[0] * array.shape[1] > max_pixels:
            raise ImageTooLargeError(name, f"array has more than {max_pixels:,} pixels")
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
            if code == pdfium.raw.FPDF_ERR_PASSWORD and b"/Encrypt" not in data:
                # PDFium also says "password" for some unencrypted files it cannot open (an empty page tree).
                raise CorruptInputError(name, "PDFium cannot open it: no pages or a damaged page tree") from None
            if code == pdfium.raw.FPDF_ERR_PASSWORD:
                raise EncryptedPDFError(name, "PDF is password-protected; decrypt it first (e.g. qpdf --decrypt)") from None
            if code == pdfium.raw.FPDF_ERR_SECURITY:
                raise EncryptedPDFError(name, "PDF uses an unsupported security handler") from None
            raise CorruptInputError(name, f"not a readable PDF ({exc})") from None
        self.page_count = len(self._pdf)
        if self.page_count == 0:
            self._pdf.close()
            raise EmptyInputError(name, "PDF has 0 pages")

    def page(self, number: int) -> PageImage:
        import pypdfium2 as pdfium

        scale = self.dpi / 72.0
        try:
            page = self._pdf[number - 1]
        except (pdfium.PdfiumError, IndexError) as exc:
            raise CorruptInputError(self.name, f"page {number} cannot be loaded ({exc})") from None
        try:
            width_pt, height_pt = page.get_size()
            pixels = (width_pt * scale) * (height_pt * scale)
            if pixels > self._max_pixels:
                raise ImageTooLargeError(
                    self.name,
                    f"page {number} at {self.dpi} dpi would be {pixels:,.0f} pixels, over the limit "
                    f"of {self._max_pixels:,}; use a lower --dpi",
                )
            bitmap = page.render(scale=scale, rotation=0)
            image = to_rgb_array(bitmap.to_pil())
            layer = self._layer_words(page, scale) if self._want_layer else []
        except InputError:
            raise
        except pdfium.PdfiumError as exc:
            raise CorruptInputError(self.name, f"page {number} cannot be rendered ({exc})") from None
        finally:
            page.close()
        return PageImage(number=number, image=image, dpi=float(self.dpi), layer_words=layer)

    @staticmethod
    def _layer_words(page: Any, scale: float) -> list[LayerWord]:
        """Words of the page's text layer with pixel boxes (top-left origin) at ``scale``."""
        textpage = page.get_textpage()
        try:
            count = textpage.count_chars()
            if count <= 0:
                return []
            text = textpage.get_text_range(0, count)
            per_char = len(text) == count
            _, page_height = page.get_size()
            words: list[LayerWord] = []
            chars: list[str] = []
            boxes: list[tuple[float, float, float, float]] = []
            pending_break = False

            def flush() -> None:
                nonlocal pending_break
                if chars and boxes:
                    left = min(b[0] for b in boxes)
                    bottom = min(b[1] for b in boxes)
                    right = max(b[2] for b in boxes)
                    top = max(b[3] for b in boxes)
                    bbox = (
                        int(left * scale),
                        int((page_height - top) * scale),
                        int(np.ceil(right * scale)),
                        int(np.ceil((page_height - bottom) * scale)),
                    )
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


def open_source(
    source: Source,
    *,
    dpi: int = 300,
    max_pixels: int = 178_956_970,
    want_layer: bool = True,
    name: str | None = None,
) -> SourceDocument:
    """Open ``source`` as a :class:`SourceDocument`.

    Args:
        source: a path, bytes, binary file object, PIL image or numpy array.
        dpi: render resolution for PDF pages, dots per inch.
        max_pixels: refuse pages over this many pixels.
        want_layer: extract PDF text layers (for ``pdf_text`` auto or layer).
        name: the name errors and the Document use (default: the path, or ``<bytes>`` ...); useful
            for bytes that came from a file elsewhere (an upload, an object store).

    Raises:
        EmptyInputError, CorruptInputError, UnsupportedInputError, EncryptedPDFError,
        ImageTooLargeError, InputError (missing file, unreadable path).
    """
    name = name or source_name(source)
    if isinstance(source, Image.Image):
        return ImageSource(source, name, max_pixels, owned=False)
    if isinstance(source, np.ndarray):
        return ArraySource(source, name, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise InputError(name, "no such file")
        if path.is_dir():
            raise UnsupportedInputError(name, "is a directory, not a document")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(name, f"cannot read file ({exc.strerror or exc})") from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = _read_all(source, name)
    else:
        raise UnsupportedInputError(
            name, f"cannot read a {type(source).__name__}; pass a path, bytes, a binary file, a PIL image or an array"
        )
    if not data:
        raise EmptyInputError(name, "file is empty (0 bytes)")
    if data[:1024].lstrip().startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return PdfSource(data, name, dpi, max_pixels, want_layer)
    return _open_image_bytes(data, name, max_pixels)


def _open_image_bytes(data: bytes, name: str, max_pixels: int) -> ImageSource:
    buffer = _stdio.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(buffer)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLargeError(name, f"image is too large ({exc})") from None
    except UnidentifiedImageError:
        raise CorruptInputError(
            name, "not an image or PDF that clearocr can read (expected PNG, JPEG, TIFF, BMP, GIF, WebP or PDF)"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptInputError(name, f"image header is damaged ({exc})") from None
    return ImageSource(image, name, max_pixels, keep_open=buffer)
