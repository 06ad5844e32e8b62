"""Typed schema of extracted invoice and receipt fields (pydantic), each with provenance."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


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


class LineItem(BaseModel):
    """A row of the item table: description and the numbers printed beside it."""

    description: ExtractedField | None = None
    quantity: ExtractedField | None = None
    unit_price: ExtractedField | None = None
    amount: ExtractedField | None = None


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
    checks: dict[str, bool] = Field(default_factory=dict, description="arithmetic checks that could be run")

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
                }
            )
        out["line_items"] = [
            {
                key: (getattr(item, key).value if getattr(item, key) else None)
                for key in ("description", "quantity", "unit_price", "amount")
            }
            for item in self.line_items
        ]
        out["checks"] = dict(self.checks)
        return out
