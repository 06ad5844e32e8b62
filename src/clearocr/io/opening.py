"""Opening a source: regular files only (a FIFO or device is refused, never waited on), the format told
by its leading bytes, and every failure an :class:`~clearocr.errors.InputError` naming the source."""

from __future__ import annotations

import errno
import io as _stdio
import os
import stat
import warnings
from pathlib import Path
from struct import error as struct_error
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from clearocr.errors import (
    CorruptInputError,
    EmptyInputError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    InputPermissionError,
    UnsupportedInputError,
)
from clearocr.io.base import (
    _UTF8_BOM,
    IMAGE_FORMAT_NAMES,
    IMAGE_FORMATS,
    MAX_IMAGE_FILE_BYTES,
    Source,
    SourceDocument,
    _read_head,
    describe_bytes,
    log,
    source_name,
)
from clearocr.io.images import ArraySource, ImageSource
from clearocr.io.pdf import PdfSource
from clearocr.options import DEFAULT_MAX_PIXELS


def _read_all(source: Any, name: str) -> bytes:
    try:
        data = source.read()
    except (OSError, ValueError) as exc:
        raise InputError(name, f"cannot read from file object ({exc})") from None
    if isinstance(data, str):
        raise UnsupportedInputError(name, "file object is in text mode; open it with 'rb'")
    return bytes(data)


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


def is_pdf(head: bytes) -> bool:
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
        if is_pdf(head):
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
    if is_pdf(data):
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
    return ImageSource(
        image,
        name,
        max_pixels,
        keep_open=buffer,
        open_again=lambda: _open_image_bytes(data, name, max_pixels),
    )


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
