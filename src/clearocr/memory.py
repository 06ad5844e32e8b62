"""Giving freed memory back to the operating system.

After a model or an inference session is released, glibc's allocator keeps the freed heap pages
mapped (they count in RSS) unless asked to return them; ``malloc_trim(0)`` does that. Used when
engines and LLMs are closed (``Reader.close``, ``OcrEngine.dispose``, ``AI.free_resources``).
"""

from __future__ import annotations

import gc
import sys


def release_memory() -> None:
    """Collect garbage, then return free heap pages to the OS (glibc's ``malloc_trim``; a no-op on other
    C libraries and platforms)."""
    gc.collect()
    trim_heap()


def trim_heap() -> None:
    """Return free heap pages to the OS (glibc's ``malloc_trim``; a no-op elsewhere), without
    collecting garbage first: cheap enough to call once a page."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl, ...): nothing to do
            pass
