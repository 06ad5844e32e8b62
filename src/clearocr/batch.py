"""Batch reading: many documents, worker processes (or a Ray cluster), a manifest, and resume.

The unit of work is :func:`process_item`: read one input, write its output atomically, and return a
manifest record. The same function runs in local worker processes (:func:`run_local`) and inside a
Ray Data actor pool (:mod:`clearocr.batch_ray`), so both produce the same outputs and manifest.

Manifest (``OUTDIR/manifest.jsonl``, one JSON object per line, appended as each document finishes)::

    {"input": "scans/a.png", "output": "out/a.json", "status": "ok" | "error" | "skipped" | "ignored",
     "sha256": "<input content hash>", "options": "<options hash>", "pages": 1, "seconds": 1.2,
     "error": {"type": "CorruptInputError", "message": "scans/a.png: ..."} | null, "time": "<ISO 8601>",
     "warnings": ["no text found on page 2", ...]}

``warnings`` (read documents only) says what may be missing from an ``ok`` output: a page with no text,
characters a language restriction removed (:class:`~clearocr.document.ReadWarning`).

Every input gets a record: a missing path or an empty glob is an ``error`` record (the batch goes on),
an image type clearocr cannot read (``.heic``, ``.svg``) too, and other files found in a folder
(``notes.txt``) are ``ignored`` records. A FIFO, device or symlink loop named like a document is an
``error`` record with the cause; nothing blocks.

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
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearocr.errors import ClearOCRError, InputError
from clearocr.export import export, formats
from clearocr.files import write_atomic
from clearocr.io import document_suffixes
from clearocr.options import ReadOptions

#: Suffixes of images and documents a user may expect to be read but clearocr cannot: found in a
#: folder, each gets an ``error`` record (UnsupportedInputError) rather than being passed over.
UNSUPPORTED_DOCUMENT_SUFFIXES = frozenset(
    {
        ".heic",
        ".heif",
        ".avif",
        ".jxl",
        ".svg",
        ".eps",
        ".ps",
        ".djvu",
        ".doc",
        ".docx",
        ".odt",
        ".xps",
        ".psd",
        ".raw",
        ".cr2",
        ".nef",
        ".dng",
    }
)
MANIFEST_NAME = "manifest.jsonl"


@dataclass
class BatchItem:
    """One input and where its output goes.

    Attributes:
        input: a local path, or a URI (``s3://``, ``gs://``, ``hdfs://`` ...) that pyarrow's filesystems read.
        output: the output file path (local); None: the record carries the exported text as ``content``.
        previous_sha256: the content hash of the last successful run, when its output exists (resume).
        problem: set when the input is known not to be readable before any work (a missing path,
            an unsupported type, a file that is not a document): ``{"status": "error" | "ignored",
            "type": ..., "message": ...}``; it gets its manifest record without being read.
    """

    input: str
    output: str | None
    previous_sha256: str | None = None
    problem: dict[str, Any] | None = None


@dataclass
class BatchSettings:
    """What every worker needs to process items: options, output format, extraction, engine setup."""

    options: dict[str, Any]
    fmt: str = "json"
    extract: str = "none"
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    engines: dict[str, str] = field(default_factory=dict)  # extra registry entries, name -> "module:Class"
    #: Inference threads per worker (onnxruntime intra-op, OpenCV); None: cores // workers, so that
    #: workers x threads never oversubscribes the cores.
    threads: int | None = None

    def options_hash(self) -> str:
        """A short hash of everything that changes an output (a changed option means re-reading)."""
        key = json.dumps([self.options, self.fmt, self.extract], sort_keys=True, default=str)
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def _is_uri(value: str) -> bool:
    return "://" in value and not os.path.exists(value)


def expand_inputs(
    inputs: Iterable[str],
    problems: list[tuple[str, str, dict[str, Any]]] | None = None,
    exclude: Path | None = None,
) -> list[tuple[str, str]]:
    """Expand directories (recursively), globs and ``@list.txt`` files into documents.

    Args:
        inputs: paths, directories, glob patterns (``scans/**/*.png``), ``@FILE`` (one input per line,
            ``#`` comments), or URIs (``s3://bucket/dir/``) read with pyarrow's filesystems.
        problems: when given, inputs that cannot be documents are appended here as
            ``(input, relative_name, problem)`` (see :attr:`BatchItem.problem`) instead of raising, and
            every entry of a directory is accounted for: documents are returned (even a FIFO or a
            dangling link with a document suffix: reading it gives the typed error), unsupported
            document types are errors, other files are ``ignored``. Directory symlinks are not
            followed (no loops).
        exclude: a directory not to descend into (the batch's own output folder).

    Returns:
        ``(input, relative_name)`` pairs in a stable order; ``relative_name`` names the output (the
        path below the given directory, or the file name).

    Raises:
        InputError: (only when ``problems`` is None) a path that does not exist, a glob that matches
            nothing, an unreadable list file.
    """
    pairs: list[tuple[str, str]] = []

    def problem(raw: str, relative: str, exc: InputError, status: str = "error") -> None:
        if problems is None:
            raise exc
        problems.append((raw, relative, {"status": status, "type": type(exc).__name__, "message": str(exc)}))

    for raw in inputs:
        if raw.startswith("@"):
            list_path = Path(raw[1:])
            try:
                lines = list_path.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                problem(
                    raw,
                    list_path.name,
                    InputError(
                        str(list_path),
                        f"cannot read the input list ({getattr(exc, 'strerror', None) or exc})",
                    ),
                )
                continue
            entries = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
            pairs.extend(expand_inputs(entries, problems, exclude))
        elif _is_uri(raw):
            try:
                pairs.extend(_expand_uri(raw))
            except InputError as exc:
                problem(raw, Path(raw).name, exc)
        elif os.path.isdir(raw):
            pairs.extend(
                _walk(Path(raw), problems, exclude) if problems is not None else _walk_strict(Path(raw))
            )
        elif os.path.lexists(raw):
            pairs.append((raw, Path(raw).name))  # reading it tells what is wrong (FIFO, loop, dangling link)
        elif glob.has_magic(raw):
            matches = sorted(m for m in glob.glob(raw, recursive=True) if not os.path.isdir(m))
            if not matches:
                problem(raw, Path(raw).name, InputError(raw, "the pattern matches no file"))
            pairs.extend((m, Path(m).name) for m in matches)
        else:
            problem(raw, Path(raw).name, InputError(raw, "no such file or directory"))
    return pairs


def _walk_strict(root: Path) -> list[tuple[str, str]]:
    found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in document_suffixes())
    return [(str(p), p.relative_to(root).as_posix()) for p in found]


def _walk(
    root: Path, problems: list[tuple[str, str, dict[str, Any]]], exclude: Path | None
) -> list[tuple[str, str]]:
    """Every entry below ``root`` (symlinked directories are not followed): documents are returned,
    the rest recorded in ``problems``."""
    from clearocr.errors import UnsupportedInputError

    pairs: list[tuple[str, str]] = []
    skip = exclude.resolve() if exclude is not None else None
    for folder, dirs, files in os.walk(
        root,
        followlinks=False,
        onerror=lambda exc: problems.append(
            (
                exc.filename or str(root),
                Path(exc.filename or str(root)).name,
                {
                    "status": "error",
                    "type": "InputError",
                    "message": f"{exc.filename}: cannot list folder ({exc.strerror})",
                },
            )
        ),
    ):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if skip is not None and path.resolve() == skip:
                continue
            if path.is_symlink():  # not followed: a link to a folder may loop
                files.append(name)
                continue
            kept.append(name)
        dirs[:] = kept
        if not dirs and not files and here != root:
            problems.append(
                (
                    str(here),
                    here.relative_to(root).as_posix(),
                    {"status": "ignored", "type": "NotADocument", "message": f"{here}: an empty folder"},
                )
            )
        for name in sorted(files):
            path = here / name
            relative = path.relative_to(root).as_posix()
            suffix = path.suffix.lower()
            if suffix in document_suffixes():
                pairs.append((str(path), relative))
            elif suffix in UNSUPPORTED_DOCUMENT_SUFFIXES:
                problems.append(
                    (
                        str(path),
                        relative,
                        {
                            "status": "error",
                            "type": UnsupportedInputError.__name__,
                            "message": f"{path}: {suffix} files are not read (clearocr reads {', '.join(sorted(document_suffixes()))}); convert it first",
                        },
                    )
                )
            elif name != MANIFEST_NAME and not name.startswith("."):
                kind = (
                    "a symbolic link to a folder (not followed)"
                    if path.is_symlink() and path.is_dir()
                    else f"not a document ({suffix or 'no suffix'})"
                )
                problems.append(
                    (
                        str(path),
                        relative,
                        {"status": "ignored", "type": "NotADocument", "message": f"{path}: {kind}"},
                    )
                )
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
        i.path
        for i in filesystem.get_file_info(selector)
        if i.type == fs.FileType.File and Path(i.path).suffix.lower() in document_suffixes()
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


def _anchor(source: str, relative: str) -> str:
    """The folder an input's ``relative`` name is relative to: the walked directory, a glob's or a
    file's folder (absolute for local paths; ``scheme/host/...`` for URIs)."""
    if _is_uri(source):
        scheme, rest = source.split("://", 1)
        folder = rest[: len(rest) - len(relative)] if rest.endswith(relative) else os.path.dirname(rest)
        return "/" + scheme + "/" + folder.strip("/")
    path = os.path.abspath(source)
    depth = len(Path(relative).parts)
    return os.path.dirname(path) if depth <= 1 else str(Path(path).parents[depth - 1])


def output_names(pairs: list[tuple[str, str]], suffix: str, reserved: Iterable[str] = ()) -> list[str]:
    """Output names (relative paths, ``/``-separated) for ``(input, relative_name)`` pairs, distinct by
    construction.

    Outputs mirror the input folders below the inputs' common folder: ``d1/a.png d2/a.png`` give
    ``d1/a<suffix>`` and ``d2/a<suffix>``; one folder's files keep their paths below it. An output is
    named after the input's stem (``a.png`` -> ``a.json``); inputs whose names would meet (``a.png``
    and ``a.pdf``, or ``A.png`` and ``a.png`` on a case-insensitive disk) keep their full name
    (``a.png.json``), and any name still taken gets ``~2``, ``~3`` ... before the suffix. Names are
    compared case-folded, so no two outputs share a file on any file system.

    Args:
        pairs: from :func:`expand_inputs` (or ``(path, file name)`` for plain files).
        suffix: the format's file suffix (``.json``).
        reserved: names (relative to the output folder) that must not be used: the inputs that lie
            there, so that ``-f pdf`` into the inputs' own folder never overwrites a PDF it reads.

    Returns:
        One name per pair, in order.
    """
    anchors = [_anchor(source, relative) for source, relative in pairs]
    local = [a for (source, _), a in zip(pairs, anchors) if not _is_uri(source)]
    remote = [a for (source, _), a in zip(pairs, anchors) if _is_uri(source)]
    roots = {
        "local": os.path.commonpath(local) if local else "",
        "remote": os.path.commonpath(remote) if remote else "",
    }
    full: list[str] = []
    for (source, relative), anchor in zip(pairs, anchors):
        kind = "remote" if _is_uri(source) else "local"
        prefix = os.path.relpath(anchor, roots[kind]) if anchor != roots[kind] else ""
        if kind == "remote" and local:  # kept apart from local folders of the same names
            prefix = os.path.join("remote", prefix)
        parts = [part for part in Path(prefix).parts if part not in ("", ".")] + [relative]
        full.append(Path(*parts).as_posix())

    def stem_name(relative: str) -> str:
        stem = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
        return stem + suffix

    short = [stem_name(relative) for relative in full]
    counts: dict[str, int] = {}
    for name in short:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    names = [
        name if counts[name.casefold()] == 1 else relative + suffix for name, relative in zip(short, full)
    ]
    taken = {Path(name).as_posix().casefold() for name in reserved}
    unique = []
    for name in names:
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{name[: len(name) - len(suffix)]}~{number}{suffix}"
        taken.add(candidate.casefold())
        unique.append(candidate)
    return unique


def inputs_below(pairs: list[tuple[str, str]], output_dir: Path) -> list[str]:
    """The local inputs that lie in ``output_dir``, as names relative to it."""
    folder = os.path.realpath(output_dir)
    below = []
    for source, _ in pairs:
        if not _is_uri(source):
            real = os.path.realpath(source)
            if real.startswith(folder + os.sep):
                below.append(os.path.relpath(real, folder))
    return below


def plan(
    inputs: Iterable[str],
    output_dir: Path,
    fmt: str,
    settings: BatchSettings | None = None,
    resume: bool = True,
) -> list[BatchItem]:
    """Items for ``inputs``: output paths under ``output_dir`` (mirroring the input folders, format
    suffix, distinct by construction: :func:`output_names`) and, when ``resume``, the content hash of
    each input's last successful run from the manifest.

    Inputs that cannot be read (a missing path, an empty glob, an unsupported type, a file that is
    not a document) become items with a ``problem``, so they get a manifest record and the rest of
    the batch runs; nothing raises for a bad path.
    """
    suffix = formats()[fmt]
    problems: list[tuple[str, str, dict[str, Any]]] = []
    pairs = expand_inputs(inputs, problems, exclude=output_dir)
    items: list[BatchItem] = []
    for source, _relative, issue in problems:
        items.append(BatchItem(source, None, problem=issue))
    for (source, _relative), name in zip(pairs, output_names(pairs, suffix, inputs_below(pairs, output_dir))):
        items.append(BatchItem(source, str(output_dir / name)))
    if resume:
        previous = latest_records(output_dir / MANIFEST_NAME)
        options_hash = settings.options_hash() if settings else None
        for item in items:
            if item.problem:
                continue
            record = previous.get(item.input)
            if (
                record
                and record.get("status") in ("ok", "skipped")
                and record.get("options") == options_hash
                and record.get("output") == item.output
                and item.output is not None
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


# --- the per-document function, shared by local workers and Ray actors -----------------------------


class DocumentProcessor:
    """Holds one :class:`~clearocr.pipeline.Reader` (engines loaded once) and processes items.

    Args:
        settings: the batch's :class:`BatchSettings`.
    """

    def __init__(self, settings: BatchSettings) -> None:
        from clearocr.engines import ENGINES
        from clearocr.pipeline import Reader

        for name, target in settings.engines.items():
            ENGINES.declare(name, target)
        self.settings = settings
        self.options = ReadOptions.build(**settings.options)
        self.options_hash = settings.options_hash()
        engine_options = {name: dict(values) for name, values in settings.engine_options.items()}
        if settings.threads:
            apply_thread_budget(settings.threads, engine_options)
        self.reader = Reader(self.options, engine_options=engine_options)

    def __call__(self, item: BatchItem) -> dict[str, Any]:
        return process_item(item, self)

    def close(self) -> None:
        self.reader.close()


def split_page_path(output: Path, number: int) -> Path:
    """The file of page ``number`` when pages are written separately: ``out.txt`` -> ``out.page-0003.txt``."""
    return output.with_name(f"{output.stem}.page-{number:04d}{output.suffix}")


def read_to_output(
    reader: Any,
    source: str,
    output: Path | None,
    *,
    options: ReadOptions,
    fmt: str,
    extract: str = "none",
    key: dict[str, Any] | None = None,
    on_page: Callable[[Any, int, int], None] | None = None,
    on_resume: Callable[[int], None] | None = None,
    split_pages: bool = False,
) -> tuple[str | bytes, Any]:
    """Read the local file ``source`` and export it; with ``output``, pages are checkpointed beside it
    as they finish (:mod:`clearocr.checkpoint`) and the output is written atomically at the end.
    (URIs are read into memory by :func:`process_item` and are not checkpointed.)

    Args:
        reader: a :class:`~clearocr.pipeline.Reader`.
        source: the input path.
        output: the output file, or None (nothing written; the content is returned).
        options: reading options.
        fmt: export format name (:func:`~clearocr.export.formats`).
        extract: ``"invoice"`` to add key fields.
        key: what identifies this input and options for resuming (default: the file's SHA-256 and
            the options).
        on_page: progress callback ``(page, index, total)``.
        on_resume: called with the number of checkpointed pages reused, when there are any.
        split_pages: with ``output``, write one file per page instead, named after ``output`` with
            the page number: ``out.txt`` -> ``out.page-0001.txt``, ... (each atomically).

    Returns:
        ``(content, document)``: the exported text (bytes for ``pdf``; with ``split_pages``, the last
        page's) and the :class:`~clearocr.document.Document` (its pages, its ``warnings``).

    Raises:
        ClearOCRError subclasses: see :meth:`~clearocr.pipeline.Reader.read`.
    """
    from clearocr.checkpoint import PageCheckpoint, file_sha256

    checkpoint = None
    done: dict[int, Any] = {}
    if output is not None:
        if key is None:
            from clearocr.io import check_regular_file

            check_regular_file(source)  # before hashing: a FIFO must not block
            try:
                key = {"sha256": file_sha256(source), "options": options.model_dump(mode="json")}
            except OSError as exc:
                raise InputError(source, f"cannot read file ({exc.strerror or exc})") from None
        checkpoint = PageCheckpoint(output, key)
        done = checkpoint.load()
        checkpoint.start(done)
        if done and on_resume is not None:
            on_resume(len(done))

    def page_done(page: Any, index: int, total: int) -> None:
        if checkpoint is not None and page.number not in done:
            checkpoint.add(page)
        if on_page is not None:
            on_page(page, index, total)

    try:
        document = reader.read(source, options, name=source, on_page=page_done, done_pages=done)
        if extract == "invoice":
            from clearocr.extraction import extract_fields

            document.fields = extract_fields(document, options.languages, options.extractor).to_dict()
        if split_pages and output is not None:
            from clearocr.document import Document

            content: str | bytes = ""
            for page in document.pages:
                single = Document(document.source, [page], document.fields, None, [], document.languages)
                content = export(single, fmt, source)
                write_atomic(split_page_path(output, page.number), content)
        else:
            content = export(document, fmt, source)
            if output is not None:
                write_atomic(output, content)
    except Exception:
        if checkpoint is not None:  # a failure (not an interruption) would recur: leave nothing behind
            checkpoint.discard()
        raise
    finally:
        if checkpoint is not None:
            checkpoint.close()
    if checkpoint is not None:
        checkpoint.discard()
    return content, document


def problem_record(item: BatchItem, options_hash: str) -> dict[str, Any]:
    """The manifest record of an item with a known ``problem`` (it is not read)."""
    assert item.problem is not None
    status = item.problem["status"]
    error = {"type": item.problem["type"], "message": item.problem["message"]}
    if status == "error":
        error["exit_code"] = 2
    return {
        "input": item.input,
        "output": None,
        "status": status,
        "sha256": None,
        "options": options_hash,
        "pages": 0,
        "seconds": 0.0,
        "error": error,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def process_item(item: BatchItem, processor: DocumentProcessor) -> dict[str, Any]:
    """Read ``item.input``, write ``item.output`` atomically, and return its manifest record.

    Local inputs must be regular files (checked before opening: a FIFO never blocks the batch); their
    pages are checkpointed as they finish, so a killed run resumes mid-document. Never raises for a
    bad document: the error goes into the record (``status: "error"``).
    """
    from clearocr.checkpoint import file_sha256
    from clearocr.io import check_regular_file

    started = time.perf_counter()
    record = problem_record(item, processor.options_hash) if item.problem else None
    if record is not None:
        return record
    record = {
        "input": item.input,
        "output": item.output,
        "status": "ok",
        "sha256": None,
        "options": processor.options_hash,
        "pages": 0,
        "seconds": 0.0,
        "error": None,
    }
    try:
        if _is_uri(item.input):
            fetched = read_input_bytes(item.input)
            data: bytes | None = fetched
            record["sha256"] = hashlib.sha256(fetched).hexdigest()
        else:
            data = None
            check_regular_file(item.input)
            try:
                record["sha256"] = file_sha256(item.input)
            except OSError as exc:
                raise InputError(item.input, f"cannot read file ({exc.strerror or exc})") from None
        if item.output and item.previous_sha256 == record["sha256"] and os.path.exists(item.output):
            record["status"] = "skipped"
        elif data is not None:
            document = processor.reader.read(data, name=item.input)
            if processor.settings.extract == "invoice":
                from clearocr.extraction import extract_fields

                document.fields = extract_fields(
                    document, processor.options.languages, processor.options.extractor
                ).to_dict()
            content = export(document, processor.settings.fmt, data)
            if item.output:
                write_atomic(Path(item.output), content)
            else:
                record["content"] = content
            record["pages"] = len(document.pages)
            record["warnings"] = [w.message for w in document.warnings]
        else:
            content, document = read_to_output(
                processor.reader,
                item.input,
                Path(item.output) if item.output else None,
                options=processor.options,
                fmt=processor.settings.fmt,
                extract=processor.settings.extract,
                key={"sha256": record["sha256"], "options": processor.options_hash},
            )
            record["pages"] = len(document.pages)
            record["warnings"] = [w.message for w in document.warnings]
            if not item.output:
                record["content"] = content
    except Exception as exc:  # one bad document must not stop the batch
        record["status"] = "error"
        message = (
            str(exc)
            if isinstance(exc, ClearOCRError)
            else f"{item.input}: unexpected {type(exc).__name__}: {exc}"
        )
        record["error"] = {
            "type": type(exc).__name__,
            "message": message,
            "exit_code": getattr(exc, "exit_code", 1),
        }
    record["seconds"] = round(time.perf_counter() - started, 3)
    record["time"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


def thread_budget(workers: int) -> int:
    """Threads each of ``workers`` parallel readers may use so that together they fit the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def apply_thread_budget(threads: int, engine_options: dict[str, dict[str, Any]]) -> None:
    """Limit this process's inference threads: RapidOCR's onnxruntime sessions (unless set in
    ``engine_options``) and OpenCV."""
    engine_options.setdefault("rapidocr", {}).setdefault("threads", threads)
    try:
        import cv2

        cv2.setNumThreads(threads)
    except ImportError:  # pragma: no cover - a declared dependency
        pass


def registry_targets() -> dict[str, str]:
    """Every registered engine as ``"module:Class"``, so a fresh worker process can import engines
    registered at run time (plugins, tests)."""
    from clearocr.engines import ENGINES

    return ENGINES.targets()


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

        readable = []
        for item in items:  # known problems get their records here, without a worker
            if item.problem:
                finish(problem_record(item, settings.options_hash()))
            else:
                readable.append(item)
        items = readable
        if not items:
            pass
        elif jobs == 0:
            processor = DocumentProcessor(settings)
            try:
                for item in items:
                    finish(process_item(item, processor))
            finally:
                processor.close()
        else:
            from clearocr.workers import run_isolated

            if settings.threads is None:
                settings = replace(settings, threads=thread_budget(jobs))
            for record in run_isolated(items, settings, jobs=jobs, recycle_after=recycle_after):
                finish(record)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
