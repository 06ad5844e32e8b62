"""Correction of plain text (no image): a Document made from text, and the guard that keeps only the
plausible OCR fixes of a chat model's rewrite. The tutorial facade (:class:`clearocr.ai.AI`) corrects
text with these; the reader corrects Documents it read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clearocr.correction.generative import LLMCorrectionCorrector, apply_tokens
from clearocr.correction.lexical import LexicalCorrector
from clearocr.document import Document, Line, Page, Word

_NUMERIC = re.compile(r"\d")


def text_document(text: str) -> Document:
    """A Document for plain text (no image): one page per form feed or blank-line-separated page
    of :func:`page_text`, one line per text line. The OCR's confidence is unknown, so tokens with
    digits count as sure (the correctors leave amounts, dates and IDs alone) and words as unsure."""
    pages = []
    for number, chunk in enumerate(re.split(r"\f|\n\n+", text), start=1):
        lines = []
        for row, line_text in enumerate(chunk.split("\n")):
            words = [
                Word(token, (0, row * 20, 0, row * 20 + 20), 1.0 if _NUMERIC.search(token) else 0.5)
                for token in line_text.split()
            ]
            lines.append(Line(line_text, (0, row * 20, 0, row * 20 + 20), 0.5, words))
        pages.append(Page(number, 0, 0, lines=lines))
    return Document("<text>", pages)


_PREAMBLE = re.compile(
    r"^\s*(?:sure[,!.]?\s*)?(?:here(?:'s| is) (?:the |your )?(?:corrected|revised|fixed)[^\n:]*:|"
    r"corrected (?:text|version)[^\n:]*:)\s*\n?",
    re.I,
)


def strip_preamble(answer: str) -> str:
    """A chat model's answer without its preamble line and Markdown code fences."""
    answer = _PREAMBLE.sub("", answer, count=1)
    answer = re.sub(r"^\s*```[a-z]*\s*\n|\n\s*```\s*$", "", answer)
    return answer


def guard_text(
    original: str, proposal: str, backend: Any, languages: Sequence[str], hints: Sequence[str] = ()
) -> tuple[str, int, int]:
    """``original`` with only the plausible OCR fixes of ``proposal`` applied: the guard of the generative
    corrector (:meth:`~clearocr.correction.generative.LLMCorrectionCorrector.guard`: words fixed within
    OCR-confusion distance into lexicon words, split or merged words; no added, dropped or rephrased
    words; numbers untouched since their OCR confidence is unknown). A chat preamble ("Here is the
    corrected text:") and code fences are removed first (:func:`strip_preamble`).

    Returns:
        ``(text, edits accepted, edits rejected)``.
    """
    guard = LLMCorrectionCorrector(
        backend, list(languages), lexical=LexicalCorrector(list(languages), hints=list(hints))
    )
    tokens = original.split()
    fixed = guard.guard(tokens, strip_preamble(proposal), [None] * len(tokens))
    return apply_tokens(original, fixed), guard.accepted, guard.rejected
