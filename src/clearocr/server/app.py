"""The HTTP API (FastAPI): ``POST /v1/documents``, ``GET``/``DELETE /v1/jobs/{id}``, health checks.

A thin layer over :class:`~clearocr.pipeline.Reader` and the SQLite :class:`~.jobs.JobStore`:

- every document becomes a job; small ones are answered synchronously (the request waits for its
  job), ``?async=true`` or documents over ``sync_pages`` get ``202`` and a job id to poll;
- at most ``workers + queue_size`` jobs are queued or running; beyond that the API answers ``503``
  with ``Retry-After`` (seconds, estimated from the running mean job time);
- reading options are :class:`~clearocr.options.ReadOptions` fields (form fields, or a JSON object in
  the ``options`` form field), validated by the same model the CLI and Python API use (``422`` with
  pydantic's message otherwise); server-side choices (the LLM model file, downloads, limits) cannot
  be set by clients;
- API keys (``Authorization: Bearer KEY`` or ``X-API-Key: KEY``) are checked on every route except
  ``/healthz``; only SHA-256 hashes are kept, compared in constant time.
"""


import asyncio
import hashlib
import hmac
import json
import math
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, Field

from clearocr.errors import ClearOCRError, OptionsError
from clearocr.options import ReadOptions

#: Options only the server operator sets (files on the server, downloads, resource limits).
SERVER_ONLY_OPTIONS = frozenset({"llm_url", "llm_model", "llm_quantization", "allow_download", "max_pixels", "max_pages", "gpu_layers", "context_size"})


class ServerSettings(BaseModel):
    """Server configuration (``clearocr serve`` flags map onto these fields).

    Attributes:
        api_key_hashes: SHA-256 hex digests of the accepted API keys.
        db_path: SQLite database holding jobs and results.
        options: default reading options (clients may override the non-server-only ones).
    """

    api_key_hashes: list[str] = Field(default_factory=list)
    db_path: str = "clearocr-jobs.sqlite3"
    options: ReadOptions = Field(default_factory=ReadOptions)
    workers: int = Field(1, ge=1, description="Documents read at the same time.")
    queue_size: int = Field(32, ge=0, description="Jobs that may wait; more get 503 + Retry-After.")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Larger uploads get 413.")
    max_pages: int = Field(50, ge=1, description="Documents with more selected pages get 413.")
    sync_pages: int = Field(5, ge=0, description="Documents with more pages are answered asynchronously (202).")
    request_timeout: float = Field(120.0, gt=0, description="Seconds a synchronous request waits before it gets 202 + job id.")
    warm_up: bool = Field(True, description="Load the OCR engine at start-up rather than on the first request.")


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored for an API key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def load_key_hashes(keys_env: str | None = None, keys_file: str | Path | None = None) -> list[str]:
    """API key hashes from ``CLEAROCR_API_KEYS`` (comma-separated keys, hashed here) and a keys file
    (one SHA-256 hex digest per line, ``#`` comments; see ``clearocr api-key``)."""
    hashes: list[str] = []
    raw = keys_env if keys_env is not None else os.environ.get("CLEAROCR_API_KEYS", "")
    hashes += [hash_key(k.strip()) for k in raw.split(",") if k.strip()]
    if keys_file:
        for line in Path(keys_file).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip().removeprefix("sha256:")
            if line:
                if len(line) != 64 or any(c not in "0123456789abcdef" for c in line.lower()):
                    raise OptionsError(f"{keys_file}: {line[:12]}... is not a SHA-256 hex digest")
                hashes.append(line.lower())
    return hashes


