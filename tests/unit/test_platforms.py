"""Platform presets: what each does to an upload, and the survival test."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import platforms, watermark
from artistshield.platforms import PRESETS, Platform

DATA = Path(__file__).parents[1] / "data"
KEY = bytes(range(32))


def _painting() -> np.ndarray:
    return np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))


def test_longest_side_fits_and_keeps_the_aspect() -> None:
    pixels = np.zeros((600, 1600, 3), np.uint8)
    served = Platform("T", longest_side=800).apply(pixels)
    assert served.shape == (300, 800, 3)


def test_small_uploads_are_not_enlarged_unless_the_platform_does() -> None:
    pixels = np.zeros((200, 540, 3), np.uint8)
    assert Platform("T", longest_side=800).apply(pixels).shape == (200, 540, 3)
    assert Platform("T", width=1080).apply(pixels).shape == (200, 540, 3)
    assert Platform("T", width=1080, upscale=True).apply(pixels).shape == (400, 1080, 3)


def test_transparency_is_flattened_onto_white() -> None:
    pixels = np.zeros((64, 64, 4), np.uint8)
    pixels[:, :32] = (200, 0, 0, 255)
    served = Platform("T", longest_side=800, jpeg_quality=95).apply(pixels)
    assert served.shape == (64, 64, 3)
    assert served[:, 40:].min() >= 250  # the transparent half is white
    assert served[:, :24, 0].mean() > 180 and served[:, :24, 1:].mean() < 20


def test_recompression_changes_the_pixels() -> None:
    painting = _painting()
    served = Platform("T", longest_side=4096, jpeg_quality=50).apply(painting)
    assert served.shape == painting.shape
    assert not np.array_equal(served, painting)


def test_describe_says_what_happens() -> None:
    assert PRESETS["Instagram"].describe() == "scaled to 1080 px wide, JPEG quality 78"
    assert PRESETS["X"].describe() == "fitted in 4096 px, JPEG quality 85"


def test_survives_is_true_for_a_marked_picture_and_false_otherwise() -> None:
    painting = _painting()
    marked = watermark.embed(painting, KEY, 7)
    assert platforms.survives(marked, KEY, "X")
    assert not platforms.survives(painting, KEY, "X")  # never marked
    assert not platforms.survives(marked, bytes(32), "X")  # another key


def test_unknown_platform_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of X"):
        platforms.survives(_painting(), KEY, "Myspace")
