"""The server's configuration, defined once: ``clearocr serve``'s flags are generated from
:class:`ServerSettings` (:mod:`clearocr.cli.serve`), and the reading options clients may not set are
named in :data:`SERVER_ONLY_OPTIONS`. Needs only pydantic (no FastAPI), so the CLI can build its flags
without the server extra."""

from __future__ import annotations

from pydantic import BaseModel, Field

from clearocr.options import ReadOptions

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
