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
  ``/healthz``, from the headers, before any of the body is read (:class:`RequestGuard`); only SHA-256
  hashes are kept, compared in constant time. The upload cap is enforced while the body streams in
  (chunked uploads included), so an oversized upload costs at most the cap;
- every job belongs to the key that made it (another key gets 404), finished jobs expire after
  ``result_ttl`` seconds, a job the server died on ``max_attempts`` times is failed, and a POST with
  an ``Idempotency-Key`` header returns the same job when it is retried;
- ``workers`` documents are read in parallel, each worker with its own
  :class:`~clearocr.pipeline.Reader` and ``cores // workers`` inference threads;
- every error, 500 included, is JSON: ``{"error": {"type", "message"}}``.
"""

import asyncio
import hashlib
import hmac
import json
import math
import os
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from clearocr.errors import ClearOCRError, JobCancelledError, OptionsError
from clearocr.options import ReadOptions
from clearocr.server.throttle import FailureThrottle

#: Failed client-credentials attempts allowed per client id, and per address, in the window (seconds).
TOKEN_MAX_FAILURES = 10
TOKEN_MAX_FAILURES_PER_ADDRESS = 30
TOKEN_FAILURE_WINDOW = 300.0

#: Seconds between checks, while a synchronous request waits, that its client is still connected.
DISCONNECT_POLL = 0.5


#: Options only the server operator sets (files on the server, downloads, resource limits).
SERVER_ONLY_OPTIONS = frozenset(
    {
        "llm_url",
        "llm_model",
        "llm_quantization",
        "allow_download",
        "max_pixels",
        "max_pages",
        "gpu_layers",
        "context_size",
    }
)


class ServerSettings(BaseModel):
    """Server configuration (``clearocr serve`` flags map onto these fields).

    Attributes:
        api_key_hashes: SHA-256 hex digests of the accepted API keys.
        client_secret_hashes: OAuth 2.0 client-credentials clients (RFC 6749 section 4.4): client id ->
            SHA-256 hex digest of its secret; they get short-lived bearer tokens at ``POST /v1/token``.
        db_path: SQLite database holding jobs and results.
        options: default reading options (clients may override the non-server-only ones).
    """

    api_key_hashes: list[str] = Field(default_factory=list)
    client_secret_hashes: dict[str, str] = Field(
        default_factory=dict, description="OAuth 2.0 clients: client id -> SHA-256 hex of its secret."
    )
    token_ttl: float = Field(
        900.0, gt=0, le=86400, description="Seconds a client-credentials access token is valid."
    )
    db_path: str = "clearocr-jobs.sqlite3"
    options: ReadOptions = Field(default_factory=ReadOptions)
    workers: int = Field(1, ge=1, description="Documents read at the same time.")
    queue_size: int = Field(32, ge=0, description="Jobs that may wait; more get 503 + Retry-After.")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Larger uploads get 413.")
    max_pages: int = Field(50, ge=1, description="Documents with more selected pages get 413.")
    sync_pages: int = Field(
        5, ge=0, description="Documents with more pages are answered asynchronously (202)."
    )
    request_timeout: float = Field(
        120.0, gt=0, description="Seconds a synchronous request waits before it gets 202 + job id."
    )
    warm_up: bool = Field(
        True, description="Load the OCR engine at start-up rather than on the first request."
    )
    result_ttl: float = Field(
        24 * 3600.0, gt=0, description="Seconds a finished job and its result are kept."
    )
    max_attempts: int = Field(
        3, ge=1, description="Times a job is started before a server that keeps dying on it fails it."
    )
    job_timeout: float = Field(
        600.0, gt=0, description="Seconds a document may take; checked after each page."
    )
    max_dpi: int = Field(600, ge=50, le=1200, description="Highest PDF render dpi a request may ask for.")
    max_side_limit: int = Field(
        6000, ge=500, le=20000, description="Highest max_side a request may ask for (pixels)."
    )
    threads: int | None = Field(
        None, ge=1, description="Inference threads per worker (default: cores // workers)."
    )
    max_connections: int = Field(
        512, ge=1, description="Open connections at most; more are refused (503 + Retry-After)."
    )
    max_connections_per_client: int = Field(
        64, ge=1, description="Open connections at most from one client address."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a connection may take to send a request's headers (then 408)."
    )


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


def load_client_hashes(
    clients_env: str | None = None, clients_file: str | Path | None = None
) -> dict[str, str]:
    """OAuth 2.0 clients: ``CLEAROCR_CLIENTS`` (comma-separated ``client_id:secret`` pairs, hashed
    here) and a clients file (one ``client_id sha256-hex-of-secret`` per line, ``#`` comments; see
    ``clearocr client-credentials``).

    Raises:
        OptionsError: a malformed entry (naming the file and the client id).
    """
    clients: dict[str, str] = {}
    raw = clients_env if clients_env is not None else os.environ.get("CLEAROCR_CLIENTS", "")
    for pair in (p.strip() for p in raw.split(",") if p.strip()):
        client_id, sep, secret = pair.partition(":")
        if not sep or not client_id or not secret:
            raise OptionsError("CLEAROCR_CLIENTS: each entry is client_id:secret")
        clients[client_id] = hash_key(secret)
    if clients_file:
        for line in Path(clients_file).read_text(encoding="utf-8").splitlines():
            parts = line.split("#", 1)[0].split()
            if not parts:
                continue
            digest = parts[-1].lower().removeprefix("sha256:")
            if len(parts) != 2 or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise OptionsError(f"{clients_file}: {parts[0][:40]}: expected 'client_id sha256-hex'")
            clients[parts[0]] = digest
    return clients


class TokenIssuer:
    """Short-lived bearer tokens for OAuth 2.0 client credentials (RFC 6749 section 4.4).

    Tokens are random (256 bits), kept only as SHA-256 digests in memory with their expiry and owner;
    a restart invalidates them and clients fetch a new one (the client does so on a 401).

    Args:
        clients: client id -> SHA-256 hex of its secret.
        ttl: token lifetime in seconds.
    """

    def __init__(self, clients: dict[str, str], ttl: float) -> None:
        self._clients = {cid: bytes.fromhex(h) for cid, h in clients.items()}
        self.ttl = ttl
        self._tokens: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def owner(client_id: str) -> str:
        """The job owner id of a client (every token of one client sees the same jobs)."""
        return hashlib.sha256(f"client:{client_id}".encode()).hexdigest()

    def check_client(self, client_id: str, secret: str) -> bool:
        """Whether ``secret`` is the client's (compared in constant time; unknown ids take as long)."""
        stored = self._clients.get(client_id, b"\0" * 32)
        ok = hmac.compare_digest(hashlib.sha256(secret.encode("utf-8")).digest(), stored)
        return ok and client_id in self._clients

    def issue(self, client_id: str) -> str:
        import secrets

        token = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            for digest in [d for d, (_, expiry) in self._tokens.items() if expiry <= now]:
                del self._tokens[digest]
            self._tokens[hashlib.sha256(token.encode("utf-8")).digest()] = (
                self.owner(client_id),
                now + self.ttl,
            )
        return token

    def owner_of(self, token: str) -> str | None:
        """The owner of a valid, unexpired token, else None."""
        with self._lock:
            entry = self._tokens.get(hashlib.sha256(token.encode("utf-8")).digest())
        if entry is None or entry[1] <= time.monotonic():
            return None
        return entry[0]


