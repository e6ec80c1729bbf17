"""A small picture of a work's structure, to confirm a match everywhere it overlaps.

Local features can agree on one placement for two different drawings made on
the same template: the same warning-sign frame around another symbol, the same
folder around another emblem.  What such pairs never do is agree *everywhere*
they overlap.  So a fingerprint keeps its luminance at ``SIDE`` pixels on the
longer side; a suspect's (sharper) structure picture is resampled through the
placement onto the work's, and their gradients are compared pixel by pixel.
Gradient directions survive brightness, contrast, gamma, greyscale and JPEG;
colour is not compared at all, so recoloured copies still agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

SIDE = 128
"""Longer side of a registered work's structure picture."""
QUERY_SIDE = 256
"""Longer side of a suspect's: finer, so a work shrunk inside it is still resolved."""
_CELLS = 8
"""The overlap is judged in this many cells per side."""
_WHITE, _BRIGHT, _BLACK, _DARK = 252.0, 170.0, 3.0, 60.0
"""Suspect levels that may be clipped, and the work levels a tone change could clip there."""
_BLEMISH_RADIUS = 1.5
"""Pixels of the work's structure picture over which a local difference is measured."""
_OUTLINE = 0.7
"""Share of a pasted rectangle's side along which the suspect shows a straight edge."""
CELL_CONFIRMED = 0.8
"""A cell agrees when this share of the work's structure in it is found in the suspect."""


