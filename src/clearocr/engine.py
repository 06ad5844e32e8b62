"""The engine-object API users know from OCR SDK tutorials, on top of :class:`~clearocr.pipeline.Reader`.

::

    from clearocr import engine as ocr

    engine = ocr.OcrEngine()
    engine.image = ocr.Image.load("invoice.pdf", page_index=0)     # or engine.load_image(path_or_PIL)
    engine.set_recognition_mode(ocr.RecognitionMode.HANDWRITTEN)   # or engine.recognition_mode = ...
    engine.set_language("en")
    result = engine.recognize()                                   # result.text, result.document
    print(engine.recognized_text)
    engine.dispose()                                              # or use `with ocr.OcrEngine() as engine:`

``OcrEngine(base_url=..., api_key=...)`` sends the images to a ``clearocr serve`` instance instead,
through :class:`clearocr.client.Client` (retries with backoff on 503/429/connection errors).
See docs/familiar-api.md for the mapping from the tutorials' calls.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image as PILImage

from clearocr import exceptions  # noqa: F401  (the tutorials' ``ocr.exceptions.OcrException``)
from clearocr.document import Document
from clearocr.errors import ClearOCRError, OptionsError, UnsupportedInputError
from clearocr.io import check_regular_file
from clearocr.options import ReadOptions

if TYPE_CHECKING:
    from clearocr.client import Client
    from clearocr.pipeline import Reader


class Language(str, Enum):
    """Languages under the tutorials' names (``ocr.Language.SPANISH``), valued by their ISO 639-1 codes.

    ``set_language(Language.SPANISH)`` is ``set_language("es")``. Whether an engine reads a language is
    checked when it runs (:class:`~clearocr.errors.UnsupportedLanguageError` names what it supports).
    """

    AUTO = "auto"
    ENGLISH = "en"
    SWEDISH = "sv"
    SPANISH = "es"
    CHINESE = "zh"
    GERMAN = "de"
    FRENCH = "fr"
    ITALIAN = "it"
    PORTUGUESE = "pt"
    DUTCH = "nl"
    DANISH = "da"
    NORWEGIAN = "no"
    FINNISH = "fi"
    POLISH = "pl"
    CZECH = "cs"
    RUSSIAN = "ru"
    JAPANESE = "ja"
    KOREAN = "ko"
    ARABIC = "ar"
    TURKISH = "tr"
    MALAY = "ms"
    INDONESIAN = "id"
    VIETNAMESE = "vi"
    HUNGARIAN = "hu"
    ROMANIAN = "ro"
    GREEK = "el"
    UKRAINIAN = "uk"

    def __str__(self) -> str:
        return self.value


def _language_codes(language: str | Language | Sequence[str | Language]) -> list[str] | str:
    if isinstance(language, Enum):
        return str(language.value)
    if isinstance(language, str):
        return language
    return [str(item.value) if isinstance(item, Enum) else str(item) for item in language]


class RecognitionMode(str, Enum):
    """What the page holds: printed text, or handwriting (see ``ReadOptions.mode``)."""

    PRINTED = "printed"
    HANDWRITTEN = "handwritten"


@dataclass
class Image:
    """An image (or one page of a PDF / multi-page TIFF) to recognise.

    Use :meth:`load`. ``page_index`` is 0-based as in the tutorials; None means every page.
    """

    source: Any
    page_index: int | None = None
    name: str | None = None
    #: Preprocessing asked for this image (ReadOptions fields), merged into the engine's options
    #: when it is recognised; the steps taken are recorded in each page's ``preprocessing``.
    preprocessing: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, source: str | os.PathLike | bytes | PILImage.Image, page_index: int | None = None) -> Image:
        """Load a path, bytes or PIL image (PNG, JPEG, TIFF, BMP, GIF, WebP, PDF).

        Args:
            source: the image or PDF.
            page_index: 0-based page of a PDF/TIFF (None: all pages; images have page 0 only).

        Raises:
            InputNotFoundError (also a ``FileNotFoundError``): the path does not exist or is a dangling
            link; InputError: a symlink loop;
            UnsupportedInputError: wrong type, or a path that is not a regular file (FIFO, device,
                directory); OptionsError: negative page.
        """
        if isinstance(source, (str, os.PathLike)):
            check_regular_file(source)  # missing, dangling link, loop, FIFO, device: a typed error now
        elif not isinstance(source, (bytes, bytearray, PILImage.Image)):
            raise UnsupportedInputError(
                f"<{type(source).__name__}>", "Image.load takes a path, bytes or a PIL image"
            )
        if page_index is not None and page_index < 0:
            raise OptionsError(f"page_index must be 0 or more, got {page_index}")
        return cls(source, page_index)

    @property
    def pages(self) -> str | None:
        """The page selection as ReadOptions spells it (1-based)."""
        return None if self.page_index is None else str(self.page_index + 1)

    # --- per-image preprocessing (the tutorials' ``image.apply_...()``) ----------------------------
    # Each sets a ReadOptions field for this image only and returns the image (calls chain); the
    # step runs when the image is recognised and is recorded in the page's ``preprocessing``.

    def _apply(self, **options: Any) -> Image:
        ReadOptions.build(**options)  # validate now: a bad value is an OptionsError here, not later
        self.preprocessing.update(options)
        return self

    def apply_binarization(self, enabled: bool = True) -> Image:
        """Binarize (adaptive Gaussian threshold) before OCR: for faint or uneven scans."""
        return self._apply(binarize=enabled)

    def apply_denoise(self, enabled: bool = True) -> Image:
        """Denoise (non-local means) before OCR: for grainy photos and fax noise."""
        return self._apply(denoise=enabled)

    def apply_contrast(self, enabled: bool = True) -> Image:
        """Normalise local contrast (CLAHE) before OCR: for faint pencil or ink."""
        return self._apply(contrast=enabled)

    def apply_deskew(self, enabled: bool = True) -> Image:
        """Straighten a scan rotated by up to 45 degrees (on by default; False turns it off)."""
        return self._apply(deskew=enabled)

    def apply_auto_rotation(self, enabled: bool = True) -> Image:
        """Turn pages stored sideways or upside down (on by default; False turns it off)."""
        return self._apply(orientation=enabled)

    def apply_upscale(self, enabled: bool = True) -> Image:
        """Upscale small or low-DPI images before OCR (on by default; False turns it off)."""
        return self._apply(upscale=enabled)

    def set_dpi(self, dpi: int) -> Image:
        """Render PDF pages at ``dpi`` (72-1200)."""
        return self._apply(dpi=dpi)


@dataclass
class RecognitionResult:
    """What :meth:`OcrEngine.recognize` returns.

    Attributes:
        text: the recognised (or, after :meth:`clearocr.ai.AI.run_postprocessor`, corrected) text;
            pages separated by a blank line.
        document: the full :class:`~clearocr.document.Document` (lines, words, bbox, confidence).
    """

    text: str
    document: Document | None = None
    raw_text: str | None = None  # set on results returned by a post-processor
    warnings: list[str] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """Mean word confidence in [0, 1] (1.0 for an empty page)."""
        if self.document is None:
            return 1.0
        words = [w.confidence for p in self.document.pages for ln in p.lines for w in ln.words]
        return sum(words) / len(words) if words else 1.0

    def __str__(self) -> str:
        return self.text


def page_text(document: Document) -> str:
    """The document's text with pages separated by one blank line."""
    return "\n\n".join(page.text for page in document.pages)


