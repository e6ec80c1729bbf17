"""What SSIMULACRA2 sees of the mark at coarse scales: no coarsest harmonics, no local mean."""

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


def test_the_coarse_tile_lacks_only_the_coarsest_harmonics() -> None:
    full = pattern.tile(KEY, 9)
    coarse = embed.coarse_tile(KEY, 9)
    spectrum = np.abs(np.fft.fft2(coarse))
    k = np.fft.fftfreq(pattern.TILE) * pattern.TILE
    radius = np.hypot(k[:, None], k[None, :])
    assert spectrum[radius <= embed.LOW_RADIUS - embed.LOW_RAMP].max() < 1e-3
    above = radius >= embed.LOW_RADIUS + embed.LOW_RAMP
    assert np.allclose(spectrum[above], np.abs(np.fft.fft2(full))[above], atol=1e-3)
    assert np.corrcoef(full.ravel(), coarse.ravel())[0, 1] > 0.98


def local_mean_share(delta: np.ndarray) -> float:
    """RMS of *delta*'s local mean (two passes of the embed's box) over its own RMS."""
    local = mask.box_mean(mask.box_mean(delta, embed.LOCAL_MEAN_BOX), embed.LOCAL_MEAN_BOX)
    return float(np.sqrt(np.mean(local**2)) / np.sqrt(np.mean(delta**2)))


def test_an_opaque_pictures_mark_has_no_local_mean_and_stays_where_the_mask_put_it() -> None:
    pixels = load("flat-moonlight.png")
    delta = watermark.mark_delta(pixels, KEY, 5)
    y = mask.luma(pixels)
    amp = mask.amplitude(y)
    tiles = (-(-y.shape[0] // pattern.TILE), -(-y.shape[1] // pattern.TILE))
    plain = amp * np.tile(embed.coarse_tile(KEY, 5), tiles)[: y.shape[0], : y.shape[1]]
    assert local_mean_share(delta) < 0.7 * local_mean_share(plain)  # 0.06 against 0.10
    assert not delta[amp == 0].any()  # nothing added on the flat colour


def shrunk_jpeg(pixels: np.ndarray, width: int, quality: int) -> np.ndarray:
    h, w = pixels.shape[:2]
    small = Image.fromarray(pixels).resize((width, round(h * width / w)), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(buffer).convert("RGB"))


def test_flat_art_still_reads_after_instagram() -> None:
    # what Instagram does to a feed post: 1080 pixels wide, JPEG quality 78
    pixels = load("flat-moonlight.png")
    found = watermark.detect(shrunk_jpeg(watermark.embed(pixels, KEY, 5), 1080, 78), KEY)
    assert found.found and found.payload == 5


@pytest.mark.xfail(strict=True, reason=(
    "known loss (issue 24): flat art's mark without its local mean reads after Instagram "
    "and crop + scale 0.7 + JPEG 70 under every key tried, but this harsher halving and "
    "JPEG 80 of flat-moonlight, which read at the threshold before, no longer does"))
def test_flat_art_halved_and_saved_at_jpeg_80_reads() -> None:
    pixels = load("flat-moonlight.png")
    found = watermark.detect(shrunk_jpeg(watermark.embed(pixels, KEY, 5), 960, 80), KEY)
    assert found.found and found.payload == 5


def test_a_painting_takes_less_of_its_budget_than_half() -> None:
    pixels = load("painted-hills.png")
    y = mask.luma(pixels)
    assert mask.need(y, mask.amplitude(y)) < 0.5
