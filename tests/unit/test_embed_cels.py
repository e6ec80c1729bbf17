"""Transparent cels and clip art: the mark spreads past their edges, where it is heard.

The drawings are from Debian's openclipart-png (public domain), two of the
held-out drawings of benchmarks/heldout.py, marked with its key and payload
and flattened over white as a platform would.
"""

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from artistshield import watermark
from artistshield.watermark import mask

ROOT = Path(__file__).resolve().parents[2]
CLIPART = ROOT / "tests" / "data" / "clipart"
KEY = bytes.fromhex("5a" * 16 + "c3" * 16)  # benchmarks/robustness.py's
PAYLOAD = 0x5EC12E7A11CE


def _benchmark(name: str) -> ModuleType:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def attacks() -> ModuleType:
    return _benchmark("attacks")


def load(name: str) -> np.ndarray:
    return np.asarray(Image.open(CLIPART / name).convert("RGBA"))


def flatten(pixels: np.ndarray) -> np.ndarray:
    alpha = pixels[..., 3:].astype(np.float64) / 255.0
    return np.rint(pixels[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)


def marked(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The drawing flattened over white, and its marked copy flattened so."""
    rgba = load(name)
    return flatten(rgba), flatten(watermark.embed(rgba, KEY, PAYLOAD))


def test_a_cels_mark_reaches_inside_a_flat_fill_past_the_edge_band() -> None:
    # a black disc on a transparent sheet: its edge band is two pixels deep,
    # where the detector, weighing each pixel by the detail round it, hears
    # little; the mark now also lies a few pixels further in
    rows, cols = np.mgrid[:256, :256]
    inside = np.hypot(rows - 128, cols - 128) < 80
    rgba = np.zeros((256, 256, 4), np.uint8)
    rgba[..., 3] = np.where(inside, 255, 0)
    y = mask.luma(rgba)
    amp = mask.amplitude(y, weight=inside.astype(np.float32))
    edge = int(np.argmax(inside[128]))  # the first opaque pixel of the middle row
    assert amp[128, edge + 6] > 0  # six pixels in (before: five at most)
    assert amp[128, edge + 12] == 0  # the middle of the fill stays clean
    assert not amp[~inside].any()


def test_a_black_silhouette_reads_after_a_blur(attacks: ModuleType) -> None:
    # its mark sat all on the edge, half clipped at black: missed every
    # attack but JPEG 90 before the mark spread
    _, out = marked("aiga-coat-check.png")
    assert watermark.detect(attacks.blur(out, 1.5), KEY).payload == PAYLOAD


def test_a_black_silhouette_reads_after_instagram(attacks: ModuleType) -> None:
    _, out = marked("aiga-coat-check.png")
    assert watermark.detect(attacks.instagram(out), KEY).payload == PAYLOAD


def test_a_small_cel_reads_after_crop_scale_and_jpeg(attacks: ModuleType) -> None:
    _, out = marked("pig.png")
    assert watermark.detect(attacks.crop_scale_jpeg(out), KEY).payload == PAYLOAD


@pytest.mark.xfail(strict=True, reason="known loss (issue 24): JPEG 30 still misses this black "
                   "silhouette, whose mark is half clipped at black (benchmarks/heldout.py)")
def test_a_black_silhouette_reads_after_jpeg_30(attacks: ModuleType) -> None:
    _, out = marked("aiga-coat-check.png")
    assert watermark.detect(attacks.jpeg(out, 30), KEY).payload == PAYLOAD


def test_a_small_cels_mark_is_less_visible_than_a_jpeg_90_resave(attacks: ModuleType) -> None:
    pytest.importorskip("ssimulacra2")
    score = _benchmark("robustness").package_ssimulacra2
    original, out = marked("pig.png")
    assert score(original, out) >= score(original, attacks.jpeg(original, 90))
