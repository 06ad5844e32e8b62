"""Shared by the benchmarks: write a Markdown results page whose hand-written notes survive reruns."""

from __future__ import annotations

from pathlib import Path

from clearocr.files import write_atomic

#: Everything after this line in a results page is kept when the benchmark regenerates the page.
NOTES_MARKER = "<!-- notes: kept when the table is regenerated -->"


def write_page(path: str | Path, generated: str) -> None:
    """Write ``generated`` (title, method, tables) to ``path`` atomically, followed by the notes the
    page already had below :data:`NOTES_MARKER` (none for a new page)."""
    path = Path(path)
    notes = ""
    if path.exists() and NOTES_MARKER in path.read_text(encoding="utf-8"):
        notes = path.read_text(encoding="utf-8").split(NOTES_MARKER, 1)[1]
    write_atomic(path, generated.rstrip("\n") + "\n" + NOTES_MARKER + notes)
