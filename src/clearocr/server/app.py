"""The HTTP API (FastAPI): ``POST /v1/documents``, ``GET``/``DELETE /v1/jobs/{id}``, health checks.

A thin layer over :class:`~clearocr.pipeline.Reader` and the SQLite :class:`~.jobs.JobStore`
(modules: :mod:`.settings`, :mod:`.auth`, :mod:`.forms`, :mod:`.state`, :mod:`.routes`, :mod:`.jobs`):

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

from __future__ import annotations

from typing import Any

from clearocr.errors import ClearOCRError, OptionsError
from clearocr.server.auth import (
    Authenticator,
    RequestGuard,
    TokenIssuer,
    hash_key,
    load_client_hashes,
    load_key_hashes,
)
from clearocr.server.responses import HTTPError, error_response
from clearocr.server.settings import SERVER_ONLY_OPTIONS, ServerSettings
from clearocr.server.state import ServerState

__all__ = [
    "SERVER_ONLY_OPTIONS",
    "ServerSettings",
    "TokenIssuer",
    "create_app",
    "hash_key",
    "load_client_hashes",
    "load_key_hashes",
]


def create_app(settings: ServerSettings, *, reader: Any = None) -> RequestGuard:
    """The FastAPI application (routes in :mod:`clearocr.server.routes`), wrapped in :class:`RequestGuard`.

    Args:
        settings: :class:`ServerSettings`.
        reader: a :class:`~clearocr.pipeline.Reader` shared by every worker (tests); default: one
            reader per worker made from ``settings.options`` with ``settings.threads`` (or
            ``cores // workers``) inference threads each, engines loaded at start-up, closed at shutdown.

    Raises:
        OptionsError: no API key configured.
    """
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from clearocr.server.routes import router  # FastAPI is the server extra's: imported when a server is made

    if not settings.api_key_hashes and not settings.client_secret_hashes:
        raise OptionsError(
            "no API key or client configured: set CLEAROCR_API_KEYS or pass --keys-file (see "
            "`clearocr api-key`), or CLEAROCR_CLIENTS / --clients-file (see `clearocr client-credentials`)"
        )
    state = ServerState(settings, reader)
    app = FastAPI(
        title="clearocr",
        version=_version(),
        lifespan=state.lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Local document OCR: images and PDFs to text, boxes, confidences and invoice fields.",
    )
    app.state.server = state

    @app.exception_handler(ClearOCRError)
    async def clearocr_error(request: Request, exc: ClearOCRError) -> Any:
        return error_response(exc.http_status, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Any:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error_response(422, "RequestValidationError", problems)

    @app.exception_handler(StarletteHTTPException)
    async def starlette_error(request: Request, exc: StarletteHTTPException) -> Any:
        kind = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return error_response(exc.status_code, kind, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(HTTPError)
    async def http_error(request: Request, exc: HTTPError) -> Any:
        return error_response(exc.status, exc.kind, exc.message, exc.headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Any:
        # Starlette calls this from its outermost middleware and then re-raises (the traceback is
        # logged); the client gets JSON, not a plain-text 500.
        return error_response(
            500, "InternalServerError", f"unexpected {type(exc).__name__} on the server (see its log)"
        )

    app.include_router(router)
    return RequestGuard(
        app,
        Authenticator(settings.api_key_hashes, state.tokens),
        settings.max_upload_bytes + 64 * 1024,
        open_paths=frozenset({"/healthz", "/v1/token"}),
    )


def _version() -> str:
    from clearocr import __version__

    return __version__
