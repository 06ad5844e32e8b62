"""Command line: ``clearocr read`` and ``clearocr engines`` (typer + rich).

A thin layer: flags map one-to-one onto :class:`~clearocr.options.ReadOptions` fields, whose defaults
and descriptions they take; errors are :class:`~clearocr.errors.ClearOCRError` objects that carry their
exit code.
"""

from __future__ import annotations

import json
import os
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearocr.errors import ClearOCRError
from clearocr.export import exporters, formats
from clearocr.options import ReadOptions

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="clearocr: read scanned documents and images into text, JSON or hOCR, offline.",
)
stderr = Console(stderr=True, soft_wrap=True)  # paths and messages whole, never wrapped
_FIELDS = ReadOptions.model_fields


class _CliLogHandler:
    """Marker base for the CLI's log handler (so a second configure_logging replaces, not adds, it)."""


def configure_logging(verbose: int = 0, quiet: bool = False) -> None:
    """Log to stderr, one line per record, never wrapped (paths stay whole when copied): clearocr's own
    records at warning by default, ``-v`` info (pages read, models loaded), ``-vv`` debug, ``-q``
    errors only; other libraries' records (img2pdf, OCRmyPDF's renderer, Python warnings) at warning,
    or errors only with ``-q``. A document's :class:`~clearocr.document.ReadWarning` records are left
    out here: the commands print them themselves, once, with the input's name."""
    import logging

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


def _help(name: str) -> str:
    return _FIELDS[name].description or ""


def _default(name: str) -> Any:
    return _FIELDS[name].default


def _default_languages() -> list[str]:
    factory = _FIELDS["languages"].default_factory
    return list(factory()) if factory is not None else ["auto"]  # type: ignore[call-arg]


def _server_field(name: str) -> Any:
    # ServerSettings lives in the server extra's module, which imports nothing from FastAPI at the top.
    from clearocr.server.app import ServerSettings

    return ServerSettings.model_fields[name]


def _server_default(name: str) -> Any:
    return _server_field(name).default


def _server_help(name: str) -> str:
    return _server_field(name).description or ""


#: Choices derived from their single definitions: the exporters and the ReadOptions field. (Built at
#: run time, so mypy cannot list their members: hence the ignores.)
FORMATS = formats()
OutputFormat = Enum("OutputFormat", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]
PdfText = Enum("PdfText", {v: v for v in get_args(_FIELDS["pdf_text"].annotation)}, type=str)  # type: ignore[misc]
CorrectMode = Enum("CorrectMode", {v: v for v in get_args(_FIELDS["correct"].annotation)}, type=str)  # type: ignore[misc]


class ExtractKind(str, Enum):
    none = "none"
    invoice = "invoice"


class ExtractFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def _as_error(path: Path, exc: Exception) -> ClearOCRError:
    """Any failure while reading one file as a ClearOCRError naming the file (the batch goes on)."""
    if isinstance(exc, ClearOCRError):
        return exc
    return ClearOCRError(f"{path}: unexpected {type(exc).__name__} while reading: {exc}")


def output_names(files: list[Path], suffix: str, output_dir: Path | None = None) -> list[str]:
    """Output names below ``output_dir`` for ``files``: the batch's naming
    (:func:`clearocr.batch.output_names`), so outputs mirror the input folders and never meet, and no
    output takes the name of an input that lies in ``output_dir``."""
    from clearocr.batch import inputs_below
    from clearocr.batch import output_names as batch_output_names

    pairs = [(str(f), f.name) for f in files]
    return batch_output_names(pairs, suffix, inputs_below(pairs, output_dir) if output_dir else ())


