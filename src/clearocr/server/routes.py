"""The API's routes: documents, jobs, review pages, tokens, health and docs. Each reaches the server's
:class:`~clearocr.server.state.ServerState` as ``request.app.state.server``."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import math
from typing import Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from clearocr.document import Document
from clearocr.errors import OptionsError
from clearocr.export.review import to_review_html
from clearocr.io import open_source
from clearocr.options import ReadOptions, count_selected_pages
from clearocr.server.auth import basic_credentials
from clearocr.server.forms import check_engine, option_form_parameters, request_overrides
from clearocr.server.jobs import DONE, FAILED, IdempotencyConflict
from clearocr.server.responses import HTTPError, error_response
from clearocr.server.state import ServerState

#: Seconds between checks, while a synchronous request waits, that its client is still connected.
DISCONNECT_POLL = 0.5

router = APIRouter()


def _state(request: Request) -> ServerState:
    state: ServerState = request.app.state.server
    return state


def owner_of(request: Request) -> str:
    """The owner id :class:`~clearocr.server.auth.RequestGuard` found for the request's credentials."""
    return request.scope.get("state", {}).get("owner", "")


@router.get("/openapi.json", include_in_schema=False)
async def openapi_schema(request: Request):
    """The OpenAPI schema (behind the API key, like every route but /healthz)."""
    return request.app.openapi()


@router.get("/docs", include_in_schema=False)
async def docs():
    """Swagger UI; it fetches /openapi.json, so send the key from the browser (e.g. an X-API-Key header)."""
    from fastapi.openapi.docs import get_swagger_ui_html

    return get_swagger_ui_html(openapi_url="/openapi.json", title="clearocr API")


@router.get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", tags=["health"])
async def readyz(request: Request):
    """Readiness: models loaded, job workers running; includes queue depth."""
    state = _state(request)
    if state.runner is None or state.store is None or not state.runner.alive():
        return error_response(503, "NotReady", "job workers are not running")
    return {"status": "ready", "pending": state.store.pending(), "capacity": state.capacity}


def _request_options(state: ServerState, overrides: dict[str, Any]) -> ReadOptions:
    """The request's options over the server's defaults, within the server's limits (422 otherwise)."""
    settings = state.settings
    opts = ReadOptions.build(settings.options, **overrides)  # 422 with pydantic's message
    check_engine(opts)  # an unknown engine or language is the client's error (422), not the server's
    if opts.dpi > settings.max_dpi:
        raise OptionsError(f"dpi {opts.dpi} is over this server's limit of {settings.max_dpi}")
    if opts.max_side > settings.max_side_limit:
        raise OptionsError(
            f"max_side {opts.max_side} is over this server's limit of {settings.max_side_limit}"
        )
    return opts


async def _read_upload(state: ServerState, file: UploadFile, opts: ReadOptions) -> tuple[bytes, str, int]:
    """``(data, filename, pages)`` of the upload, opened now: a corrupt or oversized document is
    answered at once, with the cause (413 over the upload or page limit)."""
    settings = state.settings
    data = await file.read(settings.max_upload_bytes + 1)
    filename = file.filename or "upload"
    if len(data) > settings.max_upload_bytes:
        raise HTTPError(
            413, "UploadTooLarge", f"{filename}: over the limit of {settings.max_upload_bytes:,} bytes"
        )

    def count_pages() -> int:
        with open_source(data, max_pixels=opts.max_pixels, want_layer=False, name=filename) as source:
            # Counted without expanding the selection: a header may claim 2^31 frames.
            return count_selected_pages(opts.pages, source.page_count, filename)

    pages = await asyncio.to_thread(count_pages)
    if pages > settings.max_pages:
        raise HTTPError(
            413, "TooManyPages", f"{filename}: {pages:,} pages, more than the limit of {settings.max_pages}"
        )
    return data, filename, pages


