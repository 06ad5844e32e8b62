"""Candidates scored by evidence: the default key-information extractor.

For each scored field (``total``, ``invoice_date``, ``vendor_name``, ``vendor_address``,
``invoice_number``) every plausible value on the page becomes a :class:`Candidate` (every amount,
every date, every header line and pair of lines, every legal name in the footer, every run of lines
under the vendor, every identifier near a number label) with numeric features: labels on its row or
the row above (from the language vocabularies, :mod:`clearocr.extraction.vocab`), position on the
page, text height, repetition, and arithmetic agreement (subtotal + tax = total, cash - change,
the line items' sum). A conditional logit per field (McFadden, "Conditional logit analysis of
qualitative choice behavior", 1973) turns the features of a document's candidates into probabilities
that sum to one; the best candidate wins when its probability clears the field's threshold, and the result keeps the
runner-up and the features that decided (``evidence``).

The weights ship in ``model.json``. They are fitted by ``benchmarks/extraction_cv.py`` on the 90
SROIE dev receipts and the invoice2data + parsee invoices (OCR and text layer), and the figures in
docs/extraction.md come from 5-fold cross-validation (weights fitted on four folds, scored on the
fifth). Fields that a label settles alone (subtotal, taxes, due date, tax id, buyer, currency, line
items) come from :class:`~clearocr.extraction.rules.RuleExtractor`'s keyword rules.

The weights are fitted as a pairwise logistic regression (differences of right and wrong candidates'
features, the usual way to fit a linear ranker) with scikit-learn's ``LogisticRegression``, only at
training time; scoring here is a dot product and a softmax.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from clearocr.document import Document
from clearocr.extraction.candidates import (
    Candidate,
    Context,
    address_candidates,
    date_candidates,
    invoice_number_candidates,
    total_candidates,
    vendor_candidates,
)
from clearocr.extraction.evidence import (
    LineRef,
    implied_subtotal,
    make_field,
    reconcile,
)
from clearocr.extraction.rules import RuleExtractor
from clearocr.extraction.schema import Alternative, ExtractedField, InvoiceFields, LineItem, TaxLine
from clearocr.extraction.values import (
    find_percentages,
)

#: Fields chosen among candidates by the fitted scorer, in the order they are decided (the address
#: depends on the vendor).
SCORED_FIELDS = ("total", "invoice_date", "vendor_name", "vendor_address", "invoice_number")


#: Weights of the LLM candidate source where the model file has none (hand-set: no LLM answers were
#: available for the whole training data; validated on a subset, docs/extraction.md): agreement with
#: another candidate adds 2.0 to its logit; an answer no other candidate holds starts 1.0 lower.
LLM_WEIGHTS = {"llm_agrees": 2.0, "llm_only": -1.0}


@dataclass
class _LineStub:
    """The located line of an LLM answer (bbox and confidence only)."""

    bbox: tuple[int, int, int, int]
    confidence: float
    text: str

    @classmethod
    def of(cls, answer: ExtractedField) -> Any:
        return cls(answer.bbox, answer.confidence, answer.text)


@dataclass(frozen=True)
class FieldModel:
    """Weights of one field's conditional logit: a candidate's logit is ``intercept + sum(coef[f] * x[f])``
    and its probability is the softmax of the logits over the document's candidates.

    Attributes:
        coef: ``{feature: weight}``.
        intercept: the bias.
        threshold: the least probability at which the best candidate is taken (else the field is None).
    """

    coef: dict[str, float]
    intercept: float
    threshold: float = 0.0

    def logit(self, features: dict[str, float]) -> float:
        """The linear score of ``features`` (LLM features weighted by :data:`LLM_WEIGHTS` unless fitted)."""
        score = self.intercept + sum(w * features.get(name, 0.0) for name, w in self.coef.items())
        for name, w in LLM_WEIGHTS.items():
            if name not in self.coef and name in features:
                score += w * features[name]
        return score

    def probability(self, features: dict[str, float]) -> float:
        """The probability in ``[0, 1]`` that a candidate with ``features`` is the field."""
        z = max(-50.0, min(50.0, self.logit(features)))
        return 1.0 / (1.0 + math.exp(-z))

    def softmax(self, candidates: Sequence[dict[str, float]]) -> list[float]:
        """Probabilities of the candidates of one document (features each), summing to 1: the
        conditional logit ``exp(z_i) / sum_j exp(z_j)`` (McFadden 1973)."""
        if not candidates:
            return []
        logits = [self.logit(f) for f in candidates]
        top = max(logits)
        weights = [math.exp(z - top) for z in logits]
        total = sum(weights)
        return [w / total for w in weights]

    def evidence(self, features: dict[str, float], top: int = 4) -> list[str]:
        """The features that moved the score most, strongest first: ``["kw_total_strong_row (+3.1)", ...]``."""
        weights = {**{k: v for k, v in LLM_WEIGHTS.items() if k not in self.coef}, **self.coef}
        parts = [(w * features.get(name, 0.0), name) for name, w in weights.items()]
        parts = [p for p in parts if abs(p[0]) >= 0.05]
        parts.sort(key=lambda p: -abs(p[0]))
        return [f"{name} ({value:+.2f})" for value, name in parts[:top]]


@dataclass(frozen=True)
class ScoringModel:
    """The fitted weights of every scored field, and where they came from."""

    fields: dict[str, FieldModel]
    provenance: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoringModel:
        """From the JSON shape ``{"fields": {name: {"coef", "intercept", "threshold"}}, "provenance"}``."""
        return cls(
            fields={
                name: FieldModel(
                    coef={k: float(v) for k, v in spec["coef"].items()},
                    intercept=float(spec["intercept"]),
                    threshold=float(spec.get("threshold", 0.0)),
                )
                for name, spec in data["fields"].items()
            },
            provenance=dict(data.get("provenance", {})),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape :meth:`from_dict` reads."""
        return {
            "provenance": self.provenance,
            "fields": {
                name: {"coef": m.coef, "intercept": m.intercept, "threshold": m.threshold}
                for name, m in self.fields.items()
            },
        }


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> ScoringModel:
    """The scoring weights: ``path`` (a JSON file), else the ``model.json`` shipped with clearocr.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        KeyError, ValueError: the file is not a model file.
    """
    if path is not None:
        text = Path(path).read_text(encoding="utf-8")
    else:
        text = (resources.files("clearocr.extraction") / "model.json").read_text(encoding="utf-8")
    return ScoringModel.from_dict(json.loads(text))


