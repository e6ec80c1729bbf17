"""The faster embedding marks every pixel exactly as the straightforward one did.

The references below are the code as it stood before it was made faster:
the Gaussian contrast worked out over the whole picture and the weight
from alpha through floats.  Each is recomputed here and compared bit for bit (no stored
digest: that would drift with numpy's versions, the comparison does not).
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import watermark
from artistshield.watermark import mask

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes.fromhex("5a" * 16 + "c3" * 16)
PAYLOAD = 0x5EC12E7A11CE
PICTURES = [
    "clipart/pig.png",  # a flat cel, transparent round it
    "clipart/aiga-coat-check.png",  # a black silhouette on transparency
    "cel-portrait-alpha.png",  # a painted cel
    "cel-spookytree-alpha.png",  # a cartoon cel, 1004x904
]


def _reference_cap_within(y: np.ndarray, reach: np.ndarray) -> np.ndarray:
    return np.where(reach, mask.masking_cap(mask.gaussian_contrast(y)), np.float32(0.0))


def _reference_embed(pixels: np.ndarray, key: bytes, payload: int) -> np.ndarray:
    delta = watermark.mark_delta(pixels, key, payload)
    out = pixels.copy()
    rgb = pixels[..., :3].astype(np.float32)
    rgb += delta[..., None]
    np.rint(rgb, out=rgb)
    np.clip(rgb, 0, 255, out=rgb)
    out[..., :3] = rgb.astype(np.uint8)
    return out


def _load(name: str) -> np.ndarray:
    with Image.open(DATA / name) as image:
        return np.asarray(image.convert("RGBA"))


def _flat_art() -> np.ndarray:
    """An opaque flat picture, 700x520: bands of colour, a disc and a thin line on a page."""
    yy, xx = np.mgrid[0:520, 0:700]
    rgb = np.full((520, 700, 3), 236, np.uint8)
    rgb[(xx - 420) ** 2 + (yy - 300) ** 2 < 110**2] = (40, 90, 160)
    rgb[60:140, 30:300] = (200, 60, 50)
    rgb[400:403, :] = (20, 20, 20)
    return rgb


@pytest.mark.parametrize("name", PICTURES)
def test_cels_are_marked_to_the_bit_as_before(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pixels = _load(name)
    assert (pixels[..., 3] == 0).any()  # a cel: it takes the spread path
    fast = watermark.embed(pixels, KEY, PAYLOAD)
    monkeypatch.setattr(mask, "_cap_within", _reference_cap_within)
    slow = _reference_embed(pixels, KEY, PAYLOAD)
    assert np.array_equal(fast, slow)
    assert not np.array_equal(fast, pixels)  # it was marked at all


def test_opaque_flat_art_is_marked_to_the_bit_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    for pixels in (_flat_art(), np.dstack([_flat_art(), np.full((520, 700), 255, np.uint8)])):
        fast = watermark.embed(pixels, KEY, PAYLOAD)
        monkeypatch.setattr(mask, "_cap_within", _reference_cap_within)
        slow = _reference_embed(pixels, KEY, PAYLOAD)
        monkeypatch.undo()
        assert np.array_equal(fast, slow)
        assert not np.array_equal(fast, pixels)


@pytest.mark.parametrize("shape", [(200, 300), (130, 64), (64, 129), (7, 250)])
def test_the_cap_within_a_band_is_the_whole_pictures(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    y = (rng.random(shape) * 255).astype(np.float32)
    y[:, : shape[1] // 3] = 255.0  # a flat stretch, as round a cel
    reaches = [
        np.zeros(shape, bool),  # nothing drawn
        np.ones(shape, bool),  # all of it
        rng.random(shape) < 0.02,  # scattered pixels, at the borders too
    ]
    corners = np.zeros(shape, bool)
    corners[0, 0] = corners[-1, -1] = corners[0, -1] = corners[-1, 0] = True
    reaches.append(corners)
    line = np.zeros(shape, bool)
    line[shape[0] // 2, :] = True  # a run of blocks across the whole width
    reaches.append(line)
    for reach in reaches:
        assert np.array_equal(mask._cap_within(y, reach), _reference_cap_within(y, reach))


def test_the_weight_from_alpha_is_as_before() -> None:
    alpha = np.arange(256, dtype=np.uint8).reshape(16, 16)
    before = np.where(alpha.astype(np.float32) / 255.0 > 0, 1.0, 0.0).astype(np.float32)
    assert np.array_equal((alpha > 0).astype(np.float32), before)