def _add_job(
    state: ServerState,
    owner: str,
    data: bytes,
    filename: str,
    job_options: dict[str, Any],
    sync: bool,
    idempotency_key: str | None,
) -> str:
    """Queue the job (or find the one an earlier attempt with the same Idempotency-Key made).

    Raises:
        HTTPError: 409 (the key was used for another upload), 503 + Retry-After (the queue is full).
    """
    assert state.store is not None and state.runner is not None
    store, runner, capacity = state.store, state.runner, state.capacity
    fingerprint = existing = None
    if idempotency_key is not None:
        fingerprint = hashlib.sha256(
            data + json.dumps(job_options, sort_keys=True, default=str).encode()
        ).hexdigest()
        existing = store.get_by_idempotency_key(owner, idempotency_key)
        if existing is not None and existing.fingerprint != fingerprint:
            raise HTTPError(409, "IdempotencyConflict", str(IdempotencyConflict(idempotency_key)))
    if existing is None and store.pending() >= capacity:
        retry = max(1, math.ceil(runner.seconds_per_job * capacity / state.settings.workers))
        raise HTTPError(
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
        raise HTTPError(409, "IdempotencyConflict", str(exc)) from None
    return job_id


def _accepted(state: ServerState, job_id: str) -> JSONResponse:
    job = state.store.get(job_id) if state.store is not None else None
    assert job is not None, "a job just added or made asynchronous is in the store"
    return JSONResponse(
        status_code=202,
        content=job.public(state.settings.result_ttl),
        headers={"Location": f"/v1/jobs/{job_id}"},
    )


async def _answer_sync(state: ServerState, request: Request, job_id: str, filename: str, keep: bool) -> Any:
    """Wait for a synchronous job: its JSON when done in ``request_timeout``, else 202 + job id; a client
    that goes away meanwhile drops the job (its reader stops at the next page) unless it is kept for an
    Idempotency-Key's retries."""
    assert state.store is not None and state.runner is not None
    store = state.store
    loop = asyncio.get_running_loop()
    future = state.wait_for(job_id, loop)
    state.runner.notify()
    job = store.get(job_id)
    try:
        if job is not None and job.status not in (DONE, FAILED):
            deadline = loop.time() + state.settings.request_timeout
            while not future.done():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                try:
                    await asyncio.wait_for(asyncio.shield(future), timeout=min(DISCONNECT_POLL, remaining))
                except TimeoutError:
                    if not keep and await request.is_disconnected():
                        store.delete(job_id)
                        return error_response(499, "ClientClosedRequest", f"{filename}: the client went away")
    except TimeoutError:
        store.set_async(job_id)
        return _accepted(state, job_id)
    except asyncio.CancelledError:  # the client went away: nobody will fetch this job
        if not keep:
            store.delete(job_id)
        raise
    finally:
        state.forget(job_id, future)
    job = store.get(job_id)
    if job is None:  # deleted by its owner meanwhile
        return error_response(404, "NotFound", f"job {job_id} was deleted before it finished")
    if not keep:
        store.delete(job_id)
    # With an Idempotency-Key the job is kept for retries: X-Job-Id lets the client delete it.
    headers = {"X-Job-Id": job_id} if keep else None
    if job.status == FAILED:
        error = job.error or {}
        return error_response(
            error.get("status", 500), error.get("type", "Error"), error.get("message", ""), headers
        )
    return JSONResponse(content=job.result, headers=headers)


async def post_document(
    request: Request,
    file: UploadFile = File(..., description="The image or PDF."),
    options: str | None = Form(None, description="Reading options as a JSON object (ReadOptions fields)."),
    extract: str = Form("none", pattern="^(none|invoice)$", description="invoice: add key fields."),
    run_async: bool = Query(False, alias="async", description="Always answer 202 with a job id."),
    **fields: Any,
):
    """Read a document. Returns its JSON (clearocr.document/1), or 202 with a job to poll.

    Every reading option a client may set is a form field of its own (or a key of ``options``).
    Send an ``Idempotency-Key`` header (any unique string up to 255 characters) to make retries
    safe: the same key with the same upload returns the job the first attempt made (409 if the
    key was used for a different upload)."""
    state = _state(request)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not (0 < len(idempotency_key) <= 255):
        raise OptionsError("Idempotency-Key: 1 to 255 characters")
    form = await request.form()
    if len(form.getlist("file")) > 1:
        raise OptionsError("file: send one document per request (this request has several file parts)")
    overrides = request_overrides(list(form.keys()), fields, options)
    opts = _request_options(state, overrides)
    data, filename, pages = await _read_upload(state, file, opts)
    sync = not run_async and pages <= state.settings.sync_pages
    job_id = _add_job(
        state, owner_of(request), data, filename, {**overrides, "extract": extract}, sync, idempotency_key
    )
    if not sync:
        assert state.runner is not None
        state.runner.notify()
        return _accepted(state, job_id)
    return await _answer_sync(state, request, job_id, filename, keep=idempotency_key is not None)


# The endpoint's signature gets one form field per client option (derived from ReadOptions), so they
# are parsed by FastAPI and listed in the OpenAPI schema.
_signature = inspect.signature(post_document)
post_document.__signature__ = _signature.replace(  # type: ignore[attr-defined]
    parameters=[p for p in _signature.parameters.values() if p.kind != p.VAR_KEYWORD]
    + option_form_parameters()
)
router.post(
    "/v1/documents",
    tags=["documents"],
    responses={202: {"description": "Accepted: poll /v1/jobs/{id}"}, 409: {}, 413: {}, 422: {}, 503: {}},
)(post_document)


@router.get("/v1/jobs/{job_id}", tags=["jobs"])
async def get_job(request: Request, job_id: str):
    """A job's status, and its result (document JSON) or error when finished. Only the key that
    made a job sees it; ``expires`` says when a finished job is deleted."""
    state = _state(request)
    assert state.store is not None
    job = state.store.get(job_id, owner=owner_of(request))
    if job is None:
        return error_response(404, "NotFound", f"no job {job_id[:64]}")
    return job.public(state.settings.result_ttl)


@router.get(
    "/v1/documents/{job_id}/review",
    tags=["documents"],
    response_class=HTMLResponse,
    responses={404: {}, 409: {}},
)
async def review_document(request: Request, job_id: str):
    """The review page of a finished job (one self-contained HTML page: page images with word boxes
    coloured by confidence, raw and corrected text, extracted fields). Jobs are kept for asynchronous
    requests and for requests sent with an Idempotency-Key (``X-Job-Id``), until they expire."""
    store = _state(request).store
    assert store is not None
    owner = owner_of(request)
    job = store.get(job_id, owner=owner)
    if job is None:
        return error_response(404, "NotFound", f"no job {job_id[:64]}")
    if job.status != DONE:
        return error_response(
            409, "NotFinished", f"job {job_id} is {job.status}; its review exists once it is done"
        )
    data = store.upload(job_id, owner)
    document = Document.from_dict(job.result or {})
    html = await run_in_threadpool(to_review_html, document, data, images=data is not None)
    return HTMLResponse(html)


@router.delete("/v1/jobs/{job_id}", tags=["jobs"], status_code=204)
async def delete_job(request: Request, job_id: str):
    """Remove a job and its result (a running job's outcome is then discarded)."""
    store = _state(request).store
    assert store is not None
    if not store.delete(job_id, owner=owner_of(request)):
        return error_response(404, "NotFound", f"no job {job_id[:64]}")
    return None


def _oauth_error(
    status: int, error: str, description: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content={"error": error, "error_description": description}, headers=headers
    )


@router.post("/v1/token", tags=["auth"], responses={400: {}, 401: {}, 429: {}})
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
    :data:`~clearocr.server.auth.TOKEN_MAX_FAILURES` wrong secrets for one client id (or
    :data:`~clearocr.server.auth.TOKEN_MAX_FAILURES_PER_ADDRESS` from one address) in
    :data:`~clearocr.server.auth.TOKEN_FAILURE_WINDOW` seconds, attempts get 429 with
    ``Retry-After`` until the window has passed, whatever the secret."""
    state = _state(request)
    authorization = request.headers.get("authorization", "")
    if authorization[:6].lower() == "basic ":
        credentials = basic_credentials(authorization[6:])
        if credentials is None:
            return _oauth_error(
                400, "invalid_request", "malformed Basic credentials: base64 of client_id:client_secret"
            )
        client_id, client_secret = credentials
    if not grant_type:
        return _oauth_error(400, "invalid_request", "grant_type is required (client_credentials)")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    if not client_id or not client_secret:
        return _oauth_error(400, "invalid_request", "client_id and client_secret are required")
    address = request.client.host if request.client else "unknown"
    keys = (f"client:{client_id[:200]}", f"address:{address}")
    wait = max(state.client_throttle.retry_after(keys[0]), state.address_throttle.retry_after(keys[1]))
    if wait:
        return _oauth_error(
            429,
            "too_many_requests",
            f"too many failed attempts; retry in {wait} s",
            {"Retry-After": str(wait)},
        )
    if not state.tokens.check_client(client_id, client_secret):
        state.client_throttle.fail(keys[0])
        state.address_throttle.fail(keys[1])
        return _oauth_error(
            401,
            "invalid_client",
            "unknown client or wrong secret",
            {"WWW-Authenticate": 'Basic realm="clearocr"'},
        )
    return JSONResponse(
        content={
            "access_token": state.tokens.issue(client_id),
            "token_type": "Bearer",
            "expires_in": int(state.tokens.ttl),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