# -- the extractor -----------------------------------------------------------------------------------
class ScoredExtractor:
    """Candidates scored by fitted weights (see the module docstring). Stateless; thread-safe.

    Args:
        languages: ISO 639-1 codes of the document: their label vocabularies (plus English) and date order.
        model: fitted weights (default: the shipped ``model.json``).
    """

    name = "scored"

    def __init__(self, languages: Iterable[str] = ("en",), model: ScoringModel | None = None) -> None:
        self.languages = tuple(languages) or ("en",)
        self.model = model or load_model()

    def candidates(
        self, document: Document, field_name: str, decided: dict[str, Candidate | None] | None = None
    ) -> list[Candidate]:
        """The candidates of ``field_name`` in ``document`` (for training and inspection); ``decided``
        holds the fields already chosen (the address needs the vendor)."""
        ctx = Context.of(document, self.languages)
        if not ctx.refs:
            return []
        self._prepare(ctx, RuleExtractor(self.languages)._line_items(ctx.refs))
        return self._generate(ctx, field_name, decided or {})

    @staticmethod
    def _prepare(ctx: Context, items: Sequence[LineItem]) -> None:
        """Record the line items' sum (a feature of total candidates)."""
        amounts = [Decimal(i.amount.value) for i in items if i.amount]
        ctx.items_sum = sum(amounts, Decimal(0)) if amounts else None

    @staticmethod
    def _generate(ctx: Context, field_name: str, decided: dict[str, Candidate | None]) -> list[Candidate]:
        if field_name == "total":
            return total_candidates(ctx)
        if field_name == "invoice_date":
            return date_candidates(ctx)
        if field_name == "vendor_name":
            return vendor_candidates(ctx)
        if field_name == "vendor_address":
            return address_candidates(ctx, decided.get("vendor_name"))
        if field_name == "invoice_number":
            return invoice_number_candidates(ctx)
        raise KeyError(field_name)

    def choose(
        self, field_name: str, candidates: Sequence[Candidate]
    ) -> tuple[Candidate | None, float, list[tuple[Candidate, float]]]:
        """The best candidate (None under the threshold), its probability, and all ``(candidate,
        probability)`` pairs best first (ties keep document order)."""
        model = self.model.fields.get(field_name)
        if model is None or not candidates:
            return None, 0.0, []
        probabilities = model.softmax([c.features for c in candidates])
        scored = sorted(zip(candidates, probabilities), key=lambda cp: -cp[1])
        best, p = scored[0]
        return (best if p >= model.threshold else None), p, scored

    def extract(self, document: Document, llm_fields: InvoiceFields | None = None) -> InvoiceFields:
        """Fields of ``document`` (OCR'd or text-layer); absent fields are None.

        Args:
            document: the read document.
            llm_fields: the located answers of :class:`~clearocr.extraction.llm.LLMExtractor` (values
                found printed on the page). Each is a candidate source like the others: a candidate
                whose value the model also gave gains the feature ``llm_agrees``; an answer that no
                candidate holds becomes a candidate of its own (``llm_only``). Their weights are
                :data:`LLM_WEIGHTS` unless the model file fits them.

        Returns:
            :class:`InvoiceFields`; scored fields carry ``score``, ``evidence`` and ``runner_up``.
        """
        ctx = Context.of(document, self.languages)
        if not ctx.refs:
            return InvoiceFields()
        rules = RuleExtractor(self.languages)
        rules.whole_amounts = ctx.whole_amounts
        fields = InvoiceFields()
        fields.line_items = rules._line_items(ctx.refs)
        self._prepare(ctx, fields.line_items)
        fields.subtotal = rules._keyword_amount(ctx.refs, ctx.vocab.subtotal, exclude=None, rule="subtotal")
        fields.taxes = self._taxes(ctx)
        if fields.taxes:
            amounts = [Decimal(t.amount.value) for t in fields.taxes]
            first = fields.taxes[0]
            fields.tax_amount = first.amount.model_copy()
            if len(fields.taxes) > 1:
                fields.tax_amount.value = f"{sum(amounts, Decimal(0)):.2f}"
                fields.tax_amount.source = "rules:tax_lines_sum"
            fields.tax_rate = first.rate if len(fields.taxes) == 1 else None
        fields.due_date = rules._date(ctx.refs, ctx.vocab.due_date, ctx.day_first, rule="due_date")
        fields.vendor_tax_id = rules._tax_id(ctx.refs)
        fields.buyer_name = rules._buyer(ctx.refs)
        fields.currency = rules._currency(ctx.refs)
        decided: dict[str, Candidate | None] = {}
        for name in SCORED_FIELDS:
            candidates = self._generate(ctx, name, decided)
            if llm_fields is not None:
                candidates = self._with_llm(name, candidates, getattr(llm_fields, name))
            best, p, scored = self.choose(name, candidates)
            decided[name] = best
            setattr(fields, name, None if best is None else self._field(name, best, p, scored))
        if fields.invoice_date and fields.due_date and fields.invoice_date.value == fields.due_date.value:
            if (
                fields.due_date.line_index == fields.invoice_date.line_index
                and fields.due_date.page == fields.invoice_date.page
            ):
                fields.due_date = None  # the one date of the document is the invoice date, not a due date
        if fields.subtotal is None:
            fields.subtotal = implied_subtotal(ctx.refs, ctx.amounts, fields)
        header = any(len(ctx.vocab.item_header.findall(r.text)) >= 2 for r in ctx.refs)
        reconcile(fields, ctx.cash_change, items_delimited=header)
        return fields

    @staticmethod
    def _with_llm(name: str, candidates: list[Candidate], answer: ExtractedField | None) -> list[Candidate]:
        if answer is None:
            return candidates

        def key(value: str) -> str:
            return (
                re.sub(r"[^0-9a-z]", "", value.casefold())
                if name in ("vendor_name", "vendor_address")
                else value
            )

        agreeing = [c for c in candidates if key(c.value) == key(answer.value)]
        for candidate in agreeing:
            candidate.features["llm_agrees"] = 1.0
        if agreeing:
            return candidates
        ref = LineRef(answer.page, answer.line_index, _LineStub.of(answer), 1)
        llm_candidate = Candidate(
            name, answer.value, answer.text, [ref], 0, 0, "llm", {"llm_agrees": 1.0, "llm_only": 1.0}
        )
        return [*candidates, llm_candidate]

    def _field(
        self, name: str, best: Candidate, p: float, scored: list[tuple[Candidate, float]]
    ) -> ExtractedField:
        model = self.model.fields[name]
        bbox, ocr_confidence = best.bbox_and_confidence
        runner = next(((c, q) for c, q in scored[1:] if c.value != best.value), None)
        alternative = None
        if runner is not None:
            rbox, _ = runner[0].bbox_and_confidence
            alternative = Alternative(
                value=runner[0].value,
                text=runner[0].text,
                score=runner[1],
                page=runner[0].refs[0].page,
                bbox=rbox,
                source=runner[0].source,
            )
        return ExtractedField(
            value=best.value,
            text=best.text,
            confidence=max(0.0, min(1.0, p * ocr_confidence)),
            page=best.refs[0].page,
            bbox=bbox,
            line_index=best.refs[0].index,
            source=f"scored:{best.source}",
            score=p,
            evidence=model.evidence(best.features),
            runner_up=alternative,
        )

    @staticmethod
    def _taxes(ctx: Context) -> list[TaxLine]:
        """Every tax row with an amount after its label (distinct by rate and amount)."""
        v = ctx.vocab
        out: list[TaxLine] = []
        seen: set[tuple[str | None, str]] = set()
        for ref, amounts in zip(ctx.refs, ctx.amounts):
            keyword = v.tax.search(ref.text)
            if (
                not keyword
                or v.tax_exclude.search(ref.text)
                or v.total_strong.search(ref.text[: keyword.start()])
            ):
                continue
            after = [m for m in amounts if m.start >= keyword.end()]
            if not after:
                continue
            percents = [p for p in find_percentages(ref.text) if p.start >= keyword.start() - 6]
            amount = after[-1]
            if percents and amount.start < percents[0].end:
                continue
            key = (percents[0].value if percents else None, amount.value)
            if key in seen or Decimal(amount.value) < 0:
                continue
            seen.add(key)
            out.append(
                TaxLine(
                    amount=make_field(ref, amount, 0.85, "tax_amount"),
                    rate=make_field(ref, percents[0], 0.9, "tax_rate") if percents else None,
                    label=ref.text[keyword.start() : amount.start].strip(" :"),
                )
            )
        # A rate-less "Total GST" row repeats the tax lines above it: keep the rated lines.
        if any(t.rate for t in out) and any(t.rate is None for t in out):
            rated_sum = sum((Decimal(t.amount.value) for t in out if t.rate), Decimal(0))
            out = [t for t in out if t.rate is not None or Decimal(t.amount.value) != rated_sum]
        return out
