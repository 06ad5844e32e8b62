"""The typer application, its consoles and logging, and the CLI's one error handler.

Commands are registered with :func:`command` (not ``app.command``): it wraps each in :func:`handle_errors`,
which prints a :class:`~clearocr.errors.ClearOCRError` as one ``error:`` line and exits with the error's
``exit_code``. Commands raise; they never catch ``ClearOCRError`` to print it themselves.

Exit codes (from :mod:`clearocr.errors`): 0 done; 1 some documents failed (each reported); 2 the command
line is wrong (a bad option value, a flag that needs another, as click's own usage errors); 3 a language
the engine cannot read; 4 an engine that is not available; 5 an LLM that cannot be loaded or run;
6 a worker process died; 7 a document over the time limit; 8 an input that cannot be read (missing,
empty, corrupt, encrypted, too large, a page out of range); 9 an output that cannot be made (the
searchable PDF's source is missing or does not match).
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from clearocr.cli.flags import with_model_flags
from clearocr.errors import ClearOCRError
from clearocr.options import ReadOptions

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="clearocr: read scanned documents and images into text, JSON or hOCR, offline.",
)
stderr = Console(stderr=True, soft_wrap=True)  # paths and messages whole, never wrapped

F = TypeVar("F", bound=Callable[..., Any])


class _CliLogHandler:
    """Marker base for the CLI's log handler (so a second configure_logging replaces, not adds, it)."""


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Log to stderr, one line per record, never wrapped (paths stay whole when copied): clearocr's own
    records at warning by default, ``-v`` info (pages read, models loaded), ``-vv`` debug, ``-q``
    errors only; other libraries' records (img2pdf, OCRmyPDF's renderer, Python warnings) at warning,
    or errors only with ``-q``. A document's :class:`~clearocr.document.ReadWarning` records are left
    out here: the commands print them themselves, once, with the input's name."""

    class Handler(_CliLogHandler, logging.StreamHandler):
        pass

    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _CliLogHandler)]:
        root.removeHandler(old)
    handler = Handler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(lambda record: not getattr(record, "read_warning", False))
    root.addHandler(handler)
    root.setLevel(logging.ERROR if quiet else logging.WARNING)
    logging.getLogger("clearocr").setLevel(level)
    logging.captureWarnings(True)  # warnings.warn (a model fallback, a decoder warning) go the same way


@app.callback()
def _main(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output: -v info, -vv debug."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Log errors only."),
) -> None:
    """clearocr: read scanned documents and images into text, JSON, hOCR, ALTO, Markdown or searchable PDF,
    offline."""
    configure_logging(verbose, quiet)


def print_error(message: str) -> None:
    """One ``error:`` line on stderr (the message escaped: a file name is never read as markup)."""
    stderr.print(f"[red]error:[/red] {escape(message)}")


def handle_errors(function: F) -> F:
    """The CLI's one error handler: a :class:`ClearOCRError` raised by a command is printed as one line
    and ends the command with its ``exit_code``."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ClearOCRError as exc:
            print_error(str(exc))
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def command(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """``app.command`` with :func:`handle_errors` around the command."""

    def register(function: F) -> F:
        app.command(*args, **kwargs)(handle_errors(function))
        return function

    return register


def as_error(path: Path | str, exc: BaseException) -> ClearOCRError:
    """Any failure while reading one file as a ClearOCRError naming the file (a batch goes on)."""
    if isinstance(exc, ClearOCRError):
        return exc
    return ClearOCRError(f"{path}: unexpected {type(exc).__name__} while reading: {exc}")


def stdout_console() -> Console:
    """A console for tables on stdout: the terminal's width on a terminal; piped or redirected, wide
    enough that no cell is cut or wrapped (rich would assume 80 columns)."""
    return Console() if sys.stdout.isatty() else Console(width=1000, soft_wrap=True)


def print_warnings(path: Path | str, document: Any) -> None:
    """A document's warnings on stderr, one line each, paths whole (never wrapped)."""
    for warning in document.warnings:
        stderr.print(
            f"[yellow]warning:[/yellow] {escape(str(path))}: {escape(warning.message)}", soft_wrap=True
        )


def read_option_flags(**kwargs: Any) -> Callable[[F], F]:
    """A flag per :class:`~clearocr.options.ReadOptions` field, and ``--set``; the command gets
    ``options: ReadOptions`` (see :func:`~clearocr.cli.flags.with_model_flags` for ``kwargs``)."""
    return with_model_flags(ReadOptions, lambda values: ReadOptions.build(**values), **kwargs)
