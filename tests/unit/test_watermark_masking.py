"""The mask's contrast-masking model: an even spread over what hides the mark, never a slope."""

import numpy as np

from artistshield import watermark
from artistshield.watermark import mask

KEY = bytes(range(32))


def test_the_cap_holds_the_seen_share_of_a_change_to_one_level() -> None:
    contrast = np.array([0.0, 2.0, 5.0, 10.0, 20.0], np.float32)
    cap = mask.masking_cap(contrast.copy())
    # SSIM's cost of a change a in a window of contrast c: a**2 / (2 c**2 + C)
    seen = cap**2 / (2.0 * contrast**2 + mask.MASKING_FLOOR**2)
    assert np.allclose(seen, mask.MASKING_SHARE**2, rtol=1e-5)
    # strong edges get less than the share of their own contrast they once did
    assert cap[-1] < 0.5 * contrast[-1]
    assert mask.masking_cap(np.array([500.0], np.float32))[0] == mask.PEAK


def test_a_slope_too_gentle_for_the_narrow_window_stays_unmarked() -> None:
    # 0.9 grey levels a pixel: the wide window's contrast is above the flat
    # threshold, the narrow one's below; grain on such a slope is what shows
    ramp = 10.0 + 0.9 * np.arange(256, dtype=np.float32)
    pixels = np.repeat(np.broadcast_to(ramp, (200, 256))[..., None], 3, axis=2).round().astype(np.uint8)
    y = mask.luma(pixels)
    assert float(np.median(mask.local_contrast(y, mask.MASKING_WINDOW))) > mask.FLAT_CONTRAST
    assert float(np.median(mask.local_contrast(y))) < mask.FLAT_CONTRAST
    assert np.array_equal(watermark.embed(pixels, KEY, 5), pixels)


def test_flat_art_spreads_its_mark_a_few_pixels_past_an_edge_and_no_further() -> None:
    # a soft edge cannot take the budget even at the highest gain: it spreads
    flat = np.full((300, 300, 3), 60, np.uint8)
    flat[:, 150:] = 70
    delta = watermark.mark_delta(flat, KEY, 5)
    touched = np.flatnonzero(np.abs(delta).max(axis=0) > 0)
    # the 5x5 window sees the edge two pixels either side; the mark goes
    # up to MASKING_WINDOW's reach past that, and the smoothing one more
    assert touched.min() >= 150 - 2 - mask.MASKING_WINDOW // 2 - 1 - 1
    assert touched.max() <= 149 + 2 + mask.MASKING_WINDOW // 2 + 1 + 1
    assert touched.size > 2 * 2 + 2


def test_a_picture_whose_budget_binds_keeps_its_mark_on_the_drawing() -> None:
    flat = np.full((300, 300, 3), 60, np.uint8)
    flat[:, 150:] = 200
    delta = watermark.mark_delta(flat, KEY, 5)
    touched = np.flatnonzero(np.abs(delta).max(axis=0) > 0)
    # the 5x5 window's band, two pixels either side, and the smoothing's one
    assert (touched.min(), touched.max()) == (147, 152)
