"""Per-language label vocabularies of invoices and receipts, kept as data (``vocab/<lang>.toml``).

Each file lists, for one language, the printed labels of each concept (``total_strong``: grand-total
wording; ``total_weak``: a bare "total"; ``total_exclude``: rows that print a total-like word but are
not the amount due; ``subtotal``, ``tax``, ``tax_exclude``, ``invoice_number``, ``number_signs``
(``Nº``, ``No.``, ``#``), ``due_date``, ``invoice_date``, ``date_generic``, ``not_invoice_date``,
``tax_id``, ``buyer``, ``recipient``, ``not_vendor``, ``document_titles``, ``item_header``, ``cash``,
``change``, ``rounding``) and its ``date_order`` (``DMY``, ``MDY`` or ``YMD``). The idea follows
invoice2data's templates (keywords as data, not code), with one file per language instead of one
per vendor. A new language is a new file; nothing in the code changes.

:func:`vocabulary` merges the files of the requested languages, and always English: receipts and
invoices printed in other languages often carry English labels ("Total", "VAT", "Invoice No").
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

#: The concepts every vocabulary file may list (a missing key is an empty list).
CONCEPTS = (
    "total_strong",
    "total_weak",
    "total_exclude",
    "subtotal",
    "tax",
    "tax_exclude",
    "invoice_number",
    "number_signs",
    "due_date",
    "invoice_date",
    "date_generic",
    "not_invoice_date",
    "tax_id",
    "buyer",
    "recipient",
    "not_vendor",
    "document_titles",
    "item_header",
    "cash",
    "change",
    "rounding",
)


class UnknownConceptError(KeyError):
    """A vocabulary file names a concept clearocr does not know (a typo in the file)."""


def available_languages() -> tuple[str, ...]:
    """ISO 639-1 codes with a vocabulary file, sorted."""
    folder = resources.files("clearocr.extraction") / "vocab"
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


@lru_cache(maxsize=32)
def _load(language: str) -> dict[str, object]:
    path = resources.files("clearocr.extraction") / "vocab" / f"{language}.toml"
    if not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - set(CONCEPTS) - {"language", "date_order"}
    if unknown:
        raise UnknownConceptError(f"vocab/{language}.toml: unknown key(s) {sorted(unknown)}")
    return data


def keyword_pattern(words: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """A case-insensitive pattern for ``words`` as whole labels, longest first; a space in a label
    matches any run of spaces, or none ("sub total" matches "SUBTOTAL"). An empty list never matches."""
    if not words:
        return re.compile(r"(?!x)x")
    escaped = sorted({re.escape(w).replace(r"\ ", r"\s*") for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z])(" + "|".join(escaped) + r")(?![A-Za-z])", re.IGNORECASE)


@dataclass(frozen=True)
class Vocabulary:
    """Compiled label patterns of one or more languages (attributes named after :data:`CONCEPTS`).

    Attributes:
        languages: the languages merged (requested ones that have a file, plus ``en``).
        words: ``{concept: labels}``, the merged lists.
        day_first: how an ambiguous numeric date reads when the document does not settle it.
    """

    languages: tuple[str, ...]
    words: dict[str, tuple[str, ...]]
    day_first: bool

    def pattern(self, concept: str) -> re.Pattern[str]:
        """The compiled pattern of ``concept`` (see :func:`keyword_pattern`)."""
        return _compiled(self.words[concept])

    def __getattr__(self, name: str) -> re.Pattern[str]:
        if name in CONCEPTS:
            return self.pattern(name)
        raise AttributeError(name)


@lru_cache(maxsize=256)
def _compiled(words: tuple[str, ...]) -> re.Pattern[str]:
    return keyword_pattern(words)


@lru_cache(maxsize=64)
def vocabulary(languages: tuple[str, ...] = ("en",)) -> Vocabulary:
    """The merged vocabulary of ``languages`` (ISO 639-1 codes, ``en-us`` counts as ``en`` read month
    first) plus English. Languages without a file add nothing.

    Raises:
        UnknownConceptError: a vocabulary file has a key that is not a concept.
    """
    base = [code.lower().split("-")[0].split("_")[0] for code in languages]
    merged_languages = tuple(dict.fromkeys([*base, "en"]))
    words: dict[str, list[str]] = {concept: [] for concept in CONCEPTS}
    found = []
    for language in merged_languages:
        data = _load(language)
        if not data:
            continue
        found.append(language)
        for concept in CONCEPTS:
            words[concept].extend(str(w) for w in data.get(concept, []))  # type: ignore[attr-defined]
    first = _load(base[0]) if base else {}
    day_first = not any(code.lower() == "en-us" for code in languages) and first.get("date_order") != "MDY"
    return Vocabulary(
        languages=tuple(found),
        words={concept: tuple(dict.fromkeys(values)) for concept, values in words.items()},
        day_first=day_first,
    )
