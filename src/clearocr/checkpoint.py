"""Page checkpoints: a long document's pages on disk as they finish, so a kill loses one page, not all.

While ``out.json`` is being made from a 60-page PDF, each finished page is appended (one JSON line,
flushed and fsynced) to ``.out.json.pages.jsonl`` beside it. The first line records what is being read
(the input's SHA-256 and the reading options' hash). When the document is complete, the real output is
written atomically and the checkpoint removed. A rerun with the same input and options takes the
checkpointed pages as they are and reads only the rest; anything else (another input, other options, a
torn last line from a kill mid-write) is ignored and overwritten.

Only OCR results are checkpointed: post-processing (correction, extraction) runs on the whole document
once every page is there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import IO, Any

from clearocr.document import Page
from clearocr.files import sibling_name

log = logging.getLogger("clearocr.checkpoint")

SCHEMA = "clearocr.checkpoint/1"


def checkpoint_path(output: Path) -> Path:
    """Where the checkpoint of ``output`` lives: a hidden file beside it, ``.NAME.pages.jsonl``
    (shortened with a hash when that would exceed the file-name limit: :func:`~clearocr.files.sibling_name`)."""
    return output.parent / sibling_name(output.name, ".", ".pages.jsonl", reserve=len(".tmp"))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class PageCheckpoint:
    """The checkpoint of one output file.

    Args:
        output: the final output path (the checkpoint sits beside it).
        key: identifies the input and options (e.g. ``{"sha256": ..., "options": ...}``); a checkpoint
            written under another key is not reused.
    """

    def __init__(self, output: Path, key: dict[str, Any]) -> None:
        self.path = checkpoint_path(output)
        self.key = key
        self._handle: IO[str] | None = None

    def load(self) -> dict[int, Page]:
        """Pages of an earlier interrupted run with the same key (by page number); ``{}`` otherwise."""
        pages: dict[int, Page] = {}
        try:
            handle = self.path.open(encoding="utf-8")
        except OSError:
            return pages
        with handle:
            try:
                header = json.loads(handle.readline())
            except json.JSONDecodeError:
                return pages
            if (
                not isinstance(header, dict)
                or header.get("schema") != SCHEMA
                or header.get("key") != self.key
            ):
                return pages
            for line in handle:
                try:
                    page = Page.from_dict(json.loads(line))
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    break  # a torn last line: the process was killed while writing it
                pages[page.number] = page
        if pages:
            log.info("%s: resuming with %d page(s) already read", self.path, len(pages))
        return pages

    def start(self, pages: dict[int, Page]) -> None:
        """Begin (or rewrite) the checkpoint with the header and the ``pages`` being reused."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"schema": SCHEMA, "key": self.key}) + "\n")
            for number in sorted(pages):
                handle.write(json.dumps(pages[number].to_dict(), ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        self._handle = self.path.open("a", encoding="utf-8")

    def add(self, page: Page) -> None:
        """Append one finished page (flushed and fsynced)."""
        if self._handle is None:
            self.start({})
        assert self._handle is not None
        self._handle.write(json.dumps(page.to_dict(), ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def discard(self) -> None:
        """Remove the checkpoint (the final output has been written)."""
        self.close()
        self.path.unlink(missing_ok=True)
