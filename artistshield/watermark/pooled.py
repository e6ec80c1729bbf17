"""Pooled detection: one mark read from the evidence of many frames.

Every frame of a marked clip carries the same tile, so once the frames are
folded under the same geometry their tiles can simply be summed: the mark adds
up coherently while picture and noise add up like a random walk, and a clip is
found even when each frame alone is too weak.

The geometry is estimated on each of the first frames (from the sync
template, then the tiling's lattice); the geometries that score best on
those frames pooled are kept, and every frame is folded under
the identity and under each of them: its whitened residual and, for frames
small enough that the mark's chips are two pixels or less, its residual
along each pixel's smoothest direction, which is what reads flat art.  Every
lattice weighed counts in the p-value, not only the ones kept.  The p-value counts the whole search exactly as
:func:`~artistshield.watermark.detect` does: every geometry slot, dihedral
variant and cyclic shift, and every decode attempt.

Which frames carried the mark is told afterwards from each frame's own sync
z-score at the position the pooled search settled on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from artistshield.watermark import keys, mask, pattern, sync, template
from artistshield.watermark.detect import (
    Detection,
    Folded,
    _Candidate,
    _Reference,
    chip_sums,
    search,
)
from artistshield.watermark.embed import check_pixels
from artistshield.watermark.pattern import TILE

#: Lattices estimated from the pooled frames, tried after the identity.  Fewer
#: than a still image gets: each one costs a warp per frame, and the pooled
#: estimate is far more reliable than one frame's.
LATTICES = 2
#: Frames that each estimate the geometry (the lattices most agree on are kept).
ESTIMATE_FRAMES = 4
#: The most lattices estimated on the first frames that are weighed (and counted).
CANDIDATES = 8
#: A frame's own sync z-score at the pooled mark's position at or above which
#: it is said to carry (or contribute to) the mark.
FRAME_Z = 2.0


@dataclass(frozen=True)
class PooledDetection:
    """The pooled :class:`Detection` and each frame's own evidence for it."""

    detection: Detection
    frame_scores: tuple[float, ...]  # each added frame's sync z at the found position

    @property
    def frames_with_mark(self) -> list[int]:
        """Positions (in the order added) of the frames that carried the mark."""
        if not self.detection.found:
            return []
        return [i for i, z in enumerate(self.frame_scores) if z >= FRAME_Z]


