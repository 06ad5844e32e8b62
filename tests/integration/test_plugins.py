"""Third-party plugins through entry points: a separate package, installed with pip into this
environment for the test (and uninstalled after), adds an OCR engine and an output format that the
CLI lists and uses, with no change to clearocr."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from PIL import Image

pytestmark = pytest.mark.slow

PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "clearocr-tiny-plugin"
version = "0.1"

[project.entry-points."clearocr.engines"]
tiny = "clearocr_tiny_plugin:TinyEngine"

[project.entry-points."clearocr.exporters"]
wordcsv = "clearocr_tiny_plugin:WORD_CSV"
"""

MODULE = '''
"""A tiny OCR engine (it "reads" each dark rectangle on the page as a word naming its size) and a
one-word-per-row CSV exporter: enough to show both plugin kinds working end to end."""
import csv
import io

import numpy as np

from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine
from clearocr.export import Exporter


class TinyEngine(OcrEngine):
    LANGUAGES = {"en": "en"}

    @classmethod
    def info(cls):
        return EngineInfo(cls.name, "tiny 0.1", ["en"])

    def recognize(self, image, languages):
        dark = image.min(axis=2) < 128
        rows = np.flatnonzero(dark.any(axis=1))
        cols = np.flatnonzero(dark.any(axis=0))
        if not len(rows):
            return []
        box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
        word = Word(f"block{box[2] - box[0]}x{box[3] - box[1]}", box, 0.99)
        return [Line(word.text, box, 0.99, [word])]


def _word_csv(document):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["page", "text", "x0", "y0", "x1", "y1", "confidence"])
    for page in document.pages:
        for word in page.words:
            writer.writerow([page.number, word.text, *word.bbox, f"{word.confidence:.3f}"])
    return out.getvalue()


WORD_CSV = Exporter("wordcsv", ".csv", _word_csv, description="one word per row")
'''


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugin")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "clearocr_tiny_plugin.py").write_text(textwrap.dedent(MODULE))
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(root)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    yield root
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", "clearocr-tiny-plugin"], check=True)


def test_plugin_engine_and_exporter_from_entry_points(plugin, tmp_path):
    listed = subprocess.run(
        [sys.executable, "-m", "clearocr", "engines", "--json"], capture_output=True, text=True, check=True
    )
    engines = {e["name"]: e for e in json.loads(listed.stdout)}
    assert engines["tiny"]["available"] and engines["tiny"]["version"] == "tiny 0.1"
    page = Image.new("RGB", (600, 400), "white")
    page.paste((0, 0, 0), (100, 50, 300, 90))  # a 200 x 40 block
    page.save(tmp_path / "page.png")
    out = tmp_path / "page.csv"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "clearocr",
            "read",
            str(tmp_path / "page.png"),
            "-e",
            "tiny",
            "--no-orientation",
            "--no-deskew",
            "--no-upscale",
            "-f",
            "wordcsv",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    rows = out.read_text().splitlines()
    assert rows[0] == "page,text,x0,y0,x1,y1,confidence"
    assert rows[1] == "1,block200x40,100,50,300,90,0.990"
    help_text = subprocess.run(
        [sys.executable, "-m", "clearocr", "read", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "wordcsv" in help_text
