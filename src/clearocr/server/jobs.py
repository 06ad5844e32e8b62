"""Persistent job queue for the HTTP API: SQLite (stdlib ``sqlite3``, WAL) plus worker threads.

Every document the server reads is a job row holding the upload, the options and, when done, the
result JSON. Workers claim the oldest queued job in one transaction (``runs`` is incremented at the
claim and used as a fencing token at completion), so a job completes exactly once even if a worker
from a previous process was killed while running it: on start-up, ``running`` rows left by a dead
process go back to ``queued`` and are read again, at most ``max_attempts`` times in all: a job that was
running each time the server died (a document that crashes it) is then failed with the reason.

Every job belongs to the API key (or OAuth client) that made it: ``owner`` holds that key's SHA-256,
and lookups by another owner find nothing. Finished jobs are deleted ``ttl`` seconds after they finish
(:meth:`JobStore.expire`, called by the runner). A POST with an ``Idempotency-Key`` header is stored
under ``(owner, key)``, so a retried upload finds the job the first attempt made.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearocr.errors import ClearOCRError

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
    finished REAL,
    owner TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    fingerprint TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_created ON jobs (status, created);
"""

#: Columns added after the first release: added to an existing database on open.
_MIGRATIONS = (
    ("owner", "ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''"),
    ("idempotency_key", "ALTER TABLE jobs ADD COLUMN idempotency_key TEXT"),
    ("fingerprint", "ALTER TABLE jobs ADD COLUMN fingerprint TEXT"),
)
_INDEXES = """
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished);
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
        owner: SHA-256 hex of the API key (or client id) that made it.
        idempotency_key: the client's ``Idempotency-Key``, if it sent one.
        fingerprint: SHA-256 of the upload and its options (a reused Idempotency-Key must match it).
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
    owner: str = ""
    idempotency_key: str | None = None
    fingerprint: str | None = None

    def public(self, ttl: float | None = None) -> dict[str, Any]:
        """The JSON the API returns for this job (``expires``: when a finished job is deleted)."""
        expires = self.finished + ttl if (ttl is not None and self.finished is not None) else None
        return {
            "id": self.id,
            "status": self.status,
            "filename": self.filename,
            "runs": self.runs,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "expires": expires,
            "result": self.result,
            "error": self.error,
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
            # Freed pages (uploads are BLOBs, deleted once read) go back to the file system: only
            # settable before the first table exists, so it applies to new databases.
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            for column, statement in _MIGRATIONS:
                if column not in columns:
                    self._db.execute(statement)
            self._db.executescript(_INDEXES)

    def recover(self, max_attempts: int = 3) -> tuple[int, int, int]:
        """After a restart: put jobs a dead process was running back in the queue (unless they
        have been started ``max_attempts`` times: those fail with the reason), and drop synchronous
        jobs whose client has gone (unless an Idempotency-Key lets the client come back for them).

        Returns:
            ``(requeued, dropped, failed)``.
        """
        now = time.time()
        error = json.dumps(
            {
                "type": "JobAbandoned",
                "status": 500,
                "message": f"the server stopped while reading this document {max_attempts} times (a crash or an "
                "out-of-memory kill?); it is not tried again",
            }
        )
        with self._lock:
            failed = self._db.execute(
                "UPDATE jobs SET status=?, error=?, data=NULL, finished=? WHERE status=? AND runs>=?",
                (FAILED, error, now, RUNNING, max_attempts),
            ).rowcount
            requeued = self._db.execute(
                "UPDATE jobs SET status=?, started=NULL WHERE status=? AND (sync=0 OR idempotency_key IS NOT NULL)",
                (QUEUED, RUNNING),
            ).rowcount
            dropped = self._db.execute("DELETE FROM jobs WHERE sync=1 AND idempotency_key IS NULL").rowcount
        return requeued, dropped, failed

    def add(
        self,
        data: bytes,
        filename: str,
        options: dict[str, Any],
        sync: bool,
        *,
        owner: str = "",
        idempotency_key: str | None = None,
        fingerprint: str | None = None,
    ) -> tuple[str, bool]:
        """Queue a job. With an ``idempotency_key`` already used by ``owner``, nothing is added.

        Returns:
            ``(job_id, created)``: ``created`` is False when the key's existing job is returned.

        Raises:
            IdempotencyConflict: the key was used for another upload (a different fingerprint).
        """
        job_id = uuid.uuid4().hex
        with self._lock:
            if idempotency_key is not None:
                row = self._db.execute(
                    "SELECT id, fingerprint FROM jobs WHERE owner=? AND idempotency_key=?",
                    (owner, idempotency_key),
                ).fetchone()
                if row is not None:
                    if row["fingerprint"] != fingerprint:
                        raise IdempotencyConflict(idempotency_key)
                    return row["id"], False
            self._db.execute(
                "INSERT INTO jobs (id, status, sync, filename, options, data, created, owner, idempotency_key, "
                "fingerprint) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    job_id,
                    QUEUED,
                    int(sync),
                    filename,
                    json.dumps(options),
                    data,
                    time.time(),
                    owner,
                    idempotency_key,
                    fingerprint,
                ),
            )
        return job_id, True

    def expire(self, ttl: float) -> int:
        """Delete finished jobs older than ``ttl`` seconds (results included). Returns the count."""
        with self._lock:
            count = self._db.execute(
                "DELETE FROM jobs WHERE status IN (?, ?) AND finished < ?", (DONE, FAILED, time.time() - ttl)
            ).rowcount
            self._db.execute("PRAGMA incremental_vacuum")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

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
                    "UPDATE jobs SET status=?, runs=runs+1, started=? WHERE id=?",
                    (RUNNING, time.time(), row["id"]),
                )
                full = self._db.execute("SELECT * FROM jobs WHERE id=?", (row["id"],)).fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return _job(full), bytes(full["data"] or b"")

    def finish(self, job: Job, result: dict[str, Any] | None, error: dict[str, Any] | None) -> bool:
        """Store the outcome of ``job`` as claimed (fenced by its ``runs``). A failed job's upload is
        dropped; a done job keeps it until the job expires (for its review page).

        Returns False when the job was deleted or re-claimed meanwhile (the outcome is discarded).
        """
        status = DONE if error is None else FAILED
        with self._lock:
            updated = self._db.execute(
                "UPDATE jobs SET status=?, result=?, error=?, data=CASE WHEN ? THEN data ELSE NULL END, finished=? "
                "WHERE id=? AND status=? AND runs=?",
                (
                    status,
                    json.dumps(result, ensure_ascii=False) if result is not None else None,
                    json.dumps(error) if error is not None else None,
                    error is None,
                    time.time(),
                    job.id,
                    RUNNING,
                    job.runs,
                ),
            ).rowcount
        return updated == 1

    def get(self, job_id: str, owner: str | None = None) -> Job | None:
        """The job ``job_id`` (None when absent, or when ``owner`` is given and is not its owner)."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, status, sync, filename, options, result, error, runs, created, started, finished, owner, "
                "idempotency_key, fingerprint FROM jobs WHERE id=?",
                (job_id,),
            ).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            return None
        return _job(row)

    def upload(self, job_id: str, owner: str) -> bytes | None:
        """The bytes ``owner`` uploaded for job ``job_id`` (None when gone or not theirs)."""
        with self._lock:
            row = self._db.execute("SELECT data FROM jobs WHERE id=? AND owner=?", (job_id, owner)).fetchone()
        return bytes(row["data"]) if row is not None and row["data"] is not None else None

    def get_by_idempotency_key(self, owner: str, key: str) -> Job | None:
        """``owner``'s job stored under Idempotency-Key ``key``, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM jobs WHERE owner=? AND idempotency_key=?", (owner, key)
            ).fetchone()
        return self.get(row["id"]) if row else None

    def set_async(self, job_id: str) -> None:
        """A synchronous request that ran out of time: keep its job for the client to poll."""
        with self._lock:
            self._db.execute("UPDATE jobs SET sync=0 WHERE id=?", (job_id,))

    def delete(self, job_id: str, owner: str | None = None) -> bool:
        """Delete a job (only ``owner``'s, when given). Returns whether one was deleted."""
        with self._lock:
            if owner is None:
                return self._db.execute("DELETE FROM jobs WHERE id=?", (job_id,)).rowcount == 1
            return self._db.execute("DELETE FROM jobs WHERE id=? AND owner=?", (job_id, owner)).rowcount == 1

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
        id=row["id"],
        status=row["status"],
        sync=bool(row["sync"]),
        filename=row["filename"],
        options=json.loads(row["options"]),
        result=json.loads(row["result"]) if row["result"] else None,
        error=json.loads(row["error"]) if row["error"] else None,
        runs=row["runs"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        owner=row["owner"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
    )


class IdempotencyConflict(Exception):
    """An ``Idempotency-Key`` reused for a different upload (HTTP 409)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key[:64]!r} was used for a different document or options")


class JobRunner:
    """Worker threads that claim jobs from a :class:`JobStore` and run ``process`` on them.

    Args:
        store: the job store.
        process: ``(data, filename, options, worker, job_id) -> result dict`` (``worker``: the thread's
            index, 0 to ``workers - 1``, so each may use its own reader; ``job_id``: to notice the job
            was deleted meanwhile); raising a
            :class:`~clearocr.errors.ClearOCRError` fails the job with that error's message and status.
        workers: threads (documents read at the same time).
        on_finish: called with ``(job_id)`` after each job's outcome is stored (wakes synchronous waiters).
        ttl: seconds a finished job is kept; expired jobs are deleted about once a minute (None: kept).
    """

    def __init__(
        self,
        store: JobStore,
        process: Callable[[bytes, str, dict[str, Any], int, str], dict[str, Any]],
        workers: int = 1,
        on_finish: Callable[[str], None] | None = None,
        ttl: float | None = None,
    ) -> None:
        self.store = store
        self.process = process
        self.on_finish = on_finish
        self.ttl = ttl
        self._wake = threading.Condition()
        self._stop = False
        self._next_expiry = 0.0
        self._threads = [
            threading.Thread(target=self._loop, args=(i,), name=f"clearocr-job-{i}", daemon=True)
            for i in range(workers)
        ]
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

    def _expire(self) -> None:
        if self.ttl is None or time.monotonic() < self._next_expiry:
            return
        self._next_expiry = time.monotonic() + min(60.0, self.ttl / 2)
        self.store.expire(self.ttl)

    def _loop(self, index: int) -> None:
        while True:
            with self._wake:
                if self._stop:
                    return
            if index == 0:
                self._expire()
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
                result = self.process(data, job.filename, job.options, index, job.id)
            except ClearOCRError as exc:
                error = {"type": type(exc).__name__, "message": str(exc), "status": exc.http_status}
            except Exception as exc:  # a bug or an engine crash fails this job only
                error = {
                    "type": type(exc).__name__,
                    "message": f"{job.filename}: unexpected error: {exc}",
                    "status": 500,
                }
            self.seconds_per_job = 0.8 * self.seconds_per_job + 0.2 * (time.perf_counter() - started)
            self.store.finish(job, result, error)
            if self.on_finish:
                self.on_finish(job.id)