@app.command()
def read(
    files: list[Path] = typer.Argument(..., help="Images or PDFs to read.", show_default=False),
    output_dir: Path | None = typer.Option(
        None,
        "--output-dir",
        "-o",
        help="Write one output per input into this folder (named after the input's stem); with one input, "
        "a path ending in the format's suffix (out.json) is the output file itself.",
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat("text"),
        "--format",
        "-f",
        help="Output format: "
        + "; ".join(f"{e.name} ({e.suffix}): {e.description}" for e in exporters())
        + ".",
    ),
    engine: str = typer.Option(_default("engine"), "--engine", "-e", help=_help("engine")),
    lang: str = typer.Option(",".join(_default_languages()), "--lang", "-l", help=_help("languages")),
    pages: str | None = typer.Option(None, "--pages", "-p", help=_help("pages")),
    dpi: int = typer.Option(_default("dpi"), "--dpi", help=_help("dpi")),
    pdf_text: PdfText = typer.Option(PdfText(_default("pdf_text")), "--pdf-text", help=_help("pdf_text")),
    orientation: bool = typer.Option(
        _default("orientation"), "--orientation/--no-orientation", help=_help("orientation")
    ),
    deskew: bool = typer.Option(_default("deskew"), "--deskew/--no-deskew", help=_help("deskew")),
    upscale: bool = typer.Option(_default("upscale"), "--upscale/--no-upscale", help=_help("upscale")),
    max_side: int = typer.Option(_default("max_side"), "--max-side", help=_help("max_side")),
    binarize: bool = typer.Option(_default("binarize"), "--binarize/--no-binarize", help=_help("binarize")),
    denoise: bool = typer.Option(_default("denoise"), "--denoise/--no-denoise", help=_help("denoise")),
    correct: CorrectMode = typer.Option(CorrectMode(_default("correct")), "--correct", help=_help("correct")),
    llm_model: str | None = typer.Option(None, "--llm-model", help=_help("llm_model")),
    llm_quantization: str | None = typer.Option(None, "--llm-quantization", help=_help("llm_quantization")),
    llm_url: str | None = typer.Option(None, "--llm-url", help=_help("llm_url")),
    gpu_layers: int = typer.Option(_default("gpu_layers"), "--gpu-layers", help=_help("gpu_layers")),
    context_size: int = typer.Option(_default("context_size"), "--context-size", help=_help("context_size")),
    allow_download: bool = typer.Option(False, "--allow-download", help=_help("allow_download")),
    extract_kind: ExtractKind = typer.Option(
        ExtractKind.none, "--extract", help='Also extract key fields (adds "fields" to the JSON).'
    ),
    settings: list[str] = typer.Option(
        [],
        "--set",
        help="Any other reading option as KEY=VALUE (repeatable), e.g. mode=handwritten, max_pages=2000.",
    ),
    split_pages: bool = typer.Option(
        False, "--split-pages", help="Write one file per page (out.page-0001.txt, ...); needs -o."
    ),
) -> None:
    """Read FILES and print or write their text, JSON (clearocr.document/1), hOCR, ALTO, Markdown or a
    searchable PDF (the input's pages with an invisible text layer)."""
    from clearocr.batch import read_to_output, split_page_path

    try:
        options = _build_options(
            settings,
            engine=engine,
            languages=lang,
            pages=pages,
            dpi=dpi,
            pdf_text=pdf_text.value,
            orientation=orientation,
            deskew=deskew,
            upscale=upscale,
            max_side=max_side,
            binarize=binarize,
            denoise=denoise,
            correct=correct.value,
            llm_model=llm_model,
            llm_quantization=llm_quantization,
            llm_url=llm_url,
            gpu_layers=gpu_layers,
            context_size=context_size,
            allow_download=allow_download,
        )
    except ClearOCRError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    output_file = _output_file(files, output_dir, fmt.value)
    if output_dir is None and len(files) > 1 and fmt.value not in ("text", "json"):
        stderr.print(f"[red]error:[/red] several files in {fmt.value} need --output-dir/-o")
        raise typer.Exit(2)
    if output_dir is None and fmt.value == "pdf" and sys.stdout.isatty():
        stderr.print("[red]error:[/red] a PDF is not written to a terminal: give -o out.pdf (or redirect)")
        raise typer.Exit(2)

    try:
        from clearocr.engines import engine_class, ocr_languages

        chosen = engine_class(options.engine)
        chosen.resolve_languages(ocr_languages(chosen, options.languages))
    except ClearOCRError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    if split_pages and (output_dir is None or len(files) > 1):
        stderr.print(
            "[red]error:[/red] --split-pages writes files: give one input and -o (a file or a folder)"
        )
        raise typer.Exit(2)
    if len(files) > 1:
        _read_many(files, options, fmt.value, output_dir, extract_kind.value)
        return

    from clearocr.pipeline import Reader

    path = files[0]
    target = output_file or (
        output_dir / output_names(files, FORMATS[fmt.value], output_dir)[0] if output_dir else None
    )
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("pages"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    with Reader(options) as reader, progress:
        task = progress.add_task(f"reading {path.name}", total=None)

        def on_page(page: Any, index: int, total: int) -> None:
            progress.update(task, completed=index, total=total)

        try:
            content, document = read_to_output(
                reader,
                str(path),
                target,
                options=options,
                fmt=fmt.value,
                extract=extract_kind.value,
                on_page=on_page,
                on_resume=lambda count: stderr.print(f"resuming {path.name}: {count} page(s) already read"),
                split_pages=split_pages,
            )
        except Exception as exc:
            error = _as_error(path, exc)
            progress.stop()
            stderr.print(f"[red]error:[/red] {escape(str(error))}")
            raise typer.Exit(error.exit_code) from None
    _print_warnings(path, document)
    if target is None:
        if isinstance(content, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(content)
            sys.stdout.flush()
    elif split_pages:
        stderr.print(f"1 of 1 file(s) read into {split_page_path(target, 1).name} ... (one file per page)")
    else:
        stderr.print(f"1 of 1 file(s) read into {target}")


def _stdout_console() -> Console:
    """A console for tables on stdout: the terminal's width on a terminal; piped or redirected, wide
    enough that no cell is cut or wrapped (rich would assume 80 columns)."""
    return Console() if sys.stdout.isatty() else Console(width=1000, soft_wrap=True)


def _print_warnings(path: Path, document: Any) -> None:
    """A document's warnings on stderr, one line each, paths whole (never wrapped)."""
    for warning in document.warnings:
        stderr.print(
            f"[yellow]warning:[/yellow] {escape(str(path))}: {escape(warning.message)}", soft_wrap=True
        )


def _output_file(files: list[Path], output: Path | None, fmt: str) -> Path | None:
    """``-o out.json`` with one input names the output file itself; with several inputs a path that
    looks like a file (it has the format's suffix and is not a folder) is refused, not made a folder."""
    if output is None or output.is_dir():
        return None
    looks_like_file = output.suffix.lower() in {suffix for suffix in FORMATS.values()} | {
        ".txt",
        ".pdf",
        ".xml",
        ".html",
        ".md",
    }
    if not looks_like_file:
        return None
    if len(files) > 1:
        stderr.print(
            f"[red]error:[/red] -o {output}: several inputs need a folder for their outputs, not a file name"
        )
        raise typer.Exit(2)
    if output.suffix.lower() != FORMATS[fmt]:
        stderr.print(
            f"[red]error:[/red] -o {output}: the {fmt} format is written as {FORMATS[fmt]}, not {output.suffix}"
        )
        raise typer.Exit(2)
    if output.exists() and files and os.path.realpath(output) == os.path.realpath(files[0]):
        stderr.print(f"[red]error:[/red] -o {output}: is the input itself; the output would overwrite it")
        raise typer.Exit(2)
    return output


def _read_many(
    files: list[Path], options: ReadOptions, fmt: str, output_dir: Path | None, extract: str
) -> None:
    """``clearocr read`` with several files: each is read in a watched worker process (engines loaded
    once there), so a native crash (SIGSEGV in a library) fails that file only; the others are read
    and written, and the exit code is 1 at the end if any failed."""
    from clearocr.batch import BatchItem, BatchSettings, registry_targets
    from clearocr.batch.workers import run_isolated

    settings = BatchSettings(
        options=options.model_dump(mode="json"), fmt=fmt, extract=extract, engines=registry_targets()
    )
    names = output_names(files, FORMATS[fmt], output_dir)
    items = [
        BatchItem(str(path), str(output_dir / name) if output_dir is not None else None)
        for path, name in zip(files, names)
    ]
    failed = 0
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=output_dir is None,
    )
    with progress:
        task = progress.add_task("reading", total=len(files))
        # One worker: records come back in input order.
        for path, record in zip(files, run_isolated(items, settings, jobs=1)):
            progress.update(task, description=f"read {path.name}", advance=1)
            for message in record.get("warnings") or ():
                progress.console.print(
                    f"[yellow]warning:[/yellow] {escape(str(path))}: {escape(message)}", soft_wrap=True
                )
            if record["status"] == "error":
                failed += 1
                progress.console.print(f"[red]error:[/red] {escape(str(record['error']['message']))}")
                continue
            if output_dir is None:
                content = record["content"]
                if fmt == "text":
                    sys.stdout.write(f"==> {path} <==\n")
                elif fmt == "json":  # JSON Lines: one document per line
                    content = json.dumps(json.loads(content), ensure_ascii=False) + "\n"
                sys.stdout.write(content)
                sys.stdout.flush()
    if output_dir is not None:
        stderr.print(
            f"{len(files) - failed} of {len(files)} file(s) read into {output_dir}"
            + (f", [red]{failed} failed[/red]" if failed else "")
        )
    if failed:
        raise typer.Exit(1)


@app.command()
def extract(
    files: list[Path] = typer.Argument(
        ..., help="Invoices or receipts (images or PDFs).", show_default=False
    ),
    fmt: ExtractFormat = typer.Option(ExtractFormat.table, "--format", "-f", help="Output format."),
    engine: str = typer.Option(_default("engine"), "--engine", "-e", help=_help("engine")),
    lang: str = typer.Option(",".join(_default_languages()), "--lang", "-l", help=_help("languages")),
    pages: str | None = typer.Option(None, "--pages", "-p", help=_help("pages")),
    pdf_text: PdfText = typer.Option(PdfText(_default("pdf_text")), "--pdf-text", help=_help("pdf_text")),
    use_llm: bool = typer.Option(
        False, "--llm", help="Also ask a local LLM (answers must be found on the page)."
    ),
    llm_model: str | None = typer.Option(None, "--llm-model", help=_help("llm_model")),
    llm_quantization: str | None = typer.Option(None, "--llm-quantization", help=_help("llm_quantization")),
    settings: list[str] = typer.Option(
        [], "--set", help="Any other reading option as KEY=VALUE (repeatable), e.g. mode=handwritten."
    ),
) -> None:
    """Extract invoice/receipt fields (number, dates, vendor, totals, tax, currency, items) from FILES."""
    import csv

    from clearocr.extraction import FIELD_NAMES, extract_fields
    from clearocr.pipeline import Reader

    try:
        options = _build_options(
            settings,
            engine=engine,
            languages=lang,
            pages=pages,
            pdf_text=pdf_text.value,
            llm_model=llm_model,
            llm_quantization=llm_quantization,
        )
    except ClearOCRError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    results: list[tuple[Path, dict[str, Any]]] = []
    failures = 0
    with Reader(options) as reader:
        llm = None
        if use_llm or llm_model:
            try:
                llm = reader.llm(options)
            except ClearOCRError as exc:
                stderr.print(f"[red]error:[/red] {escape(str(exc))}")
                raise typer.Exit(exc.exit_code) from None
        for path in files:
            try:
                document = reader.read(path)
                _print_warnings(path, document)
                fields = extract_fields(document, options.languages, options.extractor, llm).to_dict()
            except Exception as exc:  # one bad file must not stop the others
                failures += 1
                stderr.print(f"[red]error:[/red] {escape(str(_as_error(path, exc)))}")
                continue
            results.append((path, fields))
    if fmt is ExtractFormat.json:
        payload = [{"source": str(path), "fields": fields} for path, fields in results]
        print(
            json.dumps(
                payload if len(files) > 1 else (payload[0] if payload else None), ensure_ascii=False, indent=2
            )
        )
    elif fmt is ExtractFormat.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["source", *FIELD_NAMES])
        for path, fields in results:
            writer.writerow([str(path), *[(fields[n] or {}).get("value", "") for n in FIELD_NAMES]])
    else:
        for path, fields in results:
            table = Table(title=str(path))
            for column in ("field", "value", "as printed", "confidence", "page", "bbox"):
                table.add_column(column)
            for name in FIELD_NAMES:
                field = fields[name]
                if field is None:
                    table.add_row(name, "-", "", "", "", "")
                else:
                    table.add_row(
                        name,
                        field["value"],
                        field["text"],
                        f"{field['confidence']:.2f}",
                        str(field["page"]),
                        ",".join(map(str, field["bbox"])),
                    )
            checks = ", ".join(
                f"{k}: {'ok' if v == 'passed' else ('FAILED' if v == 'failed' else 'not checkable')}"
                for k, v in fields["checks"].items()
            )
            out = _stdout_console()
            out.print(table)
            if checks:
                out.print(f"checks: {checks}")
    if failures:
        raise typer.Exit(1)


