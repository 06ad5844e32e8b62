"""The HTTP/1.1 connection protocol ``clearocr serve`` runs uvicorn with: bounded connections and header
time, and JSON for the errors uvicorn itself answers.

uvicorn accepts every connection and waits for a request's headers without a time limit, so 1,100
connections that send their headers one byte a second exhaust a default file-descriptor limit (1,024)
and the server stops answering everyone, no API key needed ("slowloris"). This protocol (uvicorn's h11
protocol, subclassed):

* refuses a connection beyond ``max_connections`` in all, or beyond ``max_per_client`` from one
  address, with a JSON ``503`` and ``Retry-After`` before reading anything;
* closes a connection whose request headers are not complete ``header_timeout`` seconds after it
  opened (or after its previous response), with a JSON ``408``;
* answers a malformed request (a negative ``Content-Length``, headers over h11's 16 KiB limit such as a
  1 MB API-key header) with a JSON ``400`` instead of uvicorn's plain text.

Behind a reverse proxy (nginx, Caddy) the proxy bounds these too; see docs/service.md.
"""

from __future__ import annotations

import json
from typing import Any


def _client_host(protocol: Any) -> str | None:
    client = getattr(protocol, "client", None)
    return client[0] if client else None


def guarded_h11_protocol(max_connections: int, max_per_client: int, header_timeout: float) -> type:
    """uvicorn's ``H11Protocol`` with the limits above; pass it as ``uvicorn.run(..., http=...)``.

    Args:
        max_connections: open connections at most (keep it well under the process's file-descriptor
            limit, ``ulimit -n``).
        max_per_client: open connections at most from one client address.
        header_timeout: seconds a connection may take to send a request's headers.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _header_timer: Any = None
        _timed_cycle: Any = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            host = self.client[0] if self.client else None
            others: Any = self.connections  # uvicorn types it as a union of every protocol
            same = sum(1 for other in others if _client_host(other) == host)
            if len(self.connections) > max_connections or (host is not None and same > max_per_client):
                self._refuse(
                    503,
                    "TooManyConnections",
                    f"the server holds {len(self.connections) - 1} connections"
                    + (f", {same - 1} of them from {host}" if same > max_per_client else "")
                    + "; retry later",
                    {"retry-after": "5"},
                )
                return
            self._arm()

        def _arm(self) -> None:
            self._cancel()
            self._timed_cycle = self.cycle
            self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _cancel(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.cycle is self._timed_cycle and not self.transport.is_closing():
                self._refuse(
                    408, "RequestTimeout", f"request headers not complete within {header_timeout:g} s"
                )

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is not self._timed_cycle:  # a new request's headers are complete
                self._cancel()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request on this connection gets the same time for its headers

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            self._refuse(
                400,
                "BadRequest",
                "invalid HTTP request: malformed (e.g. a negative Content-Length) or headers over 16 KiB",
            )

        def _refuse(
            self, status: int, kind: str, message: str, headers: dict[str, str] | None = None
        ) -> None:
            """Answer ``status`` with a JSON error body, written directly (h11 may be in an error
            state), and close the connection."""
            body = json.dumps({"error": {"type": kind, "message": message}}).encode()
            reason = {400: "Bad Request", 408: "Request Timeout", 503: "Service Unavailable"}[status]
            lines = [
                f"HTTP/1.1 {status} {reason}",
                "content-type: application/json",
                f"content-length: {len(body)}",
                "connection: close",
                *[f"{k}: {v}" for k, v in (headers or {}).items()],
            ]
            try:
                self.conn.send(h11.ConnectionClosed())
            except h11.LocalProtocolError:
                pass
            self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            self.transport.close()

    return GuardedH11Protocol


def raise_file_limit(needed: int) -> int:
    """Raise this process's soft open-file limit towards its hard limit so that ``needed`` connections
    (plus files, models and the job database) fit; returns the soft limit now in force."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return needed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def uvicorn_config(application: Any, settings: Any, host: str, port: int, **extra: Any) -> Any:
    """The ``uvicorn.Config`` ``clearocr serve`` runs ``application`` with: :func:`guarded_h11_protocol`
    with ``settings``' connection limits (a :class:`~clearocr.server.app.ServerSettings`), a 5 s keep-alive,
    and the file limit raised to hold them (the connection cap is lowered to fit when it cannot be)."""
    import uvicorn

    limit = raise_file_limit(settings.max_connections)
    connections = max(1, min(settings.max_connections, limit - 256))
    protocol = guarded_h11_protocol(connections, settings.max_connections_per_client, settings.header_timeout)
    return uvicorn.Config(
        application,
        host=host,
        port=port,
        http=protocol,
        timeout_keep_alive=5,
        **{"log_level": "info", **extra},
    )
