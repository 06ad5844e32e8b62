"""Documents read in child processes that may die, so a native crash costs one document, not the run.

A SIGSEGV inside llama.cpp, onnxruntime or an image decoder cannot be caught in Python: it ends the
process. :func:`run_isolated` therefore reads each document in a spawned worker process (which loads its
engines once, in :class:`~clearocr.batch.DocumentProcessor`) and watches it. When a worker dies while it
holds a document, that document gets an ``error`` record with a
:class:`~clearocr.errors.WorkerCrashedError` naming the signal, a new worker is started, and the rest go
on; outputs are written atomically by the worker, so nothing half-written is left. This is the pattern
OCRmyPDF follows for its page workers; unlike :class:`concurrent.futures.ProcessPoolExecutor`, one dead
worker does not break the whole pool (``BrokenProcessPool``), and workers are recycled without
``max_tasks_per_child``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from clearocr.batch.items import BatchItem, BatchSettings
from clearocr.batch.process import DocumentProcessor, process_item
from clearocr.errors import ClearOCRError, WorkerCrashedError

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess


log = logging.getLogger(__name__)


#: How often (seconds) a worker checks that the process that started it is still alive.
PARENT_CHECK_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid`` (the process that started it) dies, even by SIGKILL.

    A worker killed with its parent leaves its document's page checkpoint (:mod:`clearocr.checkpoint`)
    behind and writes no output, so the parent's successor (a rerun) resumes the document where it
    stopped instead of finding an output with no manifest record. On Linux the kernel sends SIGKILL
    at once (``prctl(PR_SET_PDEATHSIG)``); elsewhere, and as a fallback, a daemon thread notices the
    new parent process id within :data:`PARENT_CHECK_SECONDS`.
    """
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="clearocr-parent-watch", daemon=True).start()


def _worker_main(conn: Connection, settings: BatchSettings, parent_pid: int | None = None) -> None:
    """A worker's loop: receive an item, send back its record; ``None`` ends it. The worker dies
    with ``parent_pid`` (:func:`die_with_parent`)."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    processor = None
    try:
        while True:
            item = conn.recv()
            if item is None:
                break
            if processor is None:
                try:
                    processor = DocumentProcessor(settings)
                except Exception as exc:  # bad settings, a missing model: this item fails, the run goes on
                    conn.send(error_record(item, settings, exc))
                    continue
            conn.send(process_item(item, processor))
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        if processor is not None:
            processor.close()


def error_record(item: BatchItem, settings: BatchSettings, exc: BaseException) -> dict[str, Any]:
    """A manifest record for ``item`` that failed with ``exc`` before or outside :func:`process_item`."""
    message = str(exc) if isinstance(exc, ClearOCRError) else f"{item.input}: {type(exc).__name__}: {exc}"
    error: dict[str, Any] = {"type": type(exc).__name__, "message": message}
    if isinstance(exc, WorkerCrashedError):
        error["signal"] = exc.signal
        error["exitcode"] = exc.exitcode
    return {
        "input": item.input,
        "output": item.output,
        "status": "error",
        "sha256": None,
        "options": settings.options_hash(),
        "pages": 0,
        "seconds": 0.0,
        "error": error,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    item: BatchItem | None = None
    done: int = 0
    started: float = 0.0


def run_isolated(
    items: Iterable[BatchItem],
    settings: BatchSettings,
    *,
    jobs: int = 1,
    recycle_after: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Process ``items`` in ``jobs`` watched worker processes; yield each manifest record as it ends.

    With ``jobs=1`` records come in input order. A worker that dies while reading a document yields an
    ``error`` record for it (``error.type == "WorkerCrashedError"``, ``error.signal`` e.g.
    ``"SIGSEGV"``) and is replaced; each document is tried once.

    Args:
        items: the documents (:class:`~clearocr.batch.BatchItem`; ``output`` None: the record carries
            the exported text under ``"content"`` instead of writing a file).
        settings: options and output format for :class:`~clearocr.batch.DocumentProcessor`.
        jobs: worker processes (at least 1).
        recycle_after: documents per worker before it is replaced (None: never).

    Yields:
        Manifest records (see :mod:`clearocr.batch`).
    """
    context = multiprocessing.get_context("spawn")
    pending = iter(items)
    workers: list[_Worker] = []
    exhausted = False

    def start() -> _Worker:
        parent, child = context.Pipe()
        process = context.Process(
            target=_worker_main, args=(child, settings, os.getpid()), daemon=True, name="clearocr-worker"
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def stop(worker: _Worker) -> None:
        try:
            worker.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        worker.process.join(timeout=30)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(timeout=5)
        worker.conn.close()

    try:
        while True:
            # Hand out work to idle slots.
            while not exhausted and sum(w.item is not None for w in workers) < max(1, jobs):
                item = next(pending, None)
                if item is None:
                    exhausted = True
                    break
                worker = next((w for w in workers if w.item is None), None)
                if worker is None:
                    worker = start()
                    workers.append(worker)
                worker.item, worker.started = item, time.perf_counter()
                worker.conn.send(item)
            busy = [w for w in workers if w.item is not None]
            if not busy:
                break
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                item = worker.item
                assert item is not None
                record = None
                try:
                    if worker.conn.poll():
                        record = worker.conn.recv()
                except (EOFError, OSError):
                    record = None
                if record is None:  # the process died with the document in hand
                    worker.process.join(timeout=5)
                    crash = WorkerCrashedError(item.input, worker.process.exitcode)
                    log.error("%s", crash)
                    record = error_record(item, settings, crash)
                    record["seconds"] = round(time.perf_counter() - worker.started, 3)
                    worker.conn.close()
                    workers.remove(worker)
                    yield record
                    continue
                worker.item = None
                worker.done += 1
                if recycle_after and worker.done >= recycle_after:
                    stop(worker)
                    workers.remove(worker)
                yield record
    finally:
        for worker in workers:
            if worker.item is not None:  # interrupted: do not wait for a document in progress
                worker.process.terminate()
            stop(worker)
