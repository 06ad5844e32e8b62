"""clearocr as an HTTP service: ``clearocr serve`` (FastAPI + uvicorn, SQLite job store).

Needs the ``server`` extra: ``pip install 'clearocr[server]'``.
"""

from clearocr.server.app import ServerSettings, create_app, hash_key, load_key_hashes

__all__ = ["ServerSettings", "create_app", "hash_key", "load_key_hashes"]
