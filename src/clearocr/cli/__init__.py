"""Command line: ``clearocr read``, ``extract``, ``review``, ``batch``, ``serve`` and the small tools
(typer + rich).

A thin layer: the reading flags are generated from :class:`~clearocr.options.ReadOptions` and the
server's from :class:`~clearocr.server.settings.ServerSettings` (:mod:`clearocr.cli.flags`), and errors
reach one handler (:func:`clearocr.cli.app.handle_errors`) that prints them and exits with their code.
Nothing in clearocr imports this package.
"""

from __future__ import annotations

# Importing the command modules registers their commands on ``app``, in the order --help lists them.
# isort: off
from clearocr.cli import read, extract, review, batch, serve, tools

# isort: on
from clearocr.cli.app import app, configure_logging
from clearocr.cli.flags import parse_settings
from clearocr.cli.read import output_names

__all__ = [
    "app",
    "batch",
    "configure_logging",
    "extract",
    "main",
    "output_names",
    "parse_settings",
    "read",
    "review",
    "serve",
    "tools",
]

#: The former name of :func:`~clearocr.cli.flags.parse_settings`.
_parse_settings = parse_settings


def main() -> None:  # pragma: no cover - console entry point helper
    """Run the CLI (``python -m clearocr``)."""
    app()
