"""The synthetic invoice generator (benchmarks/synth_invoices.py) draws consistent documents, and the
extractor reads their fields from the drawn text in every locale (development data: a regression guard,
not a reported figure)."""

import json
from decimal import Decimal

import pytest

pytest.importorskip("faker")
pytest.importorskip("babel")

import synth_invoices  # benchmarks/ is on sys.path when pytest collects this file


def test_generated_documents_are_consistent_and_seeded(tmp_path):
    first = synth_invoices.generate(tmp_path / "a", ["de_DE", "id_ID"], 1, seed=7)
    again = synth_invoices.generate(tmp_path / "b", ["de_DE", "id_ID"], 1, seed=7)
    assert len(first) == 6
    for one, two in zip(first, again):
        truth = json.loads(one.with_suffix(".json").read_text())
        assert truth == json.loads(two.with_suffix(".json").read_text())
        assert Decimal(truth["subtotal"]) + Decimal(truth["tax"]) == Decimal(truth["total"])
        assert truth["boxes"]["total"][2] > truth["boxes"]["total"][0]


def test_fields_of_every_locale_are_read_from_the_drawn_text(tmp_path):
    locales = [
        code
        for code in synth_invoices.LOCALES
        if code not in synth_invoices.CJK_LOCALES or synth_invoices.CJK_FONT.exists()
    ]
    synth_invoices.generate(tmp_path, locales, 1, seed=3)
    result = synth_invoices.evaluate(tmp_path, "oracle", "scored")
    rows = result["rows"]
    assert {row["locale"] for row in rows} == set(locales)
    right = [f["right"] for row in rows for f in row["fields"].values()]
    assert sum(right) / len(right) >= 0.9, synth_invoices.table(result, show_misses=True)
    totals = [row["fields"]["total"]["right"] for row in rows]
    assert sum(totals) >= len(totals) - 1, synth_invoices.table(result, show_misses=True)
