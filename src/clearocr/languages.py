"""The document's languages when none is given: scripts from the characters read, and the Latin-script
language from its words.

``languages=["auto"]`` (the default) asks for detection. Recognition then keeps the characters of every
script the recogniser is sure of, line by line (:class:`clearocr.engines.ctc_mask.ScriptMask`), and
after reading, :func:`detect_languages` names the languages that correction and extraction use:

* a CJK script is named when enough of its characters were read (:data:`MIN_CJK_SHARE`);
* the Latin-script language is the most probable one under a word-unigram model: the sum over the
  document's words of log word frequency in each candidate language (wordfreq's "small" lists, a floor
  for words a language does not know; words no candidate knows are left out). This is multinomial naive Bayes over words, the classic
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
LATIN_CANDIDATES = ("en", "sv", "es", "de", "fr", "nl", "id", "it", "pt", "da", "nb", "fi", "pl")

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

#: A text whose lower-case words (of 3+ letters, at least ENGLISH_SHORTCUT_WORDS of them) are at least
#: this share English words is English (no other list is consulted). Fewer words prove nothing: a German
#: invoice's only lower-case words can be "bis" and "kg", both in English's list.
ENGLISH_ENOUGH = 0.9
ENGLISH_SHORTCUT_WORDS = 8


def release_word_lists() -> None:
    """Drop the word lists wordfreq keeps loaded (language detection, layer word checks, the lexical
    corrector load them on first use: about 4 MB a language for the small lists, 40 MB for the full
    ones); they load again when next needed. :meth:`clearocr.pipeline.Reader.close` calls this."""
    import sys

    wordfreq = sys.modules.get("wordfreq")
    if wordfreq is None:
        return
    for name in ("get_frequency_dict", "get_frequency_list"):
        clear = getattr(getattr(wordfreq, name, None), "cache_clear", None)
        if clear is not None:
            clear()
    getattr(wordfreq, "_wf_cache", {}).clear()


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
    printed = [
        token
        for word in words
        for token in re.findall(r"[^\W\d_]{2,}", word)
        if all(_script(char) == "latin" for char in token)
    ]
    tokens = [token.lower() for token in printed]
    if not tokens or not usable:
        return None
    # Words printed in lower case are the running words (names, addresses and labels are capitalised):
    # when at least MIN_WORDS of them are nearly all English words, the text is English, and the other
    # eleven word lists are never loaded (a process reading English documents keeps only English's).
    running = [token for token in printed if token.islower() and len(token) >= 3]
    if "en" in usable and len(running) >= ENGLISH_SHORTCUT_WORDS:
        english = sum(1 for token in running if word_frequency(token, "en", wordlist="small") > 0)
        if english >= ENGLISH_ENOUGH * len(running):
            return "en"
    # wordfreq's "small" lists (words of frequency >= 1e-6: the function words and common words that
    # tell languages apart) hold 12 languages in about 50 MB; the full lists took 500 MB and 2 s.
    table = {
        token: {code: word_frequency(token, code, wordlist="small") for code in usable}
        for token in set(tokens)
    }
    judged = [token for token in tokens if any(table[token].values())]  # words no candidate knows say nothing
    scores = {
        code: sum(math.log(max(table[token][code], _UNKNOWN_WORD)) for token in judged) for code in usable
    }
    # The candidates' small lists (about 4 MB each, 50 MB for all) stay loaded until Reader.close()
    # (release_word_lists): loading them again for every page took 0.23 s of a receipt's 2.3 s.
    best = max(scores, key=lambda code: scores[code])
    if "en" in scores and (
        len(judged) < MIN_WORDS or scores[best] - scores["en"] < _MARGIN_PER_WORD * len(judged)
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
    if counts.get("ja", 0) >= 2 and "zh" in found:  # kana with Han is Japanese (Chinese uses no kana)
        found = ["ja" if code == "zh" else code for code in found]
        found = list(dict.fromkeys(found))
    latin = latin_language(text.split()) if counts.get("latin") else None
    if latin:
        found.append(latin)
    found.append("en")
    return list(dict.fromkeys(found))
