"""Resource limits and files on disk: page ranges never expanded past the document, pixel budgets,
padding instead of engine upscaling, atomic writes with the umask's mode, page checkpoints."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from clearocr.checkpoint import PageCheckpoint, checkpoint_path
from clearocr.document import Line, Page, Word
from clearocr.errors import OptionsError, PageRangeError
from clearocr.files import write_atomic
from clearocr.options import ReadOptions, page_ranges, parse_page_spec
from clearocr.preprocess import MIN_ENGINE_SIDE, preprocess, rescale_factor


def test_open_page_ranges_are_checked_without_being_expanded():
    started = time.perf_counter()
    assert ReadOptions(pages="2-").pages == "2-"
    assert ReadOptions(pages="1-999999999").pages == "1-999999999"  # checked against the document later
    assert time.perf_counter() - started < 0.5
    assert page_ranges("1-3,5,8-") == [(1, 3), (5, 5), (8, None)]
    assert parse_page_spec("2-", 3) == [2, 3]
    with pytest.raises(PageRangeError, match="has 3 page"):
        parse_page_spec("1-999999999", 3)
    with pytest.raises(PageRangeError):
        page_ranges("1" * 20)
    with pytest.raises(OptionsError):
        ReadOptions.build(pages="3-1")


def test_page_cap_has_a_default_and_an_off_switch():
    assert ReadOptions().max_pages == 1000
    assert ReadOptions.build(max_pages="none").max_pages is None
    assert ReadOptions.build(max_pages=0).max_pages is None


def test_upscaling_stays_within_the_pixel_budget():
    assert rescale_factor(400, 300, None, True, 3000) > 2  # small images are upscaled...
    factor = rescale_factor(400, 300, None, True, 3000, max_pixels=240_000)
    assert 400 * 300 * factor**2 <= 240_000 * 1.0001  # ...but never past the budget
    assert rescale_factor(20000, 20000, None, True, 20000, max_pixels=100_000_000) == pytest.approx(0.5)


def test_thin_images_are_padded_not_left_for_the_engine_to_upscale():
    strip = np.full((10, 6000, 3), 255, np.uint8)
    prepared = preprocess(strip, max_side=3000, deskew=False)
    assert prepared.image.shape[0] >= MIN_ENGINE_SIDE and prepared.image.shape[1] == 3000
    assert prepared.steps[-1].name == "pad"
    assert prepared.page_image_size == (6000, 10)  # boxes keep the page's coordinates


def test_write_atomic_honours_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a.txt", "x")
        write_atomic(tmp_path / "b.bin", b"\x00\x01")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def _page(number: int) -> Page:
    box = (1, 2, 30, 12)
    return Page(number, 100, 50, lines=[Line(f"p{number}", box, 0.9, [Word(f"p{number}", box, 0.9)])])


def test_checkpoint_round_trip_key_and_torn_line(tmp_path):
    output = tmp_path / "doc.json"
    checkpoint = PageCheckpoint(output, {"sha256": "a", "options": "o"})
    checkpoint.start({})
    for number in (1, 2, 3):
        checkpoint.add(_page(number))
    checkpoint.close()
    with checkpoint_path(output).open("a") as handle:
        handle.write('{"number": 4, "wid')  # killed mid-write
    pages = PageCheckpoint(output, {"sha256": "a", "options": "o"}).load()
    assert sorted(pages) == [1, 2, 3] and pages[2].lines[0].text == "p2"
    assert PageCheckpoint(output, {"sha256": "b", "options": "o"}).load() == {}  # another input
    checkpoint.discard()
    assert not checkpoint_path(output).exists()
    header = {"schema": "clearocr.checkpoint/1", "key": {"sha256": "a", "options": "o"}}
    checkpoint_path(output).write_text(json.dumps(header) + "\nnot json\n")
    assert PageCheckpoint(output, {"sha256": "a", "options": "o"}).load() == {}


def test_languages_restrict_the_recognisers_script():
    from clearocr.engines.ctc_mask import ScriptMask, foreign_script

    assert foreign_script("排", ["en"]) and foreign_script("（", ["en", "sv"]) and foreign_script("ж", ["es"])
    assert not foreign_script("排", ["en", "zh"]) and not any(foreign_script(c, ["sv"]) for c in "åäöÅÄÖé€£°")
    # Accented Latin letters outside the languages' alphabets: out with sv, in with sv,es / sv,de.
    assert all(foreign_script(c, ["en", "sv"]) for c in "âółāñß")
    assert not foreign_script("ñ", ["sv", "es"]) and not foreign_script("ß", ["de", "sv"])
    # English alone, or a language without an alphabet table, restricts nothing (names: Café, Müller).
    assert not any(foreign_script(c, ["en"]) for c in "éüâñß") and not foreign_script("ő", ["sv", "vi"])

    class Decoder:
        character = ["blank", "(", "（", "a", "排"]

        def __call__(self, preds, *args, **kwargs):
            return ["".join(self.character[i] for i in row if i) for row in preds.argmax(axis=2)]

    mask = ScriptMask(Decoder())
    preds = np.zeros((1, 3, 5), np.float32)
    preds[0, 0, [2, 1]] = [0.6, 0.3]  # full-width paren first, ASCII second
    preds[0, 1, [4, 3]] = [0.9, 0.1]
    preds[0, 2, 3] = 1.0
    mask.use(["en"])
    assert mask(preds) == ["(aa"]
    mask.use(["en", "zh"])
    assert mask(preds) == ["（排a"]
    assert preds[0, 0, 2] == pytest.approx(0.6)  # the model's output itself is not modified


def test_english_discounts_accents_without_banning_them():
    from clearocr.engines.ctc_mask import ENGLISH_ACCENT_PRIOR, ScriptMask, accent_penalised

    assert accent_penalised("í", ["en"]) and accent_penalised("Ó", ["en", "zh"])
    assert not accent_penalised("i", ["en"]) and not accent_penalised("é", ["en", "fr"])
    assert not accent_penalised("ä", ["sv"]) and not accent_penalised("排", ["en"])

    class Decoder:
        character = ["blank", "i", "í", "ø", "o", "é", "e"]

        def __call__(self, preds, *args, **kwargs):
            best = preds.argmax(axis=2)
            text = "".join(self.character[i] for i in best[0] if i)
            return text, [round(float(preds[0, t, i]), 3) for t, i in enumerate(best[0]) if i]

    mask = ScriptMask(Decoder())
    preds = np.zeros((1, 3, 7), np.float32)
    preds[0, 0, [2, 1]] = [0.55, 0.4]  # unsure accent: read as its plain letter
    preds[0, 1, [3, 0]] = [0.5, 0.45]  # unsure letter without a plain one: the next best (blank)
    preds[0, 2, [5, 6]] = [0.95, 0.04]  # sure accent: kept, with its own probability
    assert 0.95 * ENGLISH_ACCENT_PRIOR > 0.04 and 0.55 * ENGLISH_ACCENT_PRIOR < 0.4
    mask.use(["en"])
    assert mask(preds) == ("ié", [0.55, 0.95])
    mask.use(["vi"])  # no alphabet table: no ban and no prior
    assert mask(preds) == ("íøé", [0.55, 0.5, 0.95])
    assert preds[0, 0, 2] == pytest.approx(0.55)  # the model's output itself is not modified


def test_a_space_the_model_saw_is_read_but_never_inside_a_number_or_word():
    from clearocr.engines.ctc_mask import SPACE_EVIDENCE, ScriptMask, space_allowed

    assert space_allowed("", "E", "(", "0") and space_allowed("d", ".", "O", "n")
    assert space_allowed("a", "x", "P", "h")  # a capital after a small letter: two words run together
    assert not space_allowed("", "2", "1", "0") and not space_allowed("8", ":", "1", "3")
    assert not space_allowed("0", "1", "-", "5") and not space_allowed("", "H", "A", "H")
    assert not space_allowed("", "a", "b", "") and not space_allowed("", "A", "水", "")

    class Decoder:
        character = ["blank", "E", "(", "0", "1", "a", "b", " "]

        def __call__(self, preds, *args, **kwargs):
            best = preds.argmax(axis=2)[0]
            return "".join(
                self.character[i] for t, i in enumerate(best) if i and (t == 0 or i != best[t - 1])
            )

    def steps(*columns: tuple[int, float, float]):
        """One step per (character, its probability, the space's probability)."""
        preds = np.zeros((1, len(columns), 8), np.float32)
        for t, (index, p, space) in enumerate(columns):
            preds[0, t, index] = p
            preds[0, t, 7] = space
            if index != 0:
                preds[0, t, 0] = 1 - p - space
        return preds

    mask = ScriptMask(Decoder())
    mask.use(["en"])
    seen = 2 * SPACE_EVIDENCE
    # E, a blank step with some space probability, (: the space is read.
    assert mask(steps((1, 0.9, 0.0), (0, 1 - seen, seen), (2, 0.9, 0.0))) == "E ("
    # Too little evidence, or characters in the same step run: nothing is added.
    faint = SPACE_EVIDENCE / 2
    assert mask(steps((1, 0.9, 0.0), (0, 1 - faint, faint), (2, 0.9, 0.0))) == "E("
    # Between two digits the same evidence adds nothing (an amount is never split).
    assert mask(steps((3, 0.9, 0.0), (0, 1 - seen, seen), (4, 0.9, 0.0))) == "01"
    # Nor between two small letters (a word is never split).
    assert mask(steps((5, 0.9, 0.0), (0, 1 - seen, seen), (6, 0.9, 0.0))) == "ab"


@pytest.mark.parametrize("word_boxes", [False, True])
def test_script_mask_decodes_as_rapidocr_does_where_it_changes_nothing(word_boxes):
    """The mask hands its own argmax to RapidOCR's decoder; where no mask rule applies, the result
    must be exactly RapidOCR's own decoding (texts, scores, word boxes)."""
    pytest.importorskip("rapidocr")
    from rapidocr.ch_ppocr_rec.utils import CTCLabelDecode

    from clearocr.engines.ctc_mask import ScriptMask

    decoder = CTCLabelDecode(character=list("abcdefghij0123456789"))
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(3, 40, len(decoder.character))).astype(np.float32)
    logits[:, :, 0] += 1.5  # blanks between characters, as a CTC model outputs
    logits[:, :, decoder.character.index(" ")] -= 20  # no space evidence: the space rule stays out
    logits[:, 5:8, decoder.character.index("c")] += 10  # one character over three steps: read once
    preds = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    mask = ScriptMask(decoder)
    mask.use(["en"])  # nothing in this alphabet is foreign or accented in English
    kwargs = {"wh_ratio_list": [2.0, 3.0, 4.0], "max_wh_ratio": 4.0}
    expected = decoder(preds.copy(), word_boxes, **kwargs)
    assert mask(preds, word_boxes, **kwargs) == expected
    assert any(text for text, _ in expected[0])
