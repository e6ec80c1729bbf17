"""The detector's cheaper search reads what the plain one reads.

Each shortcut the search takes to cost an unmarked picture less is checked
here against the plain computation it stands for.
"""

import importlib

import numpy as np
import pytest

# the package re-exports the function `detect`, which hides the module's name
detect_module = importlib.import_module("artistshield.watermark.detect")

KEY = bytes(range(32))


@pytest.mark.parametrize("variants", [range(16), range(0, 16, 2), range(0, 8, 2), [5, 13]])
def test_every_variant_is_read_from_the_tile_itself(variants: range | list[int]) -> None:
    # a flip or quarter turn only moves the chip sums, so correlating the
    # sync chips moved the other way gives each variant's z map exactly
    rng = np.random.default_rng(7)
    tile = rng.normal(size=(128, 128))
    tile[90:, :40] = 0.0  # a corner that folded nothing
    ref = detect_module._Reference(KEY)
    sums = detect_module.ChipSums(tile, variants)
    boxes = detect_module.chip_sums(tile.astype(np.float32), variants)
    wanted = np.stack([ref.zmap(box) for box in boxes])
    np.testing.assert_allclose(ref.zmaps(sums), wanted, atol=1e-4)
    for variant, box in zip(variants, boxes, strict=True):
        np.testing.assert_array_equal(sums.box(variant), box)
