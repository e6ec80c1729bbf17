"""A picture the mark cannot hide in is refused with the true reason: blank, or too smooth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from artistshield import mark, watermark
from artistshield.mark import why_unmarkable

KEY = bytes(range(32))


def soft_gradient(width: int = 640, height: int = 360) -> np.ndarray:
    """A painted-sky backdrop: a soft diagonal blend of two colours, nothing drawn on it."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (0.7 * x / width + 0.3 * y / height)[..., None]
    start, end = np.array([40, 60, 120], np.float32), np.array([230, 150, 90], np.float32)
    return np.round(start + (end - start) * t).astype(np.uint8)


def test_a_soft_gradient_is_too_smooth_not_blank() -> None:
    gradient = soft_gradient()
    assert np.array_equal(watermark.embed(gradient, KEY, 3), gradient)  # nowhere to hide
    said = why_unmarkable(gradient)
    assert "too smooth to hide a mark" in said and "soft gradient" in said
    assert "blank" not in said and "flat colour" not in said
    assert "register it without marking" in said  # what the artist can still do


def test_a_blank_page_is_called_blank() -> None:
    assert "blank or a single flat colour" in why_unmarkable(np.full((64, 64, 3), 250, np.uint8))
    noisy_flat = np.full((64, 64, 3), 128, np.uint8)
    noisy_flat[::7, ::5] += 1  # dither does not make a page a gradient
    assert "blank or a single flat colour" in why_unmarkable(noisy_flat)


def test_fully_transparent_space_does_not_count_as_a_gradient() -> None:
    cel = np.zeros((64, 64, 4), np.uint8)
    cel[..., :3] = np.arange(64, dtype=np.uint8)[None, :, None] * 4  # hidden colours vary
    cel[16:48, 16:48] = (90, 140, 200, 255)  # what shows is one colour
    assert "blank or a single flat colour" in why_unmarkable(cel)


def test_marking_a_gradient_reports_the_true_reason(tmp_path: Path) -> None:
    source = tmp_path / "sky.png"
    Image.fromarray(soft_gradient()).save(source)
    [outcome] = mark.mark_files([source], out_dir=tmp_path / "out", key=KEY)
    assert outcome.error is not None
    assert outcome.error.startswith("sky.png was not marked: it is too smooth to hide a mark")
    assert "blank" not in outcome.error
