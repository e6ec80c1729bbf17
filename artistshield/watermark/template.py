"""The sync template: a few key-placed peaks in the mark's spectrum.

Format 2 adds to the tile a sum of eight sinusoids, each a harmonic of the
tile at a key-chosen frequency, carrying a fifth of the mark's energy.  A
rescale or a rotation of the picture moves those eight peaks of its spectrum
to a smaller or larger radius and turns them, all together, so one search in
log-polar coordinates (log radius, angle) finds the scale and the rotation at
once.  Unlike the autocorrelation of the tiling, which needs the mark to sit
on pixels a whole period apart, the peaks add up over every marked pixel, so
flat art whose mark sits on a few scattered edges is resynchronised too.

The peaks are placed at 18 to 26 harmonics of the tile (periods of 5 to 7
pixels), above most of a drawing's own energy and still below the Nyquist
limit after a rescale to 0.4.  Only the key's holder knows where they are.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from scipy import fft, ndimage

from artistshield.watermark.pattern import INNER, OUTER, TILE, constellation, template_tile
from artistshield.watermark.sync import Geometry

#: Scales (attacked size / marked size) the search covers.
MIN_SCALE, MAX_SCALE = 0.4, 4.5
#: Side of the window whose spectrum is searched.
WINDOW = 1024
#: Log-polar grid: steps of log radius and of angle (over half a turn).
LOG_STEP = 0.004
ANGLES = 720


@dataclass(frozen=True)
class _Spectrum:
    """The spectrum of a residual that :func:`estimate` searches, the same for every key.

    What the search reads of it that no key chooses (its 3x3 maxima, its
    whole log-polar grid) is kept once worked out, so searching one
    spectrum for several keys pays for those once.
    """

    power: np.ndarray  # rfft2 power of the window, divided by its local mean
    height: int
    width: int

    @cached_property
    def maxima(self) -> np.ndarray:
        """The maximum over each 3x3 neighbourhood of the power (see :func:`_max3`)."""
        return _max3(self.power)

    @cached_property
    def log_polar(self) -> tuple[np.ndarray, float]:
        """The whole log-polar grid and its first log radius (see :func:`_log_polar`)."""
        grid, log_f0 = _log_polar(self)
        grid.setflags(write=False)
        return grid, log_f0


def spectrum(r: np.ndarray, *, signs: bool = False) -> _Spectrum | None:
    """Return the normalised power spectrum of the window of *r* richest in residual.

    The mark lives where the picture has texture or edges, so the window is
    put where the whitened residual has the most energy (on flat art the
    middle can be empty).  ``None`` for a residual under 64 pixels a side,
    too small to search.  Work it out once to :func:`estimate` several keys'
    geometries in one residual.

    With *signs*, the normalised power of the window's signs is averaged in.
    On drawn art a residual's energy sits on the few corners and line ends
    it could not cancel, whose broadband spectrum buries the template's
    peaks, while the mark runs along every line; the signs weigh each pixel
    alike (a one-bit quantiser, the robust detector of a sinusoid in
    impulsive noise), so the peaks stand out of them.  On flat art after
    JPEG the signs of the faint noise in its flat places weigh as much as
    the mark, where the residual itself keeps them faint: each spectrum
    finds geometries the other misses, and their average keeps the peaks of
    both (``docs/decisions/0015-small-art-geometry.md``).
    """
    if min(r.shape) < 64:
        return None
    patch = richest(r, WINDOW)
    power = _normalised_power(patch)
    if signs:
        power += _normalised_power(np.sign(patch))
        power *= np.float32(0.5)
    return _Spectrum(power, patch.shape[0], patch.shape[1])


def _normalised_power(patch: np.ndarray) -> np.ndarray:
    """Return the power spectrum of Hann-windowed *patch*, divided by its local (9x9) mean, float32."""
    wh, ww = patch.shape
    patch = (patch - patch.mean()) * np.outer(np.hanning(wh), np.hanning(ww)).astype(np.float32)
    power = np.abs(fft.rfft2(patch)) ** 2
    # Running sums can leave a tiny negative mean where the power is nearly zero.
    power /= np.maximum(ndimage.uniform_filter(power, 9, mode="wrap"), 0.0) + 1e-20
    return power.astype(np.float32)


def richest(r: np.ndarray, side: int) -> np.ndarray:
    """Return the window of *r*, at most *side* pixels each way, that holds the most residual energy."""
    return r[richest_window(r, side)]


def richest_window(r: np.ndarray, side: int) -> tuple[slice, slice]:
    """Return where :func:`richest` cuts its window of *r* from, as (rows, columns)."""
    h, w = r.shape
    wh, ww = min(side, h), min(side, w)
    energy = r * r
    by_row = np.concatenate([[0.0], np.cumsum(energy.sum(axis=1))])
    by_col = np.concatenate([[0.0], np.cumsum(energy.sum(axis=0))])
    top = int(np.argmax(by_row[wh:] - by_row[:-wh]))
    left = int(np.argmax(by_col[ww:] - by_col[:-ww]))
    return slice(top, top + wh), slice(left, left + ww)


def _log_polar(spec: _Spectrum, columns: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Resample the spectrum's 3x3 maxima on the log-polar grid; return it and its first log radius.

    Only the angle *columns* given are sampled (the others stay zero), or all.
    """
    key = None if columns is None else tuple(columns.tolist())
    coords, rows, f_min = _polar_coords(spec.height, spec.width, key)
    if columns is None:
        columns = np.arange(ANGLES)
    grid = np.zeros((rows, ANGLES), np.float32)
    values = ndimage.map_coordinates(spec.maxima, coords, order=1, mode="grid-wrap")
    grid[:, columns] = values.reshape(rows, columns.size)
    return grid, float(np.log(f_min))


