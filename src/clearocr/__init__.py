"""clearocr: local document OCR with structured results.

Quick start::

    import clearocr
    doc = clearocr.read("invoice.pdf", languages="en,sv", pages="1-2")
    print(doc.text)
    doc.to_json(); doc.to_hocr()

Heavy dependencies (onnxruntime, OpenCV, pypdfium2) are imported on first use, so importing the
package is cheap.
"""

from __future__ import annotations

import logging

from clearocr.document import Document, Line, Page, PreprocessStep, Word
from clearocr.errors import (
    ClearOCRError,
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    EngineUnavailableError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    InputPermissionError,
    OptionsError,
    PageRangeError,
    TooManyPagesError,
    UnsupportedInputError,
    UnsupportedLanguageError,
)
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader, close, extract, read

__version__ = "0.1.0"

# A library logs, it does not configure logging: the "clearocr" logger stays silent unless the
# application (or `clearocr -v`) adds a handler.
logging.getLogger("clearocr").addHandler(logging.NullHandler())


def __getattr__(name: str):
    # Extraction pulls in its lexicons and schema: imported on first use.
    if name == "InvoiceFields":
        import clearocr.extraction as extraction

        return getattr(extraction, name)
    raise AttributeError(f"module 'clearocr' has no attribute {name!r}")


__all__ = [
    "ClearOCRError",
    "CorruptInputError",
    "Document",
    "EmptyInputError",
    "EncryptedPDFError",
    "EngineUnavailableError",
    "ImageTooLargeError",
    "InputError",
    "Line",
    "OptionsError",
    "Page",
    "PageRangeError",
    "PreprocessStep",
    "TooManyPagesError",
    "ReadOptions",
    "Reader",
    "UnsupportedInputError",
    "UnsupportedLanguageError",
    "InputNotFoundError",
    "InputPermissionError",
    "Word",
    "__version__",
    "close",
    "read",
    "extract",
    "InvoiceFields",
]
