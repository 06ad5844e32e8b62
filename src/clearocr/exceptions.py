"""Every error clearocr raises, under the names the OCR SDK tutorials catch.

The tutorials write ``except ocr.exceptions.OcrException``; with ``import clearocr.engine as ocr`` that
is :class:`OcrException`, the base of every clearocr error (input, options, engine, LLM, server and
client errors alike), so a tutorial's retry loop sees clearocr's typed error with its message.

Errors also subclass the built-in a Python user would catch:

* :class:`InputNotFoundError` is a :class:`FileNotFoundError` (a missing path or a dangling link);
* :class:`InputPermissionError` is a :class:`PermissionError`;
* :class:`OptionsError` (bad options, bad AI model settings), :class:`PageRangeError` and
  :class:`UnsupportedLanguageError` are :class:`ValueError` s.

Each carries ``exit_code`` (the CLI's) and ``http_status`` (the server's).
"""

from __future__ import annotations

from clearocr.errors import (
    APIError,
    AuthenticationError,
    ClearOCRError,
    CorruptInputError,
    EmptyInputError,
    EncryptedPDFError,
    EngineUnavailableError,
    ImageTooLargeError,
    InputError,
    InputNotFoundError,
    InputPermissionError,
    LLMBuildError,
    LLMError,
    OptionsError,
    PageRangeError,
    PdfOutputError,
    SourceError,
    TimeLimitError,
    TooManyPagesError,
    UnsupportedInputError,
    UnsupportedLanguageError,
    WorkerCrashedError,
)

#: The tutorials' base exception: every clearocr error is one.
OcrException = ClearOCRError

__all__ = [
    "OcrException",
    "ClearOCRError",
    "SourceError",
    "InputError",
    "InputNotFoundError",
    "InputPermissionError",
    "EmptyInputError",
    "CorruptInputError",
    "UnsupportedInputError",
    "EncryptedPDFError",
    "ImageTooLargeError",
    "TooManyPagesError",
    "TimeLimitError",
    "PageRangeError",
    "UnsupportedLanguageError",
    "EngineUnavailableError",
    "OptionsError",
    "WorkerCrashedError",
    "APIError",
    "AuthenticationError",
    "LLMError",
    "LLMBuildError",
    "PdfOutputError",
]
