"""Batch reading: many documents, worker processes (or a Ray cluster), a manifest, and resume.

The unit of work is :func:`~clearocr.batch.process.process_item`: read one input, write its output atomically, and return a
manifest record. The same function runs in local worker processes (:func:`~clearocr.batch.local.run_local`) and inside a
Ray Data actor pool (:mod:`clearocr.batch.ray`), so both produce the same outputs and manifest.

Manifest (``OUTDIR/manifest.jsonl``, one JSON object per line, appended as each document finishes)::

    {"input": "scans/a.png", "output": "out/a.json", "status": "ok" | "error" | "skipped" | "ignored",
     "sha256": "<input content hash>", "options": "<options hash>", "pages": 1, "seconds": 1.2,
     "error": {"type": "CorruptInputError", "message": "scans/a.png: ..."} | null, "time": "<ISO 8601>",
     "warnings": ["no text found on page 2", ...]}

``warnings`` (read documents only) says what may be missing from an ``ok`` output: a page with no text,
characters a language restriction removed (:class:`~clearocr.document.ReadWarning`).

Every input gets a record: a missing path or an empty glob is an ``error`` record (the batch goes on),
an image type clearocr cannot read (``.heic``, ``.svg``) too, and other files found in a folder
(``notes.txt``) are ``ignored`` records. A FIFO, device or symlink loop named like a document is an
``error`` record with the cause; nothing blocks.

Resume: an input whose latest ``ok`` record has the same content hash and options hash, and whose
output file exists, is skipped (recorded as ``skipped``) without being read again.

Modules: :mod:`~clearocr.batch.items` (inputs walked into items with output names),
:mod:`~clearocr.batch.manifest` (records and summary), :mod:`~clearocr.batch.process` (one document),
:mod:`~clearocr.batch.workers` (isolated worker processes), :mod:`~clearocr.batch.local` (a run on this
machine) and :mod:`~clearocr.batch.ray` (a run on a Ray cluster, imported only when asked for).
"""

from __future__ import annotations

from clearocr.batch.items import (
    UNSUPPORTED_DOCUMENT_SUFFIXES,
    BatchItem,
    BatchSettings,
    expand_inputs,
    inputs_below,
    output_names,
    plan,
    read_input_bytes,
)
from clearocr.batch.local import run_local
from clearocr.batch.manifest import MANIFEST_NAME, BatchSummary, Manifest, latest_records
from clearocr.batch.process import (
    DocumentProcessor,
    problem_record,
    process_item,
    read_to_output,
    registry_targets,
    split_page_path,
)
from clearocr.batch.workers import run_isolated

__all__ = [
    "MANIFEST_NAME",
    "UNSUPPORTED_DOCUMENT_SUFFIXES",
    "BatchItem",
    "BatchSettings",
    "BatchSummary",
    "DocumentProcessor",
    "Manifest",
    "expand_inputs",
    "inputs_below",
    "latest_records",
    "output_names",
    "plan",
    "problem_record",
    "process_item",
    "read_input_bytes",
    "read_to_output",
    "registry_targets",
    "run_isolated",
    "run_local",
    "split_page_path",
]
