"""A small picture of a work's structure, to confirm a match everywhere it overlaps.

Local features can agree on one placement for two different drawings made on
the same template: the same warning-sign frame around another symbol, the same
spinning top with another letter.  What such pairs never do is agree
*everywhere* they overlap.  So a fingerprint keeps its luminance at ``SIDE``
pixels on the longer side; a suspect's (sharper) picture is resampled through
the placement onto the work's, and their gradients are compared pixel by
pixel.  Gradient directions survive brightness, contrast, gamma, greyscale and
JPEG; colour is not compared, so a recoloured copy still agrees.

One difference is allowed: a rectangle pasted over the work (a sticker, a
caption plate) hides what is under it and draws its own straight outline;
another symbol drawn into the same template has no such outline.

A suspect too plain for local features (a crop of smooth curves in two close
shades has no corners at all) can still be placed by its structure alone:
``locate`` slides its gradients over the work's at every scale at which it
is a crop of the work, and keeps a placement only when no other one comes
close (a lone straight edge fits anywhere along itself).  Only a suspect whose
structure spans it is placed this way (``spread``): a small object alone on a
blank page fits the blank stretches of many other pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import fft, ndimage

SIDE = 128
"""Longer side of a registered work's structure picture."""
QUERY_SIDE = 256
"""Longer side of a suspect's: finer, so a work shrunk inside it is still resolved."""
_WHITE, _BRIGHT, _BLACK, _DARK = 252.0, 170.0, 3.0, 60.0
"""Suspect levels that may be clipped, and the work levels a tone change could clip there."""
_BLEMISH_RADIUS = 1.5
"""Pixels (of the work's picture) over which a local difference is gathered."""
_OUTLINE = 0.7
"""Share of a pasted rectangle's side along which the suspect must show an edge..."""
_SHOWN_UNDER = 0.4
"""...and the most of the work's structure that may still show inside it."""


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
    small = np.asarray(image.resize(size, Image.Resampling.BOX))
    return np.clip(np.round(small), 0, 255).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Agreement:
    """How well a suspect's structure agrees with a work's under one placement."""

    covered: float
    """Share of the suspect lying on the work (1.0 for the work or any crop of it)."""
    confirmed: float
    """Share of the work's gradient energy, where they overlap, found in the suspect."""
    explained: float
    """Share of the suspect's gradient energy, where they overlap, found in the work."""
    blemish: float
    """The strongest local difference: structure of either picture missing from the
    other around one spot, relative to their average structure (0 for a copy)."""
    patch: float
    """Share of the overlap under a rectangle pasted over the work; 0 when none."""
    around: float
    """``confirmed`` outside that rectangle (0 when none)."""


NOTHING = Agreement(0.0, 0.0, 0.0, float("inf"), 0.0, 0.0)


