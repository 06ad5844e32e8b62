"""Exporters: plain text, JSON (schema ``clearocr.document/1``) and hOCR.

All of them read only the :class:`~clearocr.document.Document` tree.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from clearocr.document import SCHEMA, Document

#: Output formats by name, with the file suffix each is written with.
FORMATS: dict[str, str] = {"text": ".txt", "json": ".json", "hocr": ".hocr"}


def to_text(document: Document) -> str:
    """Plain text as pdftotext writes it: every line ends with ``"\\n"``, pages are separated by
    ``"\\f"`` at the start of the next page. (``Document.text`` joins with bare ``"\\f"``.)"""
    return "\n\f".join(page.text for page in document.pages) + "\n"


def to_dict(document: Document) -> dict[str, Any]:
    """``{"schema", "source", "pages": [...], "text"}``; see :class:`~clearocr.document.Page` for pages.

    After post-processing, ``text`` stays the raw OCR text and ``corrected_text`` and ``corrections``
    are added (line and word texts in ``pages`` are the corrected ones)."""
    data = {
        "schema": SCHEMA,
        "source": document.source,
        "pages": [page.to_dict() for page in document.pages],
        "text": document.text,
    }
    if document.raw_text is not None:
        data["text"] = document.raw_text
        data["corrected_text"] = document.text
        data["corrections"] = [c.to_dict() for c in document.corrections]
    if document.fields is not None:
        data["fields"] = document.fields
    return data


def to_json(document: Document, indent: int | None = 2) -> str:
    return json.dumps(to_dict(document), ensure_ascii=False, indent=indent) + "\n"


def _title(bbox: tuple[int, int, int, int], **extra: Any) -> str:
    parts = ["bbox {} {} {} {}".format(*bbox)]
    parts += [f"{key} {value}" for key, value in extra.items()]
    return "; ".join(parts)


def to_hocr(document: Document) -> str:
    """hOCR 1.2 (http://kba.github.io/hocr-spec/1.2/): pages, lines and words with ``x_wconf`` 0-100."""
    esc = html.escape
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"'
        ' "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
        "<head>",
        f"<title>{esc(document.source)}</title>",
        '<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>',
        '<meta name="ocr-system" content="clearocr"/>',
        '<meta name="ocr-capabilities" content="ocr_page ocr_line ocrx_word"/>',
        "</head>",
        "<body>",
    ]
    for page in document.pages:
        page_title = _title(
            (0, 0, page.width, page.height),
            image=f'"{esc(document.source, quote=True)}"',
            ppageno=page.number - 1,
        )
        if page.dpi:
            page_title += f"; scan_res {round(page.dpi)} {round(page.dpi)}"
        out.append(f'<div class="ocr_page" id="page_{page.number}" title=\'{page_title}\'>')
        for li, line in enumerate(page.lines, start=1):
            out.append(
                f'<span class="ocr_line" id="line_{page.number}_{li}" title="{_title(line.bbox)}">'
            )
            for wi, word in enumerate(line.words, start=1):
                title = _title(word.bbox, x_wconf=round(word.confidence * 100))
                out.append(
                    f'<span class="ocrx_word" id="word_{page.number}_{li}_{wi}" title="{title}">'
                    f"{esc(word.text)}</span>"
                )
            out.append("</span>")
        out.append("</div>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


EXPORTERS: dict[str, Callable[[Document], str]] = {"text": to_text, "json": to_json, "hocr": to_hocr}


def export(document: Document, fmt: str) -> str:
    """Render ``document`` in format ``fmt`` (one of :data:`FORMATS`); ValueError for others."""
    try:
        return EXPORTERS[fmt](document)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def _umask() -> int:
    """The process umask: from /proc on Linux (thread-safe), else by setting it and putting it back."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` through a temp file in the same folder, fsync and a rename, so a
    reader never sees a half-written file and a crash leaves no partial output.

    The file gets the mode a plain ``open()`` would give it (``0o666`` minus the umask), not
    ``mkstemp``'s private ``0o600``.

    Raises:
        OSError: the folder cannot be created or written (nothing is left behind).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb" if isinstance(content, bytes) else "w",
                       **({} if isinstance(content, bytes) else {"encoding": "utf-8"})) as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
