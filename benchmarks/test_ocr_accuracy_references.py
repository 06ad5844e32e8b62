"""The reference texts the OCR benchmark builds from ground truth (benchmarks/ocr_accuracy.py), on
invented lines and tables: a wrong reference would make every figure measured against it wrong.

It lives beside the benchmark it checks (the test suite in tests/ never imports benchmarks); pytest
collects it from here too (``testpaths`` in pyproject.toml)."""

from __future__ import annotations

import json

import pytest
from ocr_accuracy import SCRIBE_ORDER, html_table_text, ordered_lines

# Two columns of a table, listed column by column (as an OCR engine's block order lists them), a
# page number above, and a caption below.
LINES = [
    ((500, 10, 540, 30), "7"),
    ((100, 100, 200, 120), "Name"),
    ((100, 130, 200, 150), "Ada"),
    ((100, 160, 200, 180), "Grace"),
    ((400, 101, 480, 121), "Year"),
    ((400, 131, 480, 149), "1843"),
    ((400, 159, 480, 181), "1952"),
    ((100, 300, 700, 320), "Table 1: invented"),
]


def test_rows_step_joins_cells_of_a_row_left_to_right() -> None:
    text = ordered_lines(LINES, ["0", "rows 0 50 1000 400"])
    assert text.splitlines() == ["7", "Name Year", "Ada 1843", "Grace 1952", "Table 1: invented"]


def test_ranges_keep_the_given_order() -> None:
    text = ordered_lines(LINES, ["7", "4-6", "0-3"])
    assert text.splitlines()[:3] == ["Table 1: invented", "Year", "1843"]


def test_every_line_must_be_used_once() -> None:
    with pytest.raises(ValueError, match="missing"):
        ordered_lines(LINES, ["0-3"])
    with pytest.raises(ValueError):
        ordered_lines(LINES, ["0-7", "2"])


def test_html_table_read_row_by_row_with_spanning_cells_once() -> None:
    html = (
        "<table><thead><tr><th colspan='2'>Rating</th><th>Meaning</th></tr></thead>"
        "<tbody><tr><td rowspan='2'>Stock</td><td>Buy</td><td>up 15%</td></tr>"
        "<tr><td>Sell</td><td></td></tr></tbody></table>"
    )
    assert html_table_text(html).splitlines() == ["Rating Meaning", "Stock Buy up 15%", "Sell"]


def test_order_file_is_well_formed() -> None:
    orders = json.loads(SCRIBE_ORDER.read_text(encoding="utf-8"))
    for page, steps in orders.items():
        if page.startswith("_"):
            continue
        for step in steps:
            assert (
                step.startswith("rows ")
                and len(step.split()) == 5
                or all(part.isdigit() for part in step.split("-"))
            ), (page, step)
