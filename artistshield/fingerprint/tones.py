"""Works whose tones could hold a plain crop, found without reading every work's tones.

A suspect with few local features (a flat-coloured crop) is placed by its
structure alone, on the works whose tone histograms best contain its own
(``FingerprintIndex._plain_candidates``).  Scoring every work's histogram
costs a pass over all of them, about 10 s at 10 million works, so
:class:`ToneBlocks` keeps them sorted by their dominant tones and cut into
blocks of ``BLOCK`` works, each with the most its works hold of every tone.
Those upper bounds rank the blocks for a query; blocks are scored best bound
first, and the search stops when no block left can beat the shortlist, or after
``MOST_BLOCKS`` blocks, so its cost is bounded whatever the registry's size.

Scores are ``FingerprintIndex``'s: ``held``, how much of the query's tones a
crop of the work could show, then ``shared``, the histograms' overlap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from artistshield.fingerprint import structure

BINS = 32
BLOCK = 4096
"""Works in a block: one upper bound per tone for each."""
MOST_BLOCKS = 32
"""Blocks scored per search at most: about 130,000 works, a few tens of milliseconds."""
_CHUNK = 1 << 20


def widened(tones: NDArray[Any]) -> NDArray[Any]:
    """Each bin's share or its neighbours', whichever is larger: JPEG and resampling move tones."""
    return np.maximum(tones, np.maximum(np.roll(tones, 1, axis=1), np.roll(tones, -1, axis=1)))


def scores(query: NDArray[np.float32], tones: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """``held`` (rounded to hundredths, as ranked) and ``shared`` of each row of *tones*.

    *tones* are shares of 255 (uint8) or of 1 (float); *query* is shares of 1.
    """
    shares = np.asarray(tones, np.float32)
    if tones.dtype == np.uint8:
        shares = shares / 255.0
    held = np.minimum(query, widened(shares) / structure.LOCATE_SMALLEST).sum(axis=1)
    shared = np.minimum(query, shares).sum(axis=1)
    return np.round(held, 2), shared


def sort_key(tones: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Works with the same strongest tones, in the same strength, get near keys.

    Works without tones (no structure picture) sort last.
    """
    n = len(tones)
    keys = np.empty(n, np.int64)
    for start in range(0, n, _CHUNK):
        part = np.asarray(tones[start : start + _CHUNK])
        top = np.argsort(-part.astype(np.int16), axis=1, kind="stable")[:, :3].astype(np.int64)
        rows = np.arange(len(part))
        strength = part[rows, top[:, 0]].astype(np.int64) >> 3  # 32 levels
        key = ((top[:, 0] * BINS + top[:, 1]) * 32 + strength) * BINS + top[:, 2]
        key[part.max(axis=1) == 0] = np.iinfo(np.int64).max
        keys[start : start + _CHUNK] = key
    return keys


class ToneBlocks:
    """Tone histograms of many works (shares of 255, one row a slot), in bounded blocks."""

    def __init__(
        self, tones: NDArray[np.uint8], slots: NDArray[np.uint32], upper: NDArray[np.uint8]
    ) -> None:
        self.tones = tones
        """Rows sorted by ``sort_key``..."""
        self.slots = slots
        """...the slot of each row..."""
        self.upper = upper
        """...and per block, the most any of its works holds of each tone: widened, then as is."""

    @classmethod
    def build(cls, tones: NDArray[np.uint8]) -> ToneBlocks:
        """Sort the works' tones (rows by slot) into blocks."""
        tones = np.asarray(tones, np.uint8).reshape(-1, BINS)
        order = np.argsort(sort_key(tones), kind="stable")
        slots = order.astype(np.uint32)
        del order
        ordered = np.ascontiguousarray(tones[slots])
        blocks = -(-len(ordered) // BLOCK)
        upper = np.zeros((blocks, 2, BINS), np.uint8)
        for b in range(blocks):
            part = ordered[b * BLOCK : (b + 1) * BLOCK]
            upper[b, 0] = widened(part).max(axis=0)
            upper[b, 1] = part.max(axis=0)
        return cls(ordered, slots, upper)

    def save(self, folder: str | os.PathLike[str]) -> None:
        folder = Path(folder)
        np.save(folder / "tones.npy", self.tones)
        np.save(folder / "tones-slots.npy", self.slots)
        np.save(folder / "tones-upper.npy", self.upper)

    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ToneBlocks:
        """Read the blocks, the tones through a memory map (a search reads a few blocks)."""
        folder = Path(folder)
        return cls(
            np.load(folder / "tones.npy", mmap_mode="r"),
            np.load(folder / "tones-slots.npy", mmap_mode="r"),
            np.load(folder / "tones-upper.npy"),
        )

    def __len__(self) -> int:
        return len(self.tones)

    def search(self, query: NDArray[np.float32], count: int) -> list[int]:
        """Slots of up to *count* works whose tones best contain *query*'s, best first.

        Ranked as ``FingerprintIndex`` ranks them (``held``, then ``shared``, then
        slot); exact unless more than ``MOST_BLOCKS`` blocks could still beat the
        shortlist.
        """
        if len(self) == 0 or count <= 0:
            return []
        query = np.asarray(query, np.float32)
        bound_held, bound_shared = _bounds(query, self.upper)
        order = np.lexsort((-bound_shared, -bound_held))[:MOST_BLOCKS]
        best_held = np.zeros(0, np.float32)
        best_shared = np.zeros(0, np.float32)
        best_slots = np.zeros(0, np.int64)
        for b in order.tolist():
            if len(best_slots) == count and (
                (bound_held[b], bound_shared[b]) <= (best_held[-1], best_shared[-1])
            ):
                break  # blocks come best bound first: none left can beat the last kept
            rows = np.asarray(self.tones[b * BLOCK : (b + 1) * BLOCK])
            have = rows.max(axis=1) > 0
            if not have.any():
                continue
            held, shared = scores(query, rows[have])
            slots = np.asarray(self.slots[b * BLOCK : (b + 1) * BLOCK], np.int64)[have]
            best_held = np.concatenate([best_held, held])
            best_shared = np.concatenate([best_shared, shared])
            best_slots = np.concatenate([best_slots, slots])
            keep = np.lexsort((best_slots, -best_shared, -best_held))[:count]
            best_held, best_shared, best_slots = best_held[keep], best_shared[keep], best_slots[keep]
        return [int(s) for s in best_slots]


def _bounds(
    query: NDArray[np.float32], upper: NDArray[np.uint8]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """The best ``held`` and ``shared`` any work of each block could score."""
    held = np.minimum(query, upper[:, 0] / 255.0 / structure.LOCATE_SMALLEST).sum(axis=1)
    shared = np.minimum(query, upper[:, 1] / 255.0).sum(axis=1)
    # round up: a bound must not fall below a work's rounded score
    return np.ceil(held * 100 - 1e-6) / 100, shared + 1e-6
