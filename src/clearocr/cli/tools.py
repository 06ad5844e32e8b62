"""Small commands: ``engines``, ``llm-check``, ``api-key`` and ``client-credentials``."""

from __future__ import annotations

import json
import os

import typer
from rich.markup import escape
from rich.table import Table

from clearocr.cli.app import command, stdout_console
from clearocr.cli.flags import with_model_flags
from clearocr.engines import list_engines
from clearocr.errors import LLMError, OptionsError
from clearocr.options import LLMOptions
from clearocr.server.auth import hash_key


@command("api-key")
def api_key() -> None:
    """Make a new random API key: prints the key (give it to the client) and the line to add to the
    server's --keys-file (only the hash is stored)."""
    import secrets

    key = secrets.token_urlsafe(32)
    print(f"key:  {key}")
    print(f"hash: {hash_key(key)}")


@command("client-credentials")
def client_credentials(
    client_id: str | None = typer.Argument(None, help="The client's id (default: a random one)."),
) -> None:
    """Make OAuth 2.0 client credentials: prints the client id and secret (give them to the client) and
    the line to add to the server's --clients-file (only the secret's hash is stored)."""
    import secrets

    client_id = client_id or f"client-{secrets.token_hex(6)}"
    if not client_id.isprintable() or " " in client_id or ":" in client_id or "," in client_id:
        raise OptionsError("a client id has no spaces, ':' or ','")
    secret = secrets.token_urlsafe(32)
    print(f"client_id:     {client_id}")
    print(f"client_secret: {secret}")
    print(f"clients-file line: {client_id} {hash_key(secret)}")


@command("llm-check")
@with_model_flags(
    LLMOptions,
    lambda values: LLMOptions(**values),
    keyword="llm",
    with_set=False,
    exclude=frozenset({"llm_url", "context_size", "allow_download"}),
)
def llm_check(
    *,
    llm: LLMOptions,
) -> None:
    """Check that the installed llama.cpp build decodes real tokens with a model here (default: the
    embedded one), in a child process; exit code 0 if it does, 5 with the fix if it crashes."""
    from clearocr.llm.llamacpp import resolve_model
    from clearocr.llm.selftest import cache_path, ensure_runs

    try:
        import llama_cpp

        path = resolve_model(llm.llm_model, llm.llm_quantization, allow_download=False)
        os.environ["CLEAROCR_LLM_SELFTEST"] = "1"
        cache_path().unlink(missing_ok=True)  # check afresh, not from the cache
        result = ensure_runs(path, llm.gpu_layers)
    except ImportError as exc:
        raise LLMError(f"llama-cpp-python is not installed ({exc}); pip install 'clearocr[llm]'") from None
    mode = "" if result.extra_bufts else " (only without extra buffer types: slower; rebuild for full speed)"
    print(f"llama-cpp-python {llama_cpp.__version__}, {path.name}: {result.detail}{mode}")


@command()
def engines(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List OCR engines, their versions, languages (ISO 639-1) and whether they can run here."""
    infos = list_engines()
    if as_json:
        print(json.dumps([info.__dict__ for info in infos], indent=2))
        return
    table = Table(title="OCR engines")
    for column in ("engine", "version", "languages", "status"):
        table.add_column(column)
    for info in infos:
        name = info.name + (" (default)" if info.default else "")
        status = (
            "[green]available[/green]"
            if info.available
            else f"[red]unavailable[/red]: {escape(info.reason or '')}"
        )
        table.add_row(name, info.version or "-", ",".join(info.languages) or "-", status)
    stdout_console().print(table)
