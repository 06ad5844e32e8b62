"""Batch reading: many documents, worker processes (or a Ray cluster), a manifest, and resume.

The unit of work is :func:`process_item`: read one input, write its output atomically, and return a
manifest record. The same function runs in local worker processes (:func:`run_local`) and inside a
Ray Data actor pool (:mod:`clearocr.batch_ray`), so both produce the same outputs and manifest.

Manifest (``OUTDIR/manifest.jsonl``, one JSON object per line, appended as each document finishes)::

    {"input": "scans/a.png", "output": "out/a.json", "status": "ok" | "error" | "skipped",
     "sha256": "<input content hash>", "options": "<options hash>", "pages": 1, "seconds": 1.2,
     "error": {"type": "CorruptInputError", "message": "scans/a.png: ..."} | null, "time": "<ISO 8601>"}

Resume: an input whose latest ``ok`` record has the same content hash and options hash, and whose
output file exists, is skipped (recorded as ``skipped``) without being read again.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from clearocr.errors import ClearOCRError, InputError
from clearocr.export import FORMATS, export, write_atomic
from clearocr.options import ReadOptions

#: File suffixes collected from directories (case-insensitive).
DOCUMENT_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".pdf"})
MANIFEST_NAME = "manifest.jsonl"


@dataclass
class BatchItem:
    """One input and where its output goes.

    Attributes:
        input: a local path, or a URI (``s3://``, ``gs://``, ``hdfs://`` ...) that pyarrow's filesystems read.
        output: the output file path (local); None: the record carries the exported text as ``content``.
        previous_sha256: the content hash of the last successful run, when its output exists (resume).
    """

    input: str
    output: str | None
    previous_sha256: str | None = None


@dataclass
class BatchSettings:
    """What every worker needs to process items: options, output format, extraction, engine setup."""

    options: dict[str, Any]
    fmt: str = "json"
    extract: str = "none"
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    engines: dict[str, str] = field(default_factory=dict)  # extra registry entries, name -> "module:Class"

    def options_hash(self) -> str:
        """A short hash of everything that changes an output (a changed option means re-reading)."""
        key = json.dumps([self.options, self.fmt, self.extract], sort_keys=True, default=str)
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def _is_uri(value: str) -> bool:
    return "://" in value and not os.path.exists(value)


def expand_inputs(inputs: Iterable[str]) -> list[tuple[str, str]]:
    """Expand directories (recursively), globs and ``@list.txt`` files into documents.

    Args:
        inputs: paths, directories, glob patterns (``scans/**/*.png``), ``@FILE`` (one input per line,
            ``#`` comments), or URIs (``s3://bucket/dir/``) read with pyarrow's filesystems.

    Returns:
        ``(input, relative_name)`` pairs in a stable order; ``relative_name`` names the output (the
        path below the given directory, or the file name).

    Raises:
        InputError: a path that does not exist, a glob that matches nothing, an unreadable list file.
    """
    pairs: list[tuple[str, str]] = []
    for raw in inputs:
        if raw.startswith("@"):
            list_path = Path(raw[1:])
            try:
                lines = list_path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise InputError(str(list_path), f"cannot read the input list ({exc.strerror or exc})") from None
            entries = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
            pairs.extend(expand_inputs(entries))
        elif _is_uri(raw):
            pairs.extend(_expand_uri(raw))
        elif os.path.isdir(raw):
            root = Path(raw)
            found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)
            pairs.extend((str(p), p.relative_to(root).as_posix()) for p in found)
        elif os.path.exists(raw):
            pairs.append((raw, Path(raw).name))
        elif glob.has_magic(raw):
            matches = sorted(m for m in glob.glob(raw, recursive=True) if os.path.isfile(m))
            if not matches:
                raise InputError(raw, "the pattern matches no file")
            pairs.extend((m, Path(m).name) for m in matches)
        else:
            raise InputError(raw, "no such file or directory")
    return pairs


def _expand_uri(uri: str) -> list[tuple[str, str]]:
    """A URI naming a file or a folder on a pyarrow filesystem (S3, GCS, HDFS, file://)."""
    try:
        from pyarrow import fs
    except ImportError:
        raise InputError(uri, "URIs need pyarrow (pip install 'clearocr[ray]')") from None
    filesystem, path = fs.FileSystem.from_uri(uri)
    info = filesystem.get_file_info(path)
    scheme = uri.split("://", 1)[0]
    if info.type == fs.FileType.NotFound:
        raise InputError(uri, "no such file or directory")
    if info.type == fs.FileType.File:
        return [(uri, Path(path).name)]
    selector = fs.FileSelector(path, recursive=True)
    files = sorted(
        i.path for i in filesystem.get_file_info(selector)
        if i.type == fs.FileType.File and Path(i.path).suffix.lower() in DOCUMENT_SUFFIXES
    )
    return [(f"{scheme}://{p}", Path(p).relative_to(path).as_posix()) for p in files]


def read_input_bytes(source: str) -> bytes:
    """The bytes of a local path or a pyarrow-filesystem URI.

    Raises:
        InputError: missing or unreadable input.
    """
    if _is_uri(source):
        from pyarrow import fs

        filesystem, path = fs.FileSystem.from_uri(source)
        try:
            with filesystem.open_input_stream(path) as stream:
                return stream.read()
        except (OSError, FileNotFoundError) as exc:
            raise InputError(source, f"cannot read ({exc})") from None
    try:
        return Path(source).read_bytes()
    except FileNotFoundError:
        raise InputError(source, "no such file") from None
    except IsADirectoryError:
        raise InputError(source, "is a directory, not a document") from None
    except OSError as exc:
        raise InputError(source, f"cannot read file ({exc.strerror or exc})") from None


def plan(inputs: Iterable[str], output_dir: Path, fmt: str, settings: BatchSettings | None = None,
         resume: bool = True) -> list[BatchItem]:
    """Items for ``inputs``: output paths under ``output_dir`` (same relative layout, format suffix)
    and, when ``resume``, the content hash of each input's last successful run from the manifest.

    Raises:
        InputError: see :func:`expand_inputs`.
    """
    suffix = FORMATS[fmt]
    pairs = expand_inputs(inputs)
    seen: dict[str, int] = {}
    items: list[BatchItem] = []
    for source, relative in pairs:
        stem = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
        name = stem + suffix
        if name in seen:  # a.png and a.pdf in one folder: keep the full name
            name = relative + suffix
        seen[name] = seen.get(name, 0) + 1
        items.append(BatchItem(source, str(output_dir / name)))
    if resume:
        previous = latest_records(output_dir / MANIFEST_NAME)
        options_hash = settings.options_hash() if settings else None
        for item in items:
            record = previous.get(item.input)
            if (
                record
                and record.get("status") in ("ok", "skipped")
                and record.get("options") == options_hash
                and record.get("output") == item.output
                and os.path.exists(item.output)
            ):
                item.previous_sha256 = record.get("sha256")
    return items


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
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "Manifest":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the per-document function, shared by local workers and Ray actors -----------------------------


class DocumentProcessor:
    """Holds one :class:`~clearocr.pipeline.Reader` (engines loaded once) and processes items.

    Args:
        settings: the batch's :class:`BatchSettings`.
    """

    def __init__(self, settings: BatchSettings) -> None:
        from clearocr.engines import _REGISTRY
        from clearocr.pipeline import Reader

        for name, target in settings.engines.items():
            _REGISTRY.setdefault(name, target)
        self.settings = settings
        self.options = ReadOptions.build(**settings.options)
        self.options_hash = settings.options_hash()
        self.reader = Reader(self.options, engine_options=settings.engine_options)

    def __call__(self, item: BatchItem) -> dict[str, Any]:
        return process_item(item, self)

    def close(self) -> None:
        self.reader.close()


def process_item(item: BatchItem, processor: DocumentProcessor) -> dict[str, Any]:
    """Read ``item.input``, write ``item.output`` atomically, and return its manifest record.

    Never raises for a bad document: the error goes into the record (``status: "error"``).
    """
    started = time.perf_counter()
    record: dict[str, Any] = {
        "input": item.input, "output": item.output, "status": "ok", "sha256": None,
        "options": processor.options_hash, "pages": 0, "seconds": 0.0, "error": None,
    }
    try:
        data = read_input_bytes(item.input)
        record["sha256"] = hashlib.sha256(data).hexdigest()
        if item.output and item.previous_sha256 == record["sha256"] and os.path.exists(item.output):
            record["status"] = "skipped"
        else:
            document = processor.reader.read(data, name=item.input)
            if processor.settings.extract == "invoice":
                from clearocr.extraction import RuleExtractor

                document.fields = RuleExtractor(processor.options.languages).extract(document).to_dict()
            content = export(document, processor.settings.fmt)
            if item.output:
                write_atomic(Path(item.output), content)
            else:
                record["content"] = content
            record["pages"] = len(document.pages)
    except Exception as exc:  # one bad document must not stop the batch
        record["status"] = "error"
        message = str(exc) if isinstance(exc, ClearOCRError) else f"{item.input}: unexpected {type(exc).__name__}: {exc}"
        record["error"] = {"type": type(exc).__name__, "message": message,
                           "exit_code": getattr(exc, "exit_code", 1)}
    record["seconds"] = round(time.perf_counter() - started, 3)
    record["time"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return record


def registry_targets() -> dict[str, str]:
    """Every registered engine as ``"module:Class"``, so a fresh worker process can import engines
    registered at run time (plugins, tests)."""
    from clearocr.engines import _REGISTRY

    return {
        name: entry if isinstance(entry, str) else f"{entry.__module__}:{entry.__qualname__}"
        for name, entry in _REGISTRY.items()
    }


@dataclass
class BatchSummary:
    """Counts of a finished batch run."""

    ok: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    seconds: float = 0.0
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        self.pages += record.get("pages") or 0
        if record["status"] == "ok":
            self.ok += 1
        elif record["status"] == "skipped":
            self.skipped += 1
        else:
            self.failed += 1

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("records")
        return data


def run_local(
    items: list[BatchItem],
    settings: BatchSettings,
    manifest_path: Path,
    *,
    jobs: int = 1,
    recycle_after: int | None = 200,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> BatchSummary:
    """Process ``items`` in ``jobs`` worker processes, appending each record to the manifest.

    Each worker is a fresh (spawned) process that loads the engine once; after ``recycle_after``
    documents it is replaced, which keeps memory flat over long runs (onnxruntime and PaddleOCR-style
    pipelines have been reported to grow over thousands of pages). A worker that dies natively
    (SIGSEGV, OOM kill) fails only the document it held (``WorkerCrashedError`` with the signal in
    the manifest) and is replaced (:func:`clearocr.workers.run_isolated`). ``jobs=0`` runs in this
    process, unprotected.

    Args:
        items: from :func:`plan`.
        settings: options and output format.
        manifest_path: the JSONL manifest to append to.
        jobs: worker processes (0: in-process, for debugging and small runs).
        recycle_after: documents per worker process before it is replaced (None: never).
        on_record: called in this process with each record as it arrives (progress display).

    Returns:
        A :class:`BatchSummary`.
    """
    summary = BatchSummary()
    started = time.perf_counter()
    with Manifest(manifest_path) as manifest:

        def finish(record: dict[str, Any]) -> None:
            manifest.write(record)
            summary.add(record)
            if on_record:
                on_record(record)

        if jobs == 0:
            processor = DocumentProcessor(settings)
            try:
                for item in items:
                    finish(process_item(item, processor))
            finally:
                processor.close()
        else:
            from clearocr.workers import run_isolated

            for record in run_isolated(items, settings, jobs=jobs, recycle_after=recycle_after):
                finish(record)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
