"""Local features: corners with rotation-normalised binary descriptors.

A global hash sees the whole picture, so a crop or a small rotation changes
it.  Local features survive both: Harris corners found on a pyramid of the
luminance (so a rescaled copy finds the same corners one or more levels
away), each with its dominant gradient direction and a 64-bit descriptor, the
signs of low DCT frequencies of the patch sampled in that direction.  Sign
bits of zero-mean coefficients do not change under brightness, contrast or
most gamma curves.

Positions are in the frame of the image scaled so its longer side is
``FRAME`` pixels; the scale of a feature is the pyramid level it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

FRAME = 640
"""Longer side, in pixels, of the frame the features are found in."""
LEVEL_STEP = 2.0 ** (1.0 / 3.0)
LEVELS = 7
PATCH_RADIUS = 12.0
"""Half the side of the square a descriptor covers, in pixels of its level."""
_GRID = 16
_MARGIN = 14
_NMS = 7
_HARRIS_K = 0.04
_FLOOR = 0.01
"""Weakest Harris response kept.  Low, so faint flat art (a dim band, a thin arc) still
has corners; the strongest ``count`` are kept, so busy pictures are unaffected, and a
corner JPEG blocking invents in flat colour matches nothing."""


def _zigzag(n: int, count: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The first ``count`` DCT frequencies after DC, lowest first."""
    cells = sorted(
        ((u, v) for u in range(n) for v in range(n) if (u, v) != (0, 0)),
        key=lambda uv: (uv[0] + uv[1], uv[1] if (uv[0] + uv[1]) % 2 else uv[0]),
    )[:count]
    rows, cols = zip(*cells, strict=True)
    return np.array(rows, np.intp), np.array(cols, np.intp)


def _dct_matrix(n: int) -> NDArray[np.float64]:
    k = np.arange(n)
    return np.cos(np.pi / n * (k[None, :] + 0.5) * k[:, None])


_DCT = _dct_matrix(_GRID)
_FREQ_ROWS, _FREQ_COLS = _zigzag(_GRID, 64)
_BIT_WEIGHTS = (np.uint64(1) << np.arange(64, dtype=np.uint64)).astype(np.uint64)
_OFFSETS = (np.arange(_GRID) + 0.5) / _GRID * 2.0 - 1.0  # -1 .. 1 across the patch
_ORIENT_RADIUS = 8
_oy, _ox = np.mgrid[-_ORIENT_RADIUS : _ORIENT_RADIUS + 1, -_ORIENT_RADIUS : _ORIENT_RADIUS + 1]
_ORIENT_MASK = _ox**2 + _oy**2 <= _ORIENT_RADIUS**2
_ORIENT_DY = _oy[_ORIENT_MASK]
_ORIENT_DX = _ox[_ORIENT_MASK]
_ORIENT_WEIGHT = np.exp(-(_ORIENT_DX**2 + _ORIENT_DY**2) / (2.0 * (_ORIENT_RADIUS / 2.0) ** 2))
_ORIENT_BINS = 36


@dataclass(frozen=True, slots=True)
class Features:
    """Corners of one image: where, how large, which way, and what they look like."""

    x: NDArray[np.float32]
    y: NDArray[np.float32]
    level: NDArray[np.uint8]
    angle: NDArray[np.float32]
    """Radians, the dominant gradient direction."""
    descriptor: NDArray[np.uint64]
    width: int
    """Size of the frame the positions are in."""
    height: int

    def __len__(self) -> int:
        return len(self.descriptor)

    @property
    def scale(self) -> NDArray[np.float64]:
        """Size of each feature in frame pixels (a level's pixel size)."""
        return np.asarray(LEVEL_STEP ** self.level.astype(np.float64))


def frame(grey: NDArray[np.float32]) -> NDArray[np.float32]:
    """Resample a luminance image so its longer side is ``FRAME`` pixels."""
    height, width = grey.shape
    factor = FRAME / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    resample = Image.Resampling.BOX if factor < 1 else Image.Resampling.BICUBIC
    return np.asarray(Image.fromarray(grey, "F").resize(size, resample))


def _pyramid(base: NDArray[np.float32]) -> list[NDArray[np.float32]]:
    height, width = base.shape
    levels = [base]
    image = Image.fromarray(base, "F")
    for level in range(1, LEVELS):
        factor = LEVEL_STEP**-level
        size = (round(width * factor), round(height * factor))
        if min(size) < 2 * _MARGIN + 8:
            break
        levels.append(np.asarray(image.resize(size, Image.Resampling.BOX)))
    return levels


def _corners(
    image: NDArray[np.float32], budget: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float32], NDArray[np.float32]]:
    """Strongest Harris corners of one level, with the level's smoothed gradients."""
    smooth = ndimage.gaussian_filter(image, 1.0)
    gy, gx = np.gradient(smooth)
    ixx = ndimage.gaussian_filter(gx * gx, 1.5)
    iyy = ndimage.gaussian_filter(gy * gy, 1.5)
    ixy = ndimage.gaussian_filter(gx * gy, 1.5)
    response = ixx * iyy - ixy * ixy - _HARRIS_K * (ixx + iyy) ** 2
    peaks = (response == ndimage.maximum_filter(response, size=_NMS)) & (response > _FLOOR)
    peaks[:_MARGIN], peaks[-_MARGIN:], peaks[:, :_MARGIN], peaks[:, -_MARGIN:] = (
        False,
        False,
        False,
        False,
    )
    ys, xs = np.nonzero(peaks)
    strength = response[ys, xs]
    keep = np.argsort(-strength, kind="stable")[:budget]
    return ys[keep], xs[keep], gx, gy


