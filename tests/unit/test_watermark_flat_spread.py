"""Flat art's mark follows an edge as SSIM's Gaussian window sees it, not as a wide box does."""

import numpy as np

from artistshield import watermark
from artistshield.watermark import mask

KEY = bytes(range(32))


def thin_line() -> np.ndarray:
    """A one-pixel line on flat colour: too little edge to take the budget, so its mark spreads."""
    y = np.full((200, 300), 60, np.float32)
    y[:, 150] = 80
    return y


def test_a_thin_line_carries_its_mark_on_itself_more_than_beside_it() -> None:
    amp = mask.amplitude(thin_line())[100]
    # a 9x9 box sees the same contrast anywhere within four pixels of the
    # line, so it once spread an even mark over that band; SSIM's window
    # sees the line at full contrast on it and almost none three pixels off
    assert amp[150] > 1.3 * amp[147]
    assert amp[150] > 1.3 * amp[153]
    assert amp[148] > amp[147] > amp[146]


def test_the_spread_mark_stays_within_the_rms_budget_and_reads() -> None:
    y = thin_line()
    amp = mask.amplitude(y)
    assert float(np.sqrt(np.mean(amp.astype(np.float64) ** 2))) <= mask.RMS_BUDGET
    pixels = np.repeat(y[..., None], 3, axis=2).astype(np.uint8)
    pixels[:, 40] = pixels[:, 260] = 90  # more lines for the detector to read
    marked = watermark.embed(pixels, KEY, 77)
    assert watermark.detect(marked, KEY).payload == 77
