"""RapidOCR's text detector on OpenVINO's CPU runtime instead of ONNX Runtime (``det_runtime`` of
:class:`~clearocr.engines.rapidocr.RapidOcrEngine`).

Why: PP-OCRv6's DB detector is a convolutional network over the whole page (about 640 x 1280 pixels
for a receipt). On this project's 2-core Xeon (AVX-512), OpenVINO 2026.4 ran it in a third of ONNX
Runtime 1.32's time (10 SROIE receipts' detector inputs: 1.50 s against 4.47 s), with outputs equal
to 3e-5. The recogniser stays on ONNX Runtime: its inputs change width with every text line, and
OpenVINO was slower there (5.2 s against 4.3 s on the same receipts' 482 crops).

The model is the same ONNX file; RapidOCR's own OpenVINO session loads it
(``Det.engine_type: openvino``). OpenVINO keeps the intermediate buffers of every input shape it
has seen (a receipt of another width: another set), so the peak grew to 920 MiB over nine shapes;
:class:`ReleasingSession` gives them back (``CompiledModel.release_memory``) before a page larger
than the buffers held, so that one set, for the largest page so far, is kept.

The cost is memory: the set held (about 270 MiB for a 640 x 1280 receipt, 450 for a page's 990 x
1280) is not shared with the rest of the process as ONNX Runtime's freed buffers are. Peak RSS of a
process: one receipt 321 -> 482 MiB, 20 receipts 590 -> 1000, a 20-page PDF 831 -> 1298
(docs/benchmarks.md, 2026-12-07 fifth session). Releasing after every page held a 20-receipt run to
850 MiB but cost 0.2 s of page faults a receipt. ``det_runtime="onnxruntime"`` keeps the old figures.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from clearocr.memory import trim_heap

#: ``det_runtime`` values: ``auto`` is OpenVINO when it is installed, else ONNX Runtime.
DET_RUNTIMES = ("auto", "openvino", "onnxruntime")


def openvino_installed() -> bool:
    """Whether the ``openvino`` package can be imported (it is a dependency; a platform without its
    wheel falls back to ONNX Runtime)."""
    return importlib.util.find_spec("openvino") is not None


def resolve_det_runtime(requested: str) -> str:
    """``"openvino"`` or ``"onnxruntime"`` for a ``det_runtime`` value.

    Raises:
        ValueError: ``requested`` is not one of :data:`DET_RUNTIMES`.
        ImportError: ``"openvino"`` was asked for and is not installed.
    """
    if requested not in DET_RUNTIMES:
        raise ValueError(f"det_runtime must be one of {', '.join(DET_RUNTIMES)}, not {requested!r}")
    if requested == "auto":
        return "openvino" if openvino_installed() else "onnxruntime"
    if requested == "openvino" and not openvino_installed():
        raise ImportError("det_runtime='openvino' needs the openvino package: pip install openvino")
    return requested


def openvino_det_params(threads: int) -> dict[str, Any]:
    """RapidOCR parameters that load its detector with OpenVINO on ``threads`` CPU threads, tuned
    for one page at a time (``LATENCY``)."""
    from rapidocr import EngineType

    return {
        "Det.engine_type": EngineType.OPENVINO,
        "EngineConfig.openvino.inference_num_threads": threads,
        "EngineConfig.openvino.performance_hint": "LATENCY",
    }


class ReleasingSession:
    """An OpenVINO session of RapidOCR's (``__call__(input) -> output``) that releases the compiled
    model's intermediate memory before a page larger than any since the last release, so that pages
    of many sizes do not each keep a set of buffers (see the module's docstring); its output is
    copied."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._compiled = inner.session.get_compiled_model()
        self._held = 0  # input size (elements) the buffers OpenVINO holds were made for

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        if batch.size > self._held:
            # A larger page than the buffers held: they are released before OpenVINO makes new ones
            # (it would keep both), with what the page's preparation freed (OpenVINO does not reuse
            # glibc's free heap). Smaller pages reuse the buffers: releasing after every page cost
            # 0.2 s of page faults a receipt.
            self._compiled.release_memory()
            trim_heap()
            self._held = batch.size
        return np.array(self._inner(batch), copy=True)  # a view into OpenVINO's buffer until copied

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def release_on_growth(detector: Any) -> Any:
    """``detector`` (RapidOCR's ``TextDetector``) with its OpenVINO session wrapped in a
    :class:`ReleasingSession` (once; a detector on ONNX Runtime is left as it is)."""
    session = detector.session
    if not isinstance(session, ReleasingSession) and hasattr(session, "session"):
        if hasattr(session.session, "get_compiled_model"):
            detector.session = ReleasingSession(session)
    return detector
