"""Error answers: every error the API gives, 500 included, is JSON ``{"error": {"type", "message"}}``."""

from __future__ import annotations


class HTTPError(Exception):
    """An answer other than 2xx, raised by a route and turned into JSON by the application."""

    def __init__(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.headers = status, kind, message, headers


def error_response(status: int, kind: str, message: str, headers: dict[str, str] | None = None):
    """The JSON error answer ``{"error": {"type", "message"}}`` with ``status`` and ``headers``."""
    from fastapi.responses import JSONResponse

    return JSONResponse(
        status_code=status, content={"error": {"type": kind, "message": message}}, headers=headers
    )
