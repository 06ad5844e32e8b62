"""The detector on OpenVINO (``det_runtime``, clearocr.engines.openvino_det) against the same detector on
ONNX Runtime: the same lines from pages drawn here, its memory given back between pages of other
sizes, and the runtime choice and its errors."""

from __future__ import annotations

import numpy as np
import psutil
import pytest
from PIL import Image, ImageDraw, ImageFont

from clearocr.engines import openvino_det
from clearocr.engines.openvino_det import ReleasingSession, resolve_det_runtime
from clearocr.errors import EngineUnavailableError

pytestmark = pytest.mark.slow
pytest.importorskip("openvino")


def _page(width: int, height: int, lines: list[str]) -> np.ndarray:
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 30)
    except OSError:
        pytest.skip("DejaVu fonts not installed")
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(lines):
        draw.text((40, 40 + 60 * row), text, fill="black", font=font)
    return np.asarray(image)


LINES = ["Order 5521 shipped to Harbour St 9", "Ledger total 1,284.50 EUR", "Ref QX-0047 paid 12/03/2029"]


@pytest.fixture(scope="module")
def engines():
    from clearocr.engines.rapidocr import RapidOcrEngine

    pair = {name: RapidOcrEngine(det_runtime=name) for name in ("openvino", "onnxruntime")}
    yield pair
    for engine in pair.values():
        engine.close()


def test_openvino_finds_the_same_lines_as_onnxruntime(engines):
    page = _page(1000, 260, LINES)
    read = {name: engine.recognize(page, ["en"]) for name, engine in engines.items()}
    assert [line.text for line in read["openvino"]] == LINES
    assert [line.text for line in read["openvino"]] == [line.text for line in read["onnxruntime"]]
    for a, b in zip(read["openvino"], read["onnxruntime"]):
        assert max(abs(p - q) for p, q in zip(a.bbox, b.bbox)) <= 2, (a.bbox, b.bbox)
    assert isinstance(engines["openvino"]._ocr.text_det.session, ReleasingSession)
    assert not isinstance(engines["onnxruntime"]._ocr.text_det.session, ReleasingSession)


def test_pages_of_other_sizes_do_not_each_keep_their_buffers(engines):
    """OpenVINO keeps the intermediate buffers of each larger input shape beside the earlier ones;
    released before each larger page, one set is kept (the widest page's). Over six ever wider pages
    RSS grew about 360 MiB with the release (the larger set itself) and 590 without."""
    engine = engines["openvino"]
    process = psutil.Process()
    engine.recognize(_page(600, 2000, LINES), ["en"])
    settled = process.memory_info().rss
    for width in (800, 1000, 1200, 1400, 1600, 1800):
        engine.recognize(_page(width, 2000, LINES), ["en"])
    grown = (process.memory_info().rss - settled) / 2**20
    assert grown < 480, f"RSS grew {grown:.0f} MiB over six ever wider pages (about 590 unreleased)"


def test_runtime_choice_and_its_errors(monkeypatch):
    assert resolve_det_runtime("auto") == "openvino"
    assert resolve_det_runtime("onnxruntime") == "onnxruntime"
    with pytest.raises(ValueError, match="det_runtime must be one of"):
        resolve_det_runtime("tensorrt")
    # A platform without the openvino wheel: auto falls back, an explicit request is an engine error.
    monkeypatch.setattr(openvino_det, "openvino_installed", lambda: False)
    assert resolve_det_runtime("auto") == "onnxruntime"
    from clearocr.engines.rapidocr import RapidOcrEngine

    with pytest.raises(EngineUnavailableError, match="pip install openvino"):
        RapidOcrEngine(det_runtime="openvino")
