"""Lexical post-OCR correction: OCR confusion sets + word lexicons, conservative by construction.

Candidates for a word missing from the lexicon come from SymSpell (Garbe, "SymSpell: 1 million times
faster spelling correction", 2012; symspellpy) over a lexicon built from wordfreq's frequency lists
(Speer et al., wordfreq 3) plus an invoice/receipt vocabulary. They are ranked by a weighted edit
distance in which OCR confusions (0/o, 1/l/i, 5/s, 8/b, 2/z, rn/m, cl/d, vv/w, li/h, c/e, n/u ...) cost
0.3 and other edits 1.0, then by word frequency.

What it will not do:

* change a token that is mostly digits (amounts, dates, IDs) unless its OCR confidence is below
  ``digit_confidence`` and the result is all digits and separators;
* change a word found in the lexicon, a short all-caps token (acronyms), or a word whose OCR
  confidence is at least ``word_confidence``;
* accept anything but OCR confusions for capitalised words (names), or a candidate rarer than
  ``min_zipf``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from clearocr.document import Document

#: OCR confusions: printed-as -> possibly-was, each costing CONFUSION_COST instead of 1.0.
CONFUSIONS: dict[str, tuple[str, ...]] = {
    "0": ("o",), "o": ("0",), "1": ("l", "i"), "l": ("1", "i", "t"), "i": ("l", "1"), "5": ("s",), "s": ("5",),
    "8": ("b",), "b": ("8", "h"), "2": ("z",), "z": ("2",), "6": ("b", "g"), "9": ("g",), "4": ("a",),
    "rn": ("m",), "m": ("rn",), "cl": ("d",), "d": ("cl",), "vv": ("w",), "w": ("vv",), "li": ("h",),
    "h": ("li", "b"), "ii": ("u",), "c": ("e",), "e": ("c",), "n": ("u",), "u": ("n",), "f": ("t",), "t": ("f",),
}
CONFUSION_COST = 0.3
DIGIT_FOR_LETTER = {"o": "0", "O": "0", "l": "1", "I": "1", "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2"}
LETTER_FOR_DIGIT = {"0": "o", "1": "l", "5": "s", "8": "b", "2": "z"}

#: Words our documents use that general frequency lists rank low or miss.
DOMAIN_WORDS = """
invoice invoices amount subtotal total totals qty quantity gst vat tax cashier receipt receipts change cash
rounding adjustment discount item items description unit price payable balance due date customer
tel fax reg company vendor supplier bill order delivery payment paid tendered nett gross net
faktura fakturanummer förfallodatum moms summa totalt att betala kvitto belopp
factura importe iva fecha cliente vencimiento rechnung rechnungsnummer mwst betrag gesamt
facture montant tva échéance factuur bedrag btw totaal
""".split()

#: What a token must become for letters to be read as digits: an amount, a number, a date or a time.
NUMBER_SHAPE = re.compile(r"\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+|\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?")
_TOKEN = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def weighted_distance(printed: str, candidate: str) -> float:
    """Edit distance where OCR confusions (one or two characters) cost :data:`CONFUSION_COST`."""
    a, b = printed, candidate
    rows, cols = len(a) + 1, len(b) + 1
    inf = float("inf")
    dist = [[inf] * cols for _ in range(rows)]
    dist[0][0] = 0.0
    for i in range(rows):
        for j in range(cols):
            here = dist[i][j]
            if here == inf:
                continue
            if i < len(a) and j < len(b):
                cost = 0.0 if a[i] == b[j] else (CONFUSION_COST if b[j] in CONFUSIONS.get(a[i], ()) else 1.0)
                dist[i + 1][j + 1] = min(dist[i + 1][j + 1], here + cost)
            if i < len(a):
                dist[i + 1][j] = min(dist[i + 1][j], here + 1.0)
            if j < len(b):
                dist[i][j + 1] = min(dist[i][j + 1], here + 1.0)
            # two printed characters for one true one (rn -> m), and one for two (m -> rn)
            if i + 1 < len(a) and j < len(b) and b[j] in CONFUSIONS.get(a[i : i + 2], ()):
                dist[i + 2][j + 1] = min(dist[i + 2][j + 1], here + CONFUSION_COST)
            if i < len(a) and j + 1 < len(b) and b[j : j + 2] in CONFUSIONS.get(a[i], ()):
                dist[i + 1][j + 2] = min(dist[i + 1][j + 2], here + CONFUSION_COST)
    return dist[len(a)][len(b)]


@lru_cache(maxsize=8)
def _lexicon(language: str, size: int) -> tuple[dict[str, float], object]:
    """(word -> zipf frequency, SymSpell index) for ``language``; built once per process."""
    from symspellpy import SymSpell
    from wordfreq import top_n_list, zipf_frequency

    words = {word: zipf_frequency(word, language) for word in top_n_list(language, size) if word.isalpha()}
    for word in DOMAIN_WORDS:
        words.setdefault(word, 3.0)
    index = SymSpell(max_dictionary_edit_distance=2, prefix_length=5)
    for word, zipf in words.items():
        index.create_dictionary_entry(word, max(1, int(10 ** zipf)))
    return words, index


#: The frequency given to vocabulary hints: above any ordinary word (Zipf 7 = "the" in English).
HINT_ZIPF = 7.5


def _match_case(template: str, word: str) -> str:
    if not word.islower():  # a hint spelled with capitals ("Metformin", "iPhone") keeps its spelling
        return word.upper() if template.isupper() and len(template) > 1 else word
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class LexicalCorrector:
    """Confusion-aware dictionary corrector (see module notes for what it leaves alone).

    Args:
        languages: ISO 639-1 codes whose lexicons are used (wordfreq must know them).
        lexicon_size: words taken from each frequency list.
        word_confidence: words read at least this sure are never changed.
        digit_confidence: digits are changed only in tokens read less sure than this.
        min_zipf: a candidate must be at least this frequent (Zipf scale: 3 = once per million words).
        hints: domain terms to prefer (drug names, product names, people): they count as known
            words, and a misread word within the edit limit of a hint becomes the hint (spelled as
            given) ahead of any lexicon word. Multi-word hints add each word.
    """

    name = "lexical"

    def __init__(
        self,
        languages: Iterable[str] = ("en",),
        lexicon_size: int = 60_000,
        word_confidence: float = 0.97,
        digit_confidence: float = 0.8,
        min_zipf: float = 2.5,
        hints: Iterable[str] = (),
    ) -> None:
        self.languages = [code for code in languages]
        self.frequent_zipf = 3.5
        self.frequency_margin = 0.5
        self.hints = {w.lower(): w for hint in hints for w in re.findall(r"[^\W\d_][\w'-]*", hint)}
        self.lexicon_size = lexicon_size
        self.word_confidence = word_confidence
        self.digit_confidence = digit_confidence
        self.min_zipf = min_zipf

    def _zipf(self, word: str) -> float:
        lowered = word.lower()
        return max(_lexicon(lang, self.lexicon_size)[0].get(lowered, 0.0) for lang in self.languages)

    def _known(self, word: str) -> bool:
        lowered = word.lower()
        if lowered in self.hints:
            return True
        return any(lowered in _lexicon(lang, self.lexicon_size)[0] for lang in self.languages)

    def correct_token(self, token: str, confidence: float | None = None) -> str:
        """The corrected token (or ``token`` unchanged). ``confidence`` is the OCR's, None if unknown."""
        lead, core, trail = _TOKEN.match(token).groups()
        if not core:
            return token
        letters = sum(ch.isalpha() for ch in core)
        digits = sum(ch.isdigit() for ch in core)
        if "-" in core.strip("-") and not digits:
            # Hyphenated compounds ("police-eourt"): each part on its own.
            parts = [self.correct_token(part, confidence) if part else part for part in core.split("-")]
            return lead + "-".join(parts) + trail
        unsure = confidence is None or confidence < self.word_confidence
        if digits and digits == letters and len(core) <= 3 and unsure:
            # "N0" -> "No": only into very common words.
            fixed = "".join(LETTER_FOR_DIGIT.get(ch, ch) if ch.isdigit() else ch for ch in core)
            if fixed.isalpha() and self._zipf(fixed) >= 4.5:
                return lead + fixed + trail
            return token
        if digits and digits >= letters:
            # Amounts, dates, IDs: only when the OCR itself was unsure, and only letter->digit.
            if confidence is None or confidence >= self.digit_confidence or not letters:
                return token
            fixed = "".join(DIGIT_FOR_LETTER.get(ch, ch) for ch in core)
            return lead + fixed + trail if NUMBER_SHAPE.fullmatch(fixed) else token
        if confidence is not None and confidence >= self.word_confidence and not digits:
            return token
        if not core.replace("-", "").replace("'", "").isalnum() or self._known(core):
            return token
        if core.isupper() and len(core) <= 3 and not digits:
            return token  # acronyms
        if digits and core[:1].isdigit():
            return token  # "5pm", "2nd", "10kg": a number with its unit, not a misread word
        if digits:
            # Letters with stray digits ("Inv0ice", "N0"): digit->letter confusions only.
            fixed = "".join(LETTER_FOR_DIGIT.get(ch, ch) if ch.isdigit() else ch for ch in core)
            if any(ch.isdigit() for ch in fixed) or not self._known(fixed):
                return token
            return lead + _match_case(core, fixed.lower()) if core.isupper() else lead + fixed + trail
        if len(core) < 4:
            return token
        best = self._best_candidate(core, limit=1.0 if len(core) >= 6 else 2 * CONFUSION_COST)
        return token if best is None else lead + _match_case(core, best) + trail

    def candidates(self, word: str, limit: float) -> list[tuple[str, float, float]]:
        """Lexicon words near ``word``: ``(candidate, weighted edit cost, zipf)``, best first.

        Capitalised words (names) only get candidates within OCR confusions.
        """
        from symspellpy import Verbosity

        lowered = word.lower()
        hint_limit = max(limit, 1.0 if len(word) >= 6 else 2 * CONFUSION_COST)
        if word[:1].isupper():
            limit = min(limit, 2 * CONFUSION_COST)  # names: OCR confusions only
        found: dict[str, tuple[float, float]] = {}
        for language in self.languages:
            frequencies, index = _lexicon(language, self.lexicon_size)
            for suggestion in index.lookup(lowered, Verbosity.ALL, max_edit_distance=2):
                candidate = suggestion.term
                zipf = frequencies.get(candidate, 0.0)
                if zipf < self.min_zipf or candidate == lowered:
                    continue
                cost = weighted_distance(lowered, candidate)
                if cost <= limit and (candidate not in found or found[candidate][0] > cost):
                    found[candidate] = (cost, zipf)
        for hint_lower, hint in self.hints.items():  # a handful of terms: compared directly
            cost = weighted_distance(lowered, hint_lower)
            if hint_lower != lowered and cost <= hint_limit:
                found[hint if not hint.islower() else hint_lower] = (cost - 0.01, HINT_ZIPF)
        ranked = sorted(found.items(), key=lambda item: (item[1][0], -item[1][1], item[0]))
        return [(candidate, cost, zipf) for candidate, (cost, zipf) in ranked]

    def _best_candidate(self, word: str, limit: float) -> str | None:
        """The best candidate within ``limit``; failing that, for a lower-case or all-capitals word,
        a single-edit candidate that is clearly the most frequent of the single-edit candidates
        (Zipf >= :attr:`frequent_zipf` and ahead of the runner-up by :attr:`frequency_margin`):
        "therb" -> "there" (6.3 vs "herb" 3.8), "fronm" -> "from"; "nack" (back/lack/sack) stays."""
        ranked = self.candidates(word, limit)
        if ranked:
            return ranked[0][0]
        if len(word) < 4 or (word[:1].isupper() and not word.isupper()):
            return None  # a capitalised word is likely a name: OCR confusions only
        single = sorted((c for c in self.candidates(word.lower(), 1.0) if c[1] <= 1.0), key=lambda c: -c[2])
        if single and single[0][2] >= self.frequent_zipf and (
            len(single) == 1 or single[0][2] - single[1][2] >= self.frequency_margin
        ):
            return single[0][0]
        return None

    def is_correctable(self, token: str, confidence: float | None) -> bool:
        """Whether a token may be changed at all: alphabetic, unknown to the lexicon, not an acronym,
        not read with high confidence, at least four letters."""
        core = _TOKEN.match(token).group(2)
        if len(core) < 4 or not core.isalpha() or (core.isupper() and len(core) <= 3):
            return False
        if confidence is not None and confidence >= self.word_confidence:
            return False
        return not self._known(core)

    def correct_text(self, text: str) -> str:
        """Correct plain text (no confidences known), keeping its whitespace."""
        return re.sub(r"\S+", lambda m: self.correct_token(m.group(0)), text)

    def process(self, document: Document) -> Document:
        """Correct every word of ``document`` in place, recording each change; returns it."""
        from clearocr.correction import replace_word

        for page in document.pages:
            for index, line in enumerate(page.lines):
                if not line.words:
                    continue
                for word_index, word in enumerate(line.words):
                    fixed = self.correct_token(word.text, word.confidence)
                    if fixed != word.text:
                        replace_word(document, page, index, word_index, fixed, self.name)
        return document
