"""``clearocr read``: read files into text, JSON, hOCR, ALTO, Markdown or a searchable PDF."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from clearocr.batch import (
    BatchItem,
    BatchSettings,
    inputs_below,
    read_to_output,
    registry_targets,
    split_page_path,
)
from clearocr.batch import output_names as batch_output_names
from clearocr.batch.workers import run_isolated
from clearocr.cli.app import as_error, command, print_warnings, read_option_flags, stderr
from clearocr.engines import engine_class, ocr_languages
from clearocr.errors import OptionsError
from clearocr.export import exporters, formats
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader

#: Output formats by name, derived from the exporters (plugins included). Built at run time, so mypy
#: cannot list the members: hence the ignore.
FORMATS = formats()
OutputFormat = Enum("OutputFormat", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]


class ExtractKind(str, Enum):
    """What ``--extract`` adds to a read document's JSON."""

    none = "none"
    invoice = "invoice"


def output_names(files: list[Path], suffix: str, output_dir: Path | None = None) -> list[str]:
    """Output names below ``output_dir`` for ``files``: the batch's naming
    (:func:`clearocr.batch.output_names`), so outputs mirror the input folders and never meet, and no
    output takes the name of an input that lies in ``output_dir``."""
    pairs = [(str(f), f.name) for f in files]
    return batch_output_names(pairs, suffix, inputs_below(pairs, output_dir) if output_dir else ())


def _progress(disable: bool, *columns: Any) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        *columns,
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=disable,
    )


def _check_usage(files: list[Path], output_dir: Path | None, fmt: str, split_pages: bool) -> None:
    """Refuse command lines that cannot be carried out, before anything is read (exit code 2)."""
    if output_dir is None and len(files) > 1 and fmt not in ("text", "json"):
        raise OptionsError(f"several files in {fmt} need --output-dir/-o")
    if output_dir is None and fmt == "pdf" and sys.stdout.isatty():
        raise OptionsError("a PDF is not written to a terminal: give -o out.pdf (or redirect)")
    if split_pages and (output_dir is None or len(files) > 1):
        raise OptionsError("--split-pages writes files: give one input and -o (a file or a folder)")


@command()
@read_option_flags()
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
    extract_kind: ExtractKind = typer.Option(
        ExtractKind.none, "--extract", help='Also extract key fields (adds "fields" to the JSON).'
    ),
    split_pages: bool = typer.Option(
        False, "--split-pages", help="Write one file per page (out.page-0001.txt, ...); needs -o."
    ),
    *,
    options: ReadOptions,
) -> None:
    """Read FILES and print or write their text, JSON (clearocr.document/1), hOCR, ALTO, Markdown or a
    searchable PDF (the input's pages with an invisible text layer)."""
    output_file = _output_file(files, output_dir, fmt.value)
    _check_usage(files, output_dir, fmt.value, split_pages)
    chosen = engine_class(options.engine)
    chosen.resolve_languages(ocr_languages(chosen, options.languages))
    if len(files) > 1:
        _read_many(files, options, fmt.value, output_dir, extract_kind.value)
        return
    path = files[0]
    target = output_file or (
        output_dir / output_names(files, FORMATS[fmt.value], output_dir)[0] if output_dir else None
    )
    content, document = _read_one(path, target, options, fmt.value, extract_kind.value, split_pages)
    print_warnings(path, document)
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


def _read_one(
    path: Path, target: Path | None, options: ReadOptions, fmt: str, extract: str, split_pages: bool
) -> tuple[str | bytes, Any]:
    """Read one file in this process with a page progress bar; ``(content, document)``."""
    progress = _progress(not stderr.is_terminal, TextColumn("pages"))
    with Reader(options) as reader, progress:
        task = progress.add_task(f"reading {path.name}", total=None)

        def on_page(page: Any, index: int, total: int) -> None:
            progress.update(task, completed=index, total=total)

        try:
            return read_to_output(
                reader,
                str(path),
                target,
                options=options,
                fmt=fmt,
                extract=extract,
                on_page=on_page,
                on_resume=lambda count: stderr.print(f"resuming {path.name}: {count} page(s) already read"),
                split_pages=split_pages,
            )
        except Exception as exc:
            progress.stop()
            raise as_error(path, exc) from None


def _output_file(files: list[Path], output: Path | None, fmt: str) -> Path | None:
    """``-o out.json`` with one input names the output file itself; with several inputs a path that
    looks like a file (it has the format's suffix and is not a folder) is refused, not made a folder.

    Raises:
        OptionsError: several inputs and a file name, a suffix of another format, or the input itself.
    """
    if output is None or output.is_dir():
        return None
    looks_like_file = output.suffix.lower() in set(FORMATS.values()) | {
        ".txt",
        ".pdf",
        ".xml",
        ".html",
        ".md",
    }
    if not looks_like_file:
        return None
    if len(files) > 1:
        raise OptionsError(f"-o {output}: several inputs need a folder for their outputs, not a file name")
    if output.suffix.lower() != FORMATS[fmt]:
        raise OptionsError(f"-o {output}: the {fmt} format is written as {FORMATS[fmt]}, not {output.suffix}")
    if output.exists() and files and os.path.realpath(output) == os.path.realpath(files[0]):
        raise OptionsError(f"-o {output}: is the input itself; the output would overwrite it")
    return output


def _read_many(
    files: list[Path], options: ReadOptions, fmt: str, output_dir: Path | None, extract: str
) -> None:
    """``clearocr read`` with several files: each is read in a watched worker process (engines loaded
    once there), so a native crash (SIGSEGV in a library) fails that file only; the others are read
    and written, and the exit code is 1 at the end if any failed."""
    settings = BatchSettings(options=options, fmt=fmt, extract=extract, engines=registry_targets())
    names = output_names(files, FORMATS[fmt], output_dir)
    items = [
        BatchItem(str(path), str(output_dir / name) if output_dir is not None else None)
        for path, name in zip(files, names)
    ]
    failed = 0
    with _progress(output_dir is None) as progress:
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
