"""LLM rescoring: let a language model choose among OCR-plausible spellings of unsure words.

Noisy-channel spelling correction (Kernighan, Church & Gale, 1990) with an LLM as the language model,
where the lexical corrector's unigram prior has no context. For each word the lexical corrector may
touch (alphabetic, not read with high confidence, not an acronym or hint), the candidates are its
lexicon neighbours whose unigram noisy-channel score comes within ``band`` of the printed word's (see
:mod:`clearocr.correction.lexical`). Each is put back in its context (``window`` words either side) and
scored by ``log P_LM(context with candidate) + channel_weight * ln P(printed | candidate)``; the printed
word scores ``log P_LM(context as printed)``. A candidate replaces the word only when it wins by
``margin`` nats. The model never writes text, so it cannot invent words, follow instructions in the
document, or touch numbers. Evershed & Fitch ("Correcting noisy OCR: context beats confusion",
DATeCH 2014) found context worth more than the confusion model on newspaper OCR.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from clearocr.correction import replace_word
from clearocr.correction.lexical import LexicalCorrector, line_break_fragments, match_case, split_token
from clearocr.document import Document
from clearocr.llm import LLMBackend


class LLMRescoringCorrector:
    """Candidate rescoring with a language model's likelihood (see module notes).

    Args:
        backend: an LLM backend whose :meth:`~clearocr.llm.LLMBackend.score` works (llama.cpp).
        languages: lexicon languages for the candidates.
        window: context words on each side given to the model.
        max_candidates: lexicon candidates per word, besides the printed word.
        channel_weight: weight of the OCR error model ``ln P(printed | candidate)`` against the model's
            log-likelihood (nats).
        margin: nats by which a candidate must beat the printed word.
        band: a word is rescored only if a candidate's unigram score (Zipf + log10 channel) comes
            within this many Zipf units of the printed word's keep score; the rest is not in question.
        lexical: the lexical corrector supplying candidates, scores and guards (built from ``languages``).
    """

    name = "llm_rescoring"

    def __init__(
        self,
        backend: LLMBackend,
        languages: Iterable[str] = ("en",),
        window: int = 4,
        max_candidates: int = 4,
        channel_weight: float = 1.0,
        margin: float = 1.0,
        band: float = 2.0,
        lexical: LexicalCorrector | None = None,
    ) -> None:
        self.backend = backend
        self.lexical = lexical or LexicalCorrector(languages)
        self.window = window
        self.max_candidates = max_candidates
        self.channel_weight = channel_weight
        self.margin = margin
        self.band = band

    def choose(self, tokens: list[str], index: int, confidence: float | None) -> str:
        """The best spelling for ``tokens[index]`` in its context (the token itself if none is better)."""
        token = tokens[index]
        if not self.lexical.is_correctable(token, confidence):
            return token
        lead, core, trail = split_token(token)
        keep = self.lexical.keep_score(core)
        if keep is None:
            return token
        options = [
            option
            for option in self.lexical.candidates(core)[: self.max_candidates]
            if option[1] + option[2] > keep - self.band
        ]
        if not options:
            return token
        before = tokens[max(0, index - self.window) : index]
        after = tokens[index + 1 : index + 1 + self.window]
        words = [token] + [lead + match_case(core, candidate) + trail for candidate, _, _ in options]
        prefix = " ".join(before) + " " if before else ""
        suffix = " " + " ".join(after) if after else ""
        # One pass over the shared left context; each variant costs its word and the right context.
        scores = self.backend.score_variants(prefix, [word + suffix for word in words])
        printed = scores[0]
        best_word, best_score = token, printed
        for word, value, (_, channel, _) in zip(words[1:], scores[1:], options):
            value += self.channel_weight * channel * math.log(10)
            if value > best_score:
                best_word, best_score = word, value
        return best_word if best_score - printed >= self.margin else token

    def correct_text(self, text: str) -> str:
        """Correct plain text (no confidences known), line by line, keeping whitespace."""
        out_lines = []
        lines = text.split("\n")
        fragments = line_break_fragments([line.split() for line in lines])
        for line_index, line in enumerate(lines):
            tokens = line.split()
            fixed = [
                tokens[i] if (line_index, i) in fragments else self.choose(tokens, i, None)
                for i in range(len(tokens))
            ]
            mapping = iter(fixed)
            out_lines.append(re.sub(r"\S+", lambda _, mapping=mapping: next(mapping), line))  # type: ignore[misc]
        return "\n".join(out_lines)

    def process(self, document: Document) -> Document:
        """Rescore the unsure words of ``document`` in place, recording each change."""
        for page in document.pages:
            fragments = line_break_fragments([[w.text for w in line.words] for line in page.lines])
            for line_index, line in enumerate(page.lines):
                tokens = [w.text for w in line.words]
                for word_index, word in enumerate(line.words):
                    if (line_index, word_index) in fragments:
                        continue
                    fixed = self.choose(tokens, word_index, word.confidence)
                    if fixed != word.text:
                        replace_word(document, page, line_index, word_index, fixed, self.name)
                        tokens[word_index] = fixed
        return document
