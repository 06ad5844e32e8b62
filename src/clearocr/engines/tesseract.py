"""Tesseract 5 through tesserocr, with Debian's tessdata (optional extra: ``pip install clearocr[tesseract]``).

Debian packages: ``tesseract-ocr tesseract-ocr-eng tesseract-ocr-swe tesseract-ocr-spa
tesseract-ocr-chi-sim tesseract-ocr-osd``. The tessdata folder is taken from ``TESSDATA_PREFIX`` or the
usual Debian/Homebrew locations. OpenMP is limited to one thread (OMP_THREAD_LIMIT=1): Tesseract's
OpenMP parallelism is several times slower on small CPU counts.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine, register_engine
from clearocr.errors import EngineUnavailableError, UnsupportedLanguageError

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

ISO_TO_TESSERACT = {
    "en": "eng",
    "sv": "swe",
    "es": "spa",
    "zh": "chi_sim",
    "de": "deu",
    "fr": "fra",
    "it": "ita",
    "pt": "por",
    "nl": "nld",
    "da": "dan",
    "no": "nor",
    "nb": "nor",
    "fi": "fin",
    "pl": "pol",
    "cs": "ces",
    "ru": "rus",
    "ja": "jpn",
    "ko": "kor",
    "ar": "ara",
    "tr": "tur",
    "ms": "msa",
    "id": "ind",
    "vi": "vie",
    "hu": "hun",
    "ro": "ron",
    "el": "ell",
    "uk": "ukr",
}
_APT_NAME = {code: code.replace("_", "-").lower() for code in ISO_TO_TESSERACT.values()}
_SEARCH = (
    "/usr/share/tesseract-ocr/*/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)


def tessdata_dir() -> str | None:
    """The tessdata folder to use: ``$TESSDATA_PREFIX`` or the first standard location with data."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    candidates = [prefix, os.path.join(prefix, "tessdata")] if prefix else []
    for pattern in _SEARCH:
        candidates += sorted(glob.glob(pattern), reverse=True)
    for candidate in candidates:
        if candidate and glob.glob(os.path.join(candidate, "*.traineddata")):
            return candidate.rstrip("/") + "/"
    return None


def _tesserocr() -> Any:
    try:
        import tesserocr
    except ImportError as exc:
        raise EngineUnavailableError(
            f"tesserocr is not installed ({exc}); pip install 'clearocr[tesseract]' and "
            "apt-get install tesseract-ocr tesseract-ocr-eng"
        ) from None
    return tesserocr


def _installed_codes() -> set[str]:
    tesserocr = _tesserocr()
    path = tessdata_dir()
    if path is None:
        raise EngineUnavailableError(
            "no tessdata found; apt-get install tesseract-ocr tesseract-ocr-eng, or set TESSDATA_PREFIX"
        )
    return set(tesserocr.get_languages(path)[1])


@register_engine("tesseract")
class TesseractEngine(OcrEngine):
    """Tesseract LSTM engine, page segmentation mode AUTO, word boxes and confidences.

    Args:
        psm: Tesseract page segmentation mode (default 3, fully automatic).
    """

    LANGUAGES: ClassVar[dict[str, str]] = ISO_TO_TESSERACT

    def __init__(self, psm: int = 3) -> None:
        self._tesserocr = _tesserocr()
        self._path = tessdata_dir()
        if self._path is None:
            _installed_codes()  # raises the explanatory error
        self._psm = psm
        self._apis: dict[str, Any] = {}

    @classmethod
    def supported_languages(cls) -> list[str]:
        installed = _installed_codes()
        return sorted(iso for iso, code in cls.LANGUAGES.items() if code in installed)

    @classmethod
    def resolve_languages(cls, languages: Sequence[str]) -> list[str]:
        unknown = [code for code in languages if code not in cls.LANGUAGES]
        if unknown:
            raise UnsupportedLanguageError(
                f"engine 'tesseract' has no language mapping for {', '.join(unknown)}; "
                f"known: {', '.join(sorted(cls.LANGUAGES))}"
            )
        installed = _installed_codes()
        missing = [code for code in languages if cls.LANGUAGES[code] not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{_APT_NAME[cls.LANGUAGES[c]]}" for c in missing)
            raise UnsupportedLanguageError(
                f"Tesseract data for {', '.join(missing)} is not installed in {tessdata_dir()}; "
                f"apt-get install {packages}"
            )
        return [cls.LANGUAGES[code] for code in languages]

    @classmethod
    def info(cls) -> EngineInfo:
        try:
            tesserocr = _tesserocr()
            version = tesserocr.tesseract_version().splitlines()[0]
            languages = cls.supported_languages()
        except EngineUnavailableError as exc:
            return EngineInfo(cls.name, None, [], available=False, reason=str(exc))
        return EngineInfo(cls.name, f"{version} (tesserocr {tesserocr.__version__})", languages)

    def _api(self, languages: Sequence[str]) -> Any:
        key = "+".join(self.resolve_languages(languages))
        api = self._apis.get(key)
        if api is None:
            tesserocr = self._tesserocr
            api = tesserocr.PyTessBaseAPI(path=self._path, lang=key, psm=self._psm)
            self._apis[key] = api
        return api

    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        from PIL import Image

        tesserocr = self._tesserocr
        RIL = tesserocr.RIL
        api = self._api(languages)
        api.SetImage(Image.fromarray(image))
        api.Recognize()
        iterator = api.GetIterator()
        segments: list[Line] = []
        words: list[Word] = []

        def flush() -> None:
            if words:
                segments.append(Line.from_words(list(words)))
                words.clear()

        if iterator is None:
            return []
        while True:
            if iterator.IsAtBeginningOf(RIL.TEXTLINE):
                flush()
            try:
                text = iterator.GetUTF8Text(RIL.WORD)
            except RuntimeError:  # tesserocr raises for an empty word instead of returning ""
                text = ""
            box = iterator.BoundingBox(RIL.WORD)
            if text and text.strip() and box:
                confidence = max(0.0, min(1.0, iterator.Confidence(RIL.WORD) / 100.0))
                x0, y0, x1, y1 = (int(v) for v in box)
                words.append(Word(text.strip(), (x0, y0, x1, y1), confidence))
            if not iterator.Next(RIL.WORD):
                break
        flush()
        api.Clear()
        return segments

    def close(self) -> None:
        for api in self._apis.values():
            api.End()
        self._apis.clear()
