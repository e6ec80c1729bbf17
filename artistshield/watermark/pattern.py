"""The mark's tile: a key-derived grid of ±1 chips repeated across the image.

A 128x128-pixel tile of 64x64 chips, each chip 2x2 pixels.
A quarter of the chips (chosen by the key) are *sync* chips with key-derived
signs; they let the detector find the tile's position without knowing the
payload.  The rest carry the coded message, each coded bit spread over about
twelve chips at key-chosen places, each chip with its own key-derived sign.

The tiling is what survives crops (any 128x128 window holds a whole period)
and gives the detector a lattice to measure scale and rotation from.

Format 2 (this version) adds the *sync template*: eight key-chosen harmonics
of the tile, summed as sinusoids with key-derived phases, carrying a fifth of
the mark's energy (see :mod:`.template`, which searches for them).  Format 1
was the chips alone; its marks are the same chips at full strength, so the
same detector reads them.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from artistshield.watermark import coding, keys

FORMAT_VERSION = 2
TILE = 128
CHIP = 2
GRID = TILE // CHIP
SYNC_CHIPS = GRID * GRID // 4
PAYLOAD_BITS = 48
TAG_BITS = 32
MESSAGE_BITS = PAYLOAD_BITS + TAG_BITS
CODED_BITS = coding.coded_length(MESSAGE_BITS)
#: The sync template (format 2): how many harmonics, at what radius (in
#: harmonics of the tile), and its share of the mark's energy.
PEAKS = 8
INNER, OUTER = 18.0, 26.0
TEMPLATE_SHARE = 0.2
#: Peaks closer than this (in harmonics) to another, or to a flip or turn of
#: another, would make a turned or flipped template look like the original.
SEPARATION = 3.0


@dataclass(frozen=True, eq=False)
class Layout:
    """Where the sync and payload chips of one key sit, and their signs.

    Chip arrays are flat indexes into the ``GRID x GRID`` chip grid.
    """

    sync_index: np.ndarray  # (SYNC_CHIPS,)
    sync_sign: np.ndarray  # (SYNC_CHIPS,) ±1
    payload_index: np.ndarray  # (n,)
    payload_sign: np.ndarray  # (n,) ±1
    payload_bit: np.ndarray  # (n,) coded-bit number each payload chip carries

    def chip_grid(self, coded: np.ndarray) -> np.ndarray:
        """Return the GRID x GRID ±1 chip values for ±1 *coded* symbols."""
        grid = np.empty(GRID * GRID, np.float32)
        grid[self.sync_index] = self.sync_sign
        grid[self.payload_index] = self.payload_sign * coded[self.payload_bit]
        return grid.reshape(GRID, GRID)


@lru_cache(maxsize=16)
def layout(key: bytes) -> Layout:
    """Return the chip layout of *key* (cached: detection asks for it often)."""
    n = GRID * GRID
    order = keys.permutation(key, "v1/chip-order", n)
    sync_index = np.sort(order[:SYNC_CHIPS])
    payload_index = order[SYNC_CHIPS:]
    payload_bit = np.arange(payload_index.size) % CODED_BITS
    return Layout(
        sync_index=sync_index,
        sync_sign=keys.signs(key, "v1/sync-signs", SYNC_CHIPS),
        payload_index=payload_index,
        payload_sign=keys.signs(key, "v1/payload-signs", payload_index.size),
        payload_bit=payload_bit,
    )


def message_bits(key: bytes, payload: int) -> np.ndarray:
    """Return the 0/1 message for *payload*: payload bits then its keyed tag."""
    tag = keys.tag(key, payload, PAYLOAD_BITS, TAG_BITS)
    return np.concatenate(
        [coding.int_to_bits(payload, PAYLOAD_BITS), coding.int_to_bits(tag, TAG_BITS)]
    )


def chips(key: bytes, payload: int) -> np.ndarray:
    """Return the TILE x TILE float32 ±1 chips that carry *payload* (format 1's whole tile)."""
    coded = coding.encode(message_bits(key, payload))
    grid = layout(key).chip_grid(coded)
    return np.kron(grid, np.ones((CHIP, CHIP), np.float32))


def tile(key: bytes, payload: int, *, zoom: int = 1) -> np.ndarray:
    """Return the float32 pattern (unit RMS) that carries *payload*.

    The tile is TILE x TILE pixels, or *zoom* times larger on each side: a
    clip made at 1080p and shown at a quarter of that (a GIF of it) keeps
    chips of whole pixels.  The detector needs nothing to read a zoomed mark,
    which it sees as a geometry of scale *zoom*.
    """
    if not isinstance(zoom, int) or zoom < 1:
        raise ValueError("zoom must be a whole number of at least 1")
    mixed = np.sqrt(1.0 - TEMPLATE_SHARE) * chips(key, payload)
    if zoom > 1:
        mixed = np.kron(mixed, np.ones((zoom, zoom), np.float32))
    mixed += np.sqrt(TEMPLATE_SHARE) * template_tile(key, zoom)
    return mixed.astype(np.float32)


@lru_cache(maxsize=16)
def constellation(key: bytes) -> np.ndarray:
    """Return the key's PEAKS harmonics as (row, column) integer vectors."""
    lim = int(OUTER)
    rows, cols = np.mgrid[-lim : lim + 1, 0 : lim + 1]
    radius = np.hypot(rows, cols)
    # half the plane: a real sinusoid's peaks are a pair, k and -k
    keep = (radius >= INNER) & (radius <= OUTER) & ((cols > 0) | (rows > 0))
    cand = np.stack([rows[keep], cols[keep]], axis=1)
    chosen: list[np.ndarray] = []
    for i in keys.permutation(key, "v2/template-peaks", len(cand)):
        k = cand[i]
        images = [_dihedral(c) for c in chosen] + [_dihedral(k)[1:]]
        if all(np.hypot(*(k - q).T).min() >= SEPARATION for q in images):
            chosen.append(k)
            if len(chosen) == PEAKS:
                break
    return np.array(chosen)


def _dihedral(k: np.ndarray) -> np.ndarray:
    """Return the eight flips and quarter turns of harmonic *k*, *k* first, as rows."""
    r, c = k
    return np.array([(r, c), (-c, r), (-r, -c), (c, -r), (r, -c), (c, r), (-r, c), (-c, -r)])


@lru_cache(maxsize=16)
def template_tile(key: bytes, zoom: int = 1) -> np.ndarray:
    """Return the key's template (TILE x TILE, times *zoom*), float32 with unit RMS."""
    peaks = constellation(key)
    phase = np.frombuffer(keys.stream(key, "v2/template-phases", 2 * PEAKS), ">u2")
    phase = phase.astype(np.float64) * (2.0 * np.pi / 65536.0)
    q = np.arange(TILE * zoom, dtype=np.float64) / zoom
    out = np.zeros((TILE * zoom, TILE * zoom))
    for (kr, kc), p in zip(peaks, phase, strict=True):
        out += np.cos(2.0 * np.pi * (kr * q[:, None] + kc * q[None, :]) / TILE + p)
    return (out / out.std()).astype(np.float32)


def zoom_for(shape: tuple[int, ...]) -> int:
    """Return how much to enlarge the mark's tile for video frames of *shape*.

    Videos get posted again as small GIFs and previews: a 1080p clip shown 480
    pixels wide is a quarter of its size, where 2x2-pixel chips would be half
    a pixel.  One zoom step per 540 lines of the short side (1080p: 2, 4K: 4)
    keeps such copies at half the mark's size or more, within the detector's
    range, which also reads the zoomed mark at full size (scale up to 4.5).
    """
    return int(min(4, max(1, round(min(shape[:2]) / 540))))
