"""Lexical post-OCR correction: OCR confusion sets + word lexicons, conservative by construction.

Candidates for a word come from SymSpell (Garbe, "SymSpell: 1 million times faster spelling
correction", 2012; symspellpy) over a lexicon built from wordfreq's frequency lists (Speer et al.,
wordfreq 3) plus an invoice/receipt vocabulary. The choice is a noisy channel (Kernighan, Church & Gale,
"A spelling correction program based on a noisy channel model", COLING 1990): the candidate ``c``
maximising ``log10 P(c) + log10 P(printed | c)``, where ``log10 P(c)`` is the word's Zipf frequency and
the error model :func:`channel_log10` charges an OCR confusion (e/o, u/n, rn/m, 0/o, 1/l ...) far less
than any other edit. The printed word stays unless the best candidate beats it:

* a word the lexicon knows competes with its own frequency plus ``real_word_margin``: "tho" (Zipf 4.4)
  becomes "the" (7.7 - 1.2 for o/e), "bad" (5.5) does not become "had" (6.3 - 1.2);
* an unknown word competes with ``unknown_zipf``, lowered by ``unknown_slope`` per letter beyond four
  (a long non-word is rarely a real word) and raised by ``name_bonus`` if capitalised: "Mawzi" stays,
  "prisoeer" becomes "prisoner";
* two candidates closer than ``ambiguity_margin`` leave the word as printed ("Ths": "The" or "This"?).

What it will not do:

* change a token that is mostly digits (amounts, dates, IDs) unless its OCR confidence is below
  ``digit_confidence`` and the result is all digits and separators;
* change a short all-caps token (acronyms), a hint, a one-letter word, or a word whose OCR
  confidence is at least ``word_confidence``;
* take a candidate rarer than ``min_zipf``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any

from clearocr.correction import replace_word
from clearocr.document import Document

#: OCR confusions: printed-as -> possibly-was, each costing CONFUSION_COST instead of 1.0; the pairs
#: and their sources are data (``confusions.toml`` beside this module).
_CONFUSION_DATA = tomllib.loads(
    resources.files("clearocr.correction").joinpath("confusions.toml").read_text("utf-8")
)
CONFUSIONS: dict[str, tuple[str, ...]] = {}
for _pair in _CONFUSION_DATA["pairs"]:
    _a, _b = _pair.split(":")
    CONFUSIONS[_a] = CONFUSIONS.get(_a, ()) + (_b,)
    CONFUSIONS[_b] = CONFUSIONS.get(_b, ()) + (_a,)
CONFUSION_COST: float = _CONFUSION_DATA["cost"]
#: log10 P(printed | true) per unit of weighted edit distance: the noisy channel. One unlikely edit is
#: -4 (1 in 10,000 characters), an OCR confusion -1.2 (about 6 in 100 of the confusable glyphs).
EDIT_LOG10 = -4.0
DIGIT_FOR_LETTER = {
    "o": "0",
    "O": "0",
    "l": "1",
    "I": "1",
    "i": "1",
    "S": "5",
    "s": "5",
    "B": "8",
    "Z": "2",
    "z": "2",
}
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
NUMBER_SHAPE = re.compile(
    r"\d{1,3}(?:[.,]\d{3})*(?:[.,]\d{1,2})?|\d+|\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}:\d{2}(?::\d{2})?"
)
_TOKEN = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)


def split_token(token: str) -> tuple[str, str, str]:
    """``(leading punctuation, core, trailing punctuation)`` of a token: ``"(Total:"`` ->
    ``("(", "Total", ":")``."""
    match = _TOKEN.match(token)
    assert match is not None  # the pattern matches every string
    return match.group(1), match.group(2), match.group(3)


def channel_log10(printed: str, true: str) -> float:
    """log10 P(``printed`` | ``true``), the OCR error model: :data:`EDIT_LOG10` per unit of
    :func:`weighted_distance` (0 for identical words, -1.2 for one OCR confusion, -4 for another edit)."""
    return EDIT_LOG10 * weighted_distance(printed, true)


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
def _lexicon(language: str, size: int) -> tuple[dict[str, float], Any]:
    """(word -> zipf frequency, SymSpell index) for ``language``; built once per process."""
    from symspellpy import SymSpell
    from wordfreq import top_n_list, zipf_frequency

    words = {word: zipf_frequency(word, language) for word in top_n_list(language, size) if word.isalpha()}
    for word in DOMAIN_WORDS:
        words.setdefault(word, 3.0)
    index = SymSpell(max_dictionary_edit_distance=2, prefix_length=5)
    for word, zipf in words.items():
        index.create_dictionary_entry(word, max(1, int(10**zipf)))
    return words, index


#: The frequency given to vocabulary hints: above any ordinary word (Zipf 7 = "the" in English).
HINT_ZIPF = 7.5


def match_case(template: str, word: str) -> str:
    """``word`` in the letter case of ``template`` (all capitals or capitalised); a ``word`` with capitals
    of its own (a hint such as "iPhone") keeps them unless ``template`` is all capitals."""
    if not word.islower():  # a hint spelled with capitals ("Metformin", "iPhone") keeps its spelling
        return word.upper() if template.isupper() and len(template) > 1 else word
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def line_break_fragments(lines: list[list[str]]) -> set[tuple[int, int]]:
    """``(line, word)`` positions of the halves of words hyphenated at a line end: a last word ending
    in "-" after a letter, and the first word of the next line when it starts in lower case."""
    found: set[tuple[int, int]] = set()
    for index, tokens in enumerate(lines):
        if tokens and len(tokens[-1]) > 1 and tokens[-1].endswith("-") and tokens[-1][-2].isalpha():
            found.add((index, len(tokens) - 1))
            following = lines[index + 1] if index + 1 < len(lines) else []
            if following and following[0][:1].islower():
                found.add((index + 1, 0))
    return found


class LexicalCorrector:
    """Confusion-aware dictionary corrector (see module notes for what it leaves alone).

    Args:
        languages: ISO 639-1 codes whose lexicons are used (wordfreq must know them).
        lexicon_size: words taken from each frequency list.
        word_confidence: words read at least this sure are never changed.
        digit_confidence: digits are changed only in tokens read less sure than this.
        min_zipf: a candidate must be at least this frequent (Zipf scale: 3 = once per million words).
        unknown_zipf: the score an unknown printed word keeps (Zipf scale, see module notes).
        unknown_slope: how much lower that score is per letter beyond four.
        real_word_margin: how far a candidate must beat a known printed word (Zipf units); None
            leaves known words alone.
        name_bonus: added to the keep score of an unknown word that starts with a capital (names,
            places, brands and codes are seldom in the lexicon).
        ambiguity_margin: the best candidate must beat the runner-up by this much (Zipf units), else
            the word is left for a corrector with context: "Ths" may be "The" or "This".
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
        min_zipf: float = 2.0,
        hints: Iterable[str] = (),
        unknown_zipf: float = 2.0,
        unknown_slope: float = 0.5,
        real_word_margin: float | None = 1.0,
        name_bonus: float = 1.5,
        ambiguity_margin: float = 1.0,
    ) -> None:
        self.ambiguity_margin = ambiguity_margin
        self.name_bonus = name_bonus
        self.languages = [code for code in languages]
        self.unknown_zipf = unknown_zipf
        self.unknown_slope = unknown_slope
        self.real_word_margin = real_word_margin
        self._cache: dict[str, str | None] = {}
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
        lead, core, trail = split_token(token)
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
        if not core.replace("-", "").replace("'", "").isalnum():
            return token
        if core.isupper() and len(core) <= 3 and not digits:
            return token  # acronyms
        if digits and core[:1].isdigit():
            return token  # "5pm", "2nd", "10kg": a number with its unit, not a misread word
        if digits:
            # Letters with stray digits ("Inv0ice", "N0"): digit->letter confusions only.
            if self._known(core):
                return token
            fixed = "".join(LETTER_FOR_DIGIT.get(ch, ch) if ch.isdigit() else ch for ch in core)
            if any(ch.isdigit() for ch in fixed) or not self._known(fixed):
                return token
            return lead + match_case(core, fixed.lower()) if core.isupper() else lead + fixed + trail
        if len(core) < 2 or not core.isalpha():
            return token
        best = self.best_spelling(core)
        return token if best is None else lead + match_case(core, best) + trail

    def keep_score(self, word: str) -> float | None:
        """The noisy-channel score the printed ``word`` keeps (Zipf units): its frequency plus
        ``real_word_margin`` if the lexicon knows it, else ``unknown_zipf`` less ``unknown_slope`` per
        letter beyond four. None for a word never to change (a hint, or a known word with
        ``real_word_margin=None``)."""
        lowered = word.lower()
        if lowered in self.hints:
            return None
        if self._known(word):
            return None if self.real_word_margin is None else self._zipf(word) + self.real_word_margin
        name = self.name_bonus if word[:1].isupper() else 0.0
        return self.unknown_zipf + name - self.unknown_slope * max(0, len(word) - 4)

    def best_spelling(self, word: str) -> str | None:
        """The lower-case spelling that should replace ``word`` (None: keep it), by the noisy channel
        described in the module notes. Results are cached per corrector."""
        if word in self._cache:
            return self._cache[word]
        keep = self.keep_score(word)
        best = None
        if keep is not None:
            ranked = [(zipf + channel, candidate) for candidate, channel, zipf in self.candidates(word)[:2]]
            if (
                ranked
                and ranked[0][0] > keep
                and (len(ranked) == 1 or ranked[0][0] - ranked[1][0] >= self.ambiguity_margin)
            ):
                best = ranked[0][1]
        if len(self._cache) < 200_000:
            self._cache[word] = best
        return best

    def candidates(self, word: str, limit: float | None = None) -> list[tuple[str, float, float]]:
        """Lexicon words and hints near ``word``: ``(candidate, log10 P(word | candidate), zipf)``,
        ranked by ``zipf + log10 P(word | candidate)``, best first. SymSpell proposes words within two
        edits (one for two-letter words); ``limit`` (weighted edit distance) narrows them further."""
        from symspellpy import Verbosity

        lowered = word.lower()
        reach = 1 if len(lowered) <= 2 else 2
        found: dict[str, tuple[float, float]] = {}
        for language in self.languages:
            frequencies, index = _lexicon(language, self.lexicon_size)
            for suggestion in index.lookup(lowered, Verbosity.ALL, max_edit_distance=reach):
                candidate = suggestion.term
                zipf = frequencies.get(candidate, 0.0)
                if zipf < self.min_zipf or candidate == lowered:
                    continue
                cost = weighted_distance(lowered, candidate)
                if limit is not None and cost > limit:
                    continue
                if candidate not in found or found[candidate][1] < zipf:
                    found[candidate] = (EDIT_LOG10 * cost, zipf)
        for hint_lower, hint in self.hints.items():  # a handful of terms: compared directly
            cost = weighted_distance(lowered, hint_lower)
            if hint_lower != lowered and cost <= max(
                limit or 0.0, 1.0 if len(word) >= 6 else 2 * CONFUSION_COST
            ):
                found[hint if not hint.islower() else hint_lower] = (EDIT_LOG10 * cost, HINT_ZIPF)
        ranked = sorted(found.items(), key=lambda item: (-(item[1][0] + item[1][1]), item[0]))
        return [(candidate, channel, zipf) for candidate, (channel, zipf) in ranked]

    def is_correctable(self, token: str, confidence: float | None) -> bool:
        """Whether a token may be changed at all: alphabetic, at least two letters, not an acronym or
        a hint, not read with high confidence, and unknown to the lexicon or (with
        ``real_word_margin`` set) known."""
        core = split_token(token)[1]
        if len(core) < 2 or not core.isalpha() or (core.isupper() and len(core) <= 3):
            return False
        if confidence is not None and confidence >= self.word_confidence:
            return False
        return self.keep_score(core) is not None

    def doubtful(self, token: str, confidence: float | None, band: float = 2.0) -> bool:
        """Whether ``token`` is worth a second opinion (a language model's): correctable (see
        :meth:`is_correctable`) and either unknown to the lexicon or with a candidate whose
        noisy-channel score comes within ``band`` Zipf units of the printed word's keep score."""
        if not self.is_correctable(token, confidence):
            return False
        core = split_token(token)[1]
        if not self._known(core):
            return True
        keep = self.keep_score(core)
        options = self.candidates(core)[:1]
        return keep is not None and bool(options) and options[0][1] + options[0][2] > keep - band

    def correct_text(self, text: str) -> str:
        """Correct plain text (no confidences known), keeping its whitespace. The two halves of a word
        hyphenated across lines ("Congre-" / "gational") are left alone: neither is a word."""
        lines = text.split("\n")
        fragments = line_break_fragments([line.split() for line in lines])
        out = []
        for index, line in enumerate(lines):
            position = iter(range(len(line.split())))
            out.append(
                re.sub(
                    r"\S+",
                    lambda m, index=index, position=position: (
                        m.group(0)  # type: ignore[misc]
                        if (index, next(position)) in fragments
                        else self.correct_token(m.group(0))
                    ),
                    line,
                )
            )
        return "\n".join(out)

    def process(self, document: Document) -> Document:
        """Correct every word of ``document`` in place, recording each change; returns it."""
        for page in document.pages:
            fragments = line_break_fragments([[w.text for w in line.words] for line in page.lines])
            for index, line in enumerate(page.lines):
                if not line.words:
                    continue
                for word_index, word in enumerate(line.words):
                    if (index, word_index) in fragments:
                        continue
                    fixed = self.correct_token(word.text, word.confidence)
                    if fixed != word.text:
                        replace_word(document, page, index, word_index, fixed, self.name)
        return document