@app.command()
def review(
    file: Path = typer.Argument(
        ..., help="An image or PDF to read, or a clearocr JSON document (read -f json).", show_default=False
    ),
    output: Path = typer.Option(..., "--output", "-o", help="The HTML file to write (e.g. review.html)."),
    source: Path | None = typer.Option(
        None,
        "--source",
        help="With a JSON document: the input it was read from, for the page images "
        "(default: the path the document names).",
    ),
    engine: str = typer.Option(_default("engine"), "--engine", "-e", help=_help("engine")),
    lang: str = typer.Option(",".join(_default_languages()), "--lang", "-l", help=_help("languages")),
    pages: str | None = typer.Option(None, "--pages", "-p", help=_help("pages")),
    correct: CorrectMode = typer.Option(CorrectMode(_default("correct")), "--correct", help=_help("correct")),
    extract_kind: ExtractKind = typer.Option(
        ExtractKind.invoice, "--extract", help="Extract key fields to show (none to skip)."
    ),
    settings: list[str] = typer.Option(
        [], "--set", help="Any other reading option as KEY=VALUE (repeatable)."
    ),
) -> None:
    """Write a review page: one self-contained HTML file with each page image, its word boxes coloured by
    confidence, the raw and corrected text with every correction marked, and the extracted fields (click
    one to see its box). Opens offline in any browser."""
    from clearocr.document import Document
    from clearocr.export.review import to_review_html
    from clearocr.files import write_atomic

    try:
        if file.suffix.lower() == ".json":
            try:
                document = Document.from_dict(json.loads(file.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ClearOCRError(f"{file}: not a clearocr JSON document ({exc})") from None
            image_source: Any = str(source) if source else document.source
        else:
            from clearocr.pipeline import Reader

            options = _build_options(
                settings, engine=engine, languages=lang, pages=pages, correct=correct.value
            )
            with Reader(options) as reader:
                document = reader.read(str(file), options)
            _print_warnings(file, document)
            if extract_kind is ExtractKind.invoice:
                from clearocr.extraction import extract_fields

                document.fields = extract_fields(document, options.languages, options.extractor).to_dict()
            image_source = str(file)
        write_atomic(output, to_review_html(document, image_source))
    except Exception as exc:
        error = _as_error(file, exc)
        stderr.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(error.exit_code) from None
    stderr.print(f"review of {file} written to {output} ({output.stat().st_size:,} bytes)")


def _build_options(settings: list[str], **flags: Any) -> ReadOptions:
    """The options of a command: its flags, then ``--set KEY=VALUE`` pairs over them (a ``--set`` of an
    option that also has a flag wins: it is the more explicit of the two).

    Raises:
        OptionsError: an invalid value; typer.BadParameter: a pair that is not KEY=VALUE.
    """
    return ReadOptions.build(**{**flags, **_parse_settings(settings)})


def _parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs (``--set deskew=false``) as ReadOptions overrides; pydantic converts the
    strings, so every option is reachable without a flag of its own."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        overrides[key.strip().replace("-", "_")] = value.strip()
    return overrides


@app.command()
def batch(
    inputs: list[str] = typer.Argument(
        ...,
        help="Files, directories (read recursively), glob patterns, @LIST files or URIs.",
        show_default=False,
    ),
    output_dir: Path = typer.Option(
        ..., "--output-dir", "-o", help="Outputs go here, mirroring input folders."
    ),
    fmt: OutputFormat = typer.Option(OutputFormat("json"), "--format", "-f", help="Output format."),
    engine: str = typer.Option(_default("engine"), "--engine", "-e", help=_help("engine")),
    lang: str = typer.Option(",".join(_default_languages()), "--lang", "-l", help=_help("languages")),
    pages: str | None = typer.Option(None, "--pages", "-p", help=_help("pages")),
    pdf_text: PdfText = typer.Option(PdfText(_default("pdf_text")), "--pdf-text", help=_help("pdf_text")),
    correct: CorrectMode = typer.Option(CorrectMode(_default("correct")), "--correct", help=_help("correct")),
    settings: list[str] = typer.Option(
        [], "--set", help="Any other reading option as KEY=VALUE (repeatable)."
    ),
    extract_kind: ExtractKind = typer.Option(ExtractKind.none, "--extract", help="Also extract key fields."),
    jobs: int = typer.Option(
        max(1, (os.cpu_count() or 2) // 2), "--jobs", "-j", help="Worker processes (0: in this process)."
    ),
    recycle_after: int = typer.Option(
        200, "--recycle-after", help="Replace a worker after this many documents (keeps memory flat)."
    ),
    resume: bool = typer.Option(
        True, "--resume/--no-resume", help="Skip inputs already read with the same content and options."
    ),
    ray: str | None = typer.Option(
        None,
        "--ray",
        help="Run on Ray: 'local' starts a local instance, or give a cluster address (ray://host:10001, auto).",
    ),
) -> None:
    """Read many documents into OUTPUT_DIR with worker processes (or Ray), a JSONL manifest and resume.

    Exit code 0 when every document was read (or skipped), 1 when any failed; failures are listed in
    OUTPUT_DIR/manifest.jsonl and the rest of the batch still runs.
    """
    from rich.progress import TimeRemainingColumn

    from clearocr.batch import MANIFEST_NAME, BatchSettings, plan, registry_targets, run_local

    try:
        options = _build_options(
            settings,
            engine=engine,
            languages=lang,
            pages=pages,
            pdf_text=pdf_text.value,
            correct=correct.value,
        )
        batch_settings = BatchSettings(
            options=options.model_dump(mode="json"),
            fmt=fmt.value,
            extract=extract_kind.value,
            engines=registry_targets(),
        )
        items = plan(inputs, output_dir, fmt.value, batch_settings, resume=resume)
    except ClearOCRError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    if not items:
        stderr.print("[yellow]no documents found[/yellow]")
        raise typer.Exit(1)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[pages]} pages, {task.fields[rate]:.2f} pages/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=stderr,
    )
    started = time.perf_counter()
    pages_done = 0

    with progress:
        task = progress.add_task("reading", total=len(items), pages=0, rate=0.0)

        def on_record(record: dict[str, Any]) -> None:
            nonlocal pages_done
            pages_done += record.get("pages") or 0
            if record["status"] == "error":
                progress.console.print(f"[red]error:[/red] {escape(str(record['error']['message']))}")
            for message in record.get("warnings") or ():
                progress.console.print(
                    f"[yellow]warning:[/yellow] {escape(str(record['input']))}: {escape(message)}",
                    soft_wrap=True,
                )
            rate = pages_done / max(time.perf_counter() - started, 1e-6)
            progress.update(task, advance=1, pages=pages_done, rate=rate)

        manifest = output_dir / MANIFEST_NAME
        if ray is not None:
            from clearocr.batch.ray import run_ray

            summary = run_ray(
                items, batch_settings, manifest, address=ray, jobs=max(jobs, 1), on_record=on_record
            )
        else:
            summary = run_local(
                items,
                batch_settings,
                manifest,
                jobs=jobs,
                recycle_after=recycle_after or None,
                on_record=on_record,
            )
    stderr.print(
        f"{summary.ok} read, {summary.skipped} skipped (unchanged), "
        + (f"{summary.ignored} ignored (not documents), " if summary.ignored else "")
        + (f"[yellow]{summary.warned} with warnings[/yellow], " if summary.warned else "")
        + (f"[red]{summary.failed} failed[/red]" if summary.failed else "0 failed")
        + f"; {summary.pages} pages in {summary.seconds:.1f} s; manifest: {manifest}"
    )
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    db: Path = typer.Option(Path("clearocr-jobs.sqlite3"), "--db", help="SQLite file for jobs and results."),
    keys_file: Path | None = typer.Option(
        None,
        "--keys-file",
        help="API key SHA-256 hashes, one per line (see `clearocr api-key`); "
        "CLEAROCR_API_KEYS (comma-separated keys) is read too.",
    ),
    clients_file: Path | None = typer.Option(
        None,
        "--clients-file",
        help="OAuth 2.0 clients, 'client_id sha256-of-secret' per line (see `clearocr "
        "client-credentials`); they get bearer tokens at POST /v1/token. CLEAROCR_CLIENTS (id:secret,...) is read too.",
    ),
    token_ttl: float = typer.Option(
        _server_default("token_ttl"), "--token-ttl", help=_server_help("token_ttl")
    ),
    workers: int = typer.Option(1, "--workers", help="Documents read at the same time."),
    queue_size: int = typer.Option(32, "--queue-size", help="Jobs that may wait; beyond, 503 + Retry-After."),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", help="Larger uploads get 413."),
    max_pages: int = typer.Option(50, "--max-pages", help="Documents with more pages get 413."),
    sync_pages: int = typer.Option(
        5, "--sync-pages", help="Larger documents are answered with 202 + job id."
    ),
    timeout: float = typer.Option(
        120.0, "--timeout", help="Seconds a synchronous request waits before 202 + job id."
    ),
    result_ttl: float = typer.Option(
        _server_default("result_ttl"), "--result-ttl", help=_server_help("result_ttl")
    ),
    max_attempts: int = typer.Option(
        _server_default("max_attempts"), "--max-attempts", help=_server_help("max_attempts")
    ),
    job_timeout: float = typer.Option(
        _server_default("job_timeout"), "--job-timeout", help=_server_help("job_timeout")
    ),
    max_dpi: int = typer.Option(_server_default("max_dpi"), "--max-dpi", help=_server_help("max_dpi")),
    threads: int | None = typer.Option(None, "--threads", help=_server_help("threads")),
    max_connections: int = typer.Option(
        _server_default("max_connections"), "--max-connections", help=_server_help("max_connections")
    ),
    max_connections_per_client: int = typer.Option(
        _server_default("max_connections_per_client"),
        "--max-connections-per-client",
        help=_server_help("max_connections_per_client"),
    ),
    header_timeout: float = typer.Option(
        _server_default("header_timeout"), "--header-timeout", help=_server_help("header_timeout")
    ),
    engine: str = typer.Option(_default("engine"), "--engine", "-e", help=_help("engine")),
    lang: str = typer.Option(
        ",".join(_default_languages()), "--lang", "-l", help="Default " + _help("languages")
    ),
    settings: list[str] = typer.Option(
        [], "--set", help="Any other default reading option as KEY=VALUE (repeatable)."
    ),
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs). Every route but /healthz and /v1/token needs an API
    key or a client-credentials access token."""
    try:
        import uvicorn

        from clearocr.server import ServerSettings, create_app, load_client_hashes, load_key_hashes
    except ImportError as exc:
        stderr.print(f"[red]error:[/red] the server needs its extra: pip install 'clearocr[server]' ({exc})")
        raise typer.Exit(4) from None
    try:
        options = _build_options(settings, engine=engine, languages=lang)
        server_settings = ServerSettings(
            api_key_hashes=load_key_hashes(keys_file=keys_file),
            client_secret_hashes=load_client_hashes(clients_file=clients_file),
            token_ttl=token_ttl,
            db_path=str(db),
            options=options,
            workers=workers,
            queue_size=queue_size,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024),
            max_pages=max_pages,
            sync_pages=sync_pages,
            request_timeout=timeout,
            result_ttl=result_ttl,
            max_attempts=max_attempts,
            job_timeout=job_timeout,
            max_dpi=max_dpi,
            threads=threads,
            max_connections=max_connections,
            max_connections_per_client=max_connections_per_client,
            header_timeout=header_timeout,
        )
        application = create_app(server_settings)
    except ClearOCRError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    from clearocr.server.protocol import uvicorn_config

    uvicorn.Server(uvicorn_config(application, server_settings, host, port)).run()


@app.command("api-key")
def api_key() -> None:
    """Make a new random API key: prints the key (give it to the client) and the line to add to the
    server's --keys-file (only the hash is stored)."""
    import secrets

    from clearocr.server.app import hash_key

    key = secrets.token_urlsafe(32)
    print(f"key:  {key}")
    print(f"hash: {hash_key(key)}")