#: Where ``OcrEngine(client_id=..., client_secret=...)`` sends images when no ``base_url`` (nor
#: ``CLEAROCR_URL``) is given: ``clearocr serve``'s default address.
DEFAULT_SERVER_URL = "http://127.0.0.1:8080"


class OcrEngine:
    """An OCR engine object: set an image, a mode and languages, then :meth:`recognize`.

    Args:
        language: ISO 639-1 code(s) or :class:`Language` members: ``"en"``, ``"sv,en"``, ``[Language.SPANISH]``;
            ``Language.AUTO`` (the default, as :class:`~clearocr.options.ReadOptions`) detects them.
        recognition_mode: :class:`RecognitionMode` (printed by default).
        base_url: recognise on a ``clearocr serve`` instance at this URL instead of in-process.
        api_key: that server's API key (default ``CLEAROCR_API_KEY``).
        client_id, client_secret: OAuth 2.0 client credentials for that server instead of an API key
            (tokens from its ``POST /v1/token``). Given without ``base_url``, the server is
            ``CLEAROCR_URL`` or :data:`DEFAULT_SERVER_URL`.
        options: any other :class:`~clearocr.options.ReadOptions` field (``engine="tesseract"``,
            ``upscale=True``, ``hints=[...]``, ``correct="lexical"``).

    Raises:
        OptionsError (a ValueError): invalid options; ClearOCRError: only one of the client credentials.
    """

    def __init__(
        self,
        language: str | Language | Sequence[str | Language] = Language.AUTO,
        recognition_mode: RecognitionMode = RecognitionMode.PRINTED,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        **options: Any,
    ) -> None:
        # ReadOptions' own names (languages=, mode=) work too, and win over the tutorial-style ones.
        self._options = ReadOptions.build(
            **{
                "languages": _language_codes(language),
                "mode": RecognitionMode(recognition_mode).value,
                **options,
            }
        )
        self._reader: Reader | None = None
        self._client: Client | None = None
        if client_id or client_secret or base_url:
            from clearocr.client import Client

            # The cloud tutorial passes only credentials: the server is CLEAROCR_URL, else a local
            # `clearocr serve` on its default port.
            url = base_url or os.environ.get("CLEAROCR_URL", DEFAULT_SERVER_URL)
            self._client = Client(url, api_key, client_id=client_id, client_secret=client_secret)
        self.image: Image | None = None
        self.result: RecognitionResult | None = None

    # --- configuration ---------------------------------------------------------------------------

    @property
    def recognition_mode(self) -> RecognitionMode:
        return RecognitionMode(self._options.mode)

    @recognition_mode.setter
    def recognition_mode(self, mode: RecognitionMode) -> None:
        self.set_recognition_mode(mode)

    def set_recognition_mode(self, mode: RecognitionMode | str) -> None:
        """PRINTED or HANDWRITTEN (``"printed"`` / ``"handwritten"`` also accepted)."""
        self._options = ReadOptions.build(self._options, mode=RecognitionMode(mode).value)

    def set_language(self, language: str | Language | Sequence[str | Language]) -> None:
        """ISO 639-1 code(s) or :class:`Language` members: ``"sv"``, ``Language.SPANISH``,
        ``["en", "es"]``."""
        self._options = ReadOptions.build(self._options, languages=_language_codes(language))

    def set_options(self, **options: Any) -> None:
        """Change any other ReadOptions field (``upscale=True``, ``hints=[...]`` ...)."""
        self._options = ReadOptions.build(self._options, **options)

    @property
    def options(self) -> ReadOptions:
        return self._options

    def load_image(
        self, source: str | os.PathLike | bytes | PILImage.Image | Image, page_index: int | None = None
    ) -> None:
        """Set the image to recognise (a path, bytes, PIL image or :class:`Image`)."""
        self.image = source if isinstance(source, Image) else Image.load(source, page_index)

    # --- recognition -----------------------------------------------------------------------------

    def recognize(self) -> RecognitionResult:
        """Recognise the loaded image.

        Returns:
            A :class:`RecognitionResult` (also kept as ``recognized_text`` / ``result``).

        Raises:
            ClearOCRError: no image loaded, or the input/engine errors of :meth:`Reader.read`;
            clearocr.client.APIError when recognising on a server.
        """
        if self.image is None:
            raise ClearOCRError(
                "no image loaded: call load_image(path) or set engine.image = Image.load(path)"
            )
        options = ReadOptions.build(
            self._options, pages=self.image.pages or self._options.pages, **self.image.preprocessing
        )
        if self._client is not None:
            document = self._recognize_remote(options)
        else:
            if self._reader is None:
                from clearocr.pipeline import Reader

                self._reader = Reader(self._options)
            document = self._reader.read(self.image.source, options, name=self.image.name)
        self.result = RecognitionResult(page_text(document), document)
        return self.result

    def _recognize_remote(self, options: ReadOptions) -> Document:
        assert self.image is not None and self._client is not None
        source = self.image.source
        if isinstance(source, PILImage.Image):
            buffer = io.BytesIO()
            source.save(buffer, format="PNG")
            source, filename = buffer.getvalue(), "image.png"
        else:
            filename = Path(os.fspath(source)).name if isinstance(source, (str, os.PathLike)) else "upload"
        changed = {
            k: v
            for k, v in options.model_dump().items()
            if v != ReadOptions.model_fields[k].get_default(call_default_factory=True)
        }
        return Document.from_dict(self._client.read(source, filename=filename, **changed))

    @property
    def recognized_text(self) -> str:
        """The last result's text ("" before :meth:`recognize`)."""
        return self.result.text if self.result else ""

    def dispose(self) -> None:
        """Free the engine's models (and close the server connection). The object can be reused."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> OcrEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()
