"""The exporter record every output format is registered as."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Exporter:
    """An output format: its name, file suffix and how it is made.

    ``render(document)`` returns text; a format with ``needs_source`` (the searchable PDF) is made by
    ``render(document, source)`` from the input too and returns bytes."""

    name: str
    suffix: str
    render: Callable[..., str | bytes]
    needs_source: bool = False
    description: str = ""
