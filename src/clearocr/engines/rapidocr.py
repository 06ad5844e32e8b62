"""The default engine: PP-OCRv6 (small) detection + recognition through RapidOCR, on OpenVINO (the
detector, :mod:`clearocr.engines.openvino_det`) and ONNX Runtime (the recogniser).

rapidocr 3.10.0 ships ``PP-OCRv6_det_small.onnx``, ``PP-OCRv6_rec_small.onnx`` (one multilingual
recogniser: Chinese, English, Latin-script languages with diacritics, Japanese) and the PP-OCR text-line
orientation classifier inside its wheel. We pass those files explicitly so RapidOCR never resolves a
model by name, which is what triggers its run-time downloads. Models: PaddleOCR's PP-OCR family
(Du et al., "PP-OCR: A Practical Ultra Lightweight OCR System", 2020, and later releases).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine, register_engine
from clearocr.engines.ctc_mask import ScriptMask
from clearocr.engines.openvino_det import openvino_det_params, release_on_growth, resolve_det_runtime
from clearocr.engines.rec_workers import MAX_REC_WORKERS, ParallelRecogniser, rec_config
from clearocr.errors import EngineUnavailableError
from clearocr.geometry import quad_to_bbox
from clearocr.layout import words_from_text

MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
PINNED_VERSION = "3.10.0"


# ISO 639-1 -> rapidocr language name; all served by the one bundled PP-OCRv6 multilingual recogniser.
_ISO_TO_RAPIDOCR = {
    "zh": "ch",
    "en": "en",
    "ja": "japan",
    "af": "af",
    "az": "az",
    "bs": "bs",
    "ca": "ca",
    "cs": "cs",
    "cy": "cy",
    "da": "da",
    "de": "de",
    "es": "es",
    "et": "et",
    "eu": "eu",
    "fi": "fi",
    "fr": "fr",
    "ga": "ga",
    "gl": "gl",
    "hr": "hr",
    "hu": "hu",
    "id": "id",
    "is": "is",
    "it": "it",
    "ku": "ku",
    "la": "la",
    "lb": "lb",
    "lt": "lt",
    "lv": "lv",
    "mi": "mi",
    "ms": "ms",
    "mt": "mt",
    "nl": "nl",
    "no": "no",
    "nb": "no",
    "nn": "no",
    "oc": "oc",
    "pl": "pl",
    "pt": "pt",
    "qu": "qu",
    "rm": "rm",
    "ro": "ro",
    "sk": "sk",
    "sl": "sl",
    "sq": "sq",
    "sv": "sv",
    "sw": "sw",
    "tl": "tl",
    "tr": "tr",
    "uz": "uz",
    "vi": "vi",
}

log = logging.getLogger(__name__)


@functools.cache
def import_rapidocr() -> Any:
    """rapidocr's ``RapidOCR`` class, imported with its model table parsed once instead of twice.

    rapidocr 3.10.0 loads its 85 KB ``default_models.yaml`` (model names to download URLs, which we
    never use: our models are passed by path) with ``OmegaConf.load`` in two modules at import time,
    0.2 s each of a process's start-up. During the import, loads of that file are memoised, so both
    modules share one read-only ``DictConfig``; every other file loads as before.

    Returns:
        The ``rapidocr.RapidOCR`` class.

    Raises:
        ImportError: rapidocr or omegaconf is not installed.
    """
    from omegaconf import OmegaConf

    original = OmegaConf.load
    tables: dict[Path, Any] = {}

    def load(file_: Any) -> Any:
        if isinstance(file_, str | Path) and Path(file_).name == "default_models.yaml":
            key = Path(file_).resolve()
            if key not in tables:
                tables[key] = original(file_)
            return tables[key]
        return original(file_)

    OmegaConf.load = load  # type: ignore[method-assign,assignment]
    try:
        from rapidocr import RapidOCR
    finally:
        OmegaConf.load = original  # type: ignore[method-assign]
    return RapidOCR


def _model_dir() -> Path:
    try:
        import rapidocr
    except ImportError as exc:
        raise EngineUnavailableError(
            f"rapidocr is not installed ({exc}); pip install 'rapidocr=={PINNED_VERSION}' onnxruntime"
        ) from None
    return Path(rapidocr.__file__).resolve().parent / "models"


def bundled_model_paths() -> dict[str, Path]:
    """Paths of the ONNX models inside the rapidocr wheel.

    Raises:
        EngineUnavailableError: rapidocr missing, or a model file missing (another rapidocr version).
    """
    directory = _model_dir()
    paths = {task: directory / filename for task, filename in MODEL_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise EngineUnavailableError(
            f"rapidocr's bundled models are missing: {', '.join(missing)}. clearocr needs "
            f"rapidocr=={PINNED_VERSION}, which ships them (other versions download models at run time)."
        )
    return paths


@register_engine("rapidocr")
class RapidOcrEngine(OcrEngine):
    """PP-OCRv6 small through RapidOCR (CPU): the detector on OpenVINO where installed, the recogniser
    on ONNX Runtime.

    Args:
        threads: inference threads of each model (default: all cores, at most 8).
        det_limit_side: the detector sees the image with its longer side at most this many pixels.
        text_score: drop segments whose recognition score is below this (0-1).
        use_line_classifier: run PP-OCR's 0/180 text-line classifier (off: preprocessing turns pages).
        max_side: RapidOCR shrinks images whose longer side exceeds this before cropping text lines.
        rec_min_width: narrowest input (pixels, at height 48) the recogniser pads a crop to (PaddleOCR:
            320; 48 read 30 SROIE receipts 1.4x faster, CER 4.8% -> 4.5%: benchmarks/ocr_accuracy.py).
        rec_batch_size: text crops per recogniser call (padded to the widest). 6 were no faster than
            1 on 20 SROIE receipts (1.70 s against 1.67 s a receipt), CER 4.5% against 4.4%.
        rec_workers: recognition sessions that read a page's crops in parallel (``threads`` shared
            among them, :class:`ParallelRecogniser`), at most :data:`MAX_REC_WORKERS`. Opt-in: 2
            took 0.91-0.96x the time of 1 on 2 cores for 110-150 MiB more at the peak
            (docs/benchmarks.md, 2026-12-07 second session).
        det_runtime: where the detector runs: ``"auto"`` (OpenVINO when installed, else ONNX
            Runtime), ``"openvino"`` or ``"onnxruntime"`` (:mod:`clearocr.engines.openvino_det`).

    Raises:
        EngineUnavailableError: rapidocr, its bundled models, or an asked-for runtime are missing.
        ValueError: an unknown ``det_runtime``.
    """

    LANGUAGES: ClassVar[dict[str, str]] = _ISO_TO_RAPIDOCR
    detects_script: ClassVar[bool] = True

    #: Handwriting is recognised with lower scores: keep lines down to 0.2 (default 0.5 drops most
    #: of a cursive paragraph). Measured on IAM paragraphs (benchmarks/handwriting.py).
    HANDWRITTEN_OPTIONS = {"text_score": 0.2}
    #: ``speed="fast"``: the detector at 960 px where glyphs stay legible (measured: docs/benchmarks.md).
    fast_detector_side = 960

    def __init__(
        self,
        threads: int | None = None,
        det_limit_side: int = 1280,
        text_score: float = 0.5,
        use_line_classifier: bool = False,
        max_side: int = 3000,
        rec_min_width: int = 48,
        rec_batch_size: int = 1,
        det_box_thresh: float = 0.5,
        det_unclip_ratio: float = 1.6,
        rec_workers: int = 1,
        det_runtime: str = "auto",
    ) -> None:
        paths = bundled_model_paths()
        RapidOCR = import_rapidocr()

        threads = threads or min(os.cpu_count() or 1, 8)
        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.text_score": text_score,
            "Global.use_cls": use_line_classifier,
            "Global.max_side_len": max_side,
            "Det.model_path": str(paths["Det"]),
            "Det.limit_type": "max",
            "Det.limit_side_len": det_limit_side,
            "Det.box_thresh": det_box_thresh,
            "Det.unclip_ratio": det_unclip_ratio,
            "Rec.model_path": str(paths["Rec"]),
            "Rec.rec_img_shape": [3, 48, rec_min_width],
            "Rec.rec_batch_num": rec_batch_size,
            "Cls.model_path": str(paths["Cls"]),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        try:
            self.det_runtime = resolve_det_runtime(det_runtime)
        except ImportError as exc:
            raise EngineUnavailableError(str(exc)) from None
        if self.det_runtime == "openvino":
            params.update(openvino_det_params(threads))
        log.info(
            "loading RapidOCR (%s, detector on %s, %d threads)", paths["Rec"].name, self.det_runtime, threads
        )
        self._ocr: Any = RapidOCR(params=params)
        self.detector_side = det_limit_side
        self.fast_detector_side = min(det_limit_side, type(self).fast_detector_side or det_limit_side)
        self._mask: ScriptMask | None = None
        self._threads = threads
        self._rec_workers = max(1, min(rec_workers, MAX_REC_WORKERS))
        self._parallel: ParallelRecogniser | None = None

    @classmethod
    def info(cls) -> EngineInfo:
        try:
            bundled_model_paths()
            from importlib.metadata import version as package_version

            version = package_version("rapidocr")
        except EngineUnavailableError as exc:
            return EngineInfo(cls.name, None, sorted(cls.LANGUAGES), available=False, reason=str(exc))
        return EngineInfo(
            cls.name, f"rapidocr {version} (PP-OCRv6 small, onnxruntime)", sorted(cls.LANGUAGES)
        )

    def take_notes(self) -> dict[str, Any]:
        """What the script mask did since the last call (see :meth:`OcrEngine.take_notes`)."""
        return self._mask.take_notes() if self._mask is not None else {}

    def _prepare(self, languages: Sequence[str]) -> None:
        if self._ocr is None:
            raise EngineUnavailableError("rapidocr engine was closed")
        if self._mask is None:
            # RapidOCR 3.10.0 (pinned) loads its recogniser lazily; its CTC decoder is wrapped once.
            if (
                self._rec_workers > 1
                and self._ocr.text_rec is None
                and int(self._ocr.cfg.Rec.rec_batch_num) == 1
            ):
                # Built in place of the recogniser RapidOCR would load (its _load_rec_model keeps one
                # set on text_rec), so that no session of `threads` threads is loaded beside the workers.
                self._parallel = ParallelRecogniser(
                    rec_config(self._ocr.cfg), self._rec_workers, self._threads
                )
                self._ocr.text_rec = self._parallel
                self._mask = ScriptMask(self._parallel.postprocess_op)
                self._parallel.decode_with(self._mask)
            else:
                recogniser = self._ocr._load_rec_model()
                self._mask = recogniser.postprocess_op = ScriptMask(recogniser.postprocess_op)
        self._mask.use(languages)

    def recognize_line(self, image: np.ndarray, languages: Sequence[str]) -> str:
        """The text of an image that holds one line of text (RGB ``uint8``), read by the recogniser
        alone, without detection: about 20 ms for a line instead of a page pass.

        Raises:
            EngineUnavailableError: the engine was closed.
        """
        self._prepare(languages)
        # RapidOCR keeps per-call switches as its new defaults (update_params): put them back after.
        saved = {
            name: getattr(self._ocr, name) for name in ("use_det", "use_cls", "use_rec", "return_word_box")
        }
        try:
            result = self._ocr(
                np.ascontiguousarray(image[:, :, ::-1]),
                use_det=False,
                use_cls=False,
                use_rec=True,
                return_word_box=False,
            )
        finally:
            self._ocr.update_params(**saved)
        return " ".join(t.strip() for t in getattr(result, "txts", None) or () if t and t.strip())

    def recognize_crops(
        self, crops: Sequence[np.ndarray], languages: Sequence[str]
    ) -> list[tuple[str, float]]:
        """Each crop read by the recogniser alone, in one call (see :meth:`OcrEngine.recognize_crops`).

        Raises:
            EngineUnavailableError: the engine was closed.
        """
        if not crops:
            return []
        self._prepare(languages)
        from rapidocr.ch_ppocr_rec import TextRecInput

        recogniser = self._ocr._load_rec_model()
        result = recogniser(TextRecInput(img=[np.ascontiguousarray(c[:, :, ::-1]) for c in crops]))
        texts = result.txts or ("",) * len(crops)
        return [(str(t).strip(), float(s)) for t, s in zip(texts, result.scores)]

    @contextmanager
    def detector_side_at(self, side: int) -> Iterator[None]:
        """Inside the block, RapidOCR's detector shrinks pages to ``side`` pixels; restored after."""
        detector = self._detector()
        before = detector.limit_side_len
        detector.limit_side_len = side
        try:
            yield
        finally:
            detector.limit_side_len = before

    def _detector(self) -> Any:
        """RapidOCR's text detector, loaded (on OpenVINO: its buffers released before a larger page)."""
        if self._ocr is None:
            raise EngineUnavailableError("rapidocr engine was closed")
        detector = self._ocr._load_det_model()
        if not isinstance(detector.mean, np.ndarray):
            # RapidOCR normalises the page with its mean and std as float64 arrays, which makes the
            # whole page float64 on the way (25 ms of a receipt); in float32 the input is the same.
            detector.mean = np.asarray(detector.mean, dtype=np.float32)
            detector.std = np.asarray(detector.std, dtype=np.float32)
        return release_on_growth(detector)

    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        self._prepare(languages)
        self._detector()
        # RapidOCR expects OpenCV's BGR order for arrays.
        result = self._ocr(np.ascontiguousarray(image[:, :, ::-1]), return_word_box=True)
        texts = getattr(result, "txts", None)
        if not texts:
            return []
        word_groups = _align_word_results(texts, getattr(result, "word_results", None) or ())
        segments = []
        for text, score, quad, words in zip(texts, result.scores, result.boxes, word_groups):
            text = text.strip()
            if not text:
                continue
            bbox = quad_to_bbox(quad)
            if words:
                word_objects = [
                    Word(t, _pad_word_box(quad_to_bbox(q), bbox), float(s)) for t, s, q in words if t.strip()
                ]
            else:
                word_objects = words_from_text(text, bbox, float(score))
            if not word_objects:
                continue
            segments.append(Line(text=text, bbox=bbox, confidence=float(score), words=word_objects))
        return segments

    def close(self) -> None:
        if self._parallel is not None:
            self._parallel.close()
            self._parallel = None
        self._ocr = None


def _pad_word_box(
    word: tuple[int, int, int, int], segment: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """Widen a word box by a quarter of its height at each end, within its segment.

    RapidOCR derives word boxes from CTC character positions, which sit inside the glyphs: thin
    leading and trailing characters ("1", "l", ".") can fall just outside the box.
    """
    pad = int(round(0.25 * (word[3] - word[1])))
    return (max(segment[0], word[0] - pad), word[1], min(segment[2], word[2] + pad), word[3])


def _align_word_results(texts: Sequence[str], word_results: Sequence[Any]) -> list[list[Any]]:
    """Pair each recognised segment with its word boxes.

    RapidOCR drops segments without word boxes from ``word_results``, which shifts the indices; we
    match groups to segments by their characters and leave unmatched segments empty (the caller then
    splits the segment box proportionally).
    """
    groups: list[list[Any]] = [[] for _ in texts]
    pointer = 0
    for index, text in enumerate(texts):
        target = "".join(text.split())
        if pointer < len(word_results):
            candidate = [w for w in word_results[pointer] if w[2] is not None]
            joined = "".join("".join(str(w[0]).split()) for w in candidate)
            if joined == target:
                groups[index] = candidate
                pointer += 1
    return groups
