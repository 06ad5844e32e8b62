"""OCRmyPDF plugin: ``ocrmypdf --plugin clearocr in.pdf out.pdf`` reads the pages with clearocr.

OCRmyPDF keeps doing what it does (rasterising, ``--rotate-pages``, ``--deskew``, grafting the text
layer, PDF/A, optimisation); clearocr supplies the OCR engine through OCRmyPDF's plugin interface
(``ocrmypdf.pluginspec.OcrEngine``, OCRmyPDF >= 17):

* ``generate_ocr`` (OCRmyPDF's structured API): clearocr's engine reads the page image in the
  languages OCRmyPDF was given (``-l eng+swe``; Tesseract codes and ISO 639-1 codes both work),
  with clearocr's skew correction; words are returned as an ``OcrElement`` tree on the page image's
  pixels (words of a straightened page are placed back, upright, where they are printed, as in
  :mod:`clearocr.export.pdf`). ``generate_hocr`` and ``generate_pdf`` give the same through hOCR / a text-only PDF.
* ``get_orientation`` / ``get_deskew``: clearocr's orientation classifier and skew estimate, for
  ``--rotate-pages`` and ``--deskew``.

The plugin is declared in the ``ocrmypdf`` entry-point group, so OCRmyPDF loads it whenever clearocr
is installed; it takes over only when asked: ``--plugin clearocr`` on the command line (or
``plugins=["clearocr"]`` in ``ocrmypdf.ocr()``), or ``CLEAROCR_OCRMYPDF=1`` in the environment.
Otherwise OCRmyPDF's own engine runs as before. The clearocr engine options (``CLEAROCR_ENGINE``,
default rapidocr) are read from the environment, as OCRmyPDF's command line has no room for them.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from ocrmypdf import hookimpl
from ocrmypdf.exceptions import BadArgsError
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence

log = logging.getLogger(__name__)

_READERS: dict[int, Any] = {}
_LOCK = threading.Lock()


#: Tesseract language codes OCRmyPDF users type, mapped to clearocr's ISO 639-1 codes.
def _tesseract_to_iso() -> dict[str, str]:
    from clearocr.engines.tesseract import ISO_TO_TESSERACT

    return {code: iso for iso, code in ISO_TO_TESSERACT.items()}


def iso_languages(languages: list[str] | None) -> list[str]:
    """OCRmyPDF's ``-l`` values (``eng``, ``chi_sim``, or ISO codes) as clearocr languages.

    Raises:
        BadArgsError: a language clearocr cannot read (OCRmyPDF reports it as a usage error).
    """
    mapping = _tesseract_to_iso()
    out: list[str] = []
    for code in languages or ["eng"]:
        iso = mapping.get(code, code if code in mapping.values() else None)
        if iso is None:
            raise BadArgsError(f"clearocr has no language {code!r}; known: {', '.join(sorted(mapping))}")
        if iso not in out:
            out.append(iso)
    return out


def _reader() -> Any:
    """One clearocr Reader per process (OCRmyPDF runs pages in worker processes or threads)."""
    from clearocr.pipeline import Reader

    with _LOCK:
        reader = _READERS.get(os.getpid())
        if reader is None:
            reader = _READERS[os.getpid()] = Reader()
        return reader


def _read(input_file: Path, options: Any, *, deskew: bool = True) -> Any:
    from clearocr.options import ReadOptions

    read_options = ReadOptions(
        engine=os.environ.get("CLEAROCR_ENGINE", "rapidocr"),
        languages=iso_languages(list(getattr(options, "languages", None) or [])),
        orientation=False,  # OCRmyPDF turns pages itself (--rotate-pages, through get_orientation)
        deskew=deskew,
        pdf_text="ocr",
    )
    return _reader().read(str(input_file), read_options)


def _image_dpi(input_file: Path) -> float:
    """The DPI OCRmyPDF rasterised the page at (it writes it into the image), 300 if absent."""
    from PIL import Image

    from clearocr.io import image_dpi

    with Image.open(input_file) as image:
        return image_dpi(image) or 300.0


class ClearOCREngine(OcrEngine):
    """clearocr as an OCRmyPDF OCR engine (see the module docstring)."""

    @staticmethod
    def version() -> str:
        from clearocr import __version__

        return __version__

    @staticmethod
    def creator_tag(options: Any) -> str:
        return f"clearocr {ClearOCREngine.version()} ({os.environ.get('CLEAROCR_ENGINE', 'rapidocr')})"

    def __str__(self) -> str:
        return f"clearocr {self.version()}"

    @staticmethod
    def languages(options: Any) -> set[str]:
        mapping = _tesseract_to_iso()
        return set(mapping) | set(mapping.values())

    @staticmethod
    def get_orientation(input_file: Path, options: Any) -> OrientationConfidence:
        """clearocr's orientation classifier on the page image: clockwise turn and a confidence on
        OCRmyPDF's 0-15 scale (its threshold for turning a page is 14 by default)."""
        import numpy as np
        from PIL import Image

        from clearocr.preprocess import OrientationDetector

        with Image.open(input_file) as image:
            array = np.asarray(image.convert("RGB"))
        angle, confidence = OrientationDetector().detect(array)
        return OrientationConfidence(angle=int(angle) % 360, confidence=round(15.0 * float(confidence), 2))

    @staticmethod
    def get_deskew(input_file: Path, options: Any) -> float:
        """Skew in degrees, counter-clockwise positive (what Pillow's ``rotate`` takes to straighten)."""
        import numpy as np
        from PIL import Image

        from clearocr.preprocess import analysis_copy, estimate_skew

        with Image.open(input_file) as image:
            array = np.asarray(image.convert("RGB"))
        angle = estimate_skew(analysis_copy(array))
        return float(angle) if abs(angle) >= 0.3 else 0.0

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options: Any, page_number: int = 0) -> tuple[Any, str]:
        """The page's words as an ``OcrElement`` tree on ``input_file``'s pixels, and its text."""
        from clearocr.export.pdf import layer_plan, ocr_tree

        document = _read(input_file, options)
        page = document.pages[0]
        tree = ocr_tree(layer_plan(page), page_number + 1, dpi=_image_dpi(input_file))
        return tree, page.text + "\n"

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options: Any) -> None:
        """hOCR of the page (read without straightening, so its boxes are on the image as given)."""
        document = _read(input_file, options, deskew=False)
        output_hocr.write_text(document.to_hocr(), encoding="utf-8")
        output_text.write_text(document.text + "\n", encoding="utf-8")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options: Any) -> None:
        """A text-only PDF of the page, sized to the image at its DPI."""
        from clearocr.export.pdf import layer_plan, text_layer_pdf

        document = _read(input_file, options)
        page = document.pages[0]
        output_pdf.write_bytes(text_layer_pdf([(1, layer_plan(page))], dpi=_image_dpi(input_file)))
        output_text.write_text(page.text + "\n", encoding="utf-8")


def _asked(options: Any) -> bool:
    if os.environ.get("CLEAROCR_OCRMYPDF", "").lower() in ("1", "true", "yes"):
        return True
    plugins = getattr(options, "plugins", None) or []
    return any(str(p) in ("clearocr", "clearocr.ocrmypdf_plugin") for p in plugins)


@hookimpl
def get_ocr_engine(options: Any = None) -> OcrEngine | None:
    """clearocr's engine when OCRmyPDF was asked for it (``--plugin clearocr``); else None, so the
    next plugin (Tesseract) answers."""
    if options is None or getattr(options, "ocr_engine", "auto") not in ("auto",) or not _asked(options):
        return None
    return ClearOCREngine()


@hookimpl
def check_options(options: Any) -> None:
    """Fail early, as a usage error, on a language clearocr cannot read."""
    if _asked(options) and getattr(options, "ocr_engine", "auto") == "auto":
        iso_languages(list(getattr(options, "languages", None) or []))
