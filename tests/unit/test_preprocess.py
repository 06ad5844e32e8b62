import numpy as np
import pytest

from clearocr.preprocess import (
    estimate_skew,
    is_inverted,
    preprocess,
    rescale_factor,
    rotate_by,
    rotate_right_angle,
)


@pytest.mark.parametrize("angle", [-4.0, -1.5, 2.0, 6.0])
def test_skew_is_recovered(page_image, angle):
    skewed = rotate_by(page_image, angle)
    assert estimate_skew(skewed) == pytest.approx(-angle, abs=0.3)


def test_blank_page_has_no_skew():
    assert estimate_skew(np.full((100, 100, 3), 255, np.uint8)) == 0.0


def test_inversion_detected(page_image):
    assert not is_inverted(page_image)
    assert is_inverted(255 - page_image)
    result = preprocess(255 - page_image, deskew=False, upscale=False)
    assert result.steps[0].name == "invert" and result.image.mean() > 200


def test_rescale_rules():
    assert rescale_factor(5000, 3000, None, True, 4000) == pytest.approx(0.8)
    assert rescale_factor(284, 31, None, True, 4000) == pytest.approx(1000 / 284)
    assert rescale_factor(100, 20, None, True, 4000) == 4.0  # capped
    assert rescale_factor(600, 800, 72.0, True, 4000) == pytest.approx(200 / 72)
    assert rescale_factor(2480, 3508, 300.0, True, 4000) == 1.0
    assert rescale_factor(284, 31, None, False, 4000) == 1.0


def test_preprocess_records_steps_and_page_size(page_image):
    result = preprocess(
        rotate_by(page_image, 3.0), deskew=True, upscale=True, max_side=400, binarize=True, denoise=True
    )
    names = [s.name for s in result.steps]
    assert names == ["deskew", "shrink", "denoise", "binarize"]
    assert result.page_image_size == (600, 800)
    assert max(result.image.shape[:2]) == 400 and result.scale == pytest.approx(0.5)
    assert set(np.unique(result.image)) <= {0, 255}


def test_right_angle_rotation_is_clockwise():
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 0] = 255  # top-left
    turned = rotate_right_angle(image, 90)
    assert turned.shape[:2] == (3, 2) and turned[0, 1, 0] == 255  # now top-right


@pytest.mark.parametrize("angle", [-45.0, -30.0, -15.0, 15.0, 30.0, 44.0])
def test_large_skew_is_recovered_on_an_enlarged_canvas(page_image, angle, monkeypatch):
    skewed = rotate_by(page_image, angle, expand=True)
    measured = estimate_skew(skewed)
    # Lines end up horizontal, or vertical (at 45 degrees either is as near; orientation then turns it).
    residual = (measured + angle) % 90
    assert min(residual, 90 - residual) < 0.5
    result = preprocess(skewed, upscale=False)
    assert result.steps[0].name == "deskew" and result.steps[0].params["angle"] == measured
    # The straightened page keeps all its text: the canvas grows instead of cutting it off, and
    # is trimmed back to the text (with a margin), as the page was before it was turned.
    monkeypatch.setattr("clearocr.preprocess.TRIM_MIN_SAVING", 2.0)  # never trim
    untrimmed = preprocess(skewed, upscale=False)
    assert "trimmed_to_text" not in untrimmed.steps[0].params
    assert untrimmed.page_image_size[0] >= skewed.shape[1] - 1

    def dark(image):
        return int((image.min(axis=2) < 128).sum())

    assert dark(result.image) == pytest.approx(dark(untrimmed.image), rel=0.001)  # no ink was cut off
    assert dark(result.image) == pytest.approx(dark(page_image), rel=0.08)  # two rotations' blur only
    trim = result.steps[0].params["trimmed_to_text"]
    assert result.page_image_size == (trim[2] - trim[0], trim[3] - trim[1])
    assert result.page_image_size[0] < skewed.shape[1] and result.page_image_size[1] < skewed.shape[0]


def test_skew_of_a_page_turned_by_90_is_measured_on_its_vertical_lines(page_image):
    turned = rotate_by(np.ascontiguousarray(np.rot90(page_image)), 10.0, expand=True)
    assert estimate_skew(turned) == pytest.approx(-10.0, abs=0.5)


class _Proposes:
    """An orientation classifier stub that always proposes the same turn."""

    def __init__(self, clockwise: int) -> None:
        self.clockwise = clockwise

    def detect(self, image, min_confidence=0.6):
        return self.clockwise, 0.97


