"""Loading documents: images (PNG, JPEG, TIFF incl. multi-page, BMP, GIF, WebP) and PDFs.

Sources may be a path (``str`` / ``os.PathLike``), ``bytes``, a binary file object, a PIL image or a
numpy array (``HxW`` grey or ``HxWx3`` RGB / ``HxWx4`` RGBA, ``uint8``). PDF pages are rendered one at a
time with pypdfium2 when asked for, never all at once. Every failure becomes an
:class:`~clearocr.errors.InputError` subclass naming the source and the cause.

Modules: :mod:`~clearocr.io.base` (page images, the source protocol, limits), :mod:`~clearocr.io.images`
and :mod:`~clearocr.io.pdf` (the sources), :mod:`~clearocr.io.opening` (:func:`open_source`).
"""

from __future__ import annotations

from clearocr.io.base import (
    IMAGE_FORMAT_NAMES,
    IMAGE_FORMATS,
    MAX_ASPECT_RATIO,
    MAX_IMAGE_FILE_BYTES,
    MAX_RENDER_PIXELS,
    MIN_RENDER_DPI,
    LayerWord,
    NoFinitePixelsError,
    PageImage,
    Source,
    SourceDocument,
    check_aspect,
    describe_bytes,
    document_suffixes,
    image_dpi,
    scale_to_uint8,
    source_name,
    to_rgb_array,
)
from clearocr.io.images import ArraySource, ImageSource
from clearocr.io.opening import check_regular_file, image_signature, is_pdf, open_source
from clearocr.io.pdf import PdfSource

__all__ = [
    "IMAGE_FORMATS",
    "IMAGE_FORMAT_NAMES",
    "MAX_ASPECT_RATIO",
    "MAX_IMAGE_FILE_BYTES",
    "MAX_RENDER_PIXELS",
    "MIN_RENDER_DPI",
    "ArraySource",
    "ImageSource",
    "LayerWord",
    "NoFinitePixelsError",
    "PageImage",
    "PdfSource",
    "Source",
    "SourceDocument",
    "check_aspect",
    "check_regular_file",
    "describe_bytes",
    "document_suffixes",
    "image_dpi",
    "image_signature",
    "is_pdf",
    "open_source",
    "scale_to_uint8",
    "source_name",
    "to_rgb_array",
]
