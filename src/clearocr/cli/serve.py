"""``clearocr serve``: the HTTP API. Its flags are generated from
:class:`~clearocr.server.settings.ServerSettings` and, as the server's default reading options, from
:class:`~clearocr.options.ReadOptions` (a reading option whose flag a server setting takes, such as
``--max-pages``, is set with ``--set``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from clearocr.cli.app import command, read_option_flags
from clearocr.cli.flags import with_model_flags
from clearocr.errors import EngineUnavailableError, OptionsError
from clearocr.options import ReadOptions
from clearocr.server.settings import ServerSettings

#: ServerSettings fields that ``serve`` takes its own way (files, units, historical names).
_OWN = frozenset(
    {"api_key_hashes", "client_secret_hashes", "options", "db_path", "max_upload_bytes", "request_timeout"}
)


@command()
@read_option_flags(
    help_prefix="Default: ", settings_help="Any other default reading option as KEY=VALUE (repeatable)."
)
@with_model_flags(
    ServerSettings, lambda values: values, keyword="server_values", with_set=False, exclude=_OWN
)
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    db: Path = typer.Option(Path("clearocr-jobs.sqlite3"), "--db", help="SQLite file for jobs and results."),
    keys_file: Path | None = typer.Option(
        None,
        "--keys-file",
        help="API key SHA-256 hashes, one per line (see `clearocr api-key`); "
        "CLEAROCR_API_KEYS (comma-separated keys) is read too.",
    ),
    clients_file: Path | None = typer.Option(
        None,
        "--clients-file",
        help="OAuth 2.0 clients, 'client_id sha256-of-secret' per line (see `clearocr "
        "client-credentials`); they get bearer tokens at POST /v1/token. CLEAROCR_CLIENTS (id:secret,...) is read too.",
    ),
    max_upload_mb: float = typer.Option(20.0, "--max-upload-mb", help="Larger uploads get 413."),
    timeout: float = typer.Option(
        120.0, "--timeout", help="Seconds a synchronous request waits before 202 + job id."
    ),
    *,
    server_values: dict[str, Any],
    options: ReadOptions,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs). Every route but /healthz and /v1/token needs an API
    key or a client-credentials access token."""
    try:
        import uvicorn

        from clearocr.server import create_app, load_client_hashes, load_key_hashes
        from clearocr.server.protocol import uvicorn_config
    except ImportError as exc:
        raise EngineUnavailableError(
            f"the server needs its extra: pip install 'clearocr[server]' ({exc})"
        ) from None
    try:
        settings = ServerSettings(
            api_key_hashes=load_key_hashes(keys_file=keys_file),
            client_secret_hashes=load_client_hashes(clients_file=clients_file),
            db_path=str(db),
            options=options,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024),
            request_timeout=timeout,
            **server_values,
        )
    except ValidationError as exc:
        raise OptionsError(
            f"invalid server settings: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}"
        ) from None
    uvicorn.Server(uvicorn_config(create_app(settings), settings, host, port)).run()
