"""Output formats: plain text, JSON (schema ``clearocr.document/1``), hOCR, ALTO, Markdown, searchable PDF
(and PDF/A), and the review page; one module per format, each reading only the
:class:`~clearocr.document.Document` tree (and, for the PDF and the review page, the input it was read
from).

Formats are found by name through one :class:`~clearocr.registry.Registry` whose built-in entries are
``"module:attribute"`` targets imported on first use (so importing this package imports no exporter,
and the document model can render itself through :func:`export` without importing one), plus the
:class:`Exporter` objects other packages declare in the ``clearocr.exporters`` entry-point group.
"""

from __future__ import annotations

from typing import Any

from clearocr.errors import OptionsError
from clearocr.export.base import Exporter
from clearocr.files import write_atomic
from clearocr.registry import Registry

__all__ = ["EXPORTERS", "Exporter", "export", "exporters", "formats", "write_atomic"]

#: The built-in formats, in the order they are listed.
_BUILTIN_FORMATS = {
    "text": "clearocr.export.text:TEXT",
    "json": "clearocr.export.text:JSON",
    "hocr": "clearocr.export.hocr:EXPORTER",
    "alto": "clearocr.export.alto:EXPORTER",
    "markdown": "clearocr.export.markdown:EXPORTER",
    "pdf": "clearocr.export.pdf:PDF",
    "pdfa": "clearocr.export.pdf:PDFA",
}

#: Output formats by name: the built-ins above, and third-party ones declared in the
#: ``clearocr.exporters`` entry-point group (an :class:`Exporter`; see :mod:`clearocr.registry`).
EXPORTERS: Registry[Exporter] = Registry(
    "output format", "clearocr.exporters", _BUILTIN_FORMATS, OptionsError
)


def exporters() -> list[Exporter]:
    """Every output format (built-in and plugin), built-ins first, in their order.

    Raises:
        OptionsError: a plugin's entry point is not an :class:`Exporter` (naming it).
    """
    order = list(_BUILTIN_FORMATS)
    out = []
    for name in sorted(
        EXPORTERS.names(), key=lambda n: (n not in order, order.index(n) if n in order else 0, n)
    ):
        exporter = EXPORTERS.get(name)
        if not isinstance(exporter, Exporter):
            raise OptionsError(f"output format {name!r} is {exporter!r}, not a clearocr.export.Exporter")
        out.append(exporter)
    return out


def formats() -> dict[str, str]:
    """Output format names (plugins included) mapped to the file suffix each is written with."""
    return {e.name: e.suffix for e in exporters()}


def export(document: Any, fmt: str, source: Any = None) -> str | bytes:
    """Render ``document`` (a :class:`~clearocr.document.Document`) in format ``fmt`` (see :func:`formats`).

    Args:
        document: the read document.
        fmt: a format name.
        source: the input the document was read from (path, bytes, PIL image), for formats made
            from it (``pdf``); default: the path in ``document.source``.

    Returns:
        Text (``str``) for text formats, ``bytes`` for ``pdf``.

    Raises:
        OptionsError (a ValueError): unknown format; PdfOutputError (pdf): the source is missing or
        does not match.
    """
    if fmt not in EXPORTERS:
        raise OptionsError(f"unknown format {fmt!r}; choose one of {', '.join(formats())}")
    exporter = EXPORTERS.get(fmt)
    if exporter.needs_source:
        return exporter.render(document, source)
    return exporter.render(document)


def __getattr__(name: str) -> Any:
    # Names this module had before the formats moved to their own modules: FORMATS (computed on first
    # use, as it lists plugins) and to_<format> (each format's render function, through the registry).
    if name == "FORMATS":
        return formats()
    if name.startswith("to_") and name[3:] in _BUILTIN_FORMATS:
        return EXPORTERS.get(name[3:]).render
    raise AttributeError(f"module 'clearocr.export' has no attribute {name!r}")
