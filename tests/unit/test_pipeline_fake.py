"""The pipeline end to end with the fake engine (no models): rows, rescaling, layer text, errors."""

import numpy as np
import pytest
from PIL import Image

import clearocr
from clearocr.engines import create_engine, engine_names, list_engines
from clearocr.errors import EngineUnavailableError, UnsupportedLanguageError
from tests.conftest import FakeEngine


def test_rows_merged_and_boxes_mapped_back_to_page_pixels():
    image = np.full((100, 200, 3), 255, np.uint8)  # small: the pipeline upscales it for the engine
    with clearocr.Reader(engine="fake", orientation=False, deskew=False) as reader:
        document = reader.read(image)
        engine = reader.engine("fake")
    page = document.pages[0]
    assert engine.sizes[0][0] > 200  # the engine saw an upscaled image ...
    assert (page.width, page.height) == (200, 100)  # ... the boxes are in page pixels
    assert [line.text for line in page.lines] == ["TOTAL 9.00", "Thanks"]
    assert page.lines[0].bbox == (20, 10, 180, 16)
    assert [s.name for s in page.preprocessing] == ["upscale"]
    assert engine.closed  # the reader closed it on exit


def test_engines_are_loaded_once_per_reader():
    FakeEngine.instances.clear()
    image = np.full((400, 1200, 3), 255, np.uint8)
    with clearocr.Reader(engine="fake", orientation=False) as reader:
        for _ in range(3):
            reader.read(image)
    assert len(FakeEngine.instances) == 1 and FakeEngine.instances[0].calls == 3


def test_pdf_text_layer_modes(samples, monkeypatch):
    # The fake engine cannot read the page under the layer; the OCR cross-check is tested with the
    # real engine in tests/integration/test_pdf_layers.py.
    monkeypatch.setattr("clearocr.pipeline.MIN_LAYER_AGREEMENT", 0.0)
    monkeypatch.setattr("clearocr.text_layer.MIN_LINE_AGREEMENT", 0.0)
    pdf = samples / "invoice-3pages.pdf"
    with clearocr.Reader(engine="fake", orientation=False, deskew=False, dpi=72) as reader:
        auto = reader.read(pdf, pages="1")
        forced = reader.read(pdf, pages="1", pdf_text="ocr")
    assert auto.pages[0].text_source == "layer" and auto.pages[0].engine == "pdf-text-layer"
    assert "Invoice no: INV-2024-00172" in auto.text
    assert "Nordic Paper Supplies AB INVOICE" in auto.pages[0].text.splitlines()[0]
    assert forced.pages[0].text_source == "ocr" and "TOTAL 9.00" in forced.text


def test_layer_mode_never_ocrs_an_image_page(samples):
    with clearocr.Reader(engine="crashing", dpi=50) as reader:
        document = reader.read(samples / "invoice-3pages-scanned.pdf", pages="1", pdf_text="layer")
    assert document.pages[0].lines == [] and document.pages[0].text_source == "layer"


def test_unsupported_language_fails_before_reading(tmp_path):
    with pytest.raises(UnsupportedLanguageError) as info:
        clearocr.Reader(engine="fake").read(tmp_path / "missing.png", languages="en,xx")
    assert "xx" in str(info.value) and "en" in str(info.value)


def test_unknown_engine():
    with pytest.raises(EngineUnavailableError, match="unknown OCR engine 'nope'"):
        create_engine("nope")
    assert engine_names()[0] == "rapidocr"
    names = {info.name: info for info in list_engines()}
    assert names["rapidocr"].default and names["fake"].version == "fake 1.0"


def test_read_from_pil_names_source():
    document = clearocr.Reader(engine="fake", orientation=False).read(Image.new("RGB", (300, 200), "white"))
    assert document.source == "<PIL image>" and document.pages[0].number == 1


def _pdf_with_layer(words: str) -> bytes:
    """A page (fpdf2) whose visible content is an image of a text line and whose text layer is
    ``words`` in invisible text (as an old OCR tool leaves it)."""

    from fpdf import FPDF
    from fpdf.enums import TextMode
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (800, 200), "white")
    ImageDraw.Draw(picture).text((20, 80), "The quick brown fox jumps over the lazy dog", fill="black")
    pdf = FPDF(unit="pt", format=(400, 100))
    pdf.add_page()
    pdf.image(picture, x=0, y=0, w=400, h=100)
    pdf.set_font("helvetica", size=10)
    pdf.text_mode = TextMode.INVISIBLE
    pdf.text(10, 50, words)
    return bytes(pdf.output())