class RequestGuard:
    """ASGI middleware in front of the application: authentication and the upload cap.

    * The API key is checked from the headers before anything of the body is read: a wrong key gets
      401 at once, whatever follows.
    * ``Content-Length`` over the cap gets 413 at once; a body without one (chunked) is counted as it
      streams in, and 413 is sent as soon as it passes the cap (the application then sees a
      disconnect and its own answer is dropped).

    Args:
        app: the ASGI application.
        authenticate: ``headers -> owner id`` (SHA-256 hex of the key) or None when refused.
        max_body: the upload cap in bytes (plus 64 KiB for the multipart framing and form fields).
        open_paths: paths that need no key.
    """

    def __init__(
        self, app: Any, authenticate: Any, max_body: int, open_paths: frozenset[str] = frozenset({"/healthz"})
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.max_body = max_body
        self.open_paths = open_paths

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if scope["path"] not in self.open_paths:
            owner = self.authenticate(headers)
            if owner is None:
                await _send_json(
                    send,
                    401,
                    "Unauthorized",
                    "missing or wrong API key (Authorization: Bearer KEY or X-API-Key)",
                    {"WWW-Authenticate": "Bearer"},
                )
                return
            scope.setdefault("state", {})["owner"] = owner
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            await _send_json(
                send,
                413,
                "UploadTooLarge",
                f"upload of {int(length):,} bytes is over the limit of {self.max_body - 64 * 1024:,} bytes",
            )
            return
        received = 0
        answered = False

        async def limited_receive() -> dict:
            nonlocal received, answered
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    if not answered:
                        answered = True
                        await _send_json(
                            send,
                            413,
                            "UploadTooLarge",
                            f"upload is over the limit of {self.max_body - 64 * 1024:,} bytes (stopped reading at {received:,})",
                        )
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict) -> None:
            if not answered:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not answered:
                raise


