"""Which local features of a query agree on one placement of a registered work.

Descriptors alone pair up many features of unrelated pictures; what random
pairs never do is agree on a single similarity transform (scale, rotation,
shift).  The check here is RANSAC-free and deterministic: each pair votes for
a scale and a rotation from its two features' levels and directions, the
strongest bins then vote for a shift, and a least-squares fit on the winners
counts every pair that lands within a few pixels of where it should.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from artistshield.fingerprint.local import LEVEL_STEP, Features

DESCRIPTOR_DISTANCE = 14
"""A pair of features counts as a candidate when their descriptors differ in at most this
many of 64 bits."""
_ANGLE_BINS = 12
_SHIFT_RADIUS = 0.06
"""Shifts within this fraction of the frame's longer side vote together."""
_MIN_SCALE = 1.0 / 16.0
_INLIER_RADIUS = 0.02
"""A pair fits a placement when it lands within this fraction of the frame's longer side."""


@dataclass(frozen=True, slots=True)
class Placement:
    """How a work sits in a query: ``query = scale * R(angle) @ work + shift``."""

    inliers: int
    support: int
    """Features that could have agreed: the fewer of the query's inside the work's
    outline and the work's inside the query's outline."""
    scale: float
    angle: float
    shift: tuple[float, float]

    def to_work(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map query frame points back into the work's frame (rows of x, y)."""
        cos, sin = np.cos(self.angle), np.sin(self.angle)
        dx, dy = x - self.shift[0], y - self.shift[1]
        return np.stack([cos * dx + sin * dy, -sin * dx + cos * dy]) / self.scale


def popcount_distance(a: NDArray[np.uint64], b: NDArray[np.uint64]) -> NDArray[np.uint8]:
    """Hamming distances between every descriptor of ``a`` and every one of ``b``."""
    return np.bitwise_count(a[:, None] ^ b[None, :])


def candidate_pairs(query: Features, work: Features) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Each query feature's nearest work feature, when it is near enough."""
    if len(query) == 0 or len(work) == 0:
        empty = np.zeros(0, np.intp)
        return empty, empty
    distance = popcount_distance(query.descriptor, work.descriptor)
    nearest = np.argmin(distance, axis=1)
    close = distance[np.arange(len(query)), nearest] <= DESCRIPTOR_DISTANCE
    return np.nonzero(close)[0], nearest[close]


def _fit(
    wx: NDArray[np.float64],
    wy: NDArray[np.float64],
    qx: NDArray[np.float64],
    qy: NDArray[np.float64],
) -> tuple[float, float, float, float]:
    """Least-squares similarity taking work points to query points: a, b, tx, ty."""
    mwx, mwy, mqx, mqy = wx.mean(), wy.mean(), qx.mean(), qy.mean()
    cwx, cwy, cqx, cqy = wx - mwx, wy - mwy, qx - mqx, qy - mqy
    norm = float((cwx**2 + cwy**2).sum())
    if norm < 1e-9:
        return 1.0, 0.0, mqx - mwx, mqy - mwy
    a = float((cwx * cqx + cwy * cqy).sum()) / norm
    b = float((cwx * cqy - cwy * cqx).sum()) / norm
    return a, b, mqx - (a * mwx - b * mwy), mqy - (b * mwx + a * mwy)


def place(query: Features, work: Features) -> Placement | None:
    """The best-supported placement of ``work`` in ``query``, or None without support."""
    qi, wi = candidate_pairs(query, work)
    if len(qi) < 3:
        return None
    qx, qy = query.x[qi].astype(np.float64), query.y[qi].astype(np.float64)
    wx, wy = work.x[wi].astype(np.float64), work.y[wi].astype(np.float64)
    level_shift = query.level[qi].astype(np.intp) - work.level[wi].astype(np.intp)
    turn = np.mod(query.angle[qi].astype(np.float64) - work.angle[wi], 2 * np.pi)
    turn_bin = np.floor(turn / (2 * np.pi) * _ANGLE_BINS).astype(np.intp) % _ANGLE_BINS
    size = float(max(query.width, query.height))

    # Scale and rotation: vote in a coarse 2-D histogram (with the neighbouring
    # bins, since a true scale between two levels splits its votes).
    keys = (level_shift + LEVEL_STEP_RANGE) * _ANGLE_BINS + turn_bin
    votes = np.bincount(keys, minlength=(2 * LEVEL_STEP_RANGE + 1) * _ANGLE_BINS)
    grid = votes.reshape(2 * LEVEL_STEP_RANGE + 1, _ANGLE_BINS).astype(np.float64)
    pooled = grid + np.roll(grid, 1, axis=1) + np.roll(grid, -1, axis=1)
    pooled[1:] += grid[:-1] + np.roll(grid[:-1], 1, axis=1) + np.roll(grid[:-1], -1, axis=1)

    best: Placement | None = None
    for flat in np.argsort(-pooled, axis=None)[:3]:
        shift_bin, angle_bin = divmod(int(flat), _ANGLE_BINS)
        near_angle = np.abs(
            (turn_bin - angle_bin + _ANGLE_BINS // 2) % _ANGLE_BINS - _ANGLE_BINS // 2
        )
        member = (near_angle <= 1) & (
            (level_shift + LEVEL_STEP_RANGE == shift_bin)
            | (level_shift + LEVEL_STEP_RANGE == shift_bin - 1)
        )
        if member.sum() < 3:
            continue
        scale = float(np.exp(np.median((level_shift[member]) * np.log(LEVEL_STEP))))
        angle = float(np.angle(np.exp(1j * turn[member]).sum()))
        cos, sin = np.cos(angle), np.sin(angle)
        tx = qx[member] - scale * (cos * wx[member] - sin * wy[member])
        ty = qy[member] - scale * (sin * wx[member] + cos * wy[member])
        # The shift most other members agree with.
        close = (
            np.hypot(tx[:, None] - tx[None, :], ty[:, None] - ty[None, :]) <= _SHIFT_RADIUS * size
        )
        centre = int(np.argmax(close.sum(axis=1)))
        chosen = np.nonzero(member)[0][close[centre]]
        if len(chosen) < 3:
            continue
        for _ in range(2):
            a, b, sx, sy = _fit(wx[chosen], wy[chosen], qx[chosen], qy[chosen])
            error = np.hypot(a * wx - b * wy + sx - qx, b * wx + a * wy + sy - qy)
            chosen = np.nonzero(error <= _INLIER_RADIUS * size)[0]
            if len(chosen) < 3:
                break
        fitted_scale = float(np.hypot(a, b))
        if len(chosen) < 3 or not _MIN_SCALE <= fitted_scale <= 1.0 / _MIN_SCALE:
            continue  # points piled on one spot, or a scale no copy has
        inliers = min(len(np.unique(qi[chosen])), len(np.unique(wi[chosen])))
        if best is None or inliers > best.inliers:
            best = Placement(
                inliers=inliers,
                support=_support(query, work, a, b, sx, sy),
                scale=fitted_scale,
                angle=float(np.arctan2(b, a)),
                shift=(sx, sy),
            )
    return best


def _support(query: Features, work: Features, a: float, b: float, sx: float, sy: float) -> int:
    """How many features of each picture lie where the other one overlaps it."""
    wx, wy = work.x.astype(np.float64), work.y.astype(np.float64)
    px, py = a * wx - b * wy + sx, b * wx + a * wy + sy
    work_inside = (px >= 0) & (px <= query.width - 1) & (py >= 0) & (py <= query.height - 1)
    norm = a * a + b * b
    dx, dy = query.x.astype(np.float64) - sx, query.y.astype(np.float64) - sy
    ux, uy = (a * dx + b * dy) / norm, (-b * dx + a * dy) / norm
    query_inside = (ux >= 0) & (ux <= work.width - 1) & (uy >= 0) & (uy <= work.height - 1)
    return int(min(work_inside.sum(), query_inside.sum()))


LEVEL_STEP_RANGE = 8
"""Largest level difference voted on (the pyramids have fewer levels than this)."""
