"""PDQ, Meta's 256-bit perceptual hash, written from the published algorithm.

The steps follow the reference implementation (ThreatExchange ``pdq``):
luminance, a tent filter made of two X/Y passes of Jarosz box filters,
point-sampling to 64x64, the DCT coefficients 1..16 in each direction, and one
bit per coefficient set when it is above the median.  The eight dihedral
variants (rotations by 90 degrees and flips) come from sign changes and a
transpose of the 16x16 DCT, so a flipped or quarter-turned copy can be matched
without hashing it again.

A hash is 32 bytes, most significant first, so ``bytes.hex()`` gives the same
64 hex digits as the reference tools.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

HASH_BYTES = 32
MATCH_DISTANCE = 31
"""Meta's recommended threshold: at most this many differing bits is a match."""

_LUMA = np.array([0.299, 0.587, 0.114])
_WINDOW_DIVISOR = 128
_DCT = np.sqrt(2.0 / 64.0) * np.cos(
    (np.pi / 2.0 / 64.0) * np.arange(1, 17)[:, None] * (2 * np.arange(64)[None, :] + 1)
)
# Sign patterns of the 16x16 DCT under each dihedral transform.  Index i is
# vertical frequency i + 1 and j horizontal frequency j + 1, so mirroring a
# direction multiplies by (-1) ** (frequency), i.e. flips the even indices.
_EVEN = (np.arange(16) % 2 == 0).astype(np.float64)
_ROW_SIGN = (1.0 - 2.0 * _EVEN)[:, None] * np.ones((1, 16))  # mirror top/bottom
_COL_SIGN = np.ones((16, 1)) * (1.0 - 2.0 * _EVEN)[None, :]  # mirror left/right
DIHEDRAL_NAMES = (
    "original",
    "rotate90",  # counter-clockwise
    "rotate180",
    "rotate270",
    "flip_x",  # top and bottom swapped
    "flip_y",  # left and right swapped
    "flip_plus1",  # transposed
    "flip_minus1",  # anti-transposed
)
"""The transforms of ``dihedral_dcts``, named and ordered as in the reference."""


def luminance(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Return the Rec. 601 luma of an HxWx3 RGB array as float64."""
    red, green, blue = _LUMA
    return pixels[..., 0] * red + pixels[..., 1] * green + pixels[..., 2] * blue


def _window(dimension: int) -> int:
    return (dimension + _WINDOW_DIVISOR - 1) // _WINDOW_DIVISOR


def _box_bounds(length: int, window: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    # The reference box filter averages in[k - (window - half) .. k + half - 1],
    # cut at the ends, with half = (window + 2) // 2.
    half = (window + 2) // 2
    k = np.arange(length)
    lo = np.maximum(0, k - (window - half))
    hi = np.minimum(length - 1, k + half - 1) + 1
    return lo, hi


@functools.lru_cache(maxsize=16)
def _tent_sampler(length: int) -> NDArray[np.float64]:
    """The 64 x ``length`` matrix of two box passes followed by point sampling.

    The reference filters the whole image in X,Y,X,Y passes and keeps 64x64
    samples.  Those steps are linear and separable, so they collapse into one
    matrix per axis and the image is touched by two matrix products only.
    """
    lo, hi = _box_bounds(length, _window(length))
    k = np.arange(length)
    count = (hi - lo).astype(np.float64)
    samples = ((np.arange(64) + 0.5) * length / 64).astype(np.intp)
    # First pass: each sample averages the window around it.
    first = ((k[None, :] >= lo[samples, None]) & (k[None, :] < hi[samples, None])) / count[
        samples, None
    ]
    # Second pass: output k takes first[k] / count[k] spread over [lo[k], hi[k]).
    spread = np.zeros((64, length + 1))
    weight = first / count[None, :]
    np.add.at(spread.T, lo, weight.T)
    np.subtract.at(spread.T, hi, weight.T)
    sampler = np.cumsum(spread[:, :length], axis=1)
    sampler.setflags(write=False)
    return sampler


def downsample64(luma: NDArray[np.float64]) -> NDArray[np.float64]:
    """Tent-filter and point-sample a luminance image to 64x64, as PDQ does."""
    rows, cols = luma.shape
    return (_tent_sampler(rows) @ luma) @ _tent_sampler(cols).T


def dct16(block64: NDArray[np.float64]) -> NDArray[np.float64]:
    """DCT coefficients 1..16 x 1..16 of a 64x64 block."""
    return _DCT @ block64 @ _DCT.T


def dihedral_dcts(dct: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """The 16x16 DCT of the image under each transform in ``DIHEDRAL_NAMES``."""
    both = _ROW_SIGN * _COL_SIGN
    return [
        dct,
        (_COL_SIGN * dct).T,  # mirror left/right, then transpose
        both * dct,
        (_ROW_SIGN * dct).T,
        _ROW_SIGN * dct,
        _COL_SIGN * dct,
        dct.T,
        (both * dct).T,
    ]


def bits_from_dct(dct: NDArray[np.float64]) -> bytes:
    """Threshold at the median and pack bit ``16*i + j`` into a 32-byte hash."""
    flat = dct.reshape(256)
    bits = (flat > np.median(flat)).astype(np.uint8)
    return np.packbits(bits[::-1]).tobytes()


def pdq_dct(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The 16x16 DCT that PDQ thresholds, from an HxWx3 uint8 array."""
    return dct16(downsample64(luminance(pixels)))


def pdq_hash(pixels: NDArray[np.uint8]) -> bytes:
    """The 256-bit PDQ hash of an HxWx3 uint8 RGB array, as 32 bytes."""
    return bits_from_dct(pdq_dct(pixels))


def pdq_hashes(pixels: NDArray[np.uint8]) -> list[bytes]:
    """PDQ hashes of the image under the eight dihedral transforms."""
    return [bits_from_dct(d) for d in dihedral_dcts(pdq_dct(pixels))]


def quality(block64: NDArray[np.float64]) -> int:
    """PDQ's 0-100 quality score: how much gradient the 64x64 block has."""
    dv = np.trunc((block64[:-1, :] - block64[1:, :]) * 100 / 255)
    dh = np.trunc((block64[:, :-1] - block64[:, 1:]) * 100 / 255)
    return min(100, int((np.abs(dv).sum() + np.abs(dh).sum()) // 90))


def hamming(a: bytes, b: bytes) -> int:
    """Number of differing bits between two equal-length hashes."""
    if len(a) != len(b):
        raise ValueError("Hashes of different lengths cannot be compared.")
    return int.from_bytes(a, "big").__xor__(int.from_bytes(b, "big")).bit_count()
