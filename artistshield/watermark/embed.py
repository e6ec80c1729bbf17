"""Embedding: add the key's tiled pattern to luma, shaped by the mask."""

from functools import lru_cache

import numpy as np

from artistshield.watermark import keys, mask, pattern

#: A picture with margin to spare (see :func:`.mask.need`) loses the tile's
#: harmonics below this radius (cycles per tile, so a period of TILE / radius
#: pixels: 9 pixels at 14), ramping over CUT_RAMP on either side.  The eye's
#: contrast sensitivity peaks at coarse patterns, and on smooth slopes that is
#: what shows as grain (SSIMULACRA2's 4x and 8x scales weigh it most); the
#: detector reads each pixel against its 3x3 mean, which discards most of
#: it.  The sync template (radius 18 to 26) and almost all the chips' energy
#: lie above it.  A picture that needs its whole budget (a cel, flat art)
#: keeps the coarse part: after a blur or a downscale and JPEG it is what
#: is left of the mark on its few edges.
CUT_RADIUS = 14.0
CUT_RAMP = 4.0
#: Even a picture that keeps the coarse part loses the coarsest harmonics,
#: below this radius (a period of 16 pixels at 8), ramping over LOW_RAMP on
#: either side: SSIMULACRA2 sees them at its 4x and 8x scales, on the smooth
#: slopes of cartoons and flat art most, while the detector's 3x3 residual
#: keeps under a twentieth of them even after a halving.  On the corpus
#: (SSIMULACRA2's reference tool, one key): cels, cartoons and flat art
#: scored 0.4 to 0.7 higher, and the weakest attacks read as before under
#: three keys.
LOW_RADIUS = 8.0
LOW_RAMP = 2.0
#: An opaque picture's mark is made zero-mean locally, over two passes of a
#: box this many pixels a side (about a Gaussian of 2.8 pixels): the mask
#: that shapes it, a thin band along an edge on flat art, lets through coarse
#: harmonics the tile itself lacks, a faint smudge along the edge that
#: SSIMULACRA2 sees at its coarser scales.  Subtracting the mask times the
#: mark's local mean over the mask removes it and keeps the mark where the
#: mask put it.  On the corpus (reference tool): flat art and cartoons 0.5
#: to 0.9 higher, paintings 0.1 to 0.2, the weakest attacks reading as
#: before under three keys.  Not on transparent cels: after a blur or crop + scale + JPEG their
#: few edges need what it takes away.  At 5 pixels flat art lost Instagram.
LOCAL_MEAN_BOX = 7


def check_pixels(pixels: np.ndarray) -> None:
    """Raise ``ValueError`` unless *pixels* is an HxWx3 or HxWx4 uint8 array."""
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8:
        raise ValueError("pixels must be a uint8 numpy array (HxWx3 RGB or HxWx4 RGBA)")
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"pixels must be HxWx3 (RGB) or HxWx4 (RGBA), not {pixels.shape}")
    if min(pixels.shape[:2]) < 32:
        raise ValueError(f"the image is too small to mark ({pixels.shape[1]}x{pixels.shape[0]})")


def check_payload(payload: int) -> int:
    if not isinstance(payload, int | np.integer) or not 0 <= int(payload) < 2**pattern.PAYLOAD_BITS:
        raise ValueError(f"payload must be an int in [0, 2**{pattern.PAYLOAD_BITS})")
    return int(payload)


def mark_delta(pixels: np.ndarray, key: bytes, payload: int, *, strength: float = 1.0) -> np.ndarray:
    """Return the float32 HxW luma change that marks *pixels*.

    Adding it to every colour channel changes luma by exactly this much and
    leaves chroma alone.  Fully transparent pixels get zero.  Callers that
    keep more than 8 bits per channel add it at their own precision.
    """
    return _delta(pixels, key, payload, strength=strength)[0]


