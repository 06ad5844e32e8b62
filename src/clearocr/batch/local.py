"""Batch runs on this machine: worker processes (or this process), each record appended to the manifest."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from clearocr.batch.items import BatchItem, BatchSettings
from clearocr.batch.manifest import BatchSummary, Manifest
from clearocr.batch.process import DocumentProcessor, problem_record, process_item
from clearocr.batch.workers import run_isolated
from clearocr.engines.threads import thread_budget


def run_local(
    items: list[BatchItem],
    settings: BatchSettings,
    manifest_path: Path,
    *,
    jobs: int = 1,
    recycle_after: int | None = 200,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> BatchSummary:
    """Process ``items`` in ``jobs`` worker processes, appending each record to the manifest.

    Each worker is a fresh (spawned) process that loads the engine once; after ``recycle_after``
    documents it is replaced, which keeps memory flat over long runs (onnxruntime and PaddleOCR-style
    pipelines have been reported to grow over thousands of pages). A worker that dies natively
    (SIGSEGV, OOM kill) fails only the document it held (``WorkerCrashedError`` with the signal in
    the manifest) and is replaced (:func:`clearocr.workers.run_isolated`). ``jobs=0`` runs in this
    process, unprotected.

    Args:
        items: from :func:`plan`.
        settings: options and output format.
        manifest_path: the JSONL manifest to append to.
        jobs: worker processes (0: in-process, for debugging and small runs).
        recycle_after: documents per worker process before it is replaced (None: never).
        on_record: called in this process with each record as it arrives (progress display).

    Returns:
        A :class:`BatchSummary`.
    """
    summary = BatchSummary()
    started = time.perf_counter()
    with Manifest(manifest_path) as manifest:

        def finish(record: dict[str, Any]) -> None:
            manifest.write(record)
            summary.add(record)
            if on_record:
                on_record(record)

        readable = []
        for item in items:  # known problems get their records here, without a worker
            if item.problem:
                finish(problem_record(item, settings.options_hash()))
            else:
                readable.append(item)
        items = readable
        if not items:
            pass
        elif jobs == 0:
            processor = DocumentProcessor(settings)
            try:
                for item in items:
                    finish(process_item(item, processor))
            finally:
                processor.close()
        else:
            if settings.threads is None:
                settings = replace(settings, threads=thread_budget(jobs))
            for record in run_isolated(items, settings, jobs=jobs, recycle_after=recycle_after):
                finish(record)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
