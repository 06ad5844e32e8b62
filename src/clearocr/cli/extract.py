"""``clearocr extract``: invoice and receipt fields as a table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from clearocr.cli.app import as_error, command, print_error, print_warnings, read_option_flags, stdout_console
from clearocr.extraction import FIELD_NAMES, extract_fields
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader


class ExtractFormat(str, Enum):
    """How ``clearocr extract`` prints the fields."""

    table = "table"
    json = "json"
    csv = "csv"


@command()
@read_option_flags()
def extract(
    files: list[Path] = typer.Argument(
        ..., help="Invoices or receipts (images or PDFs).", show_default=False
    ),
    fmt: ExtractFormat = typer.Option(ExtractFormat.table, "--format", "-f", help="Output format."),
    use_llm: bool = typer.Option(
        False, "--llm", help="Also ask a local LLM (answers must be found on the page)."
    ),
    *,
    options: ReadOptions,
) -> None:
    """Extract invoice/receipt fields (number, dates, vendor, totals, tax, currency, items) from FILES."""
    results: list[tuple[Path, dict[str, Any]]] = []
    failures = 0
    with Reader(options) as reader:
        llm = reader.llm(options) if use_llm or options.llm_model else None
        for path in files:
            try:
                document = reader.read(path)
                print_warnings(path, document)
                fields = extract_fields(document, options.languages, options.extractor, llm).to_dict()
            except Exception as exc:  # one bad file must not stop the others
                failures += 1
                print_error(str(as_error(path, exc)))
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
            _print_table(path, fields)
    if failures:
        raise typer.Exit(1)


def _print_table(path: Path, fields: dict[str, Any]) -> None:
    """One document's fields as a rich table on stdout, then its arithmetic checks."""
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
    out = stdout_console()
    out.print(table)
    if checks:
        out.print(f"checks: {checks}")
