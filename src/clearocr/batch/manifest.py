"""The batch manifest (``manifest.jsonl``): one JSON record per input, appended as each finishes."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.jsonl"


def latest_records(manifest: Path) -> dict[str, dict[str, Any]]:
    """The last manifest record per input (later lines win); an absent manifest gives ``{}``.
    A torn last line (the process was killed mid-write) is ignored."""
    records: dict[str, dict[str, Any]] = {}
    if not manifest.exists():
        return records
    with manifest.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "input" in record:
                records[record["input"]] = record
    return records


class Manifest:
    """Appends records to ``manifest.jsonl``, one flushed line each (thread-safe)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Append ``record`` as one line. A file name that is not valid UTF-8 (which Python holds with
        surrogate escapes, :func:`os.fsdecode`) is written with JSON ``\\u`` escapes, which
        ``json.loads`` turns back into the same name (``os.fsencode`` gives its bytes): every input
        gets its record, whatever its name."""
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            line = json.dumps(record, ensure_ascii=True) + "\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class BatchSummary:
    """Counts of a finished batch run."""

    ok: int = 0
    skipped: int = 0
    failed: int = 0
    ignored: int = 0
    #: Read documents whose record carries warnings (a page with no text, characters removed).
    warned: int = 0
    pages: int = 0
    seconds: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        self.pages += record.get("pages") or 0
        if record.get("warnings"):
            self.warned += 1
        if record["status"] == "ok":
            self.ok += 1
        elif record["status"] == "skipped":
            self.skipped += 1
        elif record["status"] == "ignored":
            self.ignored += 1
        else:
            self.failed += 1

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("records")
        return data