def _delta(pixels: np.ndarray, key: bytes, payload: int, *, strength: float) -> tuple[np.ndarray, float]:
    """Return :func:`mark_delta` and :func:`margin` of *pixels*, worked out together."""
    check_pixels(pixels)
    key = keys.check_key(key)
    payload = check_payload(payload)
    if not 0.0 < strength <= 4.0:
        raise ValueError("strength must be above 0 and at most 4")
    y = mask.luma(pixels)
    amp, share, factor, signal = _scaled_amplitude(pixels, y)
    amp *= np.float32(strength * share * factor)
    opaque = pixels.shape[2] == 3 or bool(pixels[..., 3].all())
    tile = coarse_tile(key, payload)
    # from the coarse tile at a share of 1 to the fine one at the floor
    coarse = (share - mask.NEED_FLOOR) / (1.0 - mask.NEED_FLOOR)
    if coarse < 1.0:
        tile = fine_tile(key, payload) + np.float32(coarse) * (tile - fine_tile(key, payload))
    h, w = y.shape
    reps = (-(-h // pattern.TILE), -(-w // pattern.TILE))
    if opaque:
        where = mask.box_mean(mask.box_mean(amp, LOCAL_MEAN_BOX), LOCAL_MEAN_BOX)
        where += np.float32(1e-3 * strength)  # no division by zero; linear in strength
        support = amp.copy()
    amp *= np.tile(tile, reps)[:h, :w]
    if opaque:
        local = mask.box_mean(mask.box_mean(amp, LOCAL_MEAN_BOX), LOCAL_MEAN_BOX)
        local /= where
        local *= support
        amp -= local
    return amp, signal * strength


def _scaled_amplitude(pixels: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Return the mask of *pixels* (luma *y*), its need, a further factor and :func:`margin` at 1.

    At strength 1 the mask is scaled by its need (see :func:`.mask.need`)
    times the factor: 1 for an opaque picture; for a cel, the boost of a
    sparse drawing (see :func:`.mask.sparse_boost`) times a cel's share.
    """
    weight = (pixels[..., 3] > 0).astype(np.float32) if pixels.shape[2] == 4 else None
    opaque = weight is None or bool(weight.all())
    amp = mask.amplitude(y, weight=weight)
    snr = mask.detection_snr(y, amp)
    # a cel's budget alone rises (see SPARSE_SNR): the same drawing on an opaque page
    # takes another mask, whose boost showed on several such pages
    factor = 1.0 if opaque else mask.sparse_boost(snr) * mask.CEL_SHARE
    share = mask.need_at(snr)
    return amp, share, factor, snr * share * factor


def margin(pixels: np.ndarray, *, strength: float = 1.0) -> float:
    """Return the detection signal-to-noise ratio :func:`mark_delta` gives *pixels* at *strength*.

    See :func:`.mask.detection_snr`; below :data:`.mask.FRAGILE_SNR` the mark
    is fragile (see :func:`fragile`).  0 for a picture the engine leaves unmarked.
    """
    check_pixels(pixels)
    return _scaled_amplitude(pixels, mask.luma(pixels))[3] * strength


def fragile(pixels: np.ndarray, *, strength: float = 1.0) -> str | None:
    """Return why the mark on *pixels* is unlikely to survive recompression, or None.

    A drawing of a few thousand pixels, a thin outline on a large page, has
    too few edges for a mark that outlasts a platform's JPEG or WebP without
    showing; the engine still marks it (a lossless copy reads), and says so.
    """
    return _fragile_at(margin(pixels, strength=strength))


def _fragile_at(snr: float) -> str | None:
    """Return :func:`fragile` for a mark of :func:`margin` *snr*."""
    if snr == 0.0 or snr >= mask.FRAGILE_SNR:
        return None
    return (f"the drawing has too few edges to carry a mark that surely survives "
            f"recompression (signal {snr:.1f} of {mask.FRAGILE_SNR:g} wanted): a lossless "
            "copy reads, a platform's JPEG or WebP may lose it; a higher strength raises "
            "it, and the survival test shows whether a platform's copy still reads")


@lru_cache(maxsize=4)
def fine_tile(key: bytes, payload: int) -> np.ndarray:
    """Return :func:`.pattern.tile` without its coarse harmonics (see CUT_RADIUS), float32."""
    return _high_pass(pattern.tile(key, payload), CUT_RADIUS, CUT_RAMP)


@lru_cache(maxsize=4)
def coarse_tile(key: bytes, payload: int) -> np.ndarray:
    """Return :func:`.pattern.tile` without its coarsest harmonics (see LOW_RADIUS), float32."""
    return _high_pass(pattern.tile(key, payload), LOW_RADIUS, LOW_RAMP)


def _high_pass(tile: np.ndarray, cut: float, ramp: float) -> np.ndarray:
    """Return *tile* less its harmonics below radius *cut*, ramped over *ramp* either side."""
    spectrum = np.fft.rfft2(tile)
    rows = np.fft.fftfreq(pattern.TILE) * pattern.TILE
    cols = np.fft.rfftfreq(pattern.TILE) * pattern.TILE
    radius = np.hypot(rows[:, None], cols[None, :])
    spectrum *= np.clip((radius - (cut - ramp)) / (2.0 * ramp), 0.0, 1.0)
    out = np.fft.irfft2(spectrum, s=(pattern.TILE, pattern.TILE)).astype(np.float32)
    out.flags.writeable = False  # cached: shared by every caller
    return out


def embed(pixels: np.ndarray, key: bytes, payload: int, *, strength: float = 1.0) -> np.ndarray:
    """Return a marked copy of *pixels*; alpha is left bit-identical."""
    return _added(pixels, mark_delta(pixels, key, payload, strength=strength))


def embed_noting(
    pixels: np.ndarray, key: bytes, payload: int, *, strength: float = 1.0
) -> tuple[np.ndarray, str | None]:
    """Return :func:`embed` and :func:`fragile` of *pixels*, for the price of the first."""
    delta, snr = _delta(pixels, key, payload, strength=strength)
    return _added(pixels, delta), _fragile_at(snr)


def _added(pixels: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """Return *pixels* with luma change *delta* added to each colour channel, rounded."""
    out = pixels.copy()
    rgb = pixels[..., :3].astype(np.float32)
    rgb += delta[..., None]
    np.rint(rgb, out=rgb)
    np.clip(rgb, 0, 255, out=rgb)
    out[..., :3] = rgb.astype(np.uint8)
    return out
