"""Reading options, defined once: the Python API, the CLI flags and (later) the HTTP API read these.

:class:`ReadOptions` is a pydantic model; each field's ``description`` is also the CLI ``--help`` text.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clearocr.errors import OptionsError, PageRangeError

_PAGE_SPEC = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)?\s*)?$")


def parse_page_spec(spec: str | None, page_count: int, source: str = "<input>") -> list[int]:
    """Turn a page selection such as ``"1-3,5"`` or ``"2-"`` into sorted 1-based page numbers.

    Args:
        spec: comma-separated page numbers and ranges (``a-b``, open-ended ``a-``); None or ``"all"``
            selects every page.
        page_count: number of pages in the document.
        source: the input's name, for error messages.

    Returns:
        Distinct page numbers in ascending order.

    Raises:
        PageRangeError: malformed spec, a page 0, a reversed range, or a page beyond ``page_count``.
    """
    if spec is None or spec.strip().lower() in ("", "all"):
        return list(range(1, page_count + 1))
    pages: set[int] = set()
    for part in spec.split(","):
        match = _PAGE_SPEC.match(part)
        if not match:
            raise PageRangeError(source, f"bad page selection {part.strip()!r} in {spec!r} (use e.g. 1-3,5)")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) else (page_count if "-" in part else first)
        if first < 1 or last < first:
            raise PageRangeError(source, f"bad page range {part.strip()!r}: pages count from 1, ranges go up")
        if last > page_count:
            raise PageRangeError(
                source, f"page {last} requested but the document has {page_count} page(s)"
            )
        pages.update(range(first, last + 1))
    return sorted(pages)


class ReadOptions(BaseModel):
    """Everything that controls how a document is read.

    Raises :class:`~clearocr.errors.OptionsError` (via :meth:`build`) with a readable message on
    invalid values.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    engine: str = Field("rapidocr", description="OCR engine name (see `clearocr engines`).")
    languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description="ISO 639-1 language codes, e.g. en,sv,es,zh.",
    )
    pages: str | None = Field(None, description="Page selection, e.g. 1-3,5 (default: all pages).")
    dpi: int = Field(300, ge=50, le=1200, description="Resolution to render PDF pages at.")
    pdf_text: Literal["auto", "ocr", "layer"] = Field(
        "auto",
        description="PDF pages with a text layer: auto uses it when present, ocr always OCRs, "
        "layer never OCRs.",
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
    binarize: bool = Field(False, description="Binarize (adaptive threshold) before OCR.")
    denoise: bool = Field(False, description="Denoise (non-local means) before OCR.")
    contrast: bool = Field(False, description="Normalise local contrast (CLAHE) before OCR; on in handwritten mode.")
    hints: list[str] = Field(
        default_factory=list, description="Vocabulary hints: terms the corrector should prefer (names, drugs, products)."
    )
    correct: Literal["none", "lexical", "llm", "auto"] = Field(
        "none",
        description="Post-OCR correction: none; lexical (OCR confusions + word lexicons); llm (lexical, "
        "then a local language model rescoring the spellings of unsure words); auto (llm when a model "
        "can be loaded and its llama.cpp build passes its self-test here, else lexical; see docs/correction.md "
        "for why auto rescores rather than rewrites).",
    )
    llm_model: str | None = Field(
        None, description="GGUF path or Hugging Face repo id for --correct llm (default: embedded Gemma 3 270M)."
    )
    llm_quantization: str | None = Field(None, description="Quantization of a repo's GGUF file, e.g. q4_k_m.")
    llm_url: str | None = Field(
        None,
        description="Use an OpenAI-compatible server (Ollama, vLLM, llama.cpp) at this base URL instead of an "
        "in-process model; --llm-model is then the server's model name (key: OPENAI_API_KEY).",
    )
    gpu_layers: int = Field(0, ge=-1, description="Model layers to offload to a GPU (-1: all).")
    context_size: int = Field(2048, ge=128, le=131072, description="LLM context size in tokens.")
    allow_download: bool = Field(False, description="Let the LLM model be downloaded from Hugging Face.")
    max_pages: int | None = Field(
        None, ge=1, description="Refuse documents with more selected pages than this (default: no limit)."
    )
    max_pixels: int = Field(
        178_956_970,
        ge=1,
        description="Refuse images with more pixels than this (decompression-bomb guard).",
    )

    @field_validator("languages", mode="before")
    @classmethod
    def _split_languages(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, (list, tuple)):
            cleaned = [str(v).strip().lower() for v in value if str(v).strip()]
            if not cleaned:
                raise ValueError("at least one language is needed")
            return cleaned
        return value

    @field_validator("hints", mode="before")
    @classmethod
    def _split_hints(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("pages")
    @classmethod
    def _check_pages(cls, value: str | None) -> str | None:
        if value is not None:
            # Syntax check now; the range is checked against the document when it is opened.
            parse_page_spec(value, page_count=10**9, source="--pages")
        return value

    @classmethod
    def build(cls, options: "ReadOptions | None" = None, **overrides: Any) -> "ReadOptions":
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
