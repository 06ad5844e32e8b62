"""Who may call the API: API keys (only their SHA-256 hashes are kept), OAuth 2.0 client credentials
(RFC 6749 section 4.4) with short-lived bearer tokens, and :class:`RequestGuard`, the ASGI middleware
that checks them from the headers before any of the body is read and enforces the upload cap."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from clearocr.errors import OptionsError

#: Failed client-credentials attempts allowed per client id, and per address, in the window (seconds).
TOKEN_MAX_FAILURES = 10
TOKEN_MAX_FAILURES_PER_ADDRESS = 30
TOKEN_FAILURE_WINDOW = 300.0


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


class Authenticator:
    """``headers -> owner id`` for :class:`RequestGuard`: the SHA-256 hex of a request's API key (from
    ``X-API-Key`` or ``Authorization: Bearer``), or the owner of a valid access token; None when refused.

    Args:
        key_hashes: SHA-256 hex digests of the accepted keys.
        tokens: the access tokens issued to OAuth 2.0 clients.
    """

    def __init__(self, key_hashes: list[str], tokens: TokenIssuer) -> None:
        self.key_hashes = [bytes.fromhex(h) for h in key_hashes]
        self.tokens = tokens

    def __call__(self, headers: dict[str, str]) -> str | None:
        presented = headers.get("x-api-key")
        auth = headers.get("authorization", "")
        if presented is None and auth.lower().startswith("bearer "):
            presented = auth[7:].strip()
        if not presented:
            return None
        digest = hashlib.sha256(presented.encode("utf-8")).digest()
        matched = False
        for stored in self.key_hashes:  # no early exit: the time does not depend on which key matched
            matched |= hmac.compare_digest(digest, stored)
        if matched:
            return digest.hex()
        return self.tokens.owner_of(presented)  # an OAuth 2.0 access token


def basic_credentials(encoded: str) -> tuple[str, str] | None:
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
