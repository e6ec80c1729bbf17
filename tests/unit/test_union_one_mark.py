"""A union's check stops at the first epoch whose mark it finds: a member marks with one key."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import watermark
from artistshield.check import check_file

DATA = Path(__file__).parents[1] / "data"
KEYS = [bytes([n]) * 32 for n in (4, 6, 8)]


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    return np.asarray(Image.open(DATA / "painted-bridge.png").convert("RGB"))


def test_until_found_stops_after_the_key_whose_mark_is_found(pixels: np.ndarray) -> None:
    marked = watermark.embed(pixels, KEYS[1], 0xBEE)
    each = watermark.detect_each(marked, KEYS, until_found=True)
    assert len(each) == 2  # the third key is not searched
    assert each == [watermark.detect(marked, key) for key in KEYS[:2]]
    assert not each[0].found and each[1].found and each[1].payload == 0xBEE


def test_until_found_searches_every_key_of_an_unmarked_picture(pixels: np.ndarray) -> None:
    each = watermark.detect_each(pixels, KEYS, until_found=True)
    assert each == watermark.detect_each(pixels, KEYS)
    assert len(each) == 3 and not any(d.found for d in each)


@pytest.mark.parametrize(("marked_with", "searched"), [(0, ["epoch 1"]), (1, ["epoch 1", "epoch 2"])])
def test_a_check_with_one_mark_lists_the_epochs_searched(
    pixels: np.ndarray, tmp_path: Path, marked_with: int, searched: list[str]
) -> None:
    suspect = tmp_path / "suspect.jpg"
    Image.fromarray(watermark.embed(pixels, KEYS[marked_with], 0x5EA)).save(suspect, quality=85)
    keys = {"epoch 1": KEYS[0], "epoch 2": KEYS[1]}
    result = check_file(suspect, keys=keys, provenance=False, one_mark=True)
    assert [m.key_label for m in result.marks] == searched
    assert result.marks[-1].detection.found and result.marks[-1].detection.payload == 0x5EA
    everything = check_file(suspect, keys=keys, provenance=False)
    assert [m.key_label for m in everything.marks] == ["epoch 1", "epoch 2"]
    assert everything.marks[marked_with].detection == result.marks[-1].detection
