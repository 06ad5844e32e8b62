"""With no language given, a Chinese receipt keeps its Chinese and an English one gains none; a language
restriction that removes text the recogniser was sure of is a warning (issue 26, item 1). Receipts are
drawn here with made-up text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from clearocr.engines.ctc_mask import foreign_script
from tests.fixtures.pages import lines_page

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")  # Debian: fonts-wqy-microhei
CHINESE_LINES = [
    "上海便利店有限公司",
    "发票号码: 04419823",
    "日期: 2024-05-16",
    "矿泉水 2 6.00",
    "面包 1 8.50",
    "合计: 14.50",
    "谢谢惠顾",
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chinese_receipt(tmp_path_factory) -> Path:
    if not CJK_FONT.exists():
        pytest.skip("needs a CJK font: apt-get install fonts-wqy-microhei")
    font = ImageFont.truetype(str(CJK_FONT), 34)
    image = Image.new("RGB", (700, 60 + 60 * len(CHINESE_LINES)), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(CHINESE_LINES):
        draw.text((40, 30 + 60 * row), text, font=font, fill="black")
    path = tmp_path_factory.mktemp("zh") / "receipt.png"
    image.save(path)
    return path


def test_chinese_receipt_reads_in_chinese_with_no_language_given(chinese_receipt):
    import clearocr

    document = clearocr.read(chinese_receipt)
    text = document.text
    for expected in ("上海便利店", "发票号码", "合计", "14.50", "谢谢惠顾"):
        assert expected in text, text
    assert document.languages[0] == "zh"
    assert not [w for w in document.warnings if w.code == "script_removed"]


def test_a_restriction_that_removes_sure_text_is_a_warning(chinese_receipt):
    from typer.testing import CliRunner

    from clearocr.cli import app

    result = CliRunner().invoke(app, ["read", str(chinese_receipt), "--lang", "en"])
    assert result.exit_code == 0
    assert "were removed from page 1 because the languages asked for (en)" in result.output
    assert "合计" not in result.output.split("warning:")[0]


def test_english_receipt_gains_no_foreign_script_with_no_language_given():
    import clearocr

    page = lines_page(
        [
            "CORNER CAFE",
            "Receipt 2041",
            "Latte 2 x 3.75 7.50",
            "Muffin 1 x 2.40 2.40",
            "TOTAL 9.90",
            "CASH 10.00",
        ]
    )
    document = clearocr.read(page.image)
    assert not [c for c in document.text if foreign_script(c, ["en"])], document.text
    assert document.languages == ["en"]
    assert "TOTAL 9.90" in document.text
