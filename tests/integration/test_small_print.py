"""A large page of small print is read, not returned empty (issue 26, item 2), and an empty result on a
page with ink is a warning (item 5). Pages are drawn here from tests/fixtures/pages.py's vocabulary."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.fixtures.pages import VOCABULARY

pytestmark = pytest.mark.slow


def _small_print(width: int = 2800, height: int = 260, font_px: int = 13, seed: int = 5):
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("DejaVuSans.ttf", font_px)
    words, y = [], 15
    while y < height - 2 * font_px:
        x = 15.0
        while True:
            word = rng.choice(VOCABULARY)
            length = draw.textlength(word, font=font)
            if x + length > width - 15:
                break
            draw.text((x, y), word, font=font, fill="black")
            words.append(word)
            x += length + draw.textlength(" ", font=font) * 1.5
        y += int(font_px * 1.7)
    return np.asarray(image), words


def test_small_print_on_a_wide_page_is_read_in_tiles():
    import clearocr

    image, words = _small_print()
    document = clearocr.read(image)
    page = document.pages[0]
    assert "tiles" in [step.name for step in page.preprocessing]
    read = Counter(document.text.split())
    recall = sum((read & Counter(words)).values()) / len(words)
    assert recall >= 0.95, (recall, document.text[:300])
    assert not document.warnings


def test_a_page_with_ink_but_no_text_read_is_a_warning(tmp_path):
    from typer.testing import CliRunner

    from clearocr.cli import app

    image = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(image)
    for row in range(30):  # ruled lines: ink, but no text
        draw.line([(40, 20 + 18 * row), (760, 20 + 18 * row)], fill="black", width=2)
    image.save(tmp_path / "ruled.png")
    Image.new("RGB", (800, 600), "white").save(tmp_path / "blank.png")
    result = CliRunner().invoke(
        app, ["read", str(tmp_path / "ruled.png"), str(tmp_path / "blank.png"), "-f", "json"]
    )
    assert result.exit_code == 0
    assert "ruled.png: no text found on page 1, though" in result.output
    assert "blank.png: no text found on page 1" in result.output
    import clearocr

    document = clearocr.read(tmp_path / "blank.png")
    assert [(w.code, w.page) for w in document.warnings] == [("no_text", 1)]
    assert document.to_dict()["warnings"][0]["message"] == "no text found on page 1"
