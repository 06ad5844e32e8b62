"""Post-OCR correction: a chain of post-processors applied to a Document, every change recorded.

A post-processor is any of:

* a callable ``str -> str``, applied to each line's text (or to each page's text when it has an
  attribute ``per_page = True``);
* an object with ``process(document) -> Document`` (e.g. :class:`~clearocr.correction.lexical.LexicalCorrector`);
* the name of a built-in (``"lexical"``);
* a list of these, applied in order.

The Document keeps its raw OCR text (``Document.raw_text``) and gains ``corrected_text`` and
``corrections`` (page, line, word, from, to, by) in its JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from clearocr.document import Correction, Document, Line, Page, Word, join_texts
from clearocr.errors import OptionsError
from clearocr.registry import Registry

PostProcessor = str | Callable[[str], str] | Any | Iterable[Any]

#: Post-processors by name (imported on first use): the built-ins, and third-party ones declared in
#: the ``clearocr.postprocessors`` entry-point group (a class taking keyword options, with
#: ``process(document)`` or ``correct_text(text)``).
POSTPROCESSORS: Registry[Any] = Registry(
    "post-processor",
    "clearocr.postprocessors",
    {
        "lexical": "clearocr.correction.lexical:LexicalCorrector",
        # needs backend=... (an LLMBackend); Reader(correct="llm") supplies its loaded model
        "llm_rescoring": "clearocr.correction.rescoring:LLMRescoringCorrector",
        "llm_correction": "clearocr.correction.generative:LLMCorrectionCorrector",
    },
    OptionsError,
)


def builtin(name: str, **options: Any) -> Any:
    """Instantiate the built-in post-processor called ``name``.

    Raises:
        OptionsError: unknown name (the message lists the known ones).
    """
    return POSTPROCESSORS.get(name)(**options)


def _processor_name(processor: Any) -> str:
    return (
        getattr(processor, "name", None) or getattr(processor, "__name__", None) or type(processor).__name__
    )


def _apply_text_function(document: Document, function: Callable[[str], str]) -> None:
    name = _processor_name(function)
    if getattr(function, "per_page", False):
        for page in document.pages:
            new_text = function(page.text)
            if not isinstance(new_text, str):
                raise TypeError(f"post-processor {name} returned {type(new_text).__name__}, not str")
            new_lines = new_text.split("\n")
            if len(new_lines) == len(page.lines):
                for index, (line, text) in enumerate(zip(page.lines, new_lines)):
                    set_line_text(document, page, index, line, text, name)
            elif new_text != page.text:
                # The processor changed the number of lines: keep its text as one line per row it gave.
                document.corrections.append(Correction(page.number, None, None, page.text, new_text, name))
                page.lines = [
                    Line(text, page.lines[0].bbox if page.lines else (0, 0, 0, 0), 1.0, [])
                    for text in new_lines
                ]
                page.blocks = []  # they indexed the old lines
        return
    for page in document.pages:
        for index, line in enumerate(page.lines):
            new_text = function(line.text)
            if not isinstance(new_text, str):
                raise TypeError(f"post-processor {name} returned {type(new_text).__name__}, not str")
            set_line_text(document, page, index, line, new_text, name)


def set_line_text(document: Document, page: Page, index: int, line: Line, text: str, by: str) -> None:
    """Replace a line's text, recording word-level changes when the word count is unchanged and a
    line-level change otherwise."""
    if text == line.text:
        return
    tokens = text.split()
    if len(tokens) == len(line.words):
        for word_index, (word, token) in enumerate(zip(line.words, tokens)):
            if word.text != token:
                document.corrections.append(Correction(page.number, index, word_index, word.text, token, by))
                word.text = token
    else:
        document.corrections.append(Correction(page.number, index, None, line.text, text, by))
    line.text = text


def replace_word(
    document: Document, page: Page, line_index: int, word_index: int, text: str, by: str
) -> None:
    """Replace one word, editing the line's text at that word's position (its spacing is kept)."""
    line = page.lines[line_index]
    word = line.words[word_index]
    start = line.word_spans()[word_index][0]
    document.corrections.append(Correction(page.number, line_index, word_index, word.text, text, by))
    if start >= 0:
        line.text = line.text[:start] + text + line.text[start + len(word.text) :]
    word.text = text
    if start < 0:
        line.text = join_texts([w.text for w in line.words])


def merge_words(
    document: Document, page: Page, line_index: int, start: int, stop: int, text: str, by: str
) -> None:
    """Replace words ``start..stop-1`` of a line by one word ``text`` whose bbox covers theirs and whose
    confidence is their lowest (a merge such as "tbe re" -> "there"); the line's text is rebuilt."""
    line = page.lines[line_index]
    words = line.words[start:stop]
    old = " ".join(w.text for w in words)
    document.corrections.append(Correction(page.number, line_index, start, old, text, by))
    bbox = (
        min(w.bbox[0] for w in words),
        min(w.bbox[1] for w in words),
        max(w.bbox[2] for w in words),
        max(w.bbox[3] for w in words),
    )
    line.words[start:stop] = [Word(text, bbox, min(w.confidence for w in words))]
    line.text = join_texts([w.text for w in line.words])


def apply_postprocessors(document: Document, processors: PostProcessor) -> Document:
    """Run ``processors`` over ``document`` in order (in place) and return it.

    The raw OCR text is kept on first use (``document.raw_text``). Raises OptionsError for an
    unknown built-in name and TypeError for something that is not a post-processor.
    """
    if document.raw_text is None:
        document.raw_text = document.text
    if processors is None:
        return document
    if isinstance(processors, str):
        processors = builtin(processors)
    if isinstance(processors, (list, tuple)):
        for processor in processors:
            document = apply_postprocessors(document, processor)
        return document
    if hasattr(processors, "process"):
        result = processors.process(document)
        return document if result is None else result
    if callable(processors):
        _apply_text_function(document, processors)
        return document
    raise TypeError(
        f"not a post-processor: {processors!r} (expected a callable, an object with process(), a name or a list)"
    )
