"""A suspect clip's frames are matched against the registry once per distinct picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from artistshield.animation.keyframes import distinct
from artistshield.check import match_frames

DATA = Path(__file__).resolve().parents[1] / "data"


def _frames() -> list[tuple[int, np.ndarray]]:
    hills = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))
    bridge = np.asarray(Image.open(DATA / "painted-bridge.png").convert("RGB"))
    pan = [(i, np.ascontiguousarray(hills[100:370, 3 * i : 3 * i + 480])) for i in range(4)]
    return [*pan, (4, np.ascontiguousarray(bridge[100:370, :480]))]


def test_a_few_pixels_of_pan_are_one_picture_and_another_painting_is_not() -> None:
    assert [index for index, _ in distinct(_frames())] == [0, 4]


class _Registry:
    def __init__(self) -> None:
        self.asked: list[np.ndarray] = []

    def match(self, pixels: np.ndarray, *, limit: int = 5) -> list[object]:
        self.asked.append(pixels)
        return []


def test_the_registry_is_searched_once_per_distinct_picture() -> None:
    registry = _Registry()
    frames = _frames()
    assert match_frames(registry, frames) == ([], {})  # type: ignore[arg-type]
    assert len(registry.asked) == 2
    assert registry.asked[0] is frames[0][1] and registry.asked[1] is frames[4][1]
