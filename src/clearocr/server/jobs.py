"""Persistent job queue for the HTTP API: SQLite (stdlib ``sqlite3``, WAL) plus worker threads.

Every document the server reads is a job row holding the upload, the options and, when done, the
result JSON. Workers claim the oldest queued job in one transaction (``runs`` is incremented at the
claim and used as a fencing token at completion), so a job completes exactly once even if a worker
from a previous process was killed while running it: on start-up, ``running`` rows left by a dead
process go back to ``queued`` and are read again. Finished jobs keep their result until deleted.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

#: Job states, in order.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    sync INTEGER NOT NULL DEFAULT 0,
    filename TEXT NOT NULL,
    options TEXT NOT NULL,
    data BLOB,
    result TEXT,
    error TEXT,
    runs INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL
);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created);
"""


@dataclass
class Job:
    """A job row without its upload bytes.

    Attributes:
        id: UUID4 hex.
        status: queued | running | done | failed.
        result: the document JSON (dict) when done.
        error: ``{"type", "message", "status"}`` when failed.
        runs: how many times a worker started it (1 unless a server died while running it).
        created, started, finished: Unix times in seconds.
    """

    id: str
    status: str
    sync: bool
    filename: str
    options: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    runs: int
    created: float
    started: float | None
    finished: float | None

    def public(self) -> dict[str, Any]:
        """The JSON the API returns for this job."""
        return {
            "id": self.id, "status": self.status, "filename": self.filename, "runs": self.runs,
            "created": self.created, "started": self.started, "finished": self.finished,
            "result": self.result, "error": self.error,
        }


class JobStore:
    """SQLite-backed jobs (thread-safe: one connection behind a lock).

    Args:
        path: the database file (created with its folder), or ``":memory:"``.
    """

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)

    def recover(self) -> tuple[int, int]:
        """After a restart: put jobs a dead process was running back in the queue, and drop
        synchronous jobs whose client has gone. Returns ``(requeued, dropped)``."""
        with self._lock:
            requeued = self._db.execute(
                "UPDATE jobs SET status=?, started=NULL WHERE status=? AND sync=0", (QUEUED, RUNNING)
            ).rowcount
            dropped = self._db.execute("DELETE FROM jobs WHERE sync=1").rowcount
        return requeued, dropped

    def add(self, data: bytes, filename: str, options: dict[str, Any], sync: bool) -> str:
        job_id = uuid.uuid4().hex
        with self._lock:
            self._db.execute(
                "INSERT INTO jobs (id, status, sync, filename, options, data, created) VALUES (?,?,?,?,?,?,?)",
                (job_id, QUEUED, int(sync), filename, json.dumps(options), data, time.time()),
            )
        return job_id

    def claim(self) -> tuple[Job, bytes] | None:
        """Atomically take the oldest queued job (marking it running), or None."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT id FROM jobs WHERE status=? ORDER BY created LIMIT 1", (QUEUED,)
                ).fetchone()
                if row is None:
                    self._db.execute("COMMIT")
                    return None
                self._db.execute(
                    "UPDATE jobs SET status=?, runs=runs+1, started=? WHERE id=?", (RUNNING, time.time(), row["id"])
                )
                full = self._db.execute("SELECT * FROM jobs WHERE id=?", (row["id"],)).fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return _job(full), bytes(full["data"] or b"")

    def finish(self, job: Job, result: dict[str, Any] | None, error: dict[str, Any] | None) -> bool:
        """Store the outcome of ``job`` as claimed (fenced by its ``runs``); drops the upload.

        Returns False when the job was deleted or re-claimed meanwhile (the outcome is discarded).
        """
        status = DONE if error is None else FAILED
        with self._lock:
            updated = self._db.execute(
                "UPDATE jobs SET status=?, result=?, error=?, data=NULL, finished=? "
                "WHERE id=? AND status=? AND runs=?",
                (status, json.dumps(result, ensure_ascii=False) if result is not None else None,
                 json.dumps(error) if error is not None else None, time.time(), job.id, RUNNING, job.runs),
            ).rowcount
        return updated == 1

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, status, sync, filename, options, result, error, runs, created, started, finished "
                "FROM jobs WHERE id=?", (job_id,)
            ).fetchone()
        return _job(row) if row else None

    def set_async(self, job_id: str) -> None:
        """A synchronous request that ran out of time: keep its job for the client to poll."""
        with self._lock:
            self._db.execute("UPDATE jobs SET sync=0 WHERE id=?", (job_id,))

    def delete(self, job_id: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,)).rowcount == 1

    def pending(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return self._db.execute(
                "SELECT COUNT(*) FROM jobs WHERE status IN (?, ?)", (QUEUED, RUNNING)
            ).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"], status=row["status"], sync=bool(row["sync"]), filename=row["filename"],
        options=json.loads(row["options"]),
        result=json.loads(row["result"]) if row["result"] else None,
        error=json.loads(row["error"]) if row["error"] else None,
        runs=row["runs"], created=row["created"], started=row["started"], finished=row["finished"],
    )


class JobRunner:
    """Worker threads that claim jobs from a :class:`JobStore` and run ``process`` on them.

    Args:
        store: the job store.
        process: ``(data, filename, options) -> result dict``; raising a
            :class:`~clearocr.errors.ClearOCRError` fails the job with that error's message and status.
        workers: threads (documents read at the same time).
        on_finish: called with ``(job_id)`` after each job's outcome is stored (wakes synchronous waiters).
    """

    def __init__(
        self,
        store: JobStore,
        process: Callable[[bytes, str, dict[str, Any]], dict[str, Any]],
        workers: int = 1,
        on_finish: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.process = process
        self.on_finish = on_finish
        self._wake = threading.Condition()
        self._stop = False
        self._threads = [threading.Thread(target=self._loop, name=f"clearocr-job-{i}", daemon=True) for i in range(workers)]
        self.seconds_per_job = 1.0  # running mean, for Retry-After estimates

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def alive(self) -> bool:
        return all(thread.is_alive() for thread in self._threads)

    def notify(self) -> None:
        """Wake a worker: a job was added."""
        with self._wake:
            self._wake.notify()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the jobs in hand finish (queued jobs stay queued for the next start)."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        from clearocr.errors import ClearOCRError

        while True:
            with self._wake:
                if self._stop:
                    return
            claimed = self.store.claim()
            if claimed is None:
                with self._wake:
                    if not self._stop:
                        self._wake.wait(timeout=1.0)
                continue
            job, data = claimed
            started = time.perf_counter()
            result = error = None
            try:
                result = self.process(data, job.filename, job.options)
            except ClearOCRError as exc:
                error = {"type": type(exc).__name__, "message": str(exc), "status": exc.http_status}
            except Exception as exc:  # a bug or an engine crash fails this job only
                error = {"type": type(exc).__name__, "message": f"{job.filename}: unexpected error: {exc}", "status": 500}
            self.seconds_per_job = 0.8 * self.seconds_per_job + 0.2 * (time.perf_counter() - started)
            self.store.finish(job, result, error)
            if self.on_finish:
                self.on_finish(job.id)
