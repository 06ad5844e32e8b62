"""Typed errors. Each carries the CLI exit code (and HTTP status) it maps to, as OCRmyPDF's do.

Exit codes: 1 a document failed (generic), 2 options or command line, 3 unsupported language, 4 engine
unavailable, 5 LLM, 6 worker crashed, 7 time limit, 8 input cannot be read, 9 output cannot be made.
(Before, 2 meant an input, an option and a PDF output alike; input errors are 8 and PDF output errors
9 since the CLI's error handling was made one handler.)

Every error about an input names the file (or ``<bytes>``, ``<PIL image>`` ...) and the cause, so a
user can act on it without reading a traceback from deep inside Pillow or PDFium.
"""

from __future__ import annotations


class ClearOCRError(Exception):
    """Base class of every error clearocr raises on purpose."""

    exit_code = 1
    http_status = 500


class SourceError(ClearOCRError):
    """An error about one input, naming it and the cause.

    Args:
        source: a printable name of the input (a path, ``<bytes>``, ``<PIL image>``).
        cause: what is wrong, in words a user can act on.
    """

    def __init__(self, source: str, cause: str) -> None:
        self.source = source
        self.cause = cause
        super().__init__(f"{source}: {cause}")


class InputError(SourceError):
    """The input document cannot be read (see :class:`SourceError` for the arguments)."""

    exit_code = 8
    http_status = 422


class InputNotFoundError(InputError, FileNotFoundError):
    """The input path does not exist (or is a dangling symbolic link).

    Also a :class:`FileNotFoundError`, so ``except FileNotFoundError`` catches it."""


class InputPermissionError(InputError, PermissionError):
    """The input cannot be opened for reading. Also a :class:`PermissionError`."""


class EmptyInputError(InputError):
    """Zero-byte file or a document with no pages."""


class CorruptInputError(InputError):
    """Truncated or damaged file, or bytes that are not an image or PDF."""


class UnsupportedInputError(InputError):
    """A file type or Python object clearocr cannot read."""


class EncryptedPDFError(InputError):
    """A password-protected PDF."""


class ImageTooLargeError(InputError):
    """An image over the pixel limit (a possible decompression bomb)."""

    http_status = 413


class TooManyPagesError(InputError):
    """A document with more selected pages than the ``max_pages`` limit."""

    http_status = 413


class TimeLimitError(SourceError):
    """A document took longer than the server's per-document time limit (checked after each page)."""

    exit_code = 7
    http_status = 422


class JobCancelledError(SourceError):
    """A server job deleted while it was being read (its synchronous client went away, or its owner
    deleted it): reading stops at the next page. (HTTP 499: nobody is left to receive it.)"""

    exit_code = 1
    http_status = 499


class PageRangeError(InputError, ValueError):
    """A page selection that is malformed or outside the document. Also a :class:`ValueError`."""


class UnsupportedLanguageError(ClearOCRError, ValueError):
    """A language the chosen engine cannot read (or whose data is not installed). Also a
    :class:`ValueError`."""

    exit_code = 3
    http_status = 422


class EngineUnavailableError(ClearOCRError):
    """An OCR engine is unknown, not installed, or its model files are missing."""

    exit_code = 4
    http_status = 503


class OptionsError(ClearOCRError, ValueError):
    """Options that fail validation (wrong type, out of range), or a command line that asks for something
    contradictory (exit code 2, as click's own usage errors). Also a :class:`ValueError`."""

    exit_code = 2
    http_status = 422


class WorkerCrashedError(ClearOCRError):
    """The process reading a document died (a native crash such as SIGSEGV, or an out-of-memory kill).

    Only that document fails: nothing is written for it, and the other documents go on in a new process.

    Args:
        source: the document's name.
        exitcode: the process's exit code (``-N`` when killed by signal ``N``, as multiprocessing gives it).
    """

    exit_code = 6
    http_status = 500

    def __init__(self, source: str, exitcode: int | None) -> None:
        import signal

        self.source = source
        self.exitcode = exitcode
        if exitcode is not None and exitcode < 0:
            try:
                self.signal: str | None = signal.Signals(-exitcode).name
            except ValueError:
                self.signal = f"signal {-exitcode}"
            cause = f"killed by {self.signal}"
            if self.signal == "SIGKILL":
                cause += " (out of memory?)"
            elif self.signal in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGABRT", "SIGFPE"):
                cause += " (a native crash in a library: OCR engine, llama.cpp or an image decoder)"
        else:
            self.signal = None
            cause = f"exited with code {exitcode}"
        super().__init__(f"{source}: the process reading it died, {cause}; nothing was written for it")


class PdfOutputError(ClearOCRError):
    """The searchable PDF cannot be made (the source is missing, or does not match the document)."""

    exit_code = 9


class LLMError(ClearOCRError):
    """A language model cannot be found, loaded or run (the message says which file and why)."""

    exit_code = 5
    http_status = 503


class LLMBuildError(LLMError):
    """The installed llama.cpp build crashes (or hangs) when it decodes on this machine."""


#: HTTP statuses that mean "the server is busy or restarting; the same request may succeed later".
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class APIError(ClearOCRError):
    """The server answered with an error, or could not be reached after every retry (the client's).

    Attributes:
        status: the HTTP status (0 when the server could not be reached).
        kind: the server's error type (e.g. ``CorruptInputError``, ``Unauthorized``).
        attempts: how many requests were made.
        retry_after: seconds the server asked the client to wait (``Retry-After``), if it did.
    """

    def __init__(
        self,
        message: str,
        status: int = 0,
        kind: str = "",
        attempts: int = 1,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.kind, self.attempts, self.retry_after = status, kind, attempts, retry_after

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (busy, restarting or unreachable server)."""
        return self.status in RETRY_STATUSES or self.status == 0


class AuthenticationError(APIError):
    """The server refused the credentials (a wrong API key, or an unknown client id or wrong secret)."""
