"""``clearocr review``: one self-contained HTML page to check what was read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from clearocr.cli.app import as_error, command, print_warnings, read_option_flags, stderr
from clearocr.cli.read import ExtractKind
from clearocr.document import Document
from clearocr.errors import ClearOCRError
from clearocr.export.review import to_review_html
from clearocr.extraction import extract_fields
from clearocr.files import write_atomic
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader


@command()
@read_option_flags()
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
    extract_kind: ExtractKind = typer.Option(
        ExtractKind.invoice, "--extract", help="Extract key fields to show (none to skip)."
    ),
    *,
    options: ReadOptions,
) -> None:
    """Write a review page: one self-contained HTML file with each page image, its word boxes coloured by
    confidence, the raw and corrected text with every correction marked, and the extracted fields (click
    one to see its box). Opens offline in any browser."""
    try:
        if file.suffix.lower() == ".json":
            document = _load_json(file)
            image_source: Any = str(source) if source else document.source
        else:
            with Reader(options) as reader:
                document = reader.read(str(file), options)
            print_warnings(file, document)
            if extract_kind is ExtractKind.invoice:
                document.fields = extract_fields(document, options.languages, options.extractor).to_dict()
            image_source = str(file)
        write_atomic(output, to_review_html(document, image_source))
    except Exception as exc:
        raise as_error(file, exc) from None
    stderr.print(f"review of {file} written to {output} ({output.stat().st_size:,} bytes)")


def _load_json(file: Path) -> Document:
    """A Document from a clearocr JSON file.

    Raises:
        ClearOCRError: unreadable, or not a clearocr JSON document.
    """
    try:
        return Document.from_dict(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ClearOCRError(f"{file}: not a clearocr JSON document ({exc})") from None
