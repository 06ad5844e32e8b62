"""File helpers: names for the hidden files written beside an output (temp files, page checkpoints) and
atomic writes.

A hidden companion's name is the output's name with a prefix and a suffix; for an output whose name
is near the file system's limit (255 bytes on ext4, XFS, APFS and NTFS) that would not fit, so the
name is shortened and a hash of the whole name keeps it distinct. Nothing here imports clearocr.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

#: The longest file name (in bytes, as the OS encodes it) that common file systems accept.
NAME_MAX = 255


def sibling_name(name: str, prefix: str = ".", suffix: str = "", reserve: int = 0) -> str:
    """``prefix + name + suffix``, shortened to fit :data:`NAME_MAX` with ``reserve`` bytes to spare.

    A name that fits is returned as it is; otherwise the middle is replaced by ``~`` and the first
    12 hex digits of the SHA-256 of ``name``'s bytes, so two long names that share their beginning
    still get different companions.

    Args:
        name: the output's file name (not a path); may hold surrogate escapes (``os.fsdecode``).
        prefix, suffix: what the companion adds (``"."`` makes it hidden).
        reserve: bytes a caller appends later (``tempfile.mkstemp``'s random part, a ``.tmp``).

    Returns:
        A file name of at most ``NAME_MAX - reserve`` bytes.
    """
    raw = os.fsencode(name)
    whole = os.fsencode(prefix) + raw + os.fsencode(suffix)
    if len(whole) + reserve <= NAME_MAX:
        return prefix + name + suffix
    tag = "~" + hashlib.sha256(raw).hexdigest()[:12]
    room = NAME_MAX - reserve - len(os.fsencode(prefix + suffix)) - len(tag)
    head = raw[: max(0, room)]
    # Never end inside a UTF-8 sequence: drop continuation bytes and the lead byte they follow.
    while head and (head[-1] & 0xC0) == 0x80:
        head = head[:-1]
    if head and head[-1] >= 0xC0:
        head = head[:-1]
    return prefix + os.fsdecode(head) + tag + suffix


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
    # mkstemp adds 8 random characters between prefix and suffix.
    prefix = sibling_name(path.name, ".", ".", reserve=8 + len(".tmp"))
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
