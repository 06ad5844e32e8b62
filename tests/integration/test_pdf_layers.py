"""A PDF's text layer is used only when it matches the page (issue 12, item 4), with the real engine.

The page is the repository's sample invoice image (rendered from a synthetic invoice). It is read
with OCR; clearocr's own searchable-PDF writer then puts a text layer on it from that reading
(faithful), from the reading with its words' texts shuffled among the word boxes (misplaced: real
words in the wrong places, which the word-list check cannot see), and from the reading with its
lines and words drawn in random order (jumbled: the boxes must restore the order).
"""

from __future__ import annotations

import copy
import random

import pytest

import clearocr
from clearocr.export.pdf import to_pdf
from clearocr.metrics import cer, normalize_text

pytestmark = pytest.mark.slow


def doctored(document: clearocr.Document, how: str) -> clearocr.Document:
    out = copy.deepcopy(document)
    rng = random.Random(7)
    for page in out.pages:
        words = [w for line in page.lines for w in line.words]
        if how == "misplaced":
            texts = [w.text for w in words]
            rng.shuffle(texts)
            for word, text in zip(words, texts):
                word.text = text
        else:
            rng.shuffle(page.lines)
            for line in page.lines:
                rng.shuffle(line.words)
        for line in page.lines:
            line.text = " ".join(w.text for w in line.words)
        page.blocks = []
    return out


def test_a_layer_is_used_when_it_matches_the_page_and_refused_when_its_words_are_misplaced(samples):
    image = samples / "invoice.png"
    with clearocr.Reader() as reader:
        ocr = reader.read(image)
        reference = normalize_text(ocr.text)
        faithful = reader.read(to_pdf(ocr, image))
        misplaced = reader.read(to_pdf(doctored(ocr, "misplaced"), image))
        jumbled = reader.read(to_pdf(doctored(ocr, "jumbled"), image))

    page = faithful.pages[0]
    assert page.text_source == "layer"
    used = next(s for s in page.preprocessing if s.name == "pdf_text_layer")
    assert used.params["ocr_agreement"] >= 0.8 and used.params["lines_sampled"] == 3
    assert cer(reference, normalize_text(faithful.text)) < 0.01

    page = misplaced.pages[0]
    assert page.text_source == "ocr"
    rejected = next(s for s in page.preprocessing if s.name == "pdf_text_layer_rejected")
    assert rejected.params["known_word_rate"] > 0.5  # real words: the word check alone would keep it
    assert rejected.params["ocr_agreement"] < 0.6 and "OCRed" in rejected.params["reason"]
    assert cer(reference, normalize_text(misplaced.text)) < 0.02

    assert jumbled.pages[0].text_source == "layer"
    assert cer(reference, normalize_text(jumbled.text)) < 0.02


def test_lines_of_an_old_ocr_layer_that_disagree_with_the_page_are_read_again(samples):
    """Issue 26, item 4: a layer whose lines are mostly right but a few are an old OCR's garbage is
    used, and those lines are replaced by what OCR reads there (the per-line judgement)."""
    image = samples / "invoice.png"
    with clearocr.Reader() as reader:
        ocr = reader.read(image)
        stale = copy.deepcopy(ocr)
        page = stale.pages[0]
        longest = sorted(range(len(page.lines)), key=lambda i: -len(page.lines[i].text))[:2]
        garbage = iter("sw | \\ + ~ ; BH No vote{note 1] ~~ rn } ]| ;; \\\\ ~~ ^ | {, ~".split() * 3)
        for index in longest:  # an old OCR's words: boxes where the words are, garbage for text
            line = page.lines[index]
            for word in line.words:
                word.text = next(garbage)
            line.text = " ".join(word.text for word in line.words)
        page.blocks = []
        document = reader.read(to_pdf(stale, image))
    result = document.pages[0]
    used = next(s for s in result.preprocessing if s.name == "pdf_text_layer")
    assert result.text_source == "layer" and used.params["lines_replaced_by_ocr"] >= 2
    assert "vote{note" not in document.text and "sw |" not in document.text
    assert cer(normalize_text(ocr.text), normalize_text(document.text)) < 0.02
