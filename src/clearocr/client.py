"""Python client for ``clearocr serve``: uploads, jobs, and retries done properly.

Every upload carries an ``Idempotency-Key`` (one random key per document, the same on each retry), so a
retry after a timeout returns the job the first attempt made instead of reading the document twice;
jobs the client has read are deleted from the server.

Retries (tenacity) cover connection failures and the answers that mean "try again later" (429 and
503, honouring ``Retry-After``), with exponential backoff and full jitter in between, so 50 clients
hitting a full queue spread out instead of retrying in lock-step. Other errors (401, 413, 422, a
corrupt document) are not retried: they raise :class:`APIError` at once with the server's message.

Example::

    from clearocr.client import Client

    with Client("http://127.0.0.1:8080", api_key="...") as client:
        document = client.read("receipt.jpg", languages="en")      # the document JSON (dict)
        job_id = client.submit("report.pdf", pages="1-40")         # 202: read in the background
        document = client.wait(job_id, timeout=600)
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any, BinaryIO

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from clearocr.errors import APIError, AuthenticationError, ClearOCRError

log = logging.getLogger("clearocr.client")


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, APIError):
        return exc.retryable
    return isinstance(exc, (httpx.TransportError,))


class _WaitRetryAfter:
    """Wait what the server asked for (Retry-After), else exponential backoff with full jitter
    (a random wait in [0, initial * 2**attempt], capped: AWS Architecture Blog, "Exponential Backoff
    And Jitter", 2015)."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.backoff = wait_random_exponential(multiplier=initial, max=maximum)
        self.maximum = maximum

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        fallback = self.backoff(state)
        if isinstance(exc, APIError) and exc.retry_after is not None:
            # Spread the retries over the hinted period instead of all arriving together.
            return min(self.maximum, exc.retry_after + fallback * 0.5)
        return fallback


class ClientCredentialsAuth(httpx.Auth):
    """OAuth 2.0 client credentials (RFC 6749 section 4.4) for httpx: fetches a bearer token from
    ``token_url`` with the client id and secret (HTTP Basic), sends it on every request, and fetches a
    new one when it is about to expire or when the server answers 401 (a restarted server forgets its
    tokens). Thread-safe.

    Raises:
        AuthenticationError: the token endpoint refused the client (``invalid_client``).
    """

    requires_response_body = True

    def __init__(self, token_url: str, client_id: str, client_secret: str) -> None:
        import threading

        self.token_url = token_url
        self._basic = httpx.BasicAuth(client_id, client_secret)
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def _token_request(self) -> httpx.Request:
        request = httpx.Request("POST", self.token_url, data={"grant_type": "client_credentials"})
        return next(self._basic.auth_flow(request))

    def _store(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            try:
                body = response.json()
            except (json.JSONDecodeError, ValueError):
                body = {}
            message = (
                f"token request refused: HTTP {response.status_code} {body.get('error', '')} "
                f"{body.get('error_description', response.text[:200])}".strip()
            )
            raise AuthenticationError(message, response.status_code, body.get("error", ""))
        body = response.json()
        self._token = body["access_token"]
        # Renew a little early so a request never arrives with a token that expires on the way.
        self._expires = time.monotonic() + max(1.0, float(body.get("expires_in", 300)) * 0.9)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            fresh = self._token is not None and time.monotonic() < self._expires
        if not fresh:
            self._store((yield self._token_request()))
        request.headers["Authorization"] = f"Bearer {self._token}"
        response = yield request
        if response.status_code == 401:
            self._store((yield self._token_request()))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


class Client:
    """A connection to a clearocr server.

    Authentication: an API key, or OAuth 2.0 client credentials (``client_id`` + ``client_secret``:
    bearer tokens from ``POST /v1/token``, renewed as they expire).

    Args:
        base_url: e.g. ``http://127.0.0.1:8080``.
        api_key: sent as ``Authorization: Bearer``; default: ``CLEAROCR_API_KEY``.
        client_id, client_secret: OAuth 2.0 client credentials (instead of an API key); default:
            ``CLEAROCR_CLIENT_ID`` / ``CLEAROCR_CLIENT_SECRET``.
        timeout: seconds per HTTP request (a synchronous read waits for the OCR).
        retries: attempts per call, the first included.
        backoff: first backoff in seconds (doubles per attempt, with jitter).
        max_backoff: longest single wait, seconds.
        max_retry_time: give up retrying after this many seconds in total.
        transport: an httpx transport (tests).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float = 300.0,
        retries: int = 8,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_time: float = 600.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        client_id = client_id or (None if api_key else os.environ.get("CLEAROCR_CLIENT_ID"))
        client_secret = client_secret or (None if api_key else os.environ.get("CLEAROCR_CLIENT_SECRET"))
        auth: httpx.Auth | None = None
        headers: dict[str, str] = {}
        if client_id or client_secret:
            if not (client_id and client_secret):
                raise ClearOCRError("client credentials need both client_id and client_secret")
            auth = ClientCredentialsAuth(f"{base_url.rstrip('/')}/v1/token", client_id, client_secret)
        else:
            key = api_key if api_key is not None else os.environ.get("CLEAROCR_API_KEY")
            headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, auth=auth, timeout=timeout, transport=transport
        )
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_time = max_retry_time
        self.attempts = 0  # requests made, retries included (for monitoring and tests)

    # --- requests -------------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(self.retries) | stop_after_delay(self.max_retry_time),
            wait=_WaitRetryAfter(self.backoff, self.max_backoff),
            reraise=True,
        )
        attempt_count = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempt_count += 1
                    self.attempts += 1
                    response = self._send(method, url, **kwargs)
        except APIError as exc:
            exc.attempts = attempt_count
            if exc.retryable and attempt_count > 1:
                raise APIError(
                    f"{exc} (gave up after {attempt_count} attempts)", exc.status, exc.kind, attempt_count
                ) from exc
            raise
        except httpx.TransportError as exc:
            raise APIError(
                f"cannot reach {self._http.base_url} ({type(exc).__name__}: {exc}); gave up after {attempt_count} attempts",
                0,
                type(exc).__name__,
                attempt_count,
            ) from exc
        return response

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        files = kwargs.pop("files", None)
        if files:  # file objects are consumed by a send: rewind for a retry
            for _, (_, handle, *_) in files.items():
                if hasattr(handle, "seek"):
                    handle.seek(0)
        response = self._http.request(method, url, files=files, **kwargs)
        if response.status_code >= 400:
            try:
                error = response.json().get("error", {})
            except (json.JSONDecodeError, AttributeError):
                error = {}
            retry_after = response.headers.get("retry-after")
            error_class = AuthenticationError if response.status_code == 401 else APIError
            raise error_class(
                f"HTTP {response.status_code}: {error.get('message') or response.text[:200]}",
                response.status_code,
                error.get("type", ""),
                retry_after=float(retry_after)
                if retry_after and retry_after.replace(".", "", 1).isdigit()
                else None,
            )
        return response

    def _upload(
        self,
        source: str | os.PathLike | bytes | BinaryIO,
        filename: str | None,
        extract: str,
        options: dict[str, Any],
        run_async: bool,
    ) -> httpx.Response:
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            data: bytes | BinaryIO = path.read_bytes()
            filename = filename or path.name
        elif isinstance(source, (bytes, bytearray)):
            data = bytes(source)
        else:
            data = source
        filename = filename or getattr(source, "name", None) or "upload"
        payload = {"extract": extract}
        if options:
            payload["options"] = json.dumps(options)
        return self._request(
            "POST",
            "/v1/documents",
            params={"async": "true"} if run_async else None,
            files={"file": (Path(str(filename)).name, data, "application/octet-stream")},
            data=payload,
            headers={"Idempotency-Key": uuid.uuid4().hex},  # one key for this document, kept across retries
        )

    # --- public API -----------------------------------------------------------------------------

    def read(
        self,
        source: str | os.PathLike | bytes | BinaryIO,
        *,
        filename: str | None = None,
        extract: str = "none",
        wait_timeout: float = 600.0,
        **options: Any,
    ) -> dict[str, Any]:
        """Read a document on the server and return its JSON (``clearocr.document/1``).

        Args:
            source: a path, bytes or a binary file object.
            filename: the name the server reports (default: the path's name).
            extract: ``"invoice"`` to add key fields.
            wait_timeout: seconds to wait when the server turns the request into a job (202).
            options: :class:`~clearocr.options.ReadOptions` fields (``languages="en,sv"``, ``pages="1-2"``).

        Raises:
            APIError: the server refused the document (its status and message), or could not be
                reached / stayed busy after every retry.
        """
        response = self._upload(source, filename, extract, options, run_async=False)
        if response.status_code == 202:
            return self.wait(response.json()["id"], timeout=wait_timeout, delete=True)
        document = response.json()
        job_id = response.headers.get("x-job-id")
        if job_id:  # kept by the server for retries of this upload: no longer needed
            self._delete_quietly(job_id)
        return document

    def submit(
        self,
        source: str | os.PathLike | bytes | BinaryIO,
        *,
        filename: str | None = None,
        extract: str = "none",
        **options: Any,
    ) -> str:
        """Queue a document; returns the job id (poll with :meth:`job` or :meth:`wait`)."""
        return self._upload(source, filename, extract, options, run_async=True).json()["id"]

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's status JSON (``status``: queued | running | done | failed, ``result``, ``error``)."""
        return self._request("GET", f"/v1/jobs/{job_id}").json()

    def wait(
        self, job_id: str, *, timeout: float = 600.0, poll: float = 0.5, delete: bool = True
    ) -> dict[str, Any]:
        """Wait for a job and return its document JSON.

        Args:
            delete: remove the job from the server once its result (or error) is read.

        Raises:
            APIError: the job failed (the server's message), or it is not done after ``timeout`` s.
        """
        deadline = time.monotonic() + timeout
        delay = poll
        while True:
            job = self.job(job_id)
            if job["status"] == "done":
                if delete:
                    self._delete_quietly(job_id)
                return job["result"]
            if job["status"] == "failed":
                if delete:
                    self._delete_quietly(job_id)
                error = job.get("error") or {}
                raise APIError(
                    error.get("message", "job failed"), error.get("status", 500), error.get("type", "")
                )
            if time.monotonic() > deadline:
                raise APIError(f"job {job_id} is still {job['status']} after {timeout:.0f} s", 504, "Timeout")
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def delete(self, job_id: str) -> None:
        """Remove a job and its result from the server."""
        self._request("DELETE", f"/v1/jobs/{job_id}")

    def _delete_quietly(self, job_id: str) -> None:
        """Delete a job whose result is already in hand; a failure here loses nothing (the server
        expires it), so it is logged, not raised."""
        try:
            self._request("DELETE", f"/v1/jobs/{job_id}")
        except APIError as exc:
            if exc.status != 404:
                log.warning("could not delete job %s: %s", job_id, exc)

    def healthy(self) -> bool:
        """Whether ``/healthz`` answers (no retries)."""
        try:
            return self._http.get("/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
