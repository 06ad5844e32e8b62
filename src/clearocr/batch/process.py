"""The per-document unit of a batch, shared by local worker processes and Ray actors: read one input,
write its output atomically, return its manifest record."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearocr.batch.items import BatchItem, BatchSettings, is_uri, read_input_bytes
from clearocr.checkpoint import PageCheckpoint, file_sha256
from clearocr.document import Document
from clearocr.engines import ENGINES
from clearocr.engines.threads import apply_thread_budget
from clearocr.errors import ClearOCRError, InputError
from clearocr.export import export
from clearocr.extraction import extract_fields
from clearocr.files import write_atomic
from clearocr.io import check_regular_file
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader


class DocumentProcessor:
    """Holds one :class:`~clearocr.pipeline.Reader` (engines loaded once) and processes items.

    Args:
        settings: the batch's :class:`BatchSettings`.
    """

    def __init__(self, settings: BatchSettings) -> None:
        for name, target in settings.engines.items():
            ENGINES.declare(name, target)
        self.settings = settings
        self.options = settings.options
        self.options_hash = settings.options_hash()
        engine_options = {name: dict(values) for name, values in settings.engine_options.items()}
        if settings.threads:
            apply_thread_budget(settings.threads, engine_options)
        self.reader = Reader(self.options, engine_options=engine_options)

    def __call__(self, item: BatchItem) -> dict[str, Any]:
        return process_item(item, self)

    def close(self) -> None:
        self.reader.close()


def split_page_path(output: Path, number: int) -> Path:
    """The file of page ``number`` when pages are written separately: ``out.txt`` -> ``out.page-0003.txt``."""
    return output.with_name(f"{output.stem}.page-{number:04d}{output.suffix}")


def read_to_output(
    reader: Any,
    source: str,
    output: Path | None,
    *,
    options: ReadOptions,
    fmt: str,
    extract: str = "none",
    key: dict[str, Any] | None = None,
    on_page: Callable[[Any, int, int], None] | None = None,
    on_resume: Callable[[int], None] | None = None,
    split_pages: bool = False,
) -> tuple[str | bytes, Any]:
    """Read the local file ``source`` and export it; with ``output``, pages are checkpointed beside it
    as they finish (:mod:`clearocr.checkpoint`) and the output is written atomically at the end.
    (URIs are read into memory by :func:`process_item` and are not checkpointed.)

    Args:
        reader: a :class:`~clearocr.pipeline.Reader`.
        source: the input path.
        output: the output file, or None (nothing written; the content is returned).
        options: reading options.
        fmt: export format name (:func:`~clearocr.export.formats`).
        extract: ``"invoice"`` to add key fields.
        key: what identifies this input and options for resuming (default: the file's SHA-256 and
            the options).
        on_page: progress callback ``(page, index, total)``.
        on_resume: called with the number of checkpointed pages reused, when there are any.
        split_pages: with ``output``, write one file per page instead, named after ``output`` with
            the page number: ``out.txt`` -> ``out.page-0001.txt``, ... (each atomically).

    Returns:
        ``(content, document)``: the exported text (bytes for ``pdf``; with ``split_pages``, the last
        page's) and the :class:`~clearocr.document.Document` (its pages, its ``warnings``).

    Raises:
        ClearOCRError subclasses: see :meth:`~clearocr.pipeline.Reader.read`.
    """
    checkpoint = None
    done: dict[int, Any] = {}
    if output is not None:
        if key is None:
            check_regular_file(source)  # before hashing: a FIFO must not block
            try:
                key = {"sha256": file_sha256(source), "options": options.model_dump(mode="json")}
            except OSError as exc:
                raise InputError(source, f"cannot read file ({exc.strerror or exc})") from None
        checkpoint = PageCheckpoint(output, key)
        done = checkpoint.load()
        checkpoint.start(done)
        if done and on_resume is not None:
            on_resume(len(done))

    def page_done(page: Any, index: int, total: int) -> None:
        if checkpoint is not None and page.number not in done:
            checkpoint.add(page)
        if on_page is not None:
            on_page(page, index, total)

    try:
        document = reader.read(source, options, name=source, on_page=page_done, done_pages=done)
        if extract == "invoice":
            document.fields = extract_fields(document, options.languages, options.extractor).to_dict()
        if split_pages and output is not None:
            content: str | bytes = ""
            for page in document.pages:
                single = Document(document.source, [page], document.fields, None, [], document.languages)
                content = export(single, fmt, source)
                write_atomic(split_page_path(output, page.number), content)
        else:
            content = export(document, fmt, source)
            if output is not None:
                write_atomic(output, content)
    except Exception:
        if checkpoint is not None:  # a failure (not an interruption) would recur: leave nothing behind
            checkpoint.discard()
        raise
    finally:
        if checkpoint is not None:
            checkpoint.close()
    if checkpoint is not None:
        checkpoint.discard()
    return content, document


def problem_record(item: BatchItem, options_hash: str) -> dict[str, Any]:
    """The manifest record of an item with a known ``problem`` (it is not read)."""
    assert item.problem is not None
    status = item.problem["status"]
    error = {"type": item.problem["type"], "message": item.problem["message"]}
    if status == "error":
        error["exit_code"] = InputError.exit_code  # every known problem is an input that cannot be read
    return {
        "input": item.input,
        "output": None,
        "status": status,
        "sha256": None,
        "options": options_hash,
        "pages": 0,
        "seconds": 0.0,
        "error": error,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def process_item(item: BatchItem, processor: DocumentProcessor) -> dict[str, Any]:
    """Read ``item.input``, write ``item.output`` atomically, and return its manifest record.

    Local inputs must be regular files (checked before opening: a FIFO never blocks the batch); their
    pages are checkpointed as they finish, so a killed run resumes mid-document. Never raises for a
    bad document: the error goes into the record (``status: "error"``).
    """
    started = time.perf_counter()
    record = problem_record(item, processor.options_hash) if item.problem else None
    if record is not None:
        return record
    record = {
        "input": item.input,
        "output": item.output,
        "status": "ok",
        "sha256": None,
        "options": processor.options_hash,
        "pages": 0,
        "seconds": 0.0,
        "error": None,
    }
    try:
        if is_uri(item.input):
            fetched = read_input_bytes(item.input)
            data: bytes | None = fetched
            record["sha256"] = hashlib.sha256(fetched).hexdigest()
        else:
            data = None
            check_regular_file(item.input)
            try:
                record["sha256"] = file_sha256(item.input)
            except OSError as exc:
                raise InputError(item.input, f"cannot read file ({exc.strerror or exc})") from None
        if item.output and item.previous_sha256 == record["sha256"] and os.path.exists(item.output):
            record["status"] = "skipped"
        elif data is not None:
            document = processor.reader.read(data, name=item.input)
            if processor.settings.extract == "invoice":
                from clearocr.extraction import extract_fields

                document.fields = extract_fields(
                    document, processor.options.languages, processor.options.extractor
                ).to_dict()
            content = export(document, processor.settings.fmt, data)
            if item.output:
                write_atomic(Path(item.output), content)
            else:
                record["content"] = content
            record["pages"] = len(document.pages)
            record["warnings"] = [w.message for w in document.warnings]
        else:
            content, document = read_to_output(
                processor.reader,
                item.input,
                Path(item.output) if item.output else None,
                options=processor.options,
                fmt=processor.settings.fmt,
                extract=processor.settings.extract,
                key={"sha256": record["sha256"], "options": processor.options_hash},
            )
            record["pages"] = len(document.pages)
            record["warnings"] = [w.message for w in document.warnings]
            if not item.output:
                record["content"] = content
    except Exception as exc:  # one bad document must not stop the batch
        record["status"] = "error"
        message = (
            str(exc)
            if isinstance(exc, ClearOCRError)
            else f"{item.input}: unexpected {type(exc).__name__}: {exc}"
        )
        record["error"] = {
            "type": type(exc).__name__,
            "message": message,
            "exit_code": getattr(exc, "exit_code", 1),
        }
    record["seconds"] = round(time.perf_counter() - started, 3)
    record["time"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


def registry_targets() -> dict[str, str]:
    """Every registered engine as ``"module:Class"``, so a fresh worker process can import engines
    registered at run time (plugins, tests)."""
    return ENGINES.targets()
