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
    result = preprocess(rotate_by(page_image, 3.0), deskew=True, upscale=True, max_side=400,
                        binarize=True, denoise=True)
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