def picture(luma: NDArray[np.floating], side: int) -> NDArray[np.uint8]:
    """The luminance box-resampled so its longer side is ``side`` pixels.

    Never more than half the picture's own size: detail at the scale of single
    pixels does not survive a copy being resized, so it is not compared.
    """
    height, width = luma.shape
    side = max(8, min(side, max(height, width) // 2))
    factor = side / max(height, width)
    size = (max(2, round(width * factor)), max(2, round(height * factor)))
    image = Image.fromarray(np.asarray(luma, np.float32), "F")
    resample = Image.Resampling.BOX if factor < 1 else Image.Resampling.BILINEAR
    small = np.asarray(image.resize(size, resample))
    return np.clip(np.round(small), 0, 255).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Agreement:
    """How well a suspect's structure agrees with a work's under one placement."""

    overlap: float
    """Share of the work's structure picture that the suspect shows."""
    confirmed: float
    """Share of the work's gradient energy, in the overlap, found in the suspect."""
    explained: float
    """Share of the suspect's gradient energy, in the overlap, found in the work."""
    weakest: float
    """``confirmed`` in the worst of the overlap's cells that hold the work's structure."""
    cells: int
    """Cells of the overlap that hold structure (the work's or the suspect's)."""
    differing: float
    """Share of the overlap's area inside the box around every cell that disagrees."""
    outside: float
    """``confirmed`` outside that box: 1.0 when the rest agrees exactly."""
    rest: int
    """Cells outside that box holding the work's structure."""
    hidden: float
    """``confirmed`` inside that box: near 0 when something opaque covers the work there."""
    covered: float
    """Share of the suspect that lies on the work (1.0 for any crop of it)."""
    patch: float = 0.0
    """Share of the overlap under a rectangle pasted over the work (a sticker, a caption
    plate): the suspect's foreign structure, outlined by straight edges; 0 when none."""
    around: float = 0.0
    """``confirmed`` outside that rectangle."""
    blemish: float = 0.0
    """The strongest local difference: structure of one picture missing from the other
    around a point, relative to the overlap's average structure."""


def _gradients(image: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    smooth = ndimage.gaussian_filter(image, 0.7)
    gy, gx = np.gradient(smooth)
    return gx, gy


def compare(
    work: NDArray[np.uint8],
    work_frame: tuple[int, int],
    query: NDArray[np.uint8],
    query_frame: tuple[int, int],
    affine: NDArray[np.float64],
) -> Agreement:
    """Agreement of ``query`` with ``work`` when ``affine`` takes work to query frame points.

    ``work_frame`` and ``query_frame`` are the (width, height) of the frames the
    placement is expressed in; ``affine`` is 2x3, ``query = A @ work + t``.
    """
    th, tw = work.shape
    qh, qw = query.shape
    fw, fh = work_frame
    qfw, qfh = query_frame
    rows, cols = np.mgrid[0:th, 0:tw].astype(np.float64)
    xf = (cols + 0.5) * fw / tw - 0.5
    yf = (rows + 0.5) * fh / th - 0.5
    qx = affine[0, 0] * xf + affine[0, 1] * yf + affine[0, 2]
    qy = affine[1, 0] * xf + affine[1, 1] * yf + affine[1, 2]
    u = (qx + 0.5) * qw / qfw - 0.5
    v = (qy + 0.5) * qh / qfh - 0.5
    # Query pixels per work pixel: blur the query down to the work's detail first.
    ratio = np.sqrt(abs(np.linalg.det(affine[:, :2]))) * (fw / tw) * (qw / qfw)
    source = query.astype(np.float32)
    if ratio > 1.0:
        source = ndimage.gaussian_filter(source, 0.5 * np.sqrt(ratio * ratio - 1.0))
    inside = (u >= 0.5) & (u <= qw - 1.5) & (v >= 0.5) & (v <= qh - 1.5)
    inside = ndimage.binary_erosion(inside, border_value=0)
    warped = ndimage.map_coordinates(source, [v, u], order=1, mode="nearest").astype(np.float32)
    covered = _covered(work_frame, query.shape, query_frame, affine)
    # Where a tone change clipped the suspect to white or black, there is nothing to compare.
    level = work.astype(np.float32)
    clipped = ((warped >= _WHITE) & (level >= _BRIGHT)) | ((warped <= _BLACK) & (level <= _DARK))
    inside &= ~ndimage.binary_dilation(clipped)
    wx, wy = _gradients(work.astype(np.float32))
    sx, sy = _gradients(warped)
    mw = np.hypot(wx, wy)
    mq = np.hypot(sx, sy)
    overlap = float(inside.mean())
    if inside.sum() < 16:
        return Agreement(0.0, 0.0, 0.0, 0.0, 0, 1.0, 0.0, 0, 1.0, 0.0)
    weight_w = mw[inside]
    weight_q = mq[inside]
    # Global gain of the suspect's gradients (contrast changes scale them all).
    gain = float((weight_w * weight_q).sum() / max(float((weight_w * weight_w).sum()), 1e-9))
    gain = max(gain, 1e-3)
    dot = np.maximum(0.0, wx * sx + wy * sy)
    agree_w = dot / (mw * np.maximum(mq, 0.25 * gain * mw) + 1e-9)
    agree_q = dot / (mq * np.maximum(mw, 0.25 * mq / gain) + 1e-9)
    energy_w = float(weight_w.sum())
    energy_q = float(weight_q.sum())
    confirmed = float((mw * agree_w)[inside].sum() / energy_w) if energy_w > 1e-6 else 0.0
    explained = float((mq * agree_q)[inside].sum() / energy_q) if energy_q > 1e-6 else 0.0

    grid = _cell_sums(inside, [mw, mw * agree_w, mq, mq * agree_q])
    agreement = _judge_cells(overlap, confirmed, explained, covered, grid)
    mean = float(mw[inside].mean()) + float(mq[inside].mean())
    missing = np.where(inside, mw * (1.0 - agree_w) + mq * (1.0 - agree_q), 0.0)
    blemish = float(ndimage.gaussian_filter(missing, _BLEMISH_RADIUS).max()) / max(mean, 1e-6)
    agreement = replace(agreement, blemish=blemish)
    pasted = _pasted(inside, mw, agree_w, mq, agree_q)
    if pasted is None:
        return agreement
    return replace(agreement, patch=pasted[0], around=pasted[1])


def _pasted(
    inside: NDArray[np.bool_],
    mw: NDArray[np.float32],
    agree_w: NDArray[np.float32],
    mq: NDArray[np.float32],
    agree_q: NDArray[np.float32],
) -> tuple[float, float] | None:
    """A rectangle pasted over the work: (its share of the overlap, confirmed around it).

    Something stuck on top of a picture hides it inside a box and draws its own
    straight outline; another symbol drawn into the same template has no such box.
    """
    level = float(mq[inside].mean())
    if level <= 1e-6:
        return None
    foreign = inside & (mq > level) & (agree_q < 0.5)
    if foreign.sum() < 8:
        return None
    labels, count = ndimage.label(ndimage.binary_dilation(foreign, iterations=2))
    sizes = np.bincount(labels.ravel(), weights=foreign.ravel())
    sizes[0] = 0
    blob = (labels == int(np.argmax(sizes))) & foreign
    # The box: rows and columns well inside the blob, not stray pixels it touched.
    counts_y, counts_x = blob.sum(axis=1), blob.sum(axis=0)
    ys = np.nonzero(counts_y >= 0.1 * counts_y.max())[0]
    xs = np.nonzero(counts_x >= 0.1 * counts_x.max())[0]
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())
    if y1 - y0 < 4 or x1 - x0 < 4:
        return None
    edge = mq > level
    sides = [
        edge[max(0, y0 - 3) : y0 + 4, x0 : x1 + 1].any(axis=0),
        edge[max(0, y1 - 3) : y1 + 4, x0 : x1 + 1].any(axis=0),
        edge[y0 : y1 + 1, max(0, x0 - 3) : x0 + 4].any(axis=1),
        edge[y0 : y1 + 1, max(0, x1 - 3) : x1 + 4].any(axis=1),
    ]
    rows, cols = np.nonzero(inside)
    at_border = [y0 <= rows.min() + 1, y1 >= rows.max() - 1, x0 <= cols.min() + 1, x1 >= cols.max() - 1]
    for side, cut in zip(sides, at_border, strict=True):
        if not cut and side.mean() < _OUTLINE:
            return None
    box = np.zeros_like(inside)
    box[max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = True
    rest = inside & ~box
    energy = float(mw[rest].sum())
    if energy <= 1e-6:
        return None
    around = float((mw * agree_w)[rest].sum()) / energy
    share = float((inside & box).sum()) / float(inside.sum())
    return share, around


def _cell_sums(inside: NDArray[np.bool_], maps: list[NDArray[np.float64]]) -> NDArray[np.float64]:
    """Sums of each map (and the pixel count) over a ``_CELLS`` x ``_CELLS`` grid of the overlap."""
    ys, xs = np.nonzero(inside)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    row = np.minimum((ys - y0) * _CELLS // max(1, y1 - y0), _CELLS - 1)
    col = np.minimum((xs - x0) * _CELLS // max(1, x1 - x0), _CELLS - 1)
    cell = row * _CELLS + col
    sums = [np.bincount(cell, minlength=_CELLS * _CELLS).astype(np.float64)]
    sums += [np.bincount(cell, m[ys, xs], minlength=_CELLS * _CELLS) for m in maps]
    return np.stack(sums).reshape(len(sums), _CELLS, _CELLS)


def _judge_cells(
    overlap: float,
    confirmed: float,
    explained: float,
    covered: float,
    grid: NDArray[np.float64],
) -> Agreement:
    area, energy_w, agree_w, energy_q, agree_q = grid
    total = max(float(area.sum()), 1.0)
    mean_w = float(energy_w.sum()) / total
    mean_q = float(energy_q.sum()) / total
    has_w = (energy_w > 1e-6) & (energy_w >= 0.25 * mean_w * area)
    has_q = (energy_q > 1e-6) & (energy_q >= 0.25 * mean_q * area)
    share_w = np.where(has_w, agree_w / np.maximum(energy_w, 1e-9), 1.0)
    share_q = np.where(has_q, agree_q / np.maximum(energy_q, 1e-9), 1.0)
    differ = (share_w < CELL_CONFIRMED) | (share_q < CELL_CONFIRMED)
    cells = int((has_w | has_q).sum())
    weakest = float(share_w[has_w].min()) if has_w.any() else 0.0
    if not differ.any():
        return Agreement(
            overlap, confirmed, explained, weakest, cells, 0.0, confirmed, int(has_w.sum()), 1.0, covered
        )
    rows, cols = np.nonzero(differ)
    box = np.zeros_like(differ)
    box[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
    differing = float(area[box].sum()) / total
    rest = float(energy_w[~box].sum())
    outside = float(agree_w[~box].sum()) / rest if rest > 1e-6 else 0.0
    under = float(energy_w[box].sum())
    hidden = float(agree_w[box].sum()) / under if under > 1e-6 else 0.0
    return Agreement(
        overlap,
        confirmed,
        explained,
        weakest,
        cells,
        differing,
        outside,
        int(has_w[~box].sum()),
        hidden,
        covered,
    )


def _covered(
    work_frame: tuple[int, int],
    query_shape: tuple[int, ...],
    query_frame: tuple[int, int],
    affine: NDArray[np.float64],
) -> float:
    """Share of the query frame that maps inside the work frame (on a coarse grid)."""
    qfw, qfh = query_frame
    ys, xs = np.mgrid[0:16, 0:16].astype(np.float64)
    qx = (xs + 0.5) * qfw / 16 - 0.5
    qy = (ys + 0.5) * qfh / 16 - 0.5
    linear = affine[:, :2]
    if abs(np.linalg.det(linear)) < 1e-12:
        return 0.0
    inverse = np.linalg.inv(linear)
    dx, dy = qx - affine[0, 2], qy - affine[1, 2]
    wx = inverse[0, 0] * dx + inverse[0, 1] * dy
    wy = inverse[1, 0] * dx + inverse[1, 1] * dy
    fw, fh = work_frame
    inside = (wx >= -1.0) & (wx <= fw) & (wy >= -1.0) & (wy <= fh)
    return float(inside.mean())