def _luma(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 2:  # already luma (0..255), e.g. a video's Y plane
        return np.asarray(frame, np.float32)
    check_pixels(frame)
    return mask.luma(frame)


def _residuals(luma: np.ndarray, directional: bool) -> list[np.ndarray]:
    """Return a frame's whitened residual and, with *directional*, its directional one."""
    if directional:
        return [sync.whiten(luma), sync.whiten_directional(luma)]
    return [sync.whiten(luma)]


def _reads_directional(shape: tuple[int, ...]) -> bool:
    """Whether frames of *shape* are also read along their smoothest direction.

    See :func:`.sync.whiten_directional`.  Only frames whose own mark would
    be unzoomed: inside the 4x4-pixel chips of a zoomed mark
    (:func:`.pattern.zoom_for`) a pixel's neighbours carry the same chip, so
    that residual holds little of it, while a large frame's would cost a
    tenth of a second each.  Smaller copies of a zoomed clip, whose chips
    have shrunk, are read with it.
    """
    return pattern.zoom_for(shape) == 1


class Pool:
    """Accumulate frames of one clip, then :meth:`result` the pooled detection.

    Frames are HxWx3/4 uint8 pixels or HxW luma arrays (0..255), all the same
    size.  Only a few whitened frames are held (until the geometry is
    estimated) plus one small tile per frame, so memory does not grow with
    the clip's resolution times its length.

    Without *resync*, no geometry is searched for: the frames are read as
    the mark was made (at their own size or its video zoom), which is all a
    file as written needs (the read-back after marking), at a fraction of
    the cost, and the p-value counts only those geometries.
    """

    def __init__(self, key: bytes, *, lattices: int = LATTICES, resync: bool = True) -> None:
        self.key = keys.check_key(key)
        self.lattices = lattices if resync else 0
        self.resync = resync
        self._pending: list[list[np.ndarray]] = []  # per frame, per residual
        self._geometries: list[sync.Geometry] | None = None
        self._folders: list[sync.Folder] = []
        self._sums: list[np.ndarray] = []  # per geometry and residual, geometry by geometry
        self._tiles: list[list[np.ndarray]] = []  # per frame, as _sums (float32)
        self._shape: tuple[int, int] | None = None
        self._directional = False
        self.slots = 1 + lattices  # tiles searched, for the p-value
        # the last search, and how many frames it pooled
        self._searched: tuple[int, tuple[Detection, _Reference, _Candidate]] | None = None

    def add(self, frame: np.ndarray) -> None:
        luma = _luma(frame)
        if self._shape is None:
            self._shape = luma.shape
            self._directional = _reads_directional(luma.shape)
        elif luma.shape != self._shape:
            raise ValueError(f"every frame must be {self._shape}, not {luma.shape}")
        residuals = _residuals(luma, self._directional)
        if self._geometries is None:
            self._pending.append(residuals)
            if len(self._pending) >= ESTIMATE_FRAMES:
                self._settle()
        else:
            self._fold(residuals)

    def _settle(self) -> None:
        # Every candidate counts in the p-value (self.slots): the ones kept are
        # chosen by their score on these first frames, which is part of the search.
        candidates = _candidates(self._pending, self.key, self.lattices + 2) if self.resync else []
        ref = _Reference(self.key)
        # folding is linear: fold the sum of each residual once
        pending = [np.sum(kind, axis=0) for kind in zip(*self._pending, strict=True)]
        scored = sorted(candidates, key=lambda g: -max(_best_z(ref, sync.fold(r, g)) for r in pending))
        shape = self._pending[0][0].shape
        zoomed = _zoomed(shape)
        self.slots = (1 + len(zoomed) + max(len(candidates), self.lattices)) * len(pending)
        self._geometries = [sync.Geometry(), *zoomed, *scored[: self.lattices]]
        self._folders = [sync.Folder(shape, g) for g in self._geometries]
        self._sums = [np.zeros((TILE, TILE)) for _ in self._geometries for _ in pending]
        waiting, self._pending = self._pending, []
        for residuals in waiting:
            self._fold(residuals)

    def _fold(self, residuals: list[np.ndarray]) -> None:
        tiles = []
        for folder in self._folders:
            for r in residuals:
                tiles.append(folder(r))
        for total, tile in zip(self._sums, tiles, strict=True):
            total += tile
        self._tiles.append([tile.astype(np.float32) for tile in tiles])

    def detection(self) -> Detection:
        """The pooled :class:`Detection` of the frames so far (:meth:`result` without
        each frame's own score, which a look at whether to stop does not need)."""
        return self._search()[0]

    def result(self) -> PooledDetection:
        detection, ref, cand = self._search()
        return PooledDetection(detection, self._frame_scores(ref, cand))

    def _search(self) -> tuple[Detection, _Reference, _Candidate]:
        if self._geometries is None:
            if not self._pending:
                raise ValueError("no frames were added")
            self._settle()
        assert self._geometries is not None
        if self._searched is not None and self._searched[0] == len(self._tiles):
            return self._searched[1]  # no frame added since
        ref = _Reference(self.key)
        per_geometry = len(self._sums) // len(self._geometries)
        tiles = (Folded(self._geometries[i // per_geometry], tile) for i, tile in enumerate(self._sums))
        detection, cand = search(ref, self.key, tiles, slots=self.slots)
        self._searched = (len(self._tiles), (detection, ref, cand))
        return detection, ref, cand

    def _frame_scores(self, ref: _Reference, cand: _Candidate) -> tuple[float, ...]:
        scores = []
        for tiles in self._tiles:
            z = ref.zmap(chip_sums(tiles[cand.tile].astype(np.float64), [cand.variant])[0])
            scores.append(round(float(z[cand.shift]), 3))
        return tuple(scores)


def _zoomed(shape: tuple[int, ...]) -> list[sync.Geometry]:
    """Return the geometry of a video mark's zoomed tile, for frames as large as it was made.

    Large video frames are marked with a zoomed tile (:func:`.pattern.zoom_for`);
    a copy at its own size needs no resynchronisation, only that zoom.
    """
    zoom = pattern.zoom_for(shape)
    return [] if zoom == 1 else [sync.Geometry(matrix=((float(zoom), 0.0), (0.0, float(zoom))))]


def _candidates(frames: list[list[np.ndarray]], key: bytes, count: int) -> list[sync.Geometry]:
    """Return the distinct geometries estimated on any of *frames* (at most CANDIDATES).

    Each frame (its residuals, whitened first) estimates on its own: summing
    frames first would not do, as a camera pan turns the picture's shifted
    copies into a lattice of its own.  The template is searched in a frame's
    last residual (the directional one, when there is one, which is where flat
    art's template stands out, as :func:`.detect.detect` does).
    """
    found: list[sync.Geometry] = []
    # every frame's template geometries first: the lattice is the weaker source
    estimates = [template.estimate(residuals[-1], key, count=count) for residuals in frames]
    estimates.append(sync.estimate(frames[0][0], count=count))  # format 1 clips
    for estimated in estimates:
        for g in estimated:
            if not g.is_identity() and not any(k.near(g) for k in found):
                found.append(g)
    return found[:CANDIDATES]


def _best_z(ref: _Reference, tile: np.ndarray) -> float:
    return max(float(ref.zmap(box).max()) for box in chip_sums(tile))


def detect_pooled(frames: Iterable[np.ndarray], key: bytes) -> PooledDetection:
    """Look for *key*'s mark in a clip, pooling the evidence of every frame."""
    pool = Pool(key)
    for frame in frames:
        pool.add(frame)
    return pool.result()
