"""``clearocr batch``: many documents, worker processes (or Ray), a JSONL manifest and resume."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from clearocr.batch import MANIFEST_NAME, BatchSettings, BatchSummary, plan, registry_targets, run_local
from clearocr.cli.app import command, read_option_flags, stderr
from clearocr.cli.read import ExtractKind, OutputFormat
from clearocr.options import ReadOptions


@command()
@read_option_flags()
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
    *,
    options: ReadOptions,
) -> None:
    """Read many documents into OUTPUT_DIR with worker processes (or Ray), a JSONL manifest and resume.

    Exit code 0 when every document was read (or skipped), 1 when any failed; failures are listed in
    OUTPUT_DIR/manifest.jsonl and the rest of the batch still runs.
    """
    settings = BatchSettings(
        options=options,
        fmt=fmt.value,
        extract=extract_kind.value,
        engines=registry_targets(),
    )
    items = plan(inputs, output_dir, fmt.value, settings, resume=resume)
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
    manifest = output_dir / MANIFEST_NAME
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

        if ray is not None:
            from clearocr.batch.ray import run_ray  # Ray is an optional extra

            summary = run_ray(items, settings, manifest, address=ray, jobs=max(jobs, 1), on_record=on_record)
        else:
            summary = run_local(
                items, settings, manifest, jobs=jobs, recycle_after=recycle_after or None, on_record=on_record
            )
    _print_summary(summary, manifest)
    if summary.failed:
        raise typer.Exit(1)


def _print_summary(summary: BatchSummary, manifest: Path) -> None:
    stderr.print(
        f"{summary.ok} read, {summary.skipped} skipped (unchanged), "
        + (f"{summary.ignored} ignored (not documents), " if summary.ignored else "")
        + (f"[yellow]{summary.warned} with warnings[/yellow], " if summary.warned else "")
        + (f"[red]{summary.failed} failed[/red]" if summary.failed else "0 failed")
        + f"; {summary.pages} pages in {summary.seconds:.1f} s; manifest: {manifest}"
    )
