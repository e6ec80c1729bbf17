"""The mark's tile: a key-derived grid of ±1 chips repeated across the image.

Format version 1: a 128x128-pixel tile of 64x64 chips, each chip 2x2 pixels.
A quarter of the chips (chosen by the key) are *sync* chips with key-derived
signs; they let the detector find the tile's position without knowing the
payload.  The rest carry the coded message, each coded bit spread over about
twelve chips at key-chosen places, each chip with its own key-derived sign.

The tiling is what survives crops (any 128x128 window holds a whole period)
and gives the detector a lattice to measure scale and rotation from.
"""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from artistshield.watermark import coding, keys

FORMAT_VERSION = 1
TILE = 128
CHIP = 2
GRID = TILE // CHIP
SYNC_CHIPS = GRID * GRID // 4
PAYLOAD_BITS = 48
TAG_BITS = 32
MESSAGE_BITS = PAYLOAD_BITS + TAG_BITS
CODED_BITS = coding.coded_length(MESSAGE_BITS)


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


def tile(key: bytes, payload: int) -> np.ndarray:
    """Return the TILE x TILE float32 ±1 pattern that carries *payload*."""
    coded = coding.encode(message_bits(key, payload))
    grid = layout(key).chip_grid(coded)
    return np.kron(grid, np.ones((CHIP, CHIP), np.float32))
