"""LLM rescoring: let a language model choose among OCR-plausible spellings of unsure words.

For each word that the lexical corrector may touch (unknown to the lexicon, not read with high
confidence, alphabetic), the candidates are the word itself and its nearest lexicon words under the
OCR-confusion-weighted edit distance. Each candidate is put back in its context (a few words either
side) and scored by the model's log-likelihood minus ``edit_weight`` x the edit cost; a candidate
replaces the word only when it beats the printed word by ``margin`` nats. The model never writes text,
so it cannot invent words, follow instructions in the document, or touch numbers: the approach of
noisy-channel spelling correction (Kernighan, Church & Gale, 1990) with an LLM as the language model.
"""

from __future__ import annotations

import re
from typing import Iterable

from clearocr.correction.lexical import LexicalCorrector, _match_case, _TOKEN
from clearocr.document import Document
from clearocr.llm import LLMBackend


class LLMRescoringCorrector:
    """Candidate rescoring with a language model's likelihood (see module notes).

    Args:
        backend: an LLM backend whose :meth:`~clearocr.llm.LLMBackend.score` works (llama.cpp).
        languages: lexicon languages for the candidates.
        window: context words on each side given to the model.
        max_candidates: lexicon candidates per word, besides the printed word.
        edit_weight: nats charged per unit of weighted edit cost (an OCR confusion costs 0.3).
        margin: nats by which a candidate must beat the printed word.
        lexical: the lexical corrector supplying candidates and guards (built from ``languages``).
        rare_zipf: known words rarer than this (Zipf scale) are candidates for rescoring too, when
            the OCR was unsure of them: real-word errors such as "hive" for "have" (the model
            decides; 0 turns it off). Measured (benchmarks/correction.py, lexical + rescoring): BLN600
            -2.7% -> -3.1% relative CER, HIPE -2.2% -> -2.0% (but WER 29.3% -> 29.0%), at about
            1.3x the rescoring time; 3.5 changed more right words for no further gain.
    """

    name = "llm_rescoring"

    def __init__(
        self,
        backend: LLMBackend,
        languages: Iterable[str] = ("en",),
        window: int = 4,
        max_candidates: int = 4,
        edit_weight: float = 3.0,
        margin: float = 1.0,
        lexical: LexicalCorrector | None = None,
        rare_zipf: float = 3.0,
    ) -> None:
        self.backend = backend
        self.rare_zipf = rare_zipf
        self.lexical = lexical or LexicalCorrector(languages)
        self.window = window
        self.max_candidates = max_candidates
        self.edit_weight = edit_weight
        self.margin = margin

    def choose(self, tokens: list[str], index: int, confidence: float | None) -> str:
        """The best spelling for ``tokens[index]`` in its context (the token itself if none is better)."""
        token = tokens[index]
        if not (self.lexical.is_correctable(token, confidence) or self._rare_known(token, confidence)):
            return token
        lead, core, trail = _TOKEN.match(token).groups()
        options = self.lexical.candidates(core, limit=1.0)[: self.max_candidates]
        if not options:
            return token
        before = tokens[max(0, index - self.window): index]
        after = tokens[index + 1: index + 1 + self.window]

        def score(word: str, cost: float) -> float:
            return self.backend.score(" ".join(before + [word] + after)) - self.edit_weight * cost

        printed = score(token, 0.0)
        best_word, best_score = token, printed
        for candidate, cost, _ in options:
            word = lead + _match_case(core, candidate) + trail
            value = score(word, cost)
            if value > best_score:
                best_word, best_score = word, value
        return best_word if best_score - printed >= self.margin else token

    def _rare_known(self, token: str, confidence: float | None) -> bool:
        """A known but rare alphabetic word the OCR was unsure of (a possible real-word error)."""
        core = _TOKEN.match(token).group(2)
        if len(core) < 3 or not core.isalpha() or (core.isupper() and len(core) <= 3) or core[:1].isupper():
            return False  # short tokens, acronyms and capitalised words (names) are left alone
        if confidence is not None and confidence >= self.lexical.word_confidence:
            return False
        return self.lexical._known(core) and self.lexical._zipf(core) < self.rare_zipf and core.lower() not in self.lexical.hints

    def correct_text(self, text: str) -> str:
        """Correct plain text (no confidences known), line by line, keeping whitespace."""
        out_lines = []
        for line in text.split("\n"):
            tokens = line.split()
            fixed = [self.choose(tokens, i, None) for i in range(len(tokens))]
            mapping = iter(fixed)
            out_lines.append(re.sub(r"\S+", lambda _: next(mapping), line))
        return "\n".join(out_lines)

    def process(self, document: Document) -> Document:
        """Rescore the unsure words of ``document`` in place, recording each change."""
        from clearocr.correction import replace_word

        for page in document.pages:
            for line_index, line in enumerate(page.lines):
                tokens = [w.text for w in line.words]
                for word_index, word in enumerate(line.words):
                    fixed = self.choose(tokens, word_index, word.confidence)
                    if fixed != word.text:
                        replace_word(document, page, line_index, word_index, fixed, self.name)
                        tokens[word_index] = fixed
        return document
