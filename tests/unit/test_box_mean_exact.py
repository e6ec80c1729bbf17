"""The box mean sums the same rows in the same order as a padded copy would: same bits.

Marks are written and read with :func:`artistshield.watermark.mask.box_mean`
(the residual the mark is read from, the masking that sizes it); a faster
sum that rounded differently would move payloads and p-values that
reports and pinned tests hold.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from artistshield.watermark import mask


def _padded_box_mean(a: np.ndarray, size: int, step: int) -> np.ndarray:
    """The reference: the row filter, then a symmetric padded copy summed down the columns."""
    rows = ndimage.uniform_filter1d(np.asarray(a, np.float32), size, axis=1, mode="reflect")[:, ::step]
    before = size // 2
    padded = np.pad(rows, ((before, size - 1 - before), (0, 0)), mode="symmetric")
    out = np.array(padded[0 : a.shape[0] : step])
    for shift in range(1, size):
        out += padded[shift : shift + a.shape[0] : step]
    out *= np.float32(1.0 / size)
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 13, 16])
@pytest.mark.parametrize("step", [1, 2, 3, 8])
def test_box_mean_is_the_padded_sum_to_the_bit(size: int, step: int) -> None:
    rng = np.random.default_rng(size * 100 + step)
    for height in (*range(1, 20), 37, 64, 101):
        a = (rng.random((height, 29)) * 255).astype(np.float32)
        expected = _padded_box_mean(a, size, step)
        got = mask.box_mean(a, size, step=step)
        assert got.dtype == np.float32 and got.shape == expected.shape
        assert np.array_equal(got, expected), (height, size, step)
