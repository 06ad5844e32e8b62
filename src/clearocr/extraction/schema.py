"""Typed schema of extracted invoice and receipt fields (pydantic), each with provenance."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

#: Outcome of an arithmetic check: the figures agree, disagree, or one of them is missing or unsure.
CheckStatus = Literal["passed", "failed", "not_checkable"]


class Alternative(BaseModel):
    """A candidate value that lost: the runner-up of a scored field.

    Attributes:
        value: normalised value (as :attr:`ExtractedField.value`).
        text: as printed.
        score: the scorer's probability in ``[0, 1]`` that this candidate is the field.
        page: 1-based page number.
        bbox: ``(x0, y0, x1, y1)`` pixels on that page.
        source: which candidate generator proposed it.
    """

    value: str
    text: str
    score: float = Field(ge=0.0, le=1.0)
    page: int
    bbox: tuple[int, int, int, int]
    source: str


class ExtractedField(BaseModel):
    """One extracted value and where it came from.

    Attributes:
        value: normalised value: ISO 8601 date (``YYYY-MM-DD``), decimal amount as a string with a dot
            (``"1234.50"``), ISO 4217 currency code, rate as a percentage string (``"25"``), or text.
        text: the value as printed on the page.
        confidence: in ``[0, 1]``: the OCR confidence of the value's words times the rule's certainty.
        page: 1-based page number.
        bbox: ``(x0, y0, x1, y1)`` pixels on that page covering the printed value.
        line_index: index of the line in ``Page.lines``.
        source: which extractor produced it (``"rules"``, ``"llm"``) and by which rule.
    """

    value: str
    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    page: int
    bbox: tuple[int, int, int, int]
    line_index: int
    source: str = "rules"
    score: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="scored extractor: probability that this candidate is the field",
    )
    evidence: list[str] = Field(
        default_factory=list, description="the features that decided, strongest first: 'name (+weight)'"
    )
    runner_up: Alternative | None = None


class LineItem(BaseModel):
    """A row of the item table: description and the numbers printed beside it."""

    description: ExtractedField | None = None
    quantity: ExtractedField | None = None
    unit_price: ExtractedField | None = None
    amount: ExtractedField | None = None


class TaxLine(BaseModel):
    """One tax printed on the document (several rates give several lines).

    Attributes:
        amount: the tax amount.
        rate: the rate as a percentage string (``"25"``), when printed on the same row.
        label: the label as printed ("VAT 25%", "GST", "Moms").
    """

    amount: ExtractedField
    rate: ExtractedField | None = None
    label: str = ""


FIELD_NAMES = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "vendor_name",
    "vendor_address",
    "vendor_tax_id",
    "buyer_name",
    "currency",
    "subtotal",
    "tax_amount",
    "tax_rate",
    "total",
)


class InvoiceFields(BaseModel):
    """Key information of an invoice or receipt. A field the document does not show is None."""

    invoice_number: ExtractedField | None = None
    invoice_date: ExtractedField | None = None
    due_date: ExtractedField | None = None
    vendor_name: ExtractedField | None = None
    vendor_address: ExtractedField | None = None
    vendor_tax_id: ExtractedField | None = None
    buyer_name: ExtractedField | None = None
    currency: ExtractedField | None = None
    subtotal: ExtractedField | None = None
    tax_amount: ExtractedField | None = None
    tax_rate: ExtractedField | None = None
    total: ExtractedField | None = None
    line_items: list[LineItem] = Field(default_factory=list)
    taxes: list[TaxLine] = Field(default_factory=list, description="every tax row; tax_amount is their sum")
    checks: dict[str, CheckStatus] = Field(
        default_factory=dict,
        description="arithmetic checks: passed, failed, or not_checkable when a figure is missing or unsure",
    )
    check_details: dict[str, str] = Field(default_factory=dict, description="the arithmetic of each check")

    def values(self) -> dict[str, str | None]:
        """``{field name: normalised value or None}`` for the scalar fields."""
        return {name: (getattr(self, name).value if getattr(self, name) else None) for name in FIELD_NAMES}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: each field ``{"value", "text", "confidence", "page", "bbox", "source"}`` or null."""
        out: dict[str, Any] = {}
        for name in FIELD_NAMES:
            field = getattr(self, name)
            out[name] = (
                None
                if field is None
                else {
                    "value": field.value,
                    "text": field.text,
                    "confidence": round(field.confidence, 4),
                    "page": field.page,
                    "bbox": list(field.bbox),
                    "line_index": field.line_index,
                    "source": field.source,
                    **(
                        {}
                        if field.score is None
                        else {
                            "score": round(field.score, 4),
                            "evidence": list(field.evidence),
                            "runner_up": (
                                {**field.runner_up.model_dump(), "score": round(field.runner_up.score, 4)}
                                if field.runner_up
                                else None
                            ),
                        }
                    ),
                }
            )
        out["line_items"] = [
            {
                key: (getattr(item, key).value if getattr(item, key) else None)
                for key in ("description", "quantity", "unit_price", "amount")
            }
            for item in self.line_items
        ]
        out["taxes"] = [
            {
                "amount": tax.amount.value,
                "rate": tax.rate.value if tax.rate else None,
                "label": tax.label,
                "page": tax.amount.page,
                "bbox": list(tax.amount.bbox),
            }
            for tax in self.taxes
        ]
        out["checks"] = dict(self.checks)
        out["check_details"] = dict(self.check_details)
        return out
