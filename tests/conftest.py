"""Shared fixtures: sample paths, a fake engine (registered as "fake") and small generated images."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from clearocr.document import Line, Word
from clearocr.engines import EngineInfo, OcrEngine, register_engine

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@register_engine("fake")
class FakeEngine(OcrEngine):
    """Returns two segments on one row plus one below, in scrambled order; counts its calls.

    Boxes are placed relative to the image size so rescaling can be checked.
    """

    LANGUAGES = {"en": "en", "sv": "sv"}
    instances: list[FakeEngine] = []

    def __init__(self) -> None:
        self.calls = 0
        self.closed = False
        self.sizes: list[tuple[int, int]] = []
        FakeEngine.instances.append(self)

    @classmethod
    def info(cls) -> EngineInfo:
        return EngineInfo(cls.name, "fake 1.0", sorted(cls.LANGUAGES))

    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        self.calls += 1
        height, width = image.shape[:2]
        self.sizes.append((width, height))

        def seg(text: str, x0: float, y0: float, x1: float, y1: float, conf: float = 0.9) -> Line:
            box = (int(x0 * width), int(y0 * height), int(x1 * width), int(y1 * height))
            return Line(text, box, conf, [Word(text, box, conf)])

        return [
            seg("9.00", 0.7, 0.10, 0.9, 0.15),
            seg("Thanks", 0.1, 0.30, 0.4, 0.35, 0.5),
            seg("TOTAL", 0.1, 0.11, 0.3, 0.16),
        ]

    def close(self) -> None:
        self.closed = True


@register_engine("crashing")
class CrashingEngine(OcrEngine):
    """Fault injection: an engine whose recognise step fails."""

    LANGUAGES = {"en": "en"}

    @classmethod
    def info(cls) -> EngineInfo:
        return EngineInfo(cls.name, "crash 1.0", ["en"])

    def recognize(self, image: np.ndarray, languages: Sequence[str]) -> list[Line]:
        raise RuntimeError("engine crashed")


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def page_image() -> np.ndarray:
    """A white 600x800 RGB page with a few dark bars (text-like)."""
    image = np.full((800, 600, 3), 255, dtype=np.uint8)
    for row in range(8):
        y = 80 + row * 80
        image[y : y + 18, 60 : 60 + 300 + (row % 3) * 60] = 20
    return image
