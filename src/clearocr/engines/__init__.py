"""OCR engines behind one small protocol, chosen by name through one registry.

An engine turns an RGB page image into text *segments*: :class:`~clearocr.document.Line` objects as
the engine found them (a detected text box for PP-OCR, a text line for Tesseract), with word boxes in
pixels of that image and confidences in ``[0, 1]``. Reading order is rebuilt afterwards by
:func:`clearocr.layout.reading_order`, the same way for every engine.

Add an engine by subclassing :class:`OcrEngine` and decorating it with :func:`register_engine`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

import numpy as np

from clearocr.document import Line
from clearocr.errors import EngineUnavailableError, UnsupportedLanguageError
from clearocr.languages import AUTO, is_auto
from clearocr.registry import Registry


@dataclass
class EngineInfo:
    """What ``clearocr engines`` shows: name, version, languages and whether it can run here."""

    name: str
    version: str | None
    languages: list[str] = field(default_factory=list)
    available: bool = True
    reason: str = ""
    default: bool = False


class OcrEngine(ABC):
    """Protocol (and base class) of OCR engines.

    Subclasses set :attr:`name` and :attr:`LANGUAGES` (ISO 639-1 code -> engine code) and implement
    :meth:`recognize`, :meth:`info` and, if they hold resources, :meth:`close`.
    """

    name: ClassVar[str] = ""
    #: ISO 639-1 code -> the engine's own language code.
    LANGUAGES: ClassVar[dict[str, str]] = {}

    #: Constructor options used in handwritten mode (merged under the caller's engine options).
    HANDWRITTEN_OPTIONS: dict[str, object] = {}
    #: Constructor options used with ``speed="fast"`` (merged under the caller's engine options).
    FAST_OPTIONS: dict[str, object] = {}

    #: Whether the engine reads ``languages=["auto"]`` itself (keeping each line's script where it is
    #: sure of it); other engines read ``AUTO_FALLBACK`` then (see :func:`ocr_languages`).
    detects_script: ClassVar[bool] = False
    AUTO_FALLBACK: ClassVar[tuple[str, ...]] = ("en",)

    #: The longer side (pixels) the engine's text detector shrinks a page to, or None when it reads
    #: pages at their own scale; pages whose glyphs that shrink would make illegible are read in
    #: tiles (:mod:`clearocr.tiling`).
    detector_side: int | None = None
    #: A smaller side the detector can see pages at with ``speed="fast"``, when their glyphs stay
    #: legible there (:meth:`detector_side_at`); None: the engine has no such setting.
    fast_detector_side: int | None = None

    @contextmanager
    def detector_side_at(self, side: int) -> Iterator[None]:
        """Inside the block, the detector shrinks pages to ``side`` pixels (engines with a
        :attr:`fast_detector_side`; others ignore it). Not thread-safe: the caller holds its lock."""
        yield

    @abstractmethod
    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        """Read ``image`` (RGB ``uint8``, ``HxWx3``) and return text segments with word boxes.

        Args:
            image: the page image.
            languages: ISO 639-1 codes, already checked by :meth:`resolve_languages`.

        Returns:
            Segments in any order; bboxes in pixels of ``image``; confidences in ``[0, 1]``.
        """

    @classmethod
    @abstractmethod
    def info(cls) -> EngineInfo:
        """Describe the engine without loading models."""

    @classmethod
    def supported_languages(cls) -> list[str]:
        """ISO codes this engine can read here (installed data only)."""
        return sorted(cls.LANGUAGES)

    @classmethod
    def resolve_languages(cls, languages: Sequence[str]) -> list[str]:
        """Map ISO codes to engine codes.

        Raises:
            UnsupportedLanguageError: naming the codes this engine cannot read and those it can.
        """
        if cls.detects_script and list(languages) == ["auto"]:
            return ["auto"]
        supported = cls.supported_languages()
        unknown = [code for code in languages if code not in supported]
        if unknown:
            raise UnsupportedLanguageError(
                f"engine {cls.name!r} cannot read language(s) {', '.join(unknown)}; "
                f"supported here: {', '.join(supported)}"
            )
        return [cls.LANGUAGES[code] for code in languages]

    def recognize_crops(
        self, crops: Sequence[np.ndarray], languages: Sequence[str]
    ) -> list[tuple[str, float]]:
        """``(text, confidence in [0, 1])`` per crop (RGB ``uint8``), each holding one line of text,
        read without detection. The default reads each crop with :meth:`recognize` and joins its
        segments (confidence: their mean; ``("", 0.0)`` when nothing is read)."""
        out = []
        for crop in crops:
            lines = self.recognize(crop, languages)
            text = " ".join(line.text for line in lines)
            out.append((text, sum(line.confidence for line in lines) / len(lines) if lines else 0.0))
        return out

    def take_notes(self) -> dict[str, object]:
        """What the engine noticed since the last call that may mean text was lost, for the page's
        warnings: ``removed`` (characters it was sure of that the requested languages' scripts
        excluded), ``examples`` (a few of them), ``cjk_lines``. Engines without such notes return
        ``{}``; the counters restart on each call."""
        return {}

    def close(self) -> None:
        """Free models and native handles. Safe to call twice."""

    def __enter__(self) -> OcrEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def ocr_languages(engine: type[OcrEngine] | OcrEngine, languages: Sequence[str]) -> list[str]:
    """The languages to pass to ``engine``: ``languages`` as given, or for ``["auto"]`` (detection,
    :mod:`clearocr.languages`) ``["auto"]`` when the engine detects scripts itself and its
    ``AUTO_FALLBACK`` otherwise."""
    if not is_auto(languages):
        return list(languages)
    return [AUTO] if engine.detects_script else list(engine.AUTO_FALLBACK)


EngineType = TypeVar("EngineType", bound=type[OcrEngine])

#: OCR engines: the built-ins (imported on first use, so ``import clearocr`` stays fast), those
#: registered with :func:`register_engine`, and third-party ones declared in the ``clearocr.engines``
#: entry-point group (see :mod:`clearocr.registry`).
ENGINES: Registry[type[OcrEngine]] = Registry(
    "OCR engine",
    "clearocr.engines",
    {
        "rapidocr": "clearocr.engines.rapidocr:RapidOcrEngine",
        "tesseract": "clearocr.engines.tesseract:TesseractEngine",
    },
    EngineUnavailableError,
)
DEFAULT_ENGINE = "rapidocr"


def register_engine(name: str) -> Callable[[EngineType], EngineType]:
    """Class decorator that makes an engine available by ``name`` (overrides an existing one)."""

    def decorate(cls: EngineType) -> EngineType:
        cls.name = name
        ENGINES.register(name, cls)
        return cls

    return decorate


def engine_class(name: str) -> type[OcrEngine]:
    """The engine class registered as ``name`` (its ``name`` attribute set to it).

    Raises:
        EngineUnavailableError: unknown name, or its module cannot be imported.
    """
    cls = ENGINES.get(name)
    if not (isinstance(cls, type) and issubclass(cls, OcrEngine)):
        raise EngineUnavailableError(f"OCR engine {name!r} is {cls!r}, not an OcrEngine subclass")
    if cls.name != name and "name" not in vars(cls):
        cls.name = name  # an entry-point engine takes the name it was declared under
    return cls


def engine_names() -> list[str]:
    """Registered engine names, the default first."""
    return sorted(ENGINES.names(), key=lambda n: (n != DEFAULT_ENGINE, n))


def create_engine(name: str = DEFAULT_ENGINE, **options: object) -> OcrEngine:
    """Instantiate the engine registered as ``name`` with engine-specific ``options``."""
    return engine_class(name)(**options)


def list_engines() -> list[EngineInfo]:
    """:class:`EngineInfo` for every registered engine (available or not)."""
    infos = []
    for name in engine_names():
        try:
            info = engine_class(name).info()
        except EngineUnavailableError as exc:
            info = EngineInfo(name=name, version=None, available=False, reason=str(exc))
        info.default = name == DEFAULT_ENGINE
        infos.append(info)
    return infos
