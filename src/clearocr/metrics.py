"""Text accuracy metrics: character and word error rates (CER, WER) and a bag-of-words F1.

CER = Levenshtein distance(reference, hypothesis) / len(reference), at character level; WER is the
same over whitespace-separated tokens (both can exceed 1.0 when the hypothesis is much longer). The
edit distances come from rapidfuzz. Normalisation is explicit and shared by every benchmark.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from rapidfuzz.distance import Levenshtein

_SPACE = re.compile(r"\s+")


def normalize_text(text: str, *, casefold: bool = False, drop_spaces: bool = False) -> str:
    """NFKC, all whitespace runs (line breaks and form feeds included) to one space, trimmed.

    Args:
        casefold: compare case-insensitively (SROIE's ground truth is upper case).
        drop_spaces: remove all whitespace (for Chinese, where spacing is not part of the text).
    """
    text = unicodedata.normalize("NFKC", text)
    if casefold:
        text = text.upper()
    text = _SPACE.sub("", text) if drop_spaces else _SPACE.sub(" ", text).strip()
    return text


def edit_distance(reference: str | list[str], hypothesis: str | list[str]) -> int:
    """Levenshtein distance between two strings or two token lists."""
    return Levenshtein.distance(reference, hypothesis)


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` (texts already normalised)."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    return edit_distance(reference, hypothesis) / len(reference)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate over whitespace tokens."""
    ref, hyp = reference.split(), hypothesis.split()
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def bag_of_words_f1(reference: str, hypothesis: str) -> float:
    """F1 of the multiset of words, ignoring order (for pages whose ground-truth order is unreliable)."""
    ref, hyp = Counter(reference.split()), Counter(hypothesis.split())
    if not ref and not hyp:
        return 1.0
    common = sum((ref & hyp).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(hyp.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)
