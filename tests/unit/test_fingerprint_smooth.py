"""A smooth work registered without marking (a soft gradient backdrop) is found again.

A JPEG re-save or a mild resize of it matches, by its whole shading; other
smooth pictures, however alike, do not.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import check
from artistshield.fingerprint import FingerprintIndex, compute
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry
from artistshield.verdict import verdict_body, verdict_kind

SKY = ((40, 60, 120), (230, 150, 90))


def gradient(
    start: tuple[int, int, int] = SKY[0],
    end: tuple[int, int, int] = SKY[1],
    *,
    kind: str = "diagonal",
    width: int = 960,
    height: int = 540,
) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    if kind == "diagonal":
        t = 0.7 * x / width + 0.3 * y / height
    elif kind == "vertical":
        t = y / height
    else:  # a soft glow off centre
        t = np.clip(np.hypot(x - 0.3 * width, y - 0.6 * height) / width, 0, 1)
    a, b = np.array(start, np.float32), np.array(end, np.float32)
    return np.round(a + (b - a) * t[..., None]).astype(np.uint8)


def resaved(pixels: np.ndarray, quality: int = 85, scale: float = 1.0) -> np.ndarray:
    image = Image.fromarray(pixels)
    if scale != 1.0:
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def _index(**works: np.ndarray) -> FingerprintIndex:
    index = FingerprintIndex()
    for name, pixels in works.items():
        index.add(name, compute(pixels))
    return index


@pytest.mark.parametrize(("quality", "scale"), [(90, 1.0), (75, 1.0), (85, 0.5), (70, 0.8)])
def test_a_resaved_gradient_is_found_by_its_shading(quality: int, scale: float) -> None:
    index = _index(sky=gradient(), glow=gradient((200, 180, 220), (30, 30, 60), kind="glow"))
    [best, *_] = index.search(resaved(gradient(), quality, scale))
    assert (best.work_id, best.is_match, best.method) == ("sky", True, "shading")


def test_other_smooth_pictures_do_not_match() -> None:
    """The negative control: alike gradients, a blank page, and the same page in other proportions."""
    index = _index(
        sky=gradient(), dusk=gradient((250, 200, 150), (90, 120, 200), kind="vertical"),
        white=np.full((540, 960, 3), 255, np.uint8),
    )
    others = [
        gradient((50, 70, 130), SKY[1]),  # one end ten levels lighter
        gradient((250, 200, 150), (70, 100, 180), kind="vertical"),  # the other end darker
        gradient(kind="vertical"),  # the sky's colours, another direction
        gradient(kind="glow"),
        gradient(width=960, height=720),  # the sky's blend on a page of other proportions
        np.full((540, 960, 3), 255, np.uint8),  # blank pages all look alike: never a match
    ]
    for pixels in others:
        assert not any(m.is_match for m in index.search(resaved(pixels))), pixels[0, 0]


def test_a_gradient_registered_without_marking_is_recognised_by_a_check(
    tmp_path: Path, real_artist: Identity
) -> None:
    Image.fromarray(gradient()).save(tmp_path / "backdrop.png")
    Image.fromarray(resaved(gradient(), 85)).save(tmp_path / "repost.jpg", quality=95)
    Image.fromarray(resaved(gradient(kind="vertical"), 85)).save(tmp_path / "other.jpg")
    with Registry.open() as registry:
        work = register_file(registry, tmp_path / "backdrop.png", identity=real_artist)
        found = check.check_file(tmp_path / "repost.jpg", keys={}, registry=registry, provenance=False)
        other = check.check_file(tmp_path / "other.jpg", keys={}, registry=registry, provenance=False)
    assert verdict_kind(found) == "match"
    assert [m.work_id for m in found.matches if m.is_match] == [work.work_id]
    said = verdict_body(found, work=work)
    assert said.startswith("This work was registered without marking, so there is no mark")
    assert "shading" in said and "removed" not in said
    assert verdict_kind(other) == "none"