def _gradients(image: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    gy, gx = np.gradient(ndimage.gaussian_filter(image, 0.7))
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
    if abs(np.linalg.det(affine[:, :2])) < 1e-12:
        return NOTHING
    th, tw = work.shape
    qh, qw = query.shape
    fw, fh = work_frame
    qfw, qfh = query_frame
    rows, cols = np.mgrid[0:th, 0:tw].astype(np.float64)
    xf = (cols + 0.5) * fw / tw - 0.5
    yf = (rows + 0.5) * fh / th - 0.5
    u = (affine[0, 0] * xf + affine[0, 1] * yf + affine[0, 2] + 0.5) * qw / qfw - 0.5
    v = (affine[1, 0] * xf + affine[1, 1] * yf + affine[1, 2] + 0.5) * qh / qfh - 0.5
    # Query pixels per work pixel: blur the query down to the work's detail first.
    ratio = np.sqrt(abs(np.linalg.det(affine[:, :2]))) * (fw / tw) * (qw / qfw)
    source = query.astype(np.float32)
    if ratio > 1.0:
        source = ndimage.gaussian_filter(source, 0.5 * np.sqrt(ratio * ratio - 1.0))
    warped = ndimage.map_coordinates(source, [v, u], order=1, mode="nearest").astype(np.float32)
    inside = (u >= 0.5) & (u <= qw - 1.5) & (v >= 0.5) & (v <= qh - 1.5)
    overlap = ndimage.binary_erosion(inside, border_value=0)
    # Where a tone change clipped the suspect to white or black, there is nothing to compare.
    level = work.astype(np.float32)
    clipped = ((warped >= _WHITE) & (level >= _BRIGHT)) | ((warped <= _BLACK) & (level <= _DARK))
    inside = overlap & ~ndimage.binary_dilation(clipped)
    if inside.sum() < 16:
        return NOTHING

    wx, wy = _gradients(level)
    sx, sy = _gradients(warped)
    mw, mq = np.hypot(wx, wy), np.hypot(sx, sy)
    energy_w, energy_q = float(mw[inside].sum()), float(mq[inside].sum())
    if energy_w <= 1e-6 or energy_q <= 1e-6:
        return NOTHING
    # The suspect's overall gain (a contrast change scales every gradient).
    gain = max(1e-3, float((mw * mq)[inside].sum()) / max(float((mw * mw)[inside].sum()), 1e-9))
    dot = np.maximum(0.0, wx * sx + wy * sy)
    agree_w = dot / (mw * np.maximum(mq, 0.25 * gain * mw) + 1e-9)
    agree_q = dot / (mq * np.maximum(mw, 0.25 * mq / gain) + 1e-9)
    confirmed = float((mw * agree_w)[inside].sum()) / energy_w
    explained = float((mq * agree_q)[inside].sum()) / energy_q
    missing = np.where(inside, mw * (1.0 - agree_w) + mq * (1.0 - agree_q), 0.0)
    average = float(mw[inside].mean() + mq[inside].mean())
    blemish = float(ndimage.gaussian_filter(missing, _BLEMISH_RADIUS).max()) / average
    patch, around = _pasted(inside, overlap, mw, agree_w, mq, agree_q)
    return Agreement(
        covered=_covered(work_frame, query_frame, affine),
        confirmed=confirmed,
        explained=explained,
        blemish=blemish,
        patch=patch,
        around=around,
    )


def _pasted(
    inside: NDArray[np.bool_],
    overlap: NDArray[np.bool_],
    mw: NDArray[np.float64],
    agree_w: NDArray[np.float64],
    mq: NDArray[np.float64],
    agree_q: NDArray[np.float64],
) -> tuple[float, float]:
    """A rectangle pasted over the work: (its share of ``overlap``, confirmed around it).

    The suspect's strongest structure the work does not explain, taken as one
    blob, must be outlined by edges on every side of its box that lies inside
    the overlap.  (0, 0) when there is no such rectangle.
    """
    level = float(mq[inside].mean())
    foreign = inside & (mq > level) & (agree_q < 0.5)
    if foreign.sum() < 8:
        return 0.0, 0.0
    labels, _ = ndimage.label(ndimage.binary_dilation(foreign, iterations=2))
    sizes = np.bincount(labels.ravel(), weights=foreign.ravel())
    sizes[0] = 0
    blob = (labels == int(np.argmax(sizes))) & foreign
    # The box: rows and columns well inside the blob, not stray pixels it touched.
    counts_y, counts_x = blob.sum(axis=1), blob.sum(axis=0)
    ys = np.nonzero(counts_y >= 0.1 * counts_y.max())[0]
    xs = np.nonzero(counts_x >= 0.1 * counts_x.max())[0]
    y0, y1, x0, x1 = int(ys[0]), int(ys[-1]), int(xs[0]), int(xs[-1])
    if y1 - y0 < 4 or x1 - x0 < 4:
        return 0.0, 0.0
    edge = mq > level
    sides = [
        edge[max(0, y0 - 3) : y0 + 4, x0 : x1 + 1].any(axis=0),
        edge[max(0, y1 - 3) : y1 + 4, x0 : x1 + 1].any(axis=0),
        edge[y0 : y1 + 1, max(0, x0 - 3) : x0 + 4].any(axis=1),
        edge[y0 : y1 + 1, max(0, x1 - 3) : x1 + 4].any(axis=1),
    ]
    rows, cols = np.nonzero(inside)
    cut = [y0 <= rows.min() + 1, y1 >= rows.max() - 1, x0 <= cols.min() + 1, x1 >= cols.max() - 1]
    if any(
        not at_edge and side.mean() < _OUTLINE for side, at_edge in zip(sides, cut, strict=True)
    ):
        return 0.0, 0.0
    box = np.zeros_like(inside)
    box[max(0, y0 - 2) : y1 + 3, max(0, x0 - 2) : x1 + 3] = True
    rest = inside & ~box
    # Opaque: inside its outline the work's own structure is gone, not merely
    # joined by something else (a letter added to the same face shows the face).
    under = np.zeros_like(inside)
    under[y0 + 3 : y1 - 2, x0 + 3 : x1 - 2] = True
    under &= inside
    energy, hidden = float(mw[rest].sum()), float(mw[under].sum())
    if energy <= 1e-6 or (
        hidden > 1e-6 and float((mw * agree_w)[under].sum()) / hidden > _SHOWN_UNDER
    ):
        return 0.0, 0.0
    # Its size is measured against the whole overlap, blank parts included.
    share = float((overlap & box).sum()) / float(overlap.sum())
    return share, float((mw * agree_w)[rest].sum()) / energy


def covered(
    work_frame: tuple[int, int], query_frame: tuple[int, int], affine: NDArray[np.float64]
) -> float:
    """``Agreement.covered`` alone, without comparing the pictures (0 when degenerate)."""
    if abs(np.linalg.det(affine[:, :2])) < 1e-12:
        return 0.0
    return _covered(work_frame, query_frame, affine)


def _covered(
    work_frame: tuple[int, int], query_frame: tuple[int, int], affine: NDArray[np.float64]
) -> float:
    """Share of the query frame that maps inside the work frame (on a 16 x 16 grid)."""
    qfw, qfh = query_frame
    ys, xs = np.mgrid[0:16, 0:16].astype(np.float64)
    dx = (xs + 0.5) * qfw / 16 - 0.5 - affine[0, 2]
    dy = (ys + 0.5) * qfh / 16 - 0.5 - affine[1, 2]
    inverse = np.linalg.inv(affine[:, :2])
    wx = inverse[0, 0] * dx + inverse[0, 1] * dy
    wy = inverse[1, 0] * dx + inverse[1, 1] * dy
    fw, fh = work_frame
    return float(((wx >= -1.0) & (wx <= fw) & (wy >= -1.0) & (wy <= fh)).mean())


def _to_pictures(
    work_shape: tuple[int, ...],
    work_frame: tuple[int, int],
    query_shape: tuple[int, ...],
    query_frame: tuple[int, int],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """3x3 matrices: work picture pixels to work frame, query frame to query picture pixels."""
    (th, tw), (qh, qw) = work_shape[:2], query_shape[:2]
    (fw, fh), (qfw, qfh) = work_frame, query_frame
    to_frame = np.array(
        [[fw / tw, 0.0, 0.5 * fw / tw - 0.5], [0.0, fh / th, 0.5 * fh / th - 0.5], [0, 0, 1]]
    )
    to_picture = np.array(
        [[qw / qfw, 0.0, 0.5 * qw / qfw - 0.5], [0.0, qh / qfh, 0.5 * qh / qfh - 0.5], [0, 0, 1]]
    )
    return to_frame, to_picture


Sampled = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]
"""Where a placement samples the suspect: columns, rows, which are inside, the values there."""


def refine(
    work: NDArray[np.uint8],
    work_frame: tuple[int, int],
    query: NDArray[np.uint8],
    query_frame: tuple[int, int],
    affine: NDArray[np.float64],
    *,
    steps: int = 6,
) -> NDArray[np.float64]:
    """Nudge a placement so the two pictures line up (Gauss-Newton on normalised levels).

    A placement from a few features clustered in one corner can be off by a
    few percent in scale; far from them the lines no longer meet.  Returns the
    refined 2x3 affine, or ``affine`` itself when refining does not help.
    """
    to_frame, to_picture = _to_pictures(work.shape, work_frame, query.shape, query_frame)
    full = np.vstack([affine, [0.0, 0.0, 1.0]])
    mapping = (to_picture @ full @ to_frame)[:2]
    level = ndimage.gaussian_filter(work.astype(np.float64), 1.0)
    rows, cols = np.mgrid[0 : work.shape[0], 0 : work.shape[1]].astype(np.float64)
    ratio = np.sqrt(abs(np.linalg.det(mapping[:, :2])))
    source = ndimage.gaussian_filter(query.astype(np.float64), max(1.0, ratio))
    gy, gx = np.gradient(source)
    qh, qw = query.shape

    def residual(m: NDArray[np.float64]) -> tuple[float, NDArray[np.float64], Sampled]:
        """The misfit under mapping *m*, each pixel's difference, and where it was sampled."""
        u = m[0, 0] * cols + m[0, 1] * rows + m[0, 2]
        v = m[1, 0] * cols + m[1, 1] * rows + m[1, 2]
        inside = (u >= 1) & (u <= qw - 2) & (v >= 1) & (v <= qh - 2)
        if inside.sum() < 64:
            return float("inf"), np.zeros(0), (u, v, inside, np.zeros(0))
        sampled = ndimage.map_coordinates(source, [v, u], order=1, mode="nearest")[inside]
        a = level[inside]
        a = (a - a.mean()) / (a.std() + 1e-6)
        b = (sampled - sampled.mean()) / (sampled.std() + 1e-6)
        return float(np.mean((a - b) ** 2)), b - a, (u, v, inside, sampled)

    best, current = mapping, mapping.copy()
    fit = residual(current)
    cost = fit[0]
    for _ in range(steps):
        error, diff, (u, v, inside, sampled) = fit
        if not np.isfinite(error):
            break
        scale = sampled.std()
        du = ndimage.map_coordinates(gx, [v, u], order=1, mode="nearest")[inside] / (scale + 1e-6)
        dv = ndimage.map_coordinates(gy, [v, u], order=1, mode="nearest")[inside] / (scale + 1e-6)
        c, r = cols[inside], rows[inside]
        jacobian = np.stack([du * c, du * r, du, dv * c, dv * r, dv], axis=1)
        current = current + _least_squares(jacobian, -diff).reshape(2, 3)
        fit = residual(current)  # the next step starts from it
        if fit[0] < cost:
            best, cost = current.copy(), fit[0]
    if best is mapping:
        return affine
    full = np.linalg.inv(to_picture) @ np.vstack([best, [0.0, 0.0, 1.0]]) @ np.linalg.inv(to_frame)
    return full[:2]


def _least_squares(matrix: NDArray[np.float64], target: NDArray[np.float64]) -> NDArray[np.float64]:
    """The least-squares solution of ``matrix @ x = target``, for a tall, thin matrix.

    By the normal equations, with columns scaled to one size: an order of magnitude
    quicker than an SVD of thousands of rows, and as exact for six well-posed unknowns.
    """
    norms = np.sqrt((matrix * matrix).sum(axis=0))
    norms[norms == 0] = 1.0
    scaled = matrix / norms
    normal = scaled.T @ scaled
    try:
        solution = np.linalg.solve(normal, scaled.T @ target)
    except np.linalg.LinAlgError:  # degenerate (no gradient along one direction)
        solution = np.linalg.lstsq(scaled, target, rcond=None)[0]
    if not np.all(np.isfinite(solution)) or np.linalg.cond(normal) > 1e12:
        solution = np.linalg.lstsq(scaled, target, rcond=None)[0]
    return solution / norms


LOCATE_SMALLEST = 0.2
"""Smallest share of the work's area a suspect placed by ``locate`` may show."""
_LOCATE_STEP = 1.04
"""Ratio between the scales ``locate`` tries."""
_LOCATE_APART = 0.25
"""Share of the placed suspect's shorter side by which a rival placement lies apart:
near the best one, a smooth curve still half fits."""


@dataclass(frozen=True, slots=True)
class Located:
    """Where ``locate`` put a suspect on a work."""

    affine: NDArray[np.float64]
    """2x3, work frame points to query frame points (as ``compare`` takes it)."""
    score: float
    """Normalised correlation of the gradients there (1.0 for an exact crop)."""
    rival: float
    """The best score anywhere else, at any scale."""


def spread(picture: NDArray[np.uint8], *, grid: int = 8) -> float:
    """Share of a ``grid`` x ``grid`` division of the picture that holds structure.

    A cell holds structure when its gradient energy is at least a tenth of the
    average cell's: a small object alone on a blank page scores low.
    """
    gx, gy = _gradients(picture.astype(np.float32))
    magnitude = np.hypot(gx, gy)
    rows = np.array_split(np.arange(magnitude.shape[0]), grid)
    cols = np.array_split(np.arange(magnitude.shape[1]), grid)
    cells = np.array([[magnitude[np.ix_(r, c)].sum() for c in cols] for r in rows])
    if cells.sum() <= 1e-6:
        return 0.0
    return float((cells >= 0.1 * cells.mean()).mean())


def _field(image: NDArray[np.generic]) -> NDArray[np.complex128]:
    gx, gy = _gradients(np.asarray(image, np.float32))
    return gx.astype(np.float64) + 1j * gy.astype(np.float64)


def locate(
    work: NDArray[np.uint8],
    work_frame: tuple[int, int],
    query: NDArray[np.uint8],
    query_frame: tuple[int, int],
) -> Located | None:
    """Place ``query`` on ``work`` by its gradients alone, as an unturned crop of it.

    Tries every scale at which the query shows between ``LOCATE_SMALLEST`` of
    the work's area and all of it, and every shift (normalised cross-correlation
    of the complex gradient fields, by FFT).  None when the query is too small
    at every scale to say anything.
    """
    th, tw = work.shape
    qh, qw = query.shape
    field_w = _field(work)
    # Correlation by FFT.  Only placements inside the work are read, and for those the
    # query's pixels never reach past the work's edge: no padding beyond the work is needed.
    padded = (fft.next_fast_len(th), fft.next_fast_len(tw))
    spectrum_w = fft.fft2(field_w, padded)
    energy_w = np.zeros((th + 1, tw + 1))
    energy_w[1:, 1:] = np.cumsum(np.cumsum(np.abs(field_w) ** 2, axis=0), axis=1)
    fill = min(tw / qw, th / qh)  # work pixels per query pixel when the query fills the work
    image = Image.fromarray(np.asarray(query, np.float32), "F")
    scored: list[tuple[tuple[int, int], NDArray[np.float64]]] = []
    ratio = fill
    while ratio >= fill * np.sqrt(LOCATE_SMALLEST):
        size = (min(tw, round(qw * ratio)), min(th, round(qh * ratio)))
        ratio /= _LOCATE_STEP
        if min(size) < 12:
            break
        field_q = _field(np.asarray(image.resize(size, Image.Resampling.BOX)))
        field_q[:2], field_q[-2:], field_q[:, :2], field_q[:, -2:] = 0, 0, 0, 0
        energy_q = float((np.abs(field_q) ** 2).sum())
        if energy_q <= 1e-6:
            continue
        sw, sh = size
        corr = fft.ifft2(spectrum_w * np.conj(fft.fft2(field_q, padded)))
        corr = corr[: th - sh + 1, : tw - sw + 1].real
        window = (
            energy_w[sh:, sw:] - energy_w[:-sh, sw:] - energy_w[sh:, :-sw] + energy_w[:-sh, :-sw]
        )
        scored.append((size, corr / np.sqrt(np.maximum(window, 1e-6) * energy_q)))
    if not scored:
        return None
    best = max(range(len(scored)), key=lambda i: float(scored[i][1].max()))
    size, score = scored[best]
    y, x = np.unravel_index(int(np.argmax(score)), score.shape)
    apart = max(2, round(_LOCATE_APART * min(size)))
    rival = 0.0
    for _, other in scored:
        away = other.copy()
        away[max(0, y - apart) : y + apart + 1, max(0, x - apart) : x + apart + 1] = -np.inf
        rival = max(rival, float(away.max()))
    # Query picture pixel u lies on work picture pixel x + (u + 0.5) * size / qw - 0.5.
    sx, sy = size[0] / qw, size[1] / qh
    on_work = np.array(
        [[1 / sx, 0.0, 0.5 / sx - 0.5 - x / sx], [0.0, 1 / sy, 0.5 / sy - 0.5 - y / sy], [0, 0, 1]]
    )  # work picture pixels to query picture pixels
    to_frame, to_picture = _to_pictures(work.shape, work_frame, query.shape, query_frame)
    affine = (np.linalg.inv(to_picture) @ on_work @ np.linalg.inv(to_frame))[:2]
    return Located(affine, float(score[y, x]), rival)
