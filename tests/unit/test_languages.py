"""No language given: every script the recogniser is sure of is kept, and the languages are detected
(issue 26, item 1). Texts are made up here; none comes from an evaluation set."""

from __future__ import annotations

import numpy as np
import pytest

from clearocr.errors import OptionsError
from clearocr.languages import detect_languages, is_auto, latin_language, script_counts
from clearocr.options import ReadOptions


def test_auto_is_the_default_and_stands_alone():
    assert ReadOptions().languages == ["auto"] and is_auto(ReadOptions().languages)
    assert not is_auto(["en"])
    with pytest.raises(OptionsError, match="auto"):
        ReadOptions.build(languages="auto,sv")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Faktura Förfallodatum Att betala Moms Summa Leverantör", ["sv", "en"]),
        ("Factura Fecha de vencimiento Importe total Base imponible", ["es", "en"]),
        ("Rechnung Rechnungsdatum Gesamtbetrag Mehrwertsteuer Lieferant", ["de", "en"]),
        ("Cash receipt Total Change Thank you come again", ["en"]),
        ("上海便利店 发票号码 合计 金额 矿泉水 面包 Total", ["zh", "en"]),
        ("", ["en"]),
    ],
)
def test_detect_languages(text, expected):
    assert detect_languages(text) == expected


def test_one_shared_word_is_english_not_a_guess():
    assert latin_language(["Total"]) == "en"
    assert script_counts("ab 合计 ア") == {"latin": 2, "zh": 2, "ja": 1}


class _Decoder:
    """RapidOCR's CTC decoder reduced to greedy decoding of (N, T, C) probabilities."""

    character = ["blank", "T", "o", "a", "l", "合", "计", "排", " "]

    def __call__(self, preds, *args, **kwargs):
        out = []
        for row in preds.argmax(axis=2):
            chars, last = [], 0
            for index in row:
                if index and index != last:
                    chars.append(self.character[index])
                last = index
            out.append("".join(chars))
        return out


def _line(columns: list[int], confidence: float = 0.97) -> np.ndarray:
    """One line's probabilities: each step's column gets ``confidence``, the rest goes to blank."""
    steps = []
    for column in columns:
        steps += [column, 0]
    preds = np.zeros((1, len(steps), len(_Decoder.character)), np.float32)
    for t, column in enumerate(steps):
        preds[0, t, column] = confidence if column else 1.0
        if column:
            preds[0, t, 0] = 1.0 - confidence
    return preds


def test_auto_keeps_a_line_of_sure_cjk_and_drops_a_lone_smudge():
    from clearocr.engines.ctc_mask import ScriptMask

    mask = ScriptMask(_Decoder())
    mask.use(["auto"])
    assert mask(_line([5, 6])) == ["合计"]  # two sure CJK characters: a Chinese line
    assert mask(_line([1, 2, 3, 4, 7, 1])) == ["ToalT"]  # one smudge in a Latin line: removed
    notes = mask.take_notes()
    assert notes["cjk_lines"] == 1 and notes["removed"] == 1 and notes["examples"] == "排"
    mask.use(["en"])
    assert mask(_line([5, 6])) == [""]
    assert mask.take_notes()["removed"] == 2
    mask.use(["en", "zh"])
    assert mask(_line([5, 6])) == ["合计"] and mask.take_notes()["removed"] == 0


def test_unsure_characters_removed_are_not_counted_as_lost():
    from clearocr.engines.ctc_mask import ScriptMask

    mask = ScriptMask(_Decoder())
    mask.use(["en"])
    mask(_line([5, 6], confidence=0.6))
    assert mask.take_notes()["removed"] == 0


def test_extraction_uses_the_detected_languages():
    from clearocr.document import Document, Line, Page, Word
    from clearocr.extraction import extract_fields

    lines = [
        "Faktura",
        "Fakturanummer: 4471",
        "Fakturadatum: 2031-04-30",
        "Förfallodatum: 2031-05-30",
        "Moms 25%: 250,00",
        "Att betala: 1 250,00 kr",
    ]
    boxes = [(10, 40 * i, 600, 40 * i + 30) for i in range(len(lines))]
    page = Page(1, 800, 600, lines=[Line(t, b, 0.99, [Word(t, b, 0.99)]) for t, b in zip(lines, boxes)])
    detected = Document("made-up.png", [page], languages=detect_languages("\n".join(lines)))
    assert detected.languages == ["sv", "en"]
    fields = extract_fields(detected, ["auto"])
    assert fields.due_date is not None and fields.due_date.value == "2031-05-30"
    assert fields.tax_amount is not None and fields.tax_amount.value == "250.00"
    # Read as English only, the Swedish labels say nothing: the due date and the tax are lost.
    english = extract_fields(Document("made-up.png", [page], languages=["en"]), ["auto"])
    assert english.due_date is None and english.tax_amount is None


def test_a_chinese_text_layer_is_not_judged_by_latin_word_lists():
    from clearocr.io import LayerWord
    from clearocr.text_layer import layer_word_rate

    chinese = [LayerWord("上海便利店有限公司 发票号码 合计金额", (0, 0, 10, 10))] * 10
    for languages in (["auto"], ["en", "zh"]):
        assert layer_word_rate(chinese, languages) == (0.0, 0)  # nothing judged: never refused for it
    assert layer_word_rate([LayerWord("Tlie qnick brovvn", (0, 0, 1, 1))] * 4, ["auto"])[0] < 0.5
