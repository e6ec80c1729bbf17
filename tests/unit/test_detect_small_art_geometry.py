"""Small clip art turned or rescaled is found at its true geometry, and unmarked art is not.

Held-out drawings (``tests/data/CORPUS.md``) marked on their transparent
page and flattened over white.  Their chips read at the true geometry of a
small turn or a rescale, but the template's search once proposed another
one: the corners and line ends the residual leaves buried its peaks, and a
chance guess outscored the true turn when the guesses were ranked.  The
search now also reads the spectrum of the residual's signs, ranks its
guesses by their balanced fold and folds the chosen one balanced.
"""

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import watermark

KEY = bytes.fromhex("5a" * 16 + "c3" * 16)
PAYLOAD = 0x5EC12E7A11CE


def over_white(pixels: np.ndarray) -> np.ndarray:
    alpha = pixels[..., 3:].astype(np.float64) / 255.0
    return np.rint(pixels[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def drawing(data_dir: Path, name: str, *, mark: bool) -> np.ndarray:
    with Image.open(data_dir / "clipart" / name) as image:
        pixels = np.asarray(image.convert("RGBA"))
    return over_white(watermark.embed(pixels, KEY, PAYLOAD) if mark else pixels)


def turned(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """Turn about the centre (bicubic) and keep the largest upright rectangle inside, less a pixel."""
    h, w = pixels.shape[:2]
    out = np.asarray(Image.fromarray(pixels).rotate(degrees, resample=Image.Resampling.BICUBIC))
    s, c = abs(math.sin(math.radians(degrees))), abs(math.cos(math.radians(degrees)))
    side = min(w, h)  # a square-ish picture: the inner square of the short side
    inner = math.floor(side / (c + s)) - 2
    top, left = (h - inner) // 2, (w - inner) // 2
    return out[top : top + inner, left : left + inner].copy()


def rescaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    size = (round(w * factor), round(h * factor))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS))


@pytest.mark.parametrize("degrees", [2.0, 15.0])
def test_a_turned_icon_reads(data_dir: Path, degrees: float) -> None:
    found = watermark.detect(turned(drawing(data_dir, "multimedia-icon.png", mark=True), degrees), KEY)
    assert found.payload == PAYLOAD
    assert found.rotation is not None and abs(abs(found.rotation) % 90.0 - degrees) < 0.5


def test_the_ornament_enlarged_by_half_reads(data_dir: Path) -> None:
    found = watermark.detect(rescaled(drawing(data_dir, "corner-ornament.png", mark=True), 1.5), KEY)
    assert found.payload == PAYLOAD
    assert found.scale is not None and abs(found.scale - 1.5) < 0.01


@pytest.mark.xfail(strict=True, reason="the template's search does not propose the ornament's turn: "
                   "its peaks stand no higher than chance among every scale and angle")
def test_the_ornament_turned_5_degrees_reads(data_dir: Path) -> None:
    found = watermark.detect(turned(drawing(data_dir, "corner-ornament.png", mark=True), 5.0), KEY)
    assert found.payload == PAYLOAD


@pytest.mark.parametrize("name", ["multimedia-icon.png", "corner-ornament.png", "aiga-coat-check.png"])
def test_unmarked_art_turned_or_rescaled_is_not_found(data_dir: Path, name: str) -> None:
    plain = drawing(data_dir, name, mark=False)
    for attacked in (turned(plain, 2.0), turned(plain, 15.0), rescaled(plain, 1.5)):
        found = watermark.detect(attacked, KEY)
        assert not found.found
        assert found.p_value > watermark.THRESHOLD
