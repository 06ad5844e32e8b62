"""The built-in correction chain, built in one place for the reader (``correct=...``) and the tutorial
facade (``AI.set_post_processor("spell_check")``): the lexical corrector first (OCR confusions and word
lexicons, the guard every later step reuses), then, when a model is given, either LLM rescoring of the
spellings of unsure words (a model that gives log-probabilities) or guarded generative correction (one
that does not, or when asked for). Post-processors are made through the
:data:`~clearocr.correction.POSTPROCESSORS` registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from clearocr.correction import POSTPROCESSORS
from clearocr.correction.generative import NOTES_PROMPT, SYSTEM_PROMPT
from clearocr.errors import OptionsError

#: What follows the lexical corrector: nothing, LLM rescoring, or guarded generative correction.
ChainKind = Literal["lexical", "rescoring", "generative"]


def build_chain(
    kind: ChainKind,
    languages: Sequence[str],
    hints: Sequence[str] = (),
    backend: Any = None,
    prompt: str | None = None,
) -> list[Any]:
    """The post-processors of one correction.

    Args:
        kind: ``"lexical"`` (the lexical corrector alone), ``"rescoring"`` (+ LLM rescoring,
            :class:`~clearocr.correction.rescoring.LLMRescoringCorrector`) or ``"generative"`` (+ guarded
            LLM correction, :class:`~clearocr.correction.generative.LLMCorrectionCorrector`).
        languages: lexicon languages (wordfreq codes).
        hints: vocabulary the corrector should prefer (names, drugs, products).
        backend: the loaded :class:`~clearocr.llm.LLMBackend` (needed unless ``kind`` is lexical).
        prompt: the generative corrector's system prompt: ``"notes"`` (handwritten notes), a prompt of
            your own, or None (the default invoice/receipt prompt).

    Returns:
        The post-processors, in the order they run.

    Raises:
        OptionsError: a model step without a backend.
    """
    lexical = POSTPROCESSORS.get("lexical")(list(languages), hints=list(hints))
    if kind == "lexical":
        return [lexical]
    if backend is None:
        raise OptionsError(f"the {kind} correction needs a language model")
    if kind == "rescoring":
        return [lexical, POSTPROCESSORS.get("llm_rescoring")(backend, list(languages), lexical=lexical)]
    system_prompt = NOTES_PROMPT if prompt == "notes" else (prompt or SYSTEM_PROMPT)
    generative = POSTPROCESSORS.get("llm_correction")
    return [lexical, generative(backend, list(languages), lexical=lexical, system_prompt=system_prompt)]
