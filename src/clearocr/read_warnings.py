"""Warnings about text that may be missing from a result (:class:`~clearocr.document.ReadWarning`):
pages with no text (blank, or with ink that nothing was read from) and characters that a language
restriction removed although the recogniser was sure of them.
"""

from __future__ import annotations

from typing import Any

from clearocr.document import Page, ReadWarning
from clearocr.languages import is_auto
from clearocr.preprocess import analysis_copy

#: A page is "blank" when less than this fraction of its pixels are ink (darker than half the paper's
#: brightness): scanner dust and a crease stay below it, one short line of text on A4 is above it.
MIN_INK_FRACTION = 0.0005


def ink_fraction(image: Any) -> float:
    """The fraction of a page image's pixels that are ink: darker than half the median brightness (the
    paper), measured on a copy at most 1,000 px on its longer side. A dark page (light text on black)
    is judged inverted."""
    import cv2
    import numpy as np

    small = analysis_copy(image)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if small.ndim == 3 else small
    paper = float(np.median(grey))
    if paper < 128:  # light text on a dark ground
        grey, paper = 255 - grey, 255 - paper
    return float(np.count_nonzero(grey < paper / 2)) / max(1, grey.size)


#: A page gets a ``script_removed`` warning when the requested languages' scripts removed at least this
#: many characters the recogniser was sure of (one is a smudge; three are text).
MIN_REMOVED_WARNING = 3


def script_warnings(page: Page, languages: list[str]) -> list[ReadWarning]:
    """The ``script_removed`` warning of a page whose ``script_mask`` step removed at least
    :data:`MIN_REMOVED_WARNING` characters the recogniser was sure of."""
    step = next((s for s in page.preprocessing if s.name == "script_mask"), None)
    removed = int(step.params.get("removed", 0)) if step else 0
    if step is None or removed < MIN_REMOVED_WARNING:
        return []
    examples = str(step.params.get("examples", ""))
    fix = (
        "leave --lang out (or give --lang auto) to keep every script, or add the language (e.g. --lang "
        f"{','.join(languages)},zh)"
        if not is_auto(languages)
        else "give the document's languages with --lang"
    )
    return [
        ReadWarning(
            "script_removed",
            f"{removed} characters the recogniser was sure of ({examples}...) were removed from page "
            f"{page.number} because the languages asked for ({','.join(languages)}) do not use their "
            f"script: {fix}",
            page.number,
        )
    ]


def empty_page_warning(number: int, ink: float | None) -> ReadWarning:
    """The warning for page ``number`` read with no text; ``ink`` is :func:`ink_fraction` of its image
    (None: unknown, e.g. a page taken from a checkpoint)."""
    if ink is not None and ink >= MIN_INK_FRACTION:
        return ReadWarning(
            "no_text_with_ink",
            f"no text found on page {number}, though {ink:.1%} of it is ink: the text may be too small, "
            "faint, handwritten (--set mode=handwritten) or in a language not asked for (--lang)",
            number,
        )
    return ReadWarning("no_text", f"no text found on page {number}", number)
