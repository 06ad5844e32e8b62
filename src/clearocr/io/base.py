"""What every source gives: page images (:class:`PageImage`) with their text-layer words, the
:class:`SourceDocument` protocol, the input limits, and the pixel conversions every source shares."""

from __future__ import annotations

import functools
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np
from PIL import Image

from clearocr.document import BBox
from clearocr.errors import (
    UnsupportedInputError,
)
from clearocr.options import parse_page_spec

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


def image_dpi(image: Image.Image) -> float | None:
    """The image's horizontal resolution from its metadata, or None when absent or not credible (under 50)."""
    dpi: Any = image.info.get("dpi")
    try:
        value = float(dpi[0]) if isinstance(dpi, (tuple, list)) else float(dpi)
    except (TypeError, ValueError):
        return None
    return round(value, 1) if value >= _MIN_CREDIBLE_DPI else None  # PNG stores dots per metre


def _read_head(path: Any, size: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""