def test_a_garbage_text_layer_is_not_trusted_a_real_one_is(monkeypatch):
    from clearocr.pipeline import Reader

    monkeypatch.setattr("clearocr.text_layer.MIN_LINE_AGREEMENT", 0.0)
    monkeypatch.setattr("clearocr.pipeline.MIN_LAYER_AGREEMENT", 0.0)  # as above: the fake cannot read

    garbage = _pdf_with_layer("Tlie qnlck brovvn fcx jurnps ovcr tbe lazv dcg wliich vvas rnade")
    real = _pdf_with_layer("The quick brown fox jumps over the lazy dog which was made by hand")
    with Reader(engine="fake", orientation=False, dpi=72) as reader:
        page = reader.read(garbage).pages[0]
        assert page.text_source == "ocr"
        rejected = next(s for s in page.preprocessing if s.name == "pdf_text_layer_rejected")
        assert rejected.params["known_word_rate"] < 0.5 and "OCRed" in rejected.params["reason"]
        page = reader.read(real).pages[0]
        assert page.text_source == "layer" and "quick brown fox" in page.text
        used = next(s for s in page.preprocessing if s.name == "pdf_text_layer")
        assert used.params["known_word_rate"] > 0.9
        assert reader.read(garbage, pdf_text="layer").pages[0].text_source == "layer"  # asked for: kept
    from clearocr.io import LayerWord
    from clearocr.text_layer import layer_word_rate

    assert (
        layer_word_rate([LayerWord("Tlie qnlck", (0, 0, 1, 1))], ["zh"]) is None
    )  # no word list: not judged


def test_layer_lines_put_a_jumbled_line_in_box_order_and_keep_right_to_left_runs():
    from clearocr.io import LayerWord
    from clearocr.text_layer import layer_lines

    jumbled = [
        LayerWord("Qty", (400, 10, 440, 30), True),
        LayerWord("Description", (10, 12, 150, 32)),
        LayerWord("Amount", (600, 9, 700, 29)),
        LayerWord("Total", (10, 60, 80, 80), True),
        LayerWord("9.00", (600, 60, 660, 80)),
    ]
    assert [line.text for line in layer_lines(jumbled)] == ["Description Qty Amount", "Total 9.00"]
    rtl = [LayerWord("שלום", (300, 10, 380, 30), True), LayerWord("עולם", (200, 10, 280, 30))]
    assert [w.text for w in layer_lines(rtl)[0].words] == ["שלום", "עולם"]


def test_layer_lines_rejoin_a_line_whose_shuffled_words_came_in_two_interleaved_runs():
    """A printed line drawn word by word in random order, which PDFium cut into two lines whose words
    interleave: one row, not two (each run's box spans the line, so row grouping kept them apart)."""
    from clearocr.io import LayerWord
    from clearocr.text_layer import layer_lines

    words = ["Interest", "on", "late", "payment", "is", "charged", "monthly"]
    boxes = {w: (100 + 120 * i, 300 + (i % 3), 200 + 120 * i, 330 + (i % 3)) for i, w in enumerate(words)}
    order = ["late", "Interest", "monthly", "on", "charged", "payment", "is"]
    layer = [LayerWord(w, boxes[w], i in (0, 3)) for i, w in enumerate(order)]
    layer.append(LayerWord("Goods remain ours", (100, 360, 500, 390), True))
    assert [line.text for line in layer_lines(layer)] == [" ".join(words), "Goods remain ours"]


def test_layer_ocr_agreement_compares_sampled_lines_with_what_the_engine_reads():
    from clearocr.pipeline import layer_ocr_agreement

    image = np.full((400, 800, 3), 255, np.uint8)
    lines = [
        clearocr.Line.from_words(
            [
                clearocr.Word("Invoice", (10, 10 + 40 * i, 120, 40 + 40 * i), 1.0),
                clearocr.Word(f"line{i}", (130, 10 + 40 * i, 200, 40 + 40 * i), 1.0),
            ]
        )
        for i in range(6)
    ]
    seen = []

    def echo(crop):
        seen.append(crop.shape)
        return "Invoice line0" if len(seen) == 1 else "lnvoice line" + str(len(seen) + 1)

    similarity, sampled = layer_ocr_agreement(image, lines, echo)
    assert sampled == 3 and len(seen) == 3 and similarity > 0.8  # the first, middle and last lines
    similarity, _ = layer_ocr_agreement(image, lines, lambda crop: "Sveavagen 42, Stockholm")
    assert similarity < 0.5
    assert (
        layer_ocr_agreement(image, [clearocr.Line.from_words([clearocr.Word("7", (1, 1, 5, 5), 1.0)])], echo)
        is None
    )


