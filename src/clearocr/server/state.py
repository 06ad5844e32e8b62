"""What a running server holds: its readers (one per worker), the SQLite job store and runner, and the
requests waiting for their jobs; with the function a worker runs on each job."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from clearocr.engines.threads import apply_thread_budget, thread_budget
from clearocr.errors import ClearOCRError, JobCancelledError, TimeLimitError
from clearocr.extraction import extract_fields
from clearocr.options import ReadOptions
from clearocr.pipeline import Reader
from clearocr.server.auth import (
    TOKEN_FAILURE_WINDOW,
    TOKEN_MAX_FAILURES,
    TOKEN_MAX_FAILURES_PER_ADDRESS,
    TokenIssuer,
)
from clearocr.server.jobs import JobRunner, JobStore
from clearocr.server.settings import ServerSettings
from clearocr.server.throttle import FailureThrottle


class ServerState:
    """The server's run-time state, made by :func:`~clearocr.server.app.create_app` and reached by the
    routes as ``request.app.state.server``.

    Args:
        settings: the server's configuration.
        reader: a :class:`~clearocr.pipeline.Reader` shared by every worker (tests); default: one reader
            per worker made from ``settings.options`` with ``settings.threads`` (or ``cores // workers``)
            inference threads each, engines loaded at start-up, closed at shutdown.
    """

    def __init__(self, settings: ServerSettings, reader: Any = None) -> None:
        self.settings = settings
        self.shared_reader = reader
        self.tokens = TokenIssuer(settings.client_secret_hashes, settings.token_ttl)
        self.client_throttle = FailureThrottle(TOKEN_MAX_FAILURES, TOKEN_FAILURE_WINDOW)
        self.address_throttle = FailureThrottle(TOKEN_MAX_FAILURES_PER_ADDRESS, TOKEN_FAILURE_WINDOW)
        self.capacity = settings.workers + settings.queue_size
        self.readers: list[Any] = []
        self.store: JobStore | None = None
        self.runner: JobRunner | None = None
        self.waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]]] = {}
        self.waiters_lock = threading.Lock()

    def process(
        self, data: bytes, filename: str, options: dict[str, Any], worker: int = 0, job_id: str | None = None
    ) -> dict[str, Any]:
        """Read one job's document (in a worker thread) and return its JSON; stops at the next page when
        the job is deleted or over ``job_timeout``.

        Raises:
            JobCancelledError, TimeLimitError, ClearOCRError: the job fails with it.
        """
        settings = self.settings
        extract = options.pop("extract", "none")
        opts = ReadOptions.build(settings.options, **options)
        deadline = time.monotonic() + settings.job_timeout

        def check_time(page: Any, index: int, total: int) -> None:
            if (
                index < total
                and job_id is not None
                and self.store is not None
                and self.store.get(job_id) is None
            ):
                raise JobCancelledError(
                    filename,
                    f"job {job_id} was deleted (its client went away) after {index} of {total} pages",
                )
            if index < total and time.monotonic() > deadline:
                raise TimeLimitError(
                    filename,
                    f"read {index} of {total} pages in {settings.job_timeout:g} s, the "
                    "server's limit per document; send fewer pages (pages=...)",
                )

        document = self.readers[worker].read(data, opts, name=filename, on_page=check_time)
        if extract == "invoice":
            document.fields = extract_fields(document, opts.languages, opts.extractor).to_dict()
        return document.to_dict()

    def on_finish(self, job_id: str) -> None:
        """Wake the requests waiting for ``job_id`` (called from a worker thread)."""
        with self.waiters_lock:
            waiting = self.waiters.pop(job_id, [])

        def wake(future: asyncio.Future[Any]) -> None:
            if not future.done():
                future.set_result(True)

        for loop, future in waiting:
            loop.call_soon_threadsafe(wake, future)

    def wait_for(self, job_id: str, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
        """A future set when ``job_id`` finishes (see :meth:`forget`)."""
        future = loop.create_future()
        with self.waiters_lock:
            self.waiters.setdefault(job_id, []).append((loop, future))
        return future

    def forget(self, job_id: str, future: asyncio.Future[Any]) -> None:
        """Stop waiting for ``job_id`` with ``future``."""
        with self.waiters_lock:
            mine = [w for w in self.waiters.get(job_id, []) if w[1] is not future]
            if mine:
                self.waiters[job_id] = mine
            else:
                self.waiters.pop(job_id, None)

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Start-up (readers, warm-up, job store recovery, runner) and shutdown, for FastAPI."""
        settings = self.settings
        own_reader = self.shared_reader is None
        if own_reader:
            threads = settings.threads or thread_budget(settings.workers)
            engine_options: dict[str, dict[str, Any]] = {}
            apply_thread_budget(threads, engine_options)
            self.readers = [
                Reader(settings.options, engine_options=engine_options) for _ in range(settings.workers)
            ]
        else:
            self.readers = [self.shared_reader] * settings.workers
        if settings.warm_up:
            for each in dict.fromkeys(self.readers):
                await asyncio.to_thread(_warm_up, each, settings.options)
        store = JobStore(settings.db_path)
        store.recover(settings.max_attempts)
        store.expire(settings.result_ttl)
        runner = JobRunner(
            store, self.process, workers=settings.workers, on_finish=self.on_finish, ttl=settings.result_ttl
        )
        runner.start()
        self.store, self.runner = store, runner
        try:
            yield
        finally:
            runner.stop()
            store.close()
            if own_reader:
                for each in self.readers:
                    each.close()


def _warm_up(reader: Any, options: ReadOptions) -> None:
    """Load the engine (and the LLM when correction uses one) before the first request."""
    if options.pdf_text != "layer":
        reader.engine(options.engine, options.mode, options.speed)
        if options.stage("orientation"):
            reader._orientation_detector()
    if options.correct in ("llm", "auto"):
        try:
            reader.llm(options)
        except ClearOCRError:
            if options.correct == "llm":
                raise
