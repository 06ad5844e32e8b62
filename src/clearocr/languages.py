"""The document's languages when none is given: scripts from the characters read, and the Latin-script
language from its words.

``languages=["auto"]`` (the default) asks for detection. Recognition then keeps the characters of every
script the recogniser is sure of, line by line (:class:`clearocr.engines.rapidocr._ScriptMask`), and
after reading, :func:`detect_languages` names the languages that correction and extraction use:

* a CJK script is named when enough of its characters were read (:data:`MIN_CJK_SHARE`);
* the Latin-script language is the most probable one under a word-unigram model: the sum over the
  document's words of log word frequency in each candidate language (wordfreq's frequencies, a floor for
  words a language does not know). This is multinomial naive Bayes over words, the classic
  language-identification baseline (Cavnar & Trenkle 1994 used n-gram ranks; word unigrams do as well
  on texts of a few dozen words, and receipts and invoices are that).

English is always added after the detected language: receipts and invoices printed in another language
carry English labels ("Total", "VAT", "Invoice No"), as :mod:`clearocr.extraction.vocab` assumes too.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

#: The value of ``ReadOptions.languages`` that asks for detection.
AUTO = "auto"

#: Latin-script languages told apart by their words: those with an extraction vocabulary
#: (src/clearocr/extraction/vocab/) and a few more that share their alphabets.
LATIN_CANDIDATES = ("en", "sv", "es", "de", "fr", "nl", "it", "pt", "da", "nb", "fi", "pl")

#: A CJK language is named when its characters are at least this share of the letters read, or at least
#: MIN_CJK_CHARACTERS of them (a Chinese receipt with English item names; an English page with a
#: Chinese address block).
MIN_CJK_SHARE = 0.1
MIN_CJK_CHARACTERS = 8

#: Words a language does not know count as this probability (wordfreq's lists stop near 1e-8).
_UNKNOWN_WORD = 1e-9

#: Another language is named only when it beats English by this many nats per word (a word shared by
#: both, "total", differs by well under one) over at least MIN_WORDS words; otherwise English.
_MARGIN_PER_WORD = 1.0
MIN_WORDS = 3


def is_auto(languages: Sequence[str] | None) -> bool:
    """Whether ``languages`` asks for detection (``["auto"]``, empty, or None)."""
    return not languages or list(languages) == [AUTO]


def _script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    if name.startswith(("HIRAGANA", "KATAKANA")):
        return "ja"
    if name.startswith("HANGUL"):
        return "ko"
    if name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH")):
        return "zh"
    if char.isalpha():
        return "latin" if name.startswith("LATIN") else "other"
    return None


def is_latin_word(word: str) -> bool:
    """Whether every letter of ``word`` is a Latin-script letter."""
    return all(_script(char) == "latin" for char in word if char.isalpha())


def script_counts(text: str) -> dict[str, int]:
    """Letters of ``text`` by script: ``zh`` (Han), ``ja`` (kana), ``ko`` (hangul), ``latin``, ``other``."""
    counts: dict[str, int] = {}
    for char in text:
        script = _script(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    return counts


def latin_language(words: Iterable[str], candidates: Sequence[str] = LATIN_CANDIDATES) -> str | None:
    """The most probable language of ``words`` among ``candidates`` under a word-unigram model with
    wordfreq's frequencies (see the module docstring); None when no word of 2+ letters is given.
    English wins ties and near-ties (:data:`_MARGIN_PER_WORD`)."""
    from wordfreq import available_languages, word_frequency

    known = set(available_languages())
    usable = [code for code in candidates if code in known]
    tokens = [
        token.lower()
        for word in words
        for token in re.findall(r"[^\W\d_]{2,}", word)
        if all(_script(char) == "latin" for char in token)
    ]
    if not tokens or not usable:
        return None
    scores = {
        code: sum(math.log(max(word_frequency(token, code), _UNKNOWN_WORD)) for token in tokens)
        for code in usable
    }
    best = max(scores, key=lambda code: scores[code])
    if "en" in scores and (
        len(tokens) < MIN_WORDS or scores[best] - scores["en"] < _MARGIN_PER_WORD * len(tokens)
    ):
        return "en"
    return best


def detect_languages(text: str) -> list[str]:
    """ISO 639-1 codes of the languages of ``text`` (OCR output), most prominent script first; always
    ends with ``en`` (see the module docstring). An empty text gives ``["en"]``."""
    counts = script_counts(text)
    letters = sum(counts.values()) or 1
    found: list[str] = []
    for script in ("zh", "ja", "ko"):
        share = counts.get(script, 0)
        if share >= MIN_CJK_CHARACTERS or share / letters >= MIN_CJK_SHARE:
            found.append(script)
    if counts.get("ja") and "zh" in found and "ja" in found:  # kana with Han: Japanese
        found.remove("zh")
    latin = latin_language(text.split()) if counts.get("latin") else None
    if latin:
        found.append(latin)
    found.append("en")
    return list(dict.fromkeys(found))