@app.command("client-credentials")
def client_credentials(
    client_id: str | None = typer.Argument(None, help="The client's id (default: a random one)."),
) -> None:
    """Make OAuth 2.0 client credentials: prints the client id and secret (give them to the client) and
    the line to add to the server's --clients-file (only the secret's hash is stored)."""
    import secrets

    from clearocr.server.app import hash_key

    client_id = client_id or f"client-{secrets.token_hex(6)}"
    if not client_id.isprintable() or " " in client_id or ":" in client_id or "," in client_id:
        stderr.print("[red]error:[/red] a client id has no spaces, ':' or ','")
        raise typer.Exit(2)
    secret = secrets.token_urlsafe(32)
    print(f"client_id:     {client_id}")
    print(f"client_secret: {secret}")
    print(f"clients-file line: {client_id} {hash_key(secret)}")


@app.command("llm-check")
def llm_check(
    llm_model: str | None = typer.Option(None, "--llm-model", help=_help("llm_model")),
    llm_quantization: str | None = typer.Option(None, "--llm-quantization", help=_help("llm_quantization")),
    gpu_layers: int = typer.Option(_default("gpu_layers"), "--gpu-layers", help=_help("gpu_layers")),
) -> None:
    """Check that the installed llama.cpp build decodes real tokens with a model here (default: the
    embedded one), in a child process; exit code 0 if it does, 5 with the fix if it crashes."""
    import os

    from clearocr.llm import LLMError
    from clearocr.llm.llamacpp import resolve_model
    from clearocr.llm.selftest import cache_path, ensure_runs

    try:
        import llama_cpp

        path = resolve_model(llm_model, llm_quantization, allow_download=False)
        os.environ["CLEAROCR_LLM_SELFTEST"] = "1"
        cache_path().unlink(missing_ok=True)  # check afresh, not from the cache
        result = ensure_runs(path, gpu_layers)
    except ImportError as exc:
        stderr.print(
            f"[red]error:[/red] llama-cpp-python is not installed ({exc}); pip install 'clearocr[llm]'"
        )
        raise typer.Exit(5) from None
    except LLMError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    mode = "" if result.extra_bufts else " (only without extra buffer types: slower; rebuild for full speed)"
    print(f"llama-cpp-python {llama_cpp.__version__}, {path.name}: {result.detail}{mode}")


@app.command()
def engines(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List OCR engines, their versions, languages (ISO 639-1) and whether they can run here."""
    from clearocr.engines import list_engines

    infos = list_engines()
    if as_json:
        print(json.dumps([info.__dict__ for info in infos], indent=2))
        return
    table = Table(title="OCR engines")
    for column in ("engine", "version", "languages", "status"):
        table.add_column(column)
    for info in infos:
        name = info.name + (" (default)" if info.default else "")
        status = (
            "[green]available[/green]"
            if info.available
            else f"[red]unavailable[/red]: {escape(info.reason or '')}"
        )
        table.add_row(name, info.version or "-", ",".join(info.languages) or "-", status)
    _stdout_console().print(table)


def main() -> None:  # pragma: no cover - console entry point helper
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
