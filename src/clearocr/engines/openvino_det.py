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
:class:`ReleasingSession` gives them back after each page (``CompiledModel.release_memory``), which
holds the peak to one page's (about 400 MiB at 640 x 1280) at no measurable cost in time.
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
    """An OpenVINO session of RapidOCR's (``__call__(input) -> output``) that copies its output and
    then releases the compiled model's intermediate memory, so that pages of many sizes do not each
    keep a set of buffers (see the module's docstring)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._compiled = inner.session.get_compiled_model()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        trim_heap()  # what the page's preparation freed goes back first: OpenVINO does not reuse it
        output = np.array(self._inner(batch), copy=True)  # a view into OpenVINO's buffer until copied
        self._compiled.release_memory()
        trim_heap()
        return output

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def release_after_each_page(detector: Any) -> Any:
    """``detector`` (RapidOCR's ``TextDetector``) with its OpenVINO session wrapped in a
    :class:`ReleasingSession` (once; a detector on ONNX Runtime is left as it is)."""
    session = detector.session
    if not isinstance(session, ReleasingSession) and hasattr(session, "session"):
        if hasattr(session.session, "get_compiled_model"):
            detector.session = ReleasingSession(session)
    return detector