@lru_cache(maxsize=8)
def _polar_coords(height: int, width: int, columns: tuple[int, ...] | None) -> tuple[np.ndarray, int, float]:
    """Return where each log-polar grid point sits in a spectrum of *height* x *width*, the grid's rows and first radius.

    The same for every picture of one size (a clip's frames, the residuals
    of one picture), so worked out once.
    """
    f_min = INNER / TILE / MAX_SCALE * 0.97
    f_max = min(OUTER / TILE / MIN_SCALE * 1.03, 0.5)
    radii = np.exp(np.log(f_min) + LOG_STEP * np.arange(int(np.log(f_max / f_min) / LOG_STEP) + 2))
    angle = np.arange(ANGLES) if columns is None else np.array(columns)
    angle = angle * (np.pi / ANGLES)
    f_row = radii[:, None] * np.sin(angle)[None, :]
    f_col = radii[:, None] * np.cos(angle)[None, :]
    # rfft2 keeps non-negative column frequencies: use the conjugate peak
    neg = f_col < 0
    f_row[neg], f_col[neg] = -f_row[neg], -f_col[neg]
    coords = np.stack([((f_row * height) % height).ravel(), (f_col * width).ravel()])
    coords.setflags(write=False)
    return coords, radii.size, f_min


def _max3(power: np.ndarray) -> np.ndarray:
    """Return the maximum over each 3x3 neighbourhood of *power*, wrapping round both edges.

    What ``ndimage.maximum_filter(power, 3, mode="wrap")`` gives, in half its time.
    """
    out = np.maximum(power, np.roll(power, 1, axis=0))
    np.maximum(out, np.roll(power, -1, axis=0), out=out)
    rows = out.copy()
    np.maximum(out, np.roll(rows, 1, axis=1), out=out)
    np.maximum(out, np.roll(rows, -1, axis=1), out=out)
    return out


