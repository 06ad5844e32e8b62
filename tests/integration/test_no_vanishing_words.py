"""Nothing vanishes: every word the engine recognises reaches the Document (issue 12, item 6).

The real RapidOCR engine reads real pages; its ``recognize`` is wrapped to record what it returned,
and each recorded word must be found in the Document's words of that page, as often as the engine saw
it. Merging segments into rows, layout blocks and reading order may move words, never drop them.
Pages: the repository's sample invoice (rendered from a synthetic invoice), a two-column page
rendered here with Pillow's bundled font (the layout path), and the first SROIE receipts when
../shared/data is present.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import clearocr
from clearocr.engines.rapidocr import RapidOcrEngine

pytestmark = pytest.mark.slow

SROIE = Path(__file__).resolve().parents[3] / "shared" / "data" / "sroie2019" / "img"


def two_column_page(path: Path) -> Path:
    """A 1200x900 page: a heading, then two columns of short numbered sentences (known order)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (1200, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    draw.text((60, 40), "Quarterly notes on river levels", font=font, fill="black")
    for column, x in enumerate((60, 640)):
        for row in range(14):
            draw.text(
                (x, 120 + row * 52),
                f"Line {column * 14 + row + 1} reads gauge {row * 7 + 3}",
                font=font,
                fill="black",
            )
    image.save(path)
    return path


def pages(tmp_path: Path, samples: Path) -> list[Path]:
    found = [samples / "invoice.png", two_column_page(tmp_path / "columns.png")]
    if SROIE.is_dir():
        found += sorted(SROIE.glob("*.jpg"))[:3]
    return found


def test_every_engine_word_reaches_the_document(tmp_path, samples, monkeypatch):
    seen: list[list[str]] = []
    original = RapidOcrEngine.recognize

    def recording(self, image, languages):
        segments = original(self, image, languages)
        seen.append([w.text for s in segments for w in s.words if w.text.strip()])
        return segments

    monkeypatch.setattr(RapidOcrEngine, "recognize", recording)
    checked = 0
    with clearocr.Reader() as reader:
        for path in pages(tmp_path, samples):
            seen.clear()
            document = reader.read(path, languages="en")
            # The orientation check may run the engine on trial images; the page's own reading is the last.
            engine_words = Counter(seen[-1])
            document_words = Counter(w.text for line in document.pages[0].lines for w in line.words)
            missing = engine_words - document_words
            assert not missing, (path.name, dict(missing))
            assert sum(engine_words.values()) > 10, path.name
            checked += 1
    assert checked >= 2
