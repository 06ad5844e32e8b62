"""clearocr as an HTTP service: ``clearocr serve`` (FastAPI + uvicorn, SQLite job store).

Needs the ``server`` extra: ``pip install 'clearocr[server]'``.
"""

from clearocr.server.app import (
    ServerSettings,
    TokenIssuer,
    create_app,
    hash_key,
    load_client_hashes,
    load_key_hashes,
)

__all__ = ["ServerSettings", "TokenIssuer", "create_app", "hash_key", "load_client_hashes", "load_key_hashes"]
