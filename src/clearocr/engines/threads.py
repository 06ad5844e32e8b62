"""Thread budgets: how many inference threads each of several parallel readers (batch workers, server
workers) may use so that together they fit the machine's cores."""

from __future__ import annotations

import os
from typing import Any


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