async def _send_json(
    send: Any, status: int, kind: str, message: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"error": {"type": kind, "message": message}}).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def create_app(settings: ServerSettings, *, reader=None):
    """The FastAPI application, wrapped in :class:`RequestGuard`.

    Args:
        settings: :class:`ServerSettings`.
        reader: a :class:`~clearocr.pipeline.Reader` shared by every worker (tests); default: one
            reader per worker made from ``settings.options`` with ``settings.threads`` (or
            ``cores // workers``) inference threads each, engines loaded at start-up, closed at shutdown.

    Raises:
        OptionsError: no API key configured.
    """
    from fastapi import FastAPI, File, Form, Query, Request, UploadFile
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from clearocr.engines.threads import apply_thread_budget, thread_budget
    from clearocr.errors import TimeLimitError
    from clearocr.io import open_source
    from clearocr.options import count_selected_pages
    from clearocr.pipeline import Reader
    from clearocr.server.jobs import DONE, FAILED, IdempotencyConflict, JobRunner, JobStore

    if not settings.api_key_hashes and not settings.client_secret_hashes:
        raise OptionsError(
            "no API key or client configured: set CLEAROCR_API_KEYS or pass --keys-file (see "
            "`clearocr api-key`), or CLEAROCR_CLIENTS / --clients-file (see `clearocr client-credentials`)"
        )
    key_hashes = [bytes.fromhex(h) for h in settings.api_key_hashes]
    tokens = TokenIssuer(settings.client_secret_hashes, settings.token_ttl)
    client_throttle = FailureThrottle(TOKEN_MAX_FAILURES, TOKEN_FAILURE_WINDOW)
    address_throttle = FailureThrottle(TOKEN_MAX_FAILURES_PER_ADDRESS, TOKEN_FAILURE_WINDOW)
    state: dict[str, Any] = {}
    waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}
    waiters_lock = threading.Lock()
    capacity = settings.workers + settings.queue_size

    def process(
        data: bytes, filename: str, options: dict[str, Any], worker: int = 0, job_id: str | None = None
    ) -> dict[str, Any]:
        extract = options.pop("extract", "none")
        opts = ReadOptions.build(settings.options, **options)
        deadline = time.monotonic() + settings.job_timeout

        def check_time(page: Any, index: int, total: int) -> None:
            if index < total and job_id is not None and state["store"].get(job_id) is None:
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

        document = state["readers"][worker].read(data, opts, name=filename, on_page=check_time)
        if extract == "invoice":
            from clearocr.extraction import extract_fields

            document.fields = extract_fields(document, opts.languages, opts.extractor).to_dict()
        return document.to_dict()

    def on_finish(job_id: str) -> None:
        with waiters_lock:
            waiting = waiters.pop(job_id, [])

        def wake(future: asyncio.Future) -> None:
            if not future.done():
                future.set_result(True)

        for loop, future in waiting:
            loop.call_soon_threadsafe(wake, future)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        own_reader = reader is None
        if own_reader:
            threads = settings.threads or thread_budget(settings.workers)
            engine_options: dict[str, dict[str, Any]] = {}
            apply_thread_budget(threads, engine_options)
            state["readers"] = [
                Reader(settings.options, engine_options=engine_options) for _ in range(settings.workers)
            ]
        else:
            state["readers"] = [reader] * settings.workers
        if settings.warm_up:
            for each in dict.fromkeys(state["readers"]):
                await asyncio.to_thread(_warm_up, each, settings.options)
        store = JobStore(settings.db_path)
        store.recover(settings.max_attempts)
        store.expire(settings.result_ttl)
        runner = JobRunner(
            store, process, workers=settings.workers, on_finish=on_finish, ttl=settings.result_ttl
        )
        runner.start()
        state.update(store=store, runner=runner)
        try:
            yield
        finally:
            runner.stop()
            store.close()
            if own_reader:
                for each in state["readers"]:
                    each.close()

    app = FastAPI(
        title="clearocr",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Local document OCR: images and PDFs to text, boxes, confidences and invoice fields.",
    )

    @app.exception_handler(ClearOCRError)
    async def clearocr_error(request: Request, exc: ClearOCRError):
        return _error(exc.http_status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(422, "RequestValidationError", problems)

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Request, exc: StarletteHTTPException):
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return _error(exc.status_code, kind, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        # Starlette calls this from its outermost middleware and then re-raises (the traceback is
        # logged); the client gets JSON, not a plain-text 500.
        return _error(
            500, "InternalServerError", f"unexpected {type(exc).__name__} on the server (see its log)"
        )

    def authenticate(headers: dict[str, str]) -> str | None:
        """The owner id (SHA-256 hex of the key) of a request's key, or None."""
        presented = headers.get("x-api-key")
        auth = headers.get("authorization", "")
        if presented is None and auth.lower().startswith("bearer "):
            presented = auth[7:].strip()
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        matched = False
        for stored in key_hashes:  # no early exit: the time does not depend on which key matched
            matched |= hmac.compare_digest(digest, stored)
        if matched:
            return digest.hex()
        return tokens.owner_of(presented)  # an OAuth 2.0 access token

    def owner_of(request: Request) -> str:
        return request.scope.get("state", {}).get("owner", "")

    @app.exception_handler(_HTTPError)
    async def http_error(request: Request, exc: _HTTPError):
        return _error(exc.status, exc.kind, exc.message, exc.headers)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_schema():
        """The OpenAPI schema (behind the API key, like every route but /healthz)."""
        return app.openapi()

    @app.get("/docs", include_in_schema=False)
    async def docs():
        """Swagger UI; it fetches /openapi.json, so send the key from the browser (e.g. an X-API-Key header)."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title="clearocr API")

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz():
        """Readiness: models loaded, job workers running; includes queue depth."""
        runner = state.get("runner")
        if runner is None or not runner.alive():
            return _error(503, "NotReady", "job workers are not running")
        return {"status": "ready", "pending": state["store"].pending(), "capacity": capacity}

    @app.post(
        "/v1/documents",
        tags=["documents"],
        responses={202: {"description": "Accepted: poll /v1/jobs/{id}"}, 409: {}, 413: {}, 422: {}, 503: {}},
    )
    async def post_document(
        request: Request,
        file: UploadFile = File(..., description="The image or PDF."),
        options: str | None = Form(
            None, description="Reading options as a JSON object (ReadOptions fields)."
        ),
        extract: str = Form("none", pattern="^(none|invoice)$", description="invoice: add key fields."),
        run_async: bool = Query(False, alias="async", description="Always answer 202 with a job id."),
    ):
        """Read a document. Returns its JSON (clearocr.document/1), or 202 with a job to poll.

        Send an ``Idempotency-Key`` header (any unique string up to 255 characters) to make retries
        safe: the same key with the same upload returns the job the first attempt made (409 if the
        key was used for a different upload)."""
        owner = owner_of(request)
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None and not (0 < len(idempotency_key) <= 255):
            raise OptionsError("Idempotency-Key: 1 to 255 characters")
        form = await request.form()
        if len(form.getlist("file")) > 1:
            raise OptionsError("file: send one document per request (this request has several file parts)")
        overrides = _parse_options(options)
        for key, value in form.items():
            if key not in ("file", "options", "extract"):
                overrides[key] = value
        forbidden = sorted(SERVER_ONLY_OPTIONS & overrides.keys())
        if forbidden:
            raise OptionsError(f"{', '.join(forbidden)}: set by the server operator, not per request")
        opts = ReadOptions.build(settings.options, **overrides)  # 422 with pydantic's message
        _check_engine(opts)  # an unknown engine or language is the client's error (422), not the server's
        if opts.dpi > settings.max_dpi:
            raise OptionsError(f"dpi {opts.dpi} is over this server's limit of {settings.max_dpi}")
        if opts.max_side > settings.max_side_limit:
            raise OptionsError(
                f"max_side {opts.max_side} is over this server's limit of {settings.max_side_limit}"
            )
        data = await file.read(settings.max_upload_bytes + 1)
        filename = file.filename or "upload"
        if len(data) > settings.max_upload_bytes:
            raise _HTTPError(
                413, "UploadTooLarge", f"{filename}: over the limit of {settings.max_upload_bytes:,} bytes"
            )

        # Open it now: a corrupt or oversized document is answered at once, with the cause.
        def count_pages() -> int:
            with open_source(data, max_pixels=opts.max_pixels, want_layer=False, name=filename) as source:
                # Counted without expanding the selection: a header may claim 2^31 frames.
                return count_selected_pages(opts.pages, source.page_count, filename)

        pages = await asyncio.to_thread(count_pages)
        if pages > settings.max_pages:
            raise _HTTPError(
                413,
                "TooManyPages",
                f"{filename}: {pages:,} pages, more than the limit of {settings.max_pages}",
            )
        store = state["store"]
        runner = state["runner"]
        sync = not run_async and pages <= settings.sync_pages
        job_options = {**overrides, "extract": extract}
        fingerprint = None
        if idempotency_key is not None:
            fingerprint = hashlib.sha256(
                data + json.dumps(job_options, sort_keys=True, default=str).encode()
            ).hexdigest()
            existing = store.get_by_idempotency_key(owner, idempotency_key)
            if existing is not None and existing.fingerprint != fingerprint:
                raise _HTTPError(409, "IdempotencyConflict", str(IdempotencyConflict(idempotency_key)))
        if (idempotency_key is None or existing is None) and store.pending() >= capacity:
            retry = max(1, math.ceil(runner.seconds_per_job * capacity / settings.workers))
            raise _HTTPError(
                503,
                "QueueFull",
                f"{capacity} documents queued or running; retry in {retry} s",
                headers={"Retry-After": str(retry)},
            )
        try:
            job_id, _created = store.add(
                data,
                filename,
                job_options,
                sync=sync,
                owner=owner,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
            )
        except IdempotencyConflict as exc:
            raise _HTTPError(409, "IdempotencyConflict", str(exc)) from None
        keep = idempotency_key is not None  # a retry may come back for it: it expires with the TTL
        ttl = settings.result_ttl
        if not sync:
            runner.notify()
            return JSONResponse(
                status_code=202,
                content=store.get(job_id).public(ttl),
                headers={"Location": f"/v1/jobs/{job_id}"},
            )
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        with waiters_lock:
            waiters.setdefault(job_id, []).append((loop, future))
        runner.notify()
        job = store.get(job_id)
        try:
            if job.status not in (DONE, FAILED):
                deadline = loop.time() + settings.request_timeout
                while not future.done():
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise TimeoutError
                    try:
                        await asyncio.wait_for(
                            asyncio.shield(future), timeout=min(DISCONNECT_POLL, remaining)
                        )
                    except TimeoutError:
                        if not keep and await request.is_disconnected():
                            # Nobody waits for this answer: drop the job; its reader stops at the next page.
                            store.delete(job_id)
                            return _error(499, "ClientClosedRequest", f"{filename}: the client went away")
        except TimeoutError:
            store.set_async(job_id)
            return JSONResponse(
                status_code=202,
                content=store.get(job_id).public(ttl),
                headers={"Location": f"/v1/jobs/{job_id}"},
            )
        except asyncio.CancelledError:  # the client went away: nobody will fetch this job
            if not keep:
                store.delete(job_id)
            raise
        finally:
            with waiters_lock:
                mine = [w for w in waiters.get(job_id, []) if w[1] is not future]
                if mine:
                    waiters[job_id] = mine
                else:
                    waiters.pop(job_id, None)
        job = store.get(job_id)
        if job is None:  # deleted by its owner meanwhile
            return _error(404, "NotFound", f"job {job_id} was deleted before it finished")
        if not keep:
            store.delete(job_id)
        # With an Idempotency-Key the job is kept for retries: X-Job-Id lets the client delete it.
        headers = {"X-Job-Id": job_id} if keep else None
        if job.status == FAILED:
            return _error(job.error.get("status", 500), job.error["type"], job.error["message"], headers)
        return JSONResponse(content=job.result, headers=headers)

    @app.get("/v1/jobs/{job_id}", tags=["jobs"])
    async def get_job(request: Request, job_id: str):
        """A job's status, and its result (document JSON) or error when finished. Only the key that
        made a job sees it; ``expires`` says when a finished job is deleted."""
        job = state["store"].get(job_id, owner=owner_of(request))
        if job is None:
            return _error(404, "NotFound", f"no job {job_id[:64]}")
        return job.public(settings.result_ttl)

    @app.get(
        "/v1/documents/{job_id}/review",
        tags=["documents"],
        response_class=HTMLResponse,
        responses={404: {}, 409: {}},
    )
    async def review_document(request: Request, job_id: str):
        """The review page of a finished job (one self-contained HTML page: page images with word boxes
        coloured by confidence, raw and corrected text, extracted fields). Jobs are kept for asynchronous
        requests and for requests sent with an Idempotency-Key (``X-Job-Id``), until they expire."""
        from clearocr.document import Document
        from clearocr.export.review import to_review_html

        owner = owner_of(request)
        job = state["store"].get(job_id, owner=owner)
        if job is None:
            return _error(404, "NotFound", f"no job {job_id[:64]}")
        if job.status != DONE:
            return _error(
                409, "NotFinished", f"job {job_id} is {job.status}; its review exists once it is done"
            )
        data = state["store"].upload(job_id, owner)
        document = Document.from_dict(job.result)
        html = await run_in_threadpool(to_review_html, document, data, images=data is not None)
        return HTMLResponse(html)

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"], status_code=204)
    async def delete_job(request: Request, job_id: str):
        """Remove a job and its result (a running job's outcome is then discarded)."""
        if not state["store"].delete(job_id, owner=owner_of(request)):
            return _error(404, "NotFound", f"no job {job_id[:64]}")
        return None

    @app.post("/v1/token", tags=["auth"], responses={400: {}, 401: {}, 429: {}})
    async def token(
        request: Request,
        grant_type: str | None = Form(None, description="client_credentials"),
        client_id: str | None = Form(None),
        client_secret: str | None = Form(None),
        scope: str | None = Form(None, description="Ignored: a token allows everything an API key does."),
    ):
        """OAuth 2.0 client credentials (RFC 6749 section 4.4): a client id and secret, in the form or
        in HTTP Basic auth, for a bearer access token valid ``expires_in`` seconds. Errors follow
        RFC 6749 section 5.2 (``{"error": "invalid_client"}``, ...). After
        :data:`TOKEN_MAX_FAILURES` wrong secrets for one client id (or :data:`TOKEN_MAX_FAILURES_PER_ADDRESS`
        from one address) in :data:`TOKEN_FAILURE_WINDOW` seconds, attempts get 429 with
        ``Retry-After`` until the window has passed, whatever the secret."""

        def oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None):
            return JSONResponse(
                status_code=status,
                content={"error": error, "error_description": description},
                headers=headers,
            )

        authorization = request.headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            credentials = _basic_credentials(authorization[6:])
            if credentials is None:
                return oauth_error(
                    400, "invalid_request", "malformed Basic credentials: base64 of client_id:client_secret"
                )
            client_id, client_secret = credentials
        if not grant_type:
            return oauth_error(400, "invalid_request", "grant_type is required (client_credentials)")
        if grant_type != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
        if not client_id or not client_secret:
            return oauth_error(400, "invalid_request", "client_id and client_secret are required")
        address = request.client.host if request.client else "unknown"
        keys = (f"client:{client_id[:200]}", f"address:{address}")
        wait = max(client_throttle.retry_after(keys[0]), address_throttle.retry_after(keys[1]))
        if wait:
            return oauth_error(
                429,
                "too_many_requests",
                f"too many failed attempts; retry in {wait} s",
                {"Retry-After": str(wait)},
            )
        if not tokens.check_client(client_id, client_secret):
            client_throttle.fail(keys[0])
            address_throttle.fail(keys[1])
            return oauth_error(
                401,
                "invalid_client",
                "unknown client or wrong secret",
                {"WWW-Authenticate": 'Basic realm="clearocr"'},
            )
        return JSONResponse(
            content={
                "access_token": tokens.issue(client_id),
                "token_type": "Bearer",
                "expires_in": int(tokens.ttl),
            },
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    return RequestGuard(
        app,
        authenticate,
        settings.max_upload_bytes + 64 * 1024,
        open_paths=frozenset({"/healthz", "/v1/token"}),
    )


def _basic_credentials(encoded: str) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from HTTP Basic credentials (RFC 7617; RFC 6749 2.3.1 form-encodes
    both parts), or None when they are not base64 of ``id:secret``."""
    import base64
    import binascii
    from urllib.parse import unquote_plus

    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


def _check_engine(opts: ReadOptions) -> None:
    """Refuse a request for an engine this server does not know, or a language it cannot read.

    Raises:
        OptionsError: an unknown engine name (422; ``EngineUnavailableError`` is kept for engines the
            server knows but cannot load, a server-side problem).
        UnsupportedLanguageError: a language the engine cannot read here (422).
    """
    from clearocr.engines import ENGINES, engine_class, engine_names, ocr_languages

    if opts.engine not in ENGINES:
        raise OptionsError(
            f"engine: {opts.engine[:40]!r} is not an engine here; choose one of {', '.join(engine_names())}"
        )
    if opts.pdf_text != "layer":
        chosen = engine_class(opts.engine)
        chosen.resolve_languages(ocr_languages(chosen, opts.languages))


def _parse_options(options: str | None) -> dict[str, Any]:
    """The ``options`` form field: a JSON object of ReadOptions fields.

    Raises:
        OptionsError: not JSON, not an object, too long or too deeply nested (422, never a 500).
    """
    if not options:
        return {}
    if len(options) > 64 * 1024:
        raise OptionsError(f"options: {len(options):,} characters, over the limit of 65,536")
    try:
        parsed = json.loads(options)
    except RecursionError:
        raise OptionsError("options: nested too deeply") from None
    except ValueError as exc:
        raise OptionsError(f"options: not valid JSON ({exc})") from None
    if not isinstance(parsed, dict):
        raise OptionsError(
            f'options: must be a JSON object such as {{"languages": "en,sv"}}, not {type(parsed).__name__}'
        )
    return parsed


class _HTTPError(Exception):
    def __init__(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.headers = status, kind, message, headers


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None):
    from fastapi.responses import JSONResponse

    return JSONResponse(
        status_code=status, content={"error": {"type": kind, "message": message}}, headers=headers
    )


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