def test_a_proposed_turn_is_applied_only_when_verified(page_image):
    calls = []

    def refuse(small, clockwise):
        calls.append((small.shape, clockwise))
        return False, {"score_as_is": 120.0, "score_turned": 3.0}

    kept = preprocess(page_image, orientation=_Proposes(180), verify=refuse, deskew=False, upscale=False)
    step = next(s for s in kept.steps if s.name == "orientation")
    assert kept.rotation == 0 and step.params["proposed"] == 180 and step.params["score_as_is"] == 120.0
    assert "not turned" in step.params["reason"] and calls[0][1] == 180
    turned = preprocess(
        page_image, orientation=_Proposes(90), verify=lambda small, c: (True, {}), deskew=False, upscale=False
    )
    assert turned.rotation == 90 and turned.page_image_size == (page_image.shape[0], page_image.shape[1])


def test_reading_score_counts_only_horizontal_lines():
    from clearocr.document import Line, Word
    from clearocr.pipeline import reading_score

    def line(text, box, conf=0.9):
        return Line(text, box, conf, [Word(text, box, conf)])

    assert reading_score([line("TOTAL 9.00", (0, 0, 200, 20))]) == pytest.approx(9.0)
    assert reading_score([line("TOTAL 9.00", (0, 0, 20, 200))]) == 0.0  # a vertical line
    assert reading_score([line("0", (0, 0, 20, 20))]) == 0.0  # one character says nothing


def test_transform_maps_input_pixels_to_box_pixels():
    """Prepared.transform: a dot drawn on the input lands where the transform says after the turn
    and the deskew (synthetic page of dark bars, skewed 6 degrees, then stored a quarter turn left)."""
    import cv2

    from clearocr.preprocess import preprocess, rotate_right_angle

    page = np.full((900, 700, 3), 255, np.uint8)
    for y in range(100, 800, 60):
        page[y : y + 18, 80:620] = 0
    matrix = cv2.getRotationMatrix2D((350, 450), 6, 1.0)
    skewed = cv2.warpAffine(page, matrix, (700, 900), borderValue=(255, 255, 255))
    sideways = rotate_right_angle(skewed, 270)
    dot = (300, 200)  # (x, y) on the stored image
    marked = sideways.copy()
    marked[dot[1] - 3 : dot[1] + 4, dot[0] - 3 : dot[0] + 4] = (255, 0, 0)

    class Turn:
        def detect(self, image):
            return 90, 0.99

    prepared = preprocess(marked, orientation=Turn(), upscale=False)
    a, b, c, d, e, f = prepared.transform
    x, y = a * dot[0] + b * dot[1] + c, d * dot[0] + e * dot[1] + f
    red = np.argwhere((prepared.image[:, :, 0] > 200) & (prepared.image[:, :, 1] < 80))
    cy, cx = red.mean(axis=0) / prepared.scale
    assert abs(cx - x) < 3 and abs(cy - y) < 3


def test_text_extent_ignores_the_slanted_edges_of_a_rotated_photo(page_image):
    from clearocr.preprocess import text_extent

    # A photo of light-grey paper turned 40 degrees on an enlarged canvas filled with white: the
    # paper's slanted edges are long, sparse marks and must not stretch the box to the canvas.
    grey_paper = page_image.copy()
    grey_paper[page_image == 255] = 215
    turned = rotate_by(grey_paper, 40.0, expand=True)
    straight = rotate_by(turned, -40.0, expand=True)
    x0, y0, x1, y1 = text_extent(straight)
    height, width = straight.shape[:2]
    # The bars span 360 x 578 px of the 600 x 800 page; the canvas is about 1100 px wider.
    assert 340 <= x1 - x0 <= 460 and 560 <= y1 - y0 <= 640
    assert x1 - x0 < 0.4 * width and y1 - y0 < 0.5 * height
    assert text_extent(np.full((50, 50, 3), 255, np.uint8)) is None


def test_trimming_keeps_a_small_mark_far_from_the_text(page_image, monkeypatch):
    page = page_image.copy()
    page[770:782, 560:570] = 30  # a page number alone in the bottom-right corner
    skewed = rotate_by(page, -25.0, expand=True)
    result = preprocess(skewed, upscale=False)
    assert "trimmed_to_text" in result.steps[0].params
    monkeypatch.setattr("clearocr.preprocess.TRIM_MIN_SAVING", 2.0)
    untrimmed = preprocess(skewed, upscale=False)

    def dark(image):
        return int((image.min(axis=2) < 128).sum())

    assert dark(result.image) == pytest.approx(dark(untrimmed.image), rel=0.001)
    # The mark is where the page's transform puts it: its place on the skewed input, mapped.
    import cv2

    from clearocr.preprocess import rotated_size

    out_w, out_h = rotated_size(600, 800, -25.0)
    turn = cv2.getRotationMatrix2D((300.0, 400.0), -25.0, 1.0)
    sx, sy = turn @ np.array([565.0, 776.0, 1.0]) + (out_w / 2.0 - 300.0, out_h / 2.0 - 400.0)
    a, b, c, d, e, f = result.transform
    x, y = a * sx + b * sy + c, d * sx + e * sy + f
    assert result.image[round(y) - 2 : round(y) + 3, round(x) - 2 : round(x) + 3].min() < 128
