"""Image sources: files and bytes Pillow decodes (multi-page TIFF and GIF included) and numpy arrays."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from struct import error as struct_error
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from clearocr.errors import (
    CorruptInputError,
    EmptyInputError,
    ImageTooLargeError,
    InputError,
    UnsupportedInputError,
)
from clearocr.io.base import (
    NoFinitePixelsError,
    PageImage,
    SourceDocument,
    check_aspect,
    image_dpi,
    log,
    scale_to_uint8,
    to_rgb_array,
)


class ImageSource(SourceDocument):
    """A single- or multi-frame image (TIFF pages, GIF/WebP frames) read with Pillow.

    Args:
        image: the opened (not yet decoded) image.
        name: the input's name, for errors.
        max_pixels: pages over this many pixels raise :class:`ImageTooLargeError`.
        keep_open: the file object Pillow reads from, closed with the source.
        owned: False for a caller's PIL image, which is never closed here.
        open_again: opens the same input again. Given, a single-frame image's decoded pixels are freed
            as soon as :meth:`page` has made its array, and a later :meth:`page` opens it again.
    """

    def __init__(
        self,
        image: Image.Image,
        name: str,
        max_pixels: int,
        keep_open: Any = None,
        owned: bool = True,
        open_again: Callable[[], ImageSource] | None = None,
    ) -> None:
        self._owned = owned  # False: the caller's PIL image, which must stay usable after reading
        self.name = name
        self._image = image
        self._keep_open = keep_open
        self._max_pixels = max_pixels
        self._format = image.format or "the"
        self._released = False  # page() freed the decoded pixels of a single-frame image
        self._open_again = open_again
        try:
            self.page_count = max(1, getattr(image, "n_frames", 1))
        except (OSError, SyntaxError, ValueError, EOFError, struct_error) as exc:
            raise CorruptInputError(
                name, f"{self._format} frames cannot be counted: damaged or truncated ({exc})"
            ) from None

    def page(self, number: int) -> PageImage:
        if self._released:
            self._reopen()
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
            dpi = image_dpi(image)
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
        if self.page_count == 1 and self._owned and self._open_again is not None:
            # The page is now an array: Pillow's decoded copy (4 bytes a pixel, 133 MiB for a 35-Mpx
            # photo) is freed here rather than at close(); a later call opens and decodes again.
            image.close()
            self._released = True
        return PageImage(number=number, image=array, dpi=dpi, steps=steps)

    def _reopen(self) -> None:
        """Open the image again (after :meth:`page` released its pixels) as it was first opened."""
        assert self._open_again is not None
        again = self._open_again()
        self._image, self._keep_open = again._image, again._keep_open
        self._released = False

    def close(self) -> None:
        try:
            if self._owned and not self._released:
                self._image.close()
        finally:
            if self._keep_open is not None:
                self._keep_open.close()


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