def _orientations(
    ys: NDArray[np.intp], xs: NDArray[np.intp], gx: NDArray[np.float32], gy: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Dominant gradient direction around each corner (a smoothed 36-bin histogram)."""
    py = np.clip(ys[:, None] + _ORIENT_DY[None, :], 0, gx.shape[0] - 1)
    px = np.clip(xs[:, None] + _ORIENT_DX[None, :], 0, gx.shape[1] - 1)
    dx, dy = gx[py, px], gy[py, px]
    magnitude = np.hypot(dx, dy) * _ORIENT_WEIGHT[None, :]
    bins = (np.floor((np.arctan2(dy, dx) + np.pi) / (2 * np.pi) * _ORIENT_BINS)).astype(np.intp)
    bins %= _ORIENT_BINS
    rows = np.repeat(np.arange(len(ys)), bins.shape[1])
    hist = np.zeros((len(ys), _ORIENT_BINS))
    np.add.at(hist, (rows, bins.ravel()), magnitude.ravel())
    hist = (np.roll(hist, 1, axis=1) + 2 * hist + np.roll(hist, -1, axis=1)) / 4
    peak = np.argmax(hist, axis=1)
    left = hist[np.arange(len(ys)), (peak - 1) % _ORIENT_BINS]
    mid = hist[np.arange(len(ys)), peak]
    right = hist[np.arange(len(ys)), (peak + 1) % _ORIENT_BINS]
    denom = left - 2 * mid + right
    shift = np.where(
        np.abs(denom) > 1e-12, 0.5 * (left - right) / np.where(denom == 0, 1, denom), 0
    )
    angle = (peak + 0.5 + shift) / _ORIENT_BINS * 2 * np.pi - np.pi
    return angle.astype(np.float32)


def _descriptors(
    image: NDArray[np.float32],
    ys: NDArray[np.intp],
    xs: NDArray[np.intp],
    angle: NDArray[np.float32],
) -> NDArray[np.uint64]:
    """64 DCT sign bits of each patch, sampled on a grid turned to its direction."""
    smooth = ndimage.gaussian_filter(image, 1.2)
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    u = _OFFSETS[None, None, :] * PATCH_RADIUS  # along the direction
    v = _OFFSETS[None, :, None] * PATCH_RADIUS  # across it
    sample_x = xs[:, None, None] + cos * u - sin * v
    sample_y = ys[:, None, None] + sin * u + cos * v
    patches = ndimage.map_coordinates(
        smooth, [sample_y.ravel(), sample_x.ravel()], order=1, mode="nearest"
    ).reshape(len(ys), _GRID, _GRID)
    coefficients = np.einsum("ui,kij,vj->kuv", _DCT, patches, _DCT, optimize=True)
    bits = coefficients[:, _FREQ_ROWS, _FREQ_COLS] > 0
    return (bits.astype(np.uint64) * _BIT_WEIGHTS[None, :]).sum(axis=1, dtype=np.uint64)


def extract(grey: NDArray[np.float32], *, count: int = 256) -> Features:
    """Find about ``count`` local features in a luminance image (any size)."""
    base = frame(grey)
    levels = _pyramid(base)
    areas = np.array([lv.size for lv in levels], dtype=np.float64)
    budgets = np.maximum(4, np.round(count * areas / areas.sum())).astype(int)
    parts: list[tuple[NDArray[np.float32], ...]] = []
    descriptors: list[NDArray[np.uint64]] = []
    for index, (image, budget) in enumerate(zip(levels, budgets, strict=True)):
        ys, xs, gx, gy = _corners(image, int(budget))
        if len(ys) == 0:
            continue
        angle = _orientations(ys, xs, gx, gy)
        descriptors.append(_descriptors(image, ys, xs, angle))
        size = LEVEL_STEP**index
        parts.append(
            (
                ((xs + 0.5) * size - 0.5).astype(np.float32),
                ((ys + 0.5) * size - 0.5).astype(np.float32),
                np.full(len(ys), index, np.float32),
                angle,
            )
        )
    if parts:
        x, y, level, angle = (np.concatenate(column) for column in zip(*parts, strict=True))
        descriptor = np.concatenate(descriptors)
    else:
        x = y = level = angle = np.zeros(0, np.float32)
        descriptor = np.zeros(0, np.uint64)
    return Features(
        x=x,
        y=y,
        level=level.astype(np.uint8),
        angle=angle,
        descriptor=descriptor,
        width=base.shape[1],
        height=base.shape[0],
    )


# Mirroring a picture left to right mirrors each patch across its own
# direction, which flips the sign of every DCT coefficient that is odd across
# it: the mirrored features follow from the stored ones, bit for bit.
_MIRROR_MASK = np.uint64(
    sum(1 << bit for bit, row in enumerate(_FREQ_ROWS.tolist()) if row % 2 == 1)
)


def mirrored(features: Features) -> Features:
    """The features the same picture would have if mirrored left to right."""
    return Features(
        x=(features.width - 1 - features.x).astype(np.float32),
        y=features.y,
        level=features.level,
        angle=np.mod(np.pi - features.angle + np.pi, 2 * np.pi).astype(np.float32)
        - np.float32(np.pi),
        descriptor=features.descriptor ^ _MIRROR_MASK,
        width=features.width,
        height=features.height,
    )
