"""Batch inputs: folders, globs and URIs walked into :class:`BatchItem` s with distinct output names."""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearocr.batch.manifest import MANIFEST_NAME, latest_records
from clearocr.errors import InputError, UnsupportedInputError
from clearocr.export import formats
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
    """What every worker needs to process items: options, output format, extraction, engine setup.

    ``options`` may be given as a dict of ReadOptions fields (validated here: OptionsError)."""

    options: ReadOptions
    fmt: str = "json"
    extract: str = "none"
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    engines: dict[str, str] = field(default_factory=dict)  # extra registry entries, name -> "module:Class"
    #: Inference threads per worker (onnxruntime intra-op, OpenCV); None: cores // workers, so that
    #: workers x threads never oversubscribes the cores.
    threads: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.options, dict):
            self.options = ReadOptions.build(**self.options)

    def options_hash(self) -> str:
        """A short hash of everything that changes an output (a changed option means re-reading)."""
        options = self.options.model_dump(mode="json")
        key = json.dumps([options, self.fmt, self.extract], sort_keys=True, default=str)
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def is_uri(value: str) -> bool:
    """Whether ``value`` names a remote object (``s3://...``) rather than a local path."""
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
        elif is_uri(raw):
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
    if is_uri(source):
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
    if is_uri(source):
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
    local = [a for (source, _), a in zip(pairs, anchors) if not is_uri(source)]
    remote = [a for (source, _), a in zip(pairs, anchors) if is_uri(source)]
    roots = {
        "local": os.path.commonpath(local) if local else "",
        "remote": os.path.commonpath(remote) if remote else "",
    }
    full: list[str] = []
    for (source, relative), anchor in zip(pairs, anchors):
        kind = "remote" if is_uri(source) else "local"
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
        if not is_uri(source):
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