def create_app(settings: ServerSettings, *, reader=None):
    """The FastAPI application.

    Args:
        settings: :class:`ServerSettings`.
        reader: a :class:`~clearocr.pipeline.Reader` to use (default: one made from
            ``settings.options``, engines loaded at start-up, closed at shutdown).

    Raises:
        OptionsError: no API key configured.
    """
    from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.middleware.base import BaseHTTPMiddleware

    from clearocr.io import open_source
    from clearocr.options import parse_page_spec
    from clearocr.pipeline import Reader
    from clearocr.server.jobs import DONE, FAILED, JobRunner, JobStore

    if not settings.api_key_hashes:
        raise OptionsError("no API key configured: set CLEAROCR_API_KEYS or pass --keys-file (see `clearocr api-key`)")
    key_hashes = [bytes.fromhex(h) for h in settings.api_key_hashes]
    state: dict[str, Any] = {}
    waiters: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
    waiters_lock = threading.Lock()
    capacity = settings.workers + settings.queue_size

    def process(data: bytes, filename: str, options: dict[str, Any]) -> dict[str, Any]:
        extract = options.pop("extract", "none")
        opts = ReadOptions.build(settings.options, **options)
        document = state["reader"].read(data, opts, name=filename)
        if extract == "invoice":
            from clearocr.extraction import RuleExtractor

            document.fields = RuleExtractor(opts.languages).extract(document).to_dict()
        return document.to_dict()

    def on_finish(job_id: str) -> None:
        with waiters_lock:
            waiter = waiters.pop(job_id, None)
        if waiter:
            loop, future = waiter
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(True))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own_reader = reader is None
        state["reader"] = reader or Reader(settings.options)
        if settings.warm_up:
            await asyncio.to_thread(_warm_up, state["reader"], settings.options)
        store = JobStore(settings.db_path)
        store.recover()
        runner = JobRunner(store, process, workers=settings.workers, on_finish=on_finish)
        runner.start()
        state.update(store=store, runner=runner)
        try:
            yield
        finally:
            runner.stop()
            store.close()
            if own_reader:
                state["reader"].close()

    app = FastAPI(
        title="clearocr", version=_version(), lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
        description="Local document OCR: images and PDFs to text, boxes, confidences and invoice fields.",
    )

    class UploadLimit(BaseHTTPMiddleware):
        """413 before the body is parsed when Content-Length is over the limit."""

        async def dispatch(self, request: Request, call_next):
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > settings.max_upload_bytes + 64 * 1024:
                return _error(413, "UploadTooLarge", f"upload of {int(length)} bytes is over the limit of {settings.max_upload_bytes} bytes")
            return await call_next(request)

    app.add_middleware(UploadLimit)

    @app.exception_handler(ClearOCRError)
    async def clearocr_error(request: Request, exc: ClearOCRError):
        return _error(exc.http_status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(422, "RequestValidationError", problems)

    def require_key(request: Request) -> None:
        presented = request.headers.get("x-api-key")
        auth = request.headers.get("authorization", "")
        if presented is None and auth.lower().startswith("bearer "):
            presented = auth[7:].strip()
        if presented:
            digest = hashlib.sha256(presented.encode("utf-8")).digest()
            matched = False
            for stored in key_hashes:  # no early exit: the time does not depend on which key matched
                matched |= hmac.compare_digest(digest, stored)
            if matched:
                return
        raise _HTTPError(401, "Unauthorized", "missing or wrong API key (Authorization: Bearer KEY or X-API-Key)",
                         headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(_HTTPError)
    async def http_error(request: Request, exc: _HTTPError):
        return _error(exc.status, exc.kind, exc.message, exc.headers)

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(require_key)])
    async def openapi_schema():
        """The OpenAPI schema (behind the API key, like every route but /healthz)."""
        return app.openapi()

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(require_key)])
    async def docs():
        """Swagger UI; it fetches /openapi.json, so send the key from the browser (e.g. an X-API-Key header)."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="clearocr API")

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], dependencies=[Depends(require_key)])
    async def readyz():
        """Readiness: models loaded, job workers running; includes queue depth."""
        runner = state.get("runner")
        if runner is None or not runner.alive():
            return _error(503, "NotReady", "job workers are not running")
        return {"status": "ready", "pending": state["store"].pending(), "capacity": capacity}

    @app.post("/v1/documents", tags=["documents"], dependencies=[Depends(require_key)],
              responses={202: {"description": "Accepted: poll /v1/jobs/{id}"}, 413: {}, 422: {}, 503: {}})
    async def post_document(
        request: Request,
        file: UploadFile = File(..., description="The image or PDF."),
        options: Optional[str] = Form(None, description="Reading options as a JSON object (ReadOptions fields)."),
        extract: str = Form("none", pattern="^(none|invoice)$", description="invoice: add key fields."),
        run_async: bool = Query(False, alias="async", description="Always answer 202 with a job id."),
    ):
        """Read a document. Returns its JSON (clearocr.document/1), or 202 with a job to poll."""
        form = await request.form()
        overrides: dict[str, Any] = {}
        if options:
            try:
                overrides.update(json.loads(options))
            except json.JSONDecodeError as exc:
                raise OptionsError(f"options: not a JSON object ({exc})") from None
            if not isinstance(overrides, dict):
                raise OptionsError("options: not a JSON object")
        for key, value in form.items():
            if key not in ("file", "options", "extract"):
                overrides[key] = value
        forbidden = sorted(SERVER_ONLY_OPTIONS & overrides.keys())
        if forbidden:
            raise OptionsError(f"{', '.join(forbidden)}: set by the server operator, not per request")
        opts = ReadOptions.build(settings.options, **overrides)  # 422 with pydantic's message
        data = await file.read()
        filename = file.filename or "upload"
        if len(data) > settings.max_upload_bytes:
            raise _HTTPError(413, "UploadTooLarge", f"{filename}: {len(data)} bytes is over the limit of {settings.max_upload_bytes}")
        # Open it now: a corrupt or oversized document is answered at once, with the cause.
        def count_pages() -> int:
            with open_source(data, max_pixels=opts.max_pixels, want_layer=False, name=filename) as source:
                return len(parse_page_spec(opts.pages, source.page_count, filename))
        pages = await asyncio.to_thread(count_pages)
        if pages > settings.max_pages:
            raise _HTTPError(413, "TooManyPages", f"{filename}: {pages} pages, more than the limit of {settings.max_pages}")
        store = state["store"]
        runner = state["runner"]
        if store.pending() >= capacity:
            retry = max(1, math.ceil(runner.seconds_per_job * capacity / settings.workers))
            raise _HTTPError(503, "QueueFull", f"{capacity} documents queued or running; retry in {retry} s",
                             headers={"Retry-After": str(retry)})
        sync = not run_async and pages <= settings.sync_pages
        job_options = {**overrides, "extract": extract}
        job_id = store.add(data, filename, job_options, sync=sync)
        if not sync:
            runner.notify()
            return JSONResponse(status_code=202, content=store.get(job_id).public(),
                                headers={"Location": f"/v1/jobs/{job_id}"})
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with waiters_lock:
            waiters[job_id] = (loop, future)
        runner.notify()
        job = store.get(job_id)
        try:
            if job.status not in (DONE, FAILED):
                await asyncio.wait_for(asyncio.shield(future), timeout=settings.request_timeout)
        except asyncio.TimeoutError:
            store.set_async(job_id)
            with waiters_lock:
                waiters.pop(job_id, None)
            return JSONResponse(status_code=202, content=store.get(job_id).public(),
                                headers={"Location": f"/v1/jobs/{job_id}"})
        except asyncio.CancelledError:  # the client went away: nobody will fetch this job
            store.delete(job_id)
            raise
        job = store.get(job_id)
        store.delete(job_id)
        if job.status == FAILED:
            return _error(job.error.get("status", 500), job.error["type"], job.error["message"])
        return job.result

    @app.get("/v1/jobs/{job_id}", tags=["jobs"], dependencies=[Depends(require_key)])
    async def get_job(job_id: str):
        """A job's status, and its result (document JSON) or error when finished."""
        job = state["store"].get(job_id)
        if job is None:
            return _error(404, "NotFound", f"no job {job_id}")
        return job.public()

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"], dependencies=[Depends(require_key)], status_code=204)
    async def delete_job(job_id: str):
        """Remove a job and its result (a running job's outcome is then discarded)."""
        if not state["store"].delete(job_id):
            return _error(404, "NotFound", f"no job {job_id}")
        return None

    return app


class _HTTPError(Exception):
    def __init__(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.headers = status, kind, message, headers


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None):
    from fastapi.responses import JSONResponse

    return JSONResponse(status_code=status, content={"error": {"type": kind, "message": message}}, headers=headers)


def _warm_up(reader, options: ReadOptions) -> None:
    """Load the engine (and the LLM when correction uses one) before the first request."""
    if options.pdf_text != "layer":
        reader.engine(options.engine)
        if options.orientation:
            reader._orientation_detector()
    if options.correct in ("llm", "auto"):
        try:
            reader.llm(options)
        except ClearOCRError:
            if options.correct == "llm":
                raise


def _version() -> str:
    from clearocr import __version__

    return __version__