def test_a_rotated_pdf_page_reads_its_layer_upright(samples):
    """``/Rotate 90`` shows upright text sideways: the layer is read on the page turned back, its
    boxes inside that page, with the turn recorded as for OCR (rotation and transform)."""
    import io

    import pikepdf

    with pikepdf.open(samples / "invoice-3pages.pdf") as pdf:
        pdf.pages[0].Rotate = 90
        buffer = io.BytesIO()
        pdf.save(buffer)
    with clearocr.Reader(engine="fake", dpi=72) as reader:
        upright = reader.read(samples / "invoice-3pages.pdf", pages="1", pdf_text="layer").pages[0]
        turned = reader.read(buffer.getvalue(), pages="1", pdf_text="layer").pages[0]
    assert turned.text == upright.text
    assert (turned.width, turned.height) == (upright.width, upright.height)
    assert turned.rotation == 270 and turned.source_size == (upright.height, upright.width)
    for word in turned.words:
        assert (
            0 <= word.bbox[0] < word.bbox[2] <= turned.width
            and 0 <= word.bbox[1] < word.bbox[3] <= turned.height
        )
    a, b, c, d, e, f = turned.transform
    sx, sy = turned.source_size
    assert (a * sx + b * 0 + c, d * sx + e * 0 + f) == (0, 0)  # the source's top-right corner is the top-left


class _ProposesTurn:
    """A page-orientation classifier stub that always proposes the same clockwise turn."""

    def __init__(self, clockwise: int) -> None:
        self.clockwise = clockwise

    def detect(self, image: np.ndarray) -> tuple[int, float]:
        return self.clockwise, 0.9


def _read_with_proposal(clockwise: int, crops_read: bool) -> tuple[clearocr.Page, FakeEngine]:
    image = np.full((600, 1200, 3), 255, np.uint8)
    with clearocr.Reader(engine="fake", deskew=False) as reader:
        reader._orientation = _ProposesTurn(clockwise)  # type: ignore[assignment]
        engine = reader.engine("fake")
        if not crops_read:  # the sample turned back reads nothing: the turn stands
            engine.recognize_crops = lambda crops, languages: [("", 0.0)] * len(crops)  # type: ignore[method-assign]
        page = reader.read(image).pages[0]
    return page, engine


def test_a_turn_the_sample_reads_better_as_it_was_is_undone():
    """The turned page is read first; its longest lines read better turned back (the fake engine
    reads every crop as all three of its segments), so the page is read again as it was."""
    page, engine = _read_with_proposal(180, crops_read=True)
    step = next(s for s in page.preprocessing if s.name == "orientation")
    assert page.rotation == 0 and step.params["rotation"] == 0 and step.params["proposed"] == 180
    assert step.params["score_as_is"] > step.params["score_turned"]
    assert engine.calls == 2 + 3  # the turned page, the page as it was, three crops (default recognize_crops)


def test_a_turn_the_sample_confirms_costs_one_reading():
    page, engine = _read_with_proposal(90, crops_read=False)
    step = next(s for s in page.preprocessing if s.name == "orientation")
    assert page.rotation == 90 and step.params["rotation"] == 90
    assert step.params["score_turned"] > 0 and step.params["score_as_is"] == 0
    assert engine.calls == 1  # one reading of the page, no second or third


def test_fast_speed_skips_the_preprocessing_stages_whatever_their_flags_say():
    image = np.full((100, 200, 3), 255, np.uint8)  # small: the default speed upscales it
    with clearocr.Reader(engine="fake", orientation=True, deskew=True, upscale=True) as reader:
        fast = reader.read(image, speed="fast")
        default = reader.read(image, orientation=False, deskew=False)
        engines = dict(reader._engines)
    assert [s.name for s in fast.pages[0].preprocessing] == []
    assert [s.name for s in default.pages[0].preprocessing] == ["upscale"]
    assert set(engines) == {"fake"}  # no fast constructor options: one engine serves both speeds


def test_speed_stages_follow_their_flags_unless_fast():
    options = clearocr.ReadOptions(deskew=False)
    assert options.stage("orientation") and not options.stage("deskew") and options.stage("upscale")
    fast = clearocr.ReadOptions(speed="fast")
    assert not any(fast.stage(name) for name in ("orientation", "deskew", "upscale"))
    with pytest.raises(clearocr.OptionsError):
        clearocr.ReadOptions.build(speed="fastest")
