"""The perceptual side of the mark: a budget that follows each picture's need, no coarse grain."""

import importlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import watermark
from artistshield.watermark import mask, pattern

# the package re-exports the function `embed`, which hides the module's name
embed = importlib.import_module("artistshield.watermark.embed")

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))


def load(name: str, mode: str = "RGB") -> np.ndarray:
    return np.asarray(Image.open(DATA / name).convert(mode))


def share(pixels: np.ndarray) -> float:
    weight = None
    if pixels.shape[2] == 4:
        weight = (pixels[..., 3] > 0).astype(np.float32)
    y = mask.luma(pixels)
    return mask.need(y, mask.amplitude(y, weight=weight))


def test_a_painting_spends_its_surplus_on_invisibility_and_a_cel_keeps_its_whole_budget() -> None:
    assert share(load("painted-hills.png")) < 0.7
    assert share(load("painted-mountains.png")) < 0.7
    assert share(load("cel-portrait-alpha.png", "RGBA")) == 1.0
    assert share(load("flat-moonlight.png")) == 1.0


def test_a_flat_picture_needs_nothing_and_is_left_alone() -> None:
    flat = np.full((200, 300, 3), 90, np.uint8)
    assert share(flat) == 1.0
    assert np.array_equal(watermark.embed(flat, KEY, 7), flat)


def test_the_fine_tile_has_no_coarse_harmonics_and_keeps_the_template() -> None:
    full = pattern.tile(KEY, 9)
    fine = embed.fine_tile(KEY, 9)
    spectrum = np.abs(np.fft.fft2(fine))
    k = np.fft.fftfreq(pattern.TILE) * pattern.TILE
    radius = np.hypot(k[:, None], k[None, :])
    assert spectrum[radius <= embed.CUT_RADIUS - embed.CUT_RAMP].max() < 1e-3
    # the sync template sits wholly above the cut, the chips almost wholly
    template = np.abs(np.fft.fft2(pattern.template_tile(KEY)))
    assert template[radius < embed.CUT_RADIUS + embed.CUT_RAMP].max() < 1e-3 * template.max()
    assert np.corrcoef(full.ravel(), fine.ravel())[0, 1] > 0.95


def shrunk_jpeg(pixels: np.ndarray, factor: float, quality: int) -> np.ndarray:
    h, w = pixels.shape[:2]
    small = Image.fromarray(pixels).resize((round(w * factor), round(h * factor)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_a_painting_is_marked_more_lightly_and_still_read_after_a_shrink_and_jpeg() -> None:
    pixels = load("painted-hills.png")
    delta = watermark.mark_delta(pixels, KEY, 11)
    assert float(np.sqrt(np.mean(delta**2))) < 0.7 * mask.RMS_BUDGET
    found = watermark.detect(shrunk_jpeg(watermark.embed(pixels, KEY, 11), 0.6, 60), KEY)
    assert found.found and found.payload == 11


@pytest.mark.xfail(strict=True, reason=(
    "known loss of the lighter mark on paintings (issue 24): half size and then JPEG 50 "
    "together read before the budget followed each picture's need, and no longer do at "
    "strength 1; strength 2 still reads it (benchmarks/strength_tradeoff.py, scale0.5_jpeg50)"))
def test_a_painting_halved_and_saved_at_jpeg_50_reads_at_strength_1() -> None:
    pixels = load("painted-hills.png")
    found = watermark.detect(shrunk_jpeg(watermark.embed(pixels, KEY, 11), 0.5, 50), KEY)
    assert found.found and found.payload == 11


def test_a_painting_halved_and_saved_at_jpeg_50_reads_at_strength_2() -> None:
    pixels = load("painted-hills.png")
    marked = watermark.embed(pixels, KEY, 11, strength=2.0)
    found = watermark.detect(shrunk_jpeg(marked, 0.5, 50), KEY)
    assert found.found and found.payload == 11


def test_strength_still_scales_the_mark_linearly() -> None:
    pixels = load("painted-bridge.png")
    one = watermark.mark_delta(pixels, KEY, 3)
    two = watermark.mark_delta(pixels, KEY, 3, strength=2.0)
    assert np.allclose(two, 2.0 * one, atol=1e-4)