def _turn(angle: float) -> np.ndarray:
    """Rotation on (row, column) vectors by *angle* radians in the log-polar grid's sense."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, s], [-s, c]])


def _search(
    spec: _Spectrum, peaks: np.ndarray, count: int, *, upright: bool = False, near: int = 0
) -> list[tuple[float, float, float, bool]]:
    """Return up to *count* (score, scale, angle, flipped), best first.

    Then up to *near* more, best first, of those near upright (see
    :func:`estimate`) not among them; and with *upright*, last, the best
    that is neither turned nor sheared, even if it is one of them.
    """
    # the angles scored: all of them, or for an upright search alone only
    # its own, which read only a few columns of the log-polar grid
    angles = np.arange(ANGLES) if count > 0 or near > 0 else _UPRIGHT
    # the harmonics as they are and mirrored, and the angle step each sits at
    harmonics = np.stack([peaks, peaks * (1.0, -1.0)])
    turns = np.rint(np.arctan2(harmonics[..., 0], harmonics[..., 1]) / np.pi * ANGLES).astype(int)
    columns = None if angles.size == ANGLES else np.unique((angles[None, :] + turns.reshape(-1, 1)) % ANGLES)
    grid, log_f0 = spec.log_polar if columns is None else _log_polar(spec, columns)
    n_scales = int(np.log(MAX_SCALE / MIN_SCALE) / LOG_STEP) + 1
    log_scales = np.log(MIN_SCALE) + LOG_STEP * np.arange(n_scales)
    scores = np.zeros((2, n_scales, angles.size), np.float32)
    for score, these, these_turns in zip(scores, harmonics, turns, strict=True):
        for (kr, kc), turn in zip(these, these_turns, strict=True):
            # under scale s the peak sits at radius |k| / (TILE s)
            at = np.rint((np.log(np.hypot(kr, kc) / TILE) - log_scales - log_f0) / LOG_STEP).astype(int)
            ok = np.flatnonzero((at >= 0) & (at < grid.shape[0]))
            if ok.size:
                _add_turned(score[ok[0] : ok[-1] + 1], grid, at[ok], angles, turn)
    kept = _distinct_maxima(scores, log_scales, count) if count > 0 else []
    if near > 0:
        kept += _near_upright(scores, log_scales, kept, near)
    if upright:
        kept.append(_upright(scores if angles.size != ANGLES else scores[:, :, _UPRIGHT], log_scales))
    return kept


#: What "near upright" takes in: turns of at most this many degrees (either
#: way, from upright or a quarter turn) at scales within this factor of 1.
NEAR_TURN = 16.0
NEAR_SCALE = 1.03


def _near_upright(
    scores: np.ndarray, log_scales: np.ndarray, kept: list[tuple[float, float, float, bool]], count: int
) -> list[tuple[float, float, float, bool]]:
    """Return up to *count* (score, scale, angle, flipped) of the near-upright part of *scores*, best first.

    The local maxima of that part alone, leaving out any that is one of
    *kept* (see :func:`_distinct_maxima`).  A picture turned a little and no more (a scan, a photo of a
    screen, a tilt to straighten it) keeps its scale; among the few thousand
    geometries that are so, its own outscores chance more often than among
    every scale and angle, where on small flat art it is often not in the
    best eight.
    """
    rows = np.flatnonzero(np.abs(log_scales) <= np.log(NEAR_SCALE))
    k = round(NEAR_TURN / 180.0 * ANGLES)
    turns = np.arange(-k, k + 1)
    cols = np.concatenate([turns % ANGLES, (ANGLES // 2 + turns) % ANGLES])
    part = np.ascontiguousarray(scores[:, rows[0] : rows[-1] + 1][:, :, cols])
    return _distinct_maxima(part, log_scales[rows[0] : rows[-1] + 1], count, kept, cols)


def _distinct_maxima(
    scores: np.ndarray,
    log_scales: np.ndarray,
    count: int,
    kept: Sequence[tuple[float, float, float, bool]] = (),
    columns: np.ndarray | None = None,
) -> list[tuple[float, float, float, bool]]:
    """Return up to *count* (score, scale, angle, flipped) of the local maxima of *scores*, best first.

    *scores* is (flipped, scale, angle) at *log_scales* and at the angle
    steps *columns* (every step by default).  A maximum too near a better one
    (see :func:`_distinct`), or one of *kept*, is left out.
    """
    found: list[tuple[float, float, float, bool]] = []
    for f, i, j in _maxima(scores):
        step = j if columns is None else int(columns[j])
        cand = (float(scores[f, i, j]), float(np.exp(log_scales[i])), step * np.pi / ANGLES, bool(f))
        if all(_distinct(cand, other) for other in (*kept, *found)):
            found.append(cand)
            if len(found) == count:
                break
    return found


def _add_turned(score: np.ndarray, grid: np.ndarray, rows: np.ndarray, angles: np.ndarray, turn: int) -> None:
    """Add to *score* the log-polar *grid*'s *rows*, at the columns of *angles* turned by *turn*.

    The same as ``score += grid[rows][:, (angles + turn) % ANGLES]``.  A full
    search's rows run down one at a time and its angles are every column, so
    it adds the grid's own slices, twice (either side of the wrap), instead
    of gathering a copy of the grid for each harmonic: a third of the search.
    """
    if angles.size != ANGLES or rows.size < 2 or np.any(np.diff(rows) != -1):
        score += grid[rows][:, (angles + turn) % ANGLES]
        return
    band = grid[rows[0] : rows[-1] - 1 : -1] if rows[-1] > 0 else grid[rows[0] :: -1]
    turn %= ANGLES
    score[:, : ANGLES - turn] += band[:, turn:]
    score[:, ANGLES - turn :] += band[:, :turn]


def _upright(scores: np.ndarray, log_scales: np.ndarray) -> tuple[float, float, float, bool]:
    """Return the best (score, scale, angle, flipped) of the upright angles' *scores*.

    *scores* is (flipped, scale, angle), its angles those of ``_UPRIGHT``.
    """
    best = (-np.inf, 0.0, 0.0, False)
    for f in (0, 1):
        cols = scores[f]
        i, j = np.unravel_index(int(np.argmax(cols)), cols.shape)
        if cols[i, j] > best[0]:
            best = (float(cols[i, j]), float(np.exp(log_scales[i])), _UPRIGHT[j] * np.pi / ANGLES, bool(f))
    return best


#: The angle columns of the upright search: no turn and a quarter turn,
#: each give or take one step.
_UPRIGHT = np.array([ANGLES - 1, 0, 1, ANGLES // 2 - 1, ANGLES // 2, ANGLES // 2 + 1])


#: Side of the neighbourhood (in grid steps of scale and angle) a score must
#: top to count as a peak of the search.
_PEAK_SIDE = 9


def _maxima(scores: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """Yield the local maxima of each (scale, angle) plane of *scores*, highest first.

    A point is a maximum when nothing in its 9x9 neighbourhood (wrapping
    round both axes) scores higher; ties go in index order.  The highest
    points are looked at first, a few thousand at a time, as only the first
    few maxima are wanted.
    """
    flat = scores.ravel()
    half = _PEAK_SIDE // 2
    checked: set[int] = set()
    batch = 4096
    while len(checked) < flat.size:
        batch = min(batch, flat.size)
        top = np.argpartition(-flat, batch - 1)[:batch] if batch < flat.size else np.arange(flat.size)
        for index in top[np.lexsort((top, -flat[top]))].tolist():
            if index in checked:
                continue
            checked.add(index)
            f, i, j = np.unravel_index(index, scores.shape)
            rows = np.arange(i - half, i + half + 1) % scores.shape[1]
            cols = np.arange(j - half, j + half + 1) % scores.shape[2]
            if flat[index] >= scores[f][np.ix_(rows, cols)].max():
                yield int(f), int(i), int(j)
        batch *= 4


def _distinct(a: tuple[float, float, float, bool], b: tuple[float, float, float, bool]) -> bool:
    turn = abs(a[2] - b[2]) % np.pi
    return abs(np.log(a[1] / b[1])) > 0.03 or min(turn, np.pi - turn) > np.radians(2.0)


def _refine(spec: _Spectrum, peaks: np.ndarray, scale: float, angle: float, flipped: bool) -> np.ndarray:
    """Fit the frequency map from each peak's sub-bin position; return mark-to-image matrix.

    Frequencies go through the inverse transpose of the geometry: a peak at
    harmonic k of the mark sits at ``B @ k / TILE`` with ``B`` a similarity,
    and the geometry is ``inv(B).T``.
    """
    harmonics = (peaks * (1.0, -1.0) if flipped else peaks) / TILE
    b = _turn(angle) / scale
    for _ in range(2):
        rows, rhs, weights = [], [], []
        for k, f in zip(harmonics, harmonics @ b.T, strict=True):
            measured, weight = _peak(spec, f)
            if weight > 0:
                rows += [(k[0], k[1]), (k[1], -k[0])]
                rhs += [measured[0], measured[1]]
                weights += [weight, weight]
        if len(rows) < 6:  # fewer than three peaks seen: keep the grid's estimate
            break
        w = np.sqrt(np.array(weights))
        (p, q), *_ = np.linalg.lstsq(np.array(rows) * w[:, None], np.array(rhs) * w, rcond=None)
        b = np.array([[p, q], [-q, p]])
    return np.linalg.inv(b).T


def _peak(spec: _Spectrum, f: np.ndarray) -> tuple[np.ndarray, float]:
    """Return the sub-bin position (as a frequency near *f*) and strength of the peak near *f*."""
    if not np.all(np.isfinite(f)):
        return f, 0.0
    sign = -1.0 if f[1] < 0 else 1.0  # rfft2 holds the conjugate half
    row, col = sign * f[0] * spec.height, sign * f[1] * spec.width
    r0, c0 = int(np.rint(row)), int(np.rint(col))
    if not 2 <= c0 < spec.power.shape[1] - 2:
        return f, 0.0
    patch = spec.power[np.arange(r0 - 2, r0 + 3) % spec.height][:, c0 - 2 : c0 + 3]
    i, j = np.unravel_index(int(np.argmax(patch)), patch.shape)
    if not (0 < i < 4 and 0 < j < 4) or patch[i, j] <= 1.0:
        return f, 0.0
    lp = np.log(np.maximum(patch.astype(np.float64), 0.0) + 1e-12)
    di = _vertex(lp[i - 1, j], lp[i, j], lp[i + 1, j])
    dj = _vertex(lp[i, j - 1], lp[i, j], lp[i, j + 1])
    measured = sign * np.array([(r0 - 2 + i + di) / spec.height, (c0 - 2 + j + dj) / spec.width])
    return measured, float(patch[i, j] - 1.0)


def _vertex(left: float, mid: float, right: float) -> float:
    """Offset of the vertex of the parabola through three equally spaced samples."""
    curve = left - 2.0 * mid + right
    return 0.0 if curve >= 0 else float(np.clip(0.5 * (left - right) / curve, -0.5, 0.5))


def estimate(
    r: np.ndarray | _Spectrum | None, key: bytes, *, count: int = 1, upright: bool = False, near: int = 0
) -> list[Geometry]:
    """Return up to *count* geometries of *key*'s mark in whitened image *r*, best first.

    *r* may be given as its :func:`spectrum` instead, worked out once for
    several keys (``None``, a residual too small to search, finds nothing).

    Then up to *near* of those near upright that are not among them:
    turned by at most NEAR_TURN degrees at a scale within NEAR_SCALE of 1
    (see :func:`_near_upright`).  With *upright*, one more follows, last (and
    even if it is one of the others): the best of those that only rescale
    (or turn by quarter turns), which is what a site's resize does.  Among
    the few hundred of them the true scale stands out where, among every
    angle too, a weak mark's peaks are outscored by chance (flat and
    cartoon art fitted to 1080 pixels wide and saved as JPEG 78, nine
    marks: the true scale topped the upright search of the unweighted
    residual in 8, the general search in 2).  With *count* 0 only the
    upright search is done, on the few angles it needs.
    """
    spec = r if r is None or isinstance(r, _Spectrum) else spectrum(r)
    if spec is None:
        return []
    peaks = constellation(key).astype(np.float64)
    found = []
    candidates = _search(spec, peaks, count, upright=upright, near=near)
    for i, (_, scale, angle, flipped) in enumerate(candidates):
        matrix = _refine(spec, peaks, scale, angle, flipped)
        if upright and i == len(candidates) - 1:
            matrix = _squared(matrix)
        found.append(Geometry(matrix=tuple(map(tuple, matrix.tolist()))))  # type: ignore[arg-type]
    return found


def _squared(matrix: np.ndarray) -> np.ndarray:
    """Return the rescale (with quarter turns and flips) nearest *matrix*, at its scale.

    An upright geometry is a hypothesis that the picture was only resized:
    the refined fit keeps its scale, measured from every peak, but not the
    hundredths of a degree of turn its peaks' noise gives it, which on a
    1080-pixel picture shift its far chips by half a pixel.
    """
    scale = np.sqrt(abs(np.linalg.det(matrix)))
    return scale * min(_DIHEDRAL, key=lambda d: float(np.abs(matrix - scale * d).sum()))


#: The quarter turns and flips as (row, column) matrices.
_DIHEDRAL = [
    np.array(m, float)
    for m in (
        ((1, 0), (0, 1)), ((0, -1), (1, 0)), ((-1, 0), (0, -1)), ((0, 1), (-1, 0)),
        ((1, 0), (0, -1)), ((-1, 0), (0, 1)), ((0, 1), (1, 0)), ((0, -1), (-1, 0)),
    )
]


def coherence(tile: np.ndarray, key: bytes) -> float:
    """Return how strongly folded *tile* holds *key*'s template, at its best shift.

    The normalised correlation with the template tile (the phases known, so
    unlike the spectrum's peaks it is a matched filter), at the best cyclic
    shift of the tile as folded or turned by half a turn (the spectrum cannot
    tell those apart), in units of its spread at one shift for a tile of
    independent noise.
    """
    wanted, template_norm = _matched_filter(key)
    best = -np.inf
    for turned in (tile, np.rot90(tile, 2)):
        centred = turned - turned.mean()
        norm = float(np.linalg.norm(centred))
        if norm == 0.0:
            continue
        corr = fft.irfft2(fft.rfft2(centred) * wanted, (TILE, TILE))
        best = max(best, float(corr.max()) / (norm * template_norm) * TILE)
    return best


@lru_cache(maxsize=16)
def _matched_filter(key: bytes) -> tuple[np.ndarray, float]:
    """Return the conjugate spectrum of *key*'s template tile and the tile's norm (for :func:`coherence`).

    A detection weighs eight geometries with the same key, so worked out once.
    """
    t = template_tile(key).astype(np.float64)
    wanted = np.conj(fft.rfft2(t))
    wanted.setflags(write=False)
    return wanted, float(np.linalg.norm(t))
