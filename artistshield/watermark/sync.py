"""Resynchronisation: undo the scale, rotation and crop an image went through.

The mark is a tiled pattern, so the whitened image's autocorrelation has peaks
on the tile's lattice: two vectors whose lengths give the scale and whose angle
gives the rotation, whatever the crop.  We find that lattice, refine it from
the peaks far out (a peak at five periods measures the period five times more
precisely), warp the image back to the mark's own frame and fold it into one
tile by summing every period.  The remaining crop offset, flips and quarter
turns are found later by correlating the folded tile with the key's pattern.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import fft, ndimage, sparse

from artistshield.watermark import mask
from artistshield.watermark.pattern import TILE

#: Scales (attacked size / marked size) the lattice search covers.
MIN_SCALE = 0.4
MAX_SCALE = 2.2
#: Side of the central window whose autocorrelation is searched.
ACF_WINDOW = 1024
#: Side of the local mean the residual is taken against.
PREDICTOR = 3

if TILE & (TILE - 1):  # folding wraps tile positions with a bit mask
    raise ImportError(f"the tile's side must be a power of two, not {TILE}")


@dataclass(frozen=True)
class Geometry:
    """A linear map from the mark's frame to the image: ``p = matrix @ q``.

    Coordinates are (row, column).  The identity means "no resampling".
    """

    matrix: tuple[tuple[float, float], tuple[float, float]] = ((1.0, 0.0), (0.0, 1.0))

    @property
    def scale(self) -> float:
        return float(np.sqrt(abs(np.linalg.det(np.array(self.matrix)))))

    @property
    def rotation(self) -> float:
        """Rotation in degrees, counter-clockwise as seen on screen."""
        m = np.array(self.matrix)
        return float(np.degrees(np.arctan2(m[1, 0] - m[0, 1], m[0, 0] + m[1, 1])))

    def is_identity(self) -> bool:
        """Whether this is no resampling at all, to within what an estimate can tell."""
        return bool(np.allclose(self.matrix, np.eye(2), atol=2e-4))

    def near(self, other: "Geometry") -> bool:
        """Whether *other* is the same geometry estimated twice (a fold could not tell them apart)."""
        return bool(np.allclose(self.matrix, other.matrix, atol=4e-3))


def whiten(y: np.ndarray) -> np.ndarray:
    """Return the luma residual that carries the mark, locally normalised.

    Subtracting a 3x3 mean removes most of the picture; dividing by the local
    residual energy weights each pixel by how much it can be trusted, so sharp
    edges do not drown the rest.
    """
    return whiten_keeping_energy(y)[0]


def whiten_keeping_energy(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return :func:`whiten`'s residual and the local energy it was divided by.

    Dividing the residual by that energy once more trusts busy places even
    less: after a blur, which leaves a drawing's edges far stronger than what
    is left of the mark beside them, that is the better weighting; after JPEG
    or noise the plain one is.
    """
    r = y - mask.box_mean(y, PREDICTOR)
    return r, _normalise(r)


def _normalise(r: np.ndarray) -> np.ndarray:
    """Divide residual *r* in place by one plus its local RMS (7x7); return that divisor."""
    energy = mask.box_mean(r * r, 7)
    np.maximum(energy, 0.0, out=energy)  # the filter's rounding can dip below 0
    np.sqrt(energy, out=energy)
    energy += 1.0
    r /= energy
    return energy


def whiten_directional(y: np.ndarray) -> np.ndarray:
    """Return the luma residual along each pixel's smoothest direction, locally normalised as :func:`whiten` does.

    Drawn art is edges and lines, and its mark sits on them.  A local mean
    smears each edge into the residual, many times stronger than the mark
    beside it, so it drowns the mark.  But an edge or a line is smooth
    *along* itself: each pixel is taken against the mean of its two
    neighbours in whichever of four directions (along the row, down the
    column, either diagonal) leaves the least residual over the 5x5 window
    round it, and the drawing cancels while the mark's chips, which change
    in every direction, stay.  Where the picture is texture, no direction
    is smoother than another and the choice does not matter.

    A median keeps straight edges out too, but not corners or thin lines;
    ``docs/decisions/0011-directional-residual.md`` has what each reads.
    """
    y = np.asarray(y, np.float32)
    h, w = y.shape
    padded = np.pad(y, 1, mode="reflect")
    best = np.empty_like(y)
    # a band of rows at a time, so that the many passes over each stay in
    # the cache; every value is what the whole picture at once would give
    band = max(8, _BAND_PIXELS // w)
    for top in range(0, h, band):
        bottom = min(top + band, h)
        best[top:bottom] = _smoothest(padded, top, bottom)
    _normalise(best)
    return best


def _smoothest(padded: np.ndarray, top: int, bottom: int) -> np.ndarray:
    """Return :func:`whiten_directional`'s residual, before normalising, of rows *top* to *bottom*.

    *padded* is the whole picture with one reflected pixel round it.
    """
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    half = _DIRECTION_WINDOW // 2
    lo, hi = max(top - half, 0), min(bottom + half, h)  # the rows the band's windows reach
    rows = padded[lo : hi + 2]
    n = hi - lo
    # beyond the picture's top and bottom a window repeats the edge row
    pad = (half - (top - lo), half - (hi - bottom))
    best, best_energy = None, None
    for dy, dx in _DIRECTIONS:
        # the residual against the two neighbours dy, dx away, and its window's energy
        r = rows[1 - dy : 1 - dy + n, 1 - dx : 1 - dx + w] + rows[1 + dy : 1 + dy + n, 1 + dx : 1 + dx + w]
        r *= np.float32(-0.5)
        r += rows[1 : 1 + n, 1:-1]
        energy = _window_sum(r * r, _DIRECTION_WINDOW, rows=pad)
        r = r[top - lo : bottom - lo]
        if best is None or best_energy is None:
            best, best_energy = r, energy
        else:
            np.copyto(best, r, where=energy < best_energy)  # ties keep the earlier direction
            np.minimum(best_energy, energy, out=best_energy)
    assert best is not None
    return best


#: Pixels in a band of rows that :func:`whiten_directional` works on at a time.
_BAND_PIXELS = 131_072


#: The directions (row, column steps) :func:`whiten_directional` chooses
#: from, and the side of the window each is weighed over.
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))
_DIRECTION_WINDOW = 5


def _window_sum(a: np.ndarray, size: int, *, rows: tuple[int, int] | None = None) -> np.ndarray:
    """Return the sum of 2-D *a* over a *size* x *size* window, the border repeated.

    By adding shifted rows, then shifted columns: for comparing sums, this
    is a third cheaper than :func:`.mask.box_mean`.  With *rows* (before,
    after), only that many rows are repeated above and below, the rest of
    the windows' rows being *a*'s own: the sums come back for *a*'s rows
    less those its windows need beyond them.
    """
    half = size // 2
    before, after = (half, half) if rows is None else rows
    padded = np.pad(a, ((before, after), (half, half)), mode="edge")
    height, width = padded.shape[0] - 2 * half, a.shape[1]
    sums = padded[:, :width].copy()
    for shift in range(1, size):
        sums += padded[:, shift : shift + width]
    out = sums[:height].copy()
    for shift in range(1, size):
        out += sums[shift : shift + height]
    return out


def _acf(r: np.ndarray, max_lag: int, reach: int) -> np.ndarray:
    """Return the (whitened) circular autocorrelation of a window of *r*, near lag zero.

    Only the lags within *reach* (the farthest ever sampled) and a margin
    are kept, as smoothing and normalising the cut-out cost a fraction of
    the whole.  The cut-out is itself circular, with lag zero still at
    [0, 0], so it is sampled and smoothed the same way (with mode "wrap")
    and gives the same values at every lag sampled.
    """
    h, w = r.shape
    win = min(ACF_WINDOW, h), min(ACF_WINDOW, w)
    top, left = (h - win[0]) // 2, (w - win[1]) // 2
    patch = r[top : top + win[0], left : left + win[1]]
    patch = patch - patch.mean()
    shape = (fft.next_fast_len(win[0] + max_lag), fft.next_fast_len(win[1] + max_lag))
    spectrum = fft.rfft2(patch, shape)
    power = np.abs(spectrum)  # square-root whitening sharpens the lattice peaks
    acf = fft.irfft2(power, shape)
    keep = reach + _MARGIN
    if 2 * keep + 1 < min(shape):
        lags_r = lags_c = np.r_[0 : keep + 1, -keep:0]
        acf = acf[np.ix_(lags_r, lags_c)]
    else:
        lags_r, lags_c = np.arange(shape[0]), np.arange(shape[1])
    # normalise each lag by the overlap it was measured over
    overlap_r = np.maximum(win[0] - np.minimum(lags_r % shape[0], -lags_r % shape[0]), 1)
    overlap_c = np.maximum(win[1] - np.minimum(lags_c % shape[1], -lags_c % shape[1]), 1)
    acf /= np.outer(overlap_r, overlap_c)
    acf[0, 0] = 0.0
    return acf.astype(np.float32)


#: Lags beyond the farthest one sampled that the cut-out autocorrelation
#: keeps, so smoothing it sees the same neighbours as smoothing the whole.
_MARGIN = 8


def _sample(acf: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinearly sample the circular *acf* at (row, col) *points* (..., 2).

    Whole-number points (an integer array) are read directly: interpolating
    there gives the same values, at many times the cost.
    """
    if np.issubdtype(points.dtype, np.integer):
        return acf[points[..., 0] % acf.shape[0], points[..., 1] % acf.shape[1]]
    return ndimage.map_coordinates(
        acf, [points[..., 0].ravel(), points[..., 1].ravel()], order=1, mode="grid-wrap"
    ).reshape(points.shape[:-1])


_NEIGHBOURS = np.array([(1, 0), (0, 1), (1, 1), (1, -1)], np.int64)  # keeps whole vectors whole


def _score(acf: np.ndarray, v1: np.ndarray) -> np.ndarray:
    """Score square lattices with first vectors *v1* (n, 2) by their peaks."""
    v2 = np.stack([v1[:, 1], -v1[:, 0]], axis=1)  # v1 turned a quarter, as _quarter
    pts = _NEIGHBOURS[None, :, 0:1] * v1[:, None, :] + _NEIGHBOURS[None, :, 1:2] * v2[:, None, :]
    return _sample(acf, pts).mean(axis=1)


def _quarter(v: np.ndarray) -> np.ndarray:
    """Return lattice vector *v* (row, col) turned a quarter."""
    return np.array([v[1], -v[0]])


def _canonical(v: np.ndarray) -> np.ndarray:
    """Turn *v* by quarters until it points right-ish (angle in [-45, 45))."""
    for _ in range(4):
        if v[1] > 0 and -v[1] <= v[0] < v[1]:
            return v
        v = _quarter(v)
    return v


def _finest(smooth: np.ndarray, v: np.ndarray, score: float, rmin: float) -> np.ndarray:
    """Replace *v* by a finer lattice whose points it shares, while one scores as well.

    A lattice's multiples (twice as long, or turned 45 degrees and longer by
    a square root of two) score nearly as well as the lattice itself.
    """
    for _ in range(3):
        finer = [_canonical(v / 2.0), _canonical((v + _quarter(v)) / 2.0)]
        finer = [f for f in finer if np.hypot(*f) >= rmin]
        if not finer:
            break
        scores = _score(smooth, np.array(finer))
        i = int(np.argmax(scores))
        if scores[i] < 0.8 * score:  # a mere sublattice shares only half its points
            break
        v, score = finer[i], float(scores[i])
    return v


def _coarse_lattices(acf: np.ndarray, count: int) -> list[np.ndarray]:
    """Return up to *count* distinct square-lattice first vectors, best first."""
    # only the lags the search reads are smoothed: the same values, as
    # smoothing looks no farther than _GAUSS_REACH either side
    reach = _COARSE_REACH + _GAUSS_REACH
    if 2 * reach + 1 < min(acf.shape):
        lags = np.r_[0 : reach + 1, -reach:0]
        acf = acf[np.ix_(lags, lags)]
    smooth = ndimage.gaussian_filter(acf, 1.0, mode="wrap", truncate=_GAUSS_REACH)
    whole, points = _whole_lattices(smooth.shape)
    cand = whole.astype(np.float64)
    # whole-pixel vectors: read, not interpolated (the same as _score)
    scores = smooth.ravel()[points].mean(axis=1)
    rmin = MIN_SCALE * TILE
    chosen: list[np.ndarray] = []
    for i in np.argsort(scores)[::-1][: 50 * count]:
        if scores[i] <= 0:
            break
        v = _finest(smooth, cand[i], float(scores[i]), rmin)
        if all(np.hypot(*(v - c)) > 3.0 for c in chosen):
            chosen.append(v)
            if len(chosen) == count:
                break
    return chosen


#: The farthest lag (each way) the coarse search reads: the diagonal
#: neighbour of its longest first vector, and the pixel after it.
_COARSE_REACH = int(np.ceil(MAX_SCALE * TILE * np.sqrt(2))) + 1
#: How far the coarse search's smoothing looks (SciPy's default for a sigma of 1).
_GAUSS_REACH = 4


@lru_cache(maxsize=4)
def _whole_lattices(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Return the whole-pixel first vectors the coarse search scores, and where their points sit.

    The vectors (n, 2) point right-ish (angle in [-45, 45) degrees) and
    span the scales searched; the points (n, 4) are flat indexes into a
    circular autocorrelation of *shape*, as :func:`_score` reads them.
    """
    rmin, rmax = MIN_SCALE * TILE, MAX_SCALE * TILE
    lim = int(np.ceil(rmax))
    rows, cols = np.mgrid[-lim : lim + 1, 0 : lim + 1]
    radius = np.hypot(rows, cols)
    keep = (radius >= rmin) & (radius <= rmax) & (cols > np.abs(rows) - 1e-9) & ~((rows == cols) & (rows > 0))
    whole = np.stack([rows[keep], cols[keep]], axis=1)
    v2 = np.stack([whole[:, 1], -whole[:, 0]], axis=1)  # turned a quarter, as _quarter
    pts = _NEIGHBOURS[None, :, 0:1] * whole[:, None, :] + _NEIGHBOURS[None, :, 1:2] * v2[:, None, :]
    points = (pts[..., 0] % shape[0]) * shape[1] + pts[..., 1] % shape[1]
    for a in (whole, points):
        a.setflags(write=False)
    return whole, points


def _refine(smooth: np.ndarray, v1: np.ndarray, max_lag: int) -> np.ndarray:
    """Refine lattice vector *v1* (row, col) from many far peaks of *smooth*.

    *smooth* is the autocorrelation lightly smoothed.  The lattice is kept
    square (a scale and a rotation), which halves the unknowns and keeps weak
    marks from bending it.
    """
    quarter = np.array([[0.0, 1.0], [-1.0, 0.0]])  # _quarter as a matrix
    for reach in (2, 4, 8):
        n = np.arange(-reach, reach + 1)
        n1, n2 = np.meshgrid(n, n, indexing="ij")
        idx = np.stack([n1.ravel(), n2.ravel()], axis=1)
        idx = idx[(idx[:, 0] > 0) | ((idx[:, 0] == 0) & (idx[:, 1] > 0))]
        pred = idx[:, :1] * v1 + idx[:, 1:] * (quarter @ v1)
        ok = np.hypot(pred[:, 0], pred[:, 1]) <= max_lag
        if ok.sum() < 2:
            break
        idx, pred = idx[ok], pred[ok]
        # local sub-pixel peak: centroid of what stands above the window's median
        offs = np.arange(-2, 3)
        dr, dc = np.meshgrid(offs, offs, indexing="ij")
        grid = np.round(pred)[:, None, None, :] + np.stack([dr, dc], axis=-1)[None]
        vals = _sample(smooth, grid)
        vals = np.maximum(vals - np.median(vals, axis=(1, 2), keepdims=True), 0.0)
        weight = vals.sum(axis=(1, 2))
        good = weight > 0
        if good.sum() < 2:
            break
        meas = (grid * vals[..., None]).sum(axis=(1, 2)) / np.maximum(weight, 1e-12)[:, None]
        w = np.sqrt(weight[good])
        # meas = (n1 * I + n2 * quarter) @ v1, stacked for every peak
        blocks = idx[good, 0, None, None] * np.eye(2) + idx[good, 1, None, None] * quarter
        a = (blocks * w[:, None, None]).reshape(-1, 2)
        b = (meas[good] * w[:, None]).reshape(-1)
        v1, *_ = np.linalg.lstsq(a, b, rcond=None)
    return np.stack([v1, quarter @ v1], axis=1)


def estimate(r: np.ndarray, *, count: int = 1) -> list[Geometry]:
    """Return up to *count* candidate mark lattices in whitened image *r*, best first."""
    max_lag = int(min(r.shape) * 0.45)
    if max_lag < MIN_SCALE * TILE * 1.2:
        return []
    reach = min(max_lag, ACF_WINDOW // 2)
    # the coarse search's farthest point: a diagonal neighbour of its longest vector
    acf = _acf(r, max_lag, max(reach, int(np.ceil(MAX_SCALE * TILE * np.sqrt(2)))))
    smooth = ndimage.gaussian_filter(acf, 0.7, mode="wrap")
    found = []
    for v1 in _coarse_lattices(acf, count):
        basis = _refine(smooth, v1, reach)
        # columns: where the mark's row and column directions went
        matrix = basis[:, ::-1] / TILE
        scale = np.sqrt(abs(np.linalg.det(matrix)))
        if MIN_SCALE * 0.9 <= scale <= MAX_SCALE * 1.1:
            found.append(Geometry(matrix=tuple(map(tuple, matrix.tolist()))))  # type: ignore[arg-type]
    return found


def fold(r: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Sum *r* into one TILE x TILE tile of the mark's frame.

    Under the identity the image is cut into tiles and added up, and under a
    whole-number zoom into tiles of the zoomed size whose blocks are then
    added up.  Otherwise every pixel is mapped back into the mark's frame and
    added to the nearest tile position (or, for a shrunken image, spread
    over the four nearest, see :func:`_spread`), which costs the same
    whatever the scale, unlike resampling the image up to the mark's size.
    Returns float64 sums: more samples weigh more, as a matched filter should.
    """
    return fold_each([r], geometry)[0]


def fold_each(residuals: Sequence[np.ndarray], geometry: Geometry, *, coarse: bool = False) -> list[np.ndarray]:
    """Return :func:`fold` of each of *residuals* (all one size) under one *geometry*.

    Where each pixel lands is worked out once for them all, which is most
    of the cost of a fold.  With *coarse*, each pixel of a shrunken image
    goes to its nearest tile position too, not spread over four (see
    :func:`_spread`): a third of the cost, and as good for the template,
    whose periods span several pixels, though not for the 2-pixel chips.
    """
    zoom = _whole_zoom(geometry)
    if zoom:
        return [_fold_zoomed(r, zoom) for r in residuals]
    shape = residuals[0].shape
    if any(r.shape != shape for r in residuals):
        raise ValueError("the residuals folded together must all be one size")
    bins = TILE if coarse else _bins(geometry)
    upright = _upright_bins(shape, geometry, sub=1) if coarse else _upright_bins(shape, geometry)
    if upright is not None:
        tiles = [_fold_upright(r, *upright, bins) for r in residuals]
    else:
        w = shape[1]
        tiles = [np.zeros(bins * bins) for _ in residuals]
        for top, index in _targets(shape, geometry, sub=bins // TILE):
            for r, out in zip(residuals, tiles, strict=True):
                values = r[top : top + index.size // w].ravel()
                out += np.bincount(index, weights=values, minlength=bins * bins)
        tiles = [out.reshape(bins, bins) for out in tiles]
    return tiles if bins == TILE else [_spread(tile, geometry) for tile in tiles]


def _upright_bins(
    shape: tuple[int, int], geometry: Geometry, *, sub: int | None = None
) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """Return the bins of a geometry that only rescales, flips and turns by quarters, or None.

    Under such a geometry the bin (see :func:`_targets`) of a pixel's row in
    the tile depends on one of its coordinates alone, and the bin of its
    column on the other: returned are the bins of the picture's rows and of
    its columns (each as :func:`_targets` works it out) and whether they
    cross over (a quarter turn: a row's bin gives the tile's column).
    *sub* is the bins per tile pixel each way (see :func:`_targets`).
    """
    sub = _bins(geometry) // TILE if sub is None else sub
    inverse = (np.linalg.inv(np.array(geometry.matrix)) * sub).astype(np.float32)
    if inverse[0, 1] == 0 and inverse[1, 0] == 0:
        by_row, by_col, crossed = inverse[0, 0], inverse[1, 1], False
    elif inverse[0, 0] == 0 and inverse[1, 1] == 0:
        by_row, by_col, crossed = inverse[1, 0], inverse[0, 1], True
    else:
        return None
    wrap = TILE * sub - 1
    h, w = shape
    # the same float32 arithmetic as _targets, whose other term is zero here
    rows = by_row * (np.arange(h, dtype=np.float32) + 0.5) - 0.5 * sub
    cols = by_col * (np.arange(w, dtype=np.float32) + 0.5) - 0.5 * sub
    return np.rint(rows).astype(np.int32) & wrap, np.rint(cols).astype(np.int32) & wrap, crossed


def _fold_upright(r: np.ndarray, rows: np.ndarray, cols: np.ndarray, crossed: bool, side: int) -> np.ndarray:
    """Sum *r* into the *side* x *side* bins of its rows and of its columns (see :func:`_upright_bins`).

    Two sparse products, rows then columns, instead of binning every pixel
    one by one.
    """
    by_row = sparse.csr_array((np.ones(rows.size), (rows, np.arange(rows.size))), shape=(side, rows.size))
    by_col = sparse.csr_array((np.ones(cols.size), (cols, np.arange(cols.size))), shape=(side, cols.size))
    folded = (by_row @ r) @ by_col.T  # (row bin, column bin)
    return folded.T if crossed else folded


class Folder:
    """:func:`fold` for many residuals of one size under one geometry.

    Where each pixel lands in the tile is worked out once, as a sparse matrix,
    so each later fold is one sparse product (about ten times faster than
    :func:`fold`).  A mapping bigger than *max_entries* is not kept; each
    fold then works it out again.
    """

    def __init__(self, shape: tuple[int, int], geometry: Geometry, *, max_entries: int = 12_000_000) -> None:
        self.shape = shape
        self.geometry = geometry
        self._matrix: sparse.csc_array | None = None
        h, w = shape
        if _whole_zoom(geometry) or h * w > max_entries:
            return
        index = np.concatenate([where for _, where in _targets(shape, geometry)])
        bins = _bins(geometry)
        self._matrix = sparse.csc_array(
            (np.ones(h * w, np.float32), index, np.arange(h * w + 1)), shape=(bins * bins, h * w)
        )

    def __call__(self, r: np.ndarray) -> np.ndarray:
        if r.shape != self.shape:
            raise ValueError(f"the residual must be {self.shape}, not {r.shape}")
        if self._matrix is None:
            return fold(r, self.geometry)
        # float32 throughout: SciPy would otherwise copy the whole matrix to
        # float64 on every product; each sum has only hundreds of terms
        folded = self._matrix @ r.ravel().astype(np.float32, copy=False)
        bins = _bins(self.geometry)
        return _spread(folded.astype(np.float64).reshape(bins, bins), self.geometry)


#: Sub-positions per tile pixel (each way) at which a shrunken image's pixels
#: are binned before being spread over the tile; a quarter of a tile pixel
#: is far finer than the mark's 2-pixel chips.
SUB = 4


def _spreads(geometry: Geometry) -> bool:
    """Whether *geometry* shrank the image, so each pixel stands for several of
    the mark's and is spread over the four nearest tile positions."""
    return geometry.scale < 1.0


def _bins(geometry: Geometry) -> int:
    """Return the side of the grid of bins that *geometry*'s pixels are summed into."""
    return TILE * SUB if _spreads(geometry) else TILE


def _spread(binned: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Return the TILE x TILE tile of *binned* sums (sub-positions, for a shrunken image).

    Each tile pixel takes every sub-position within one pixel of it, weighted
    by the bilinear tent: the same as spreading each pixel over its four
    nearest tile positions, with positions rounded to a quarter pixel.
    """
    if not _spreads(geometry):
        return binned
    near = 1.0 - np.arange(SUB) / SUB  # sub-position s of pixel i, to pixel i
    far = 1.0 - near  # and to pixel i + 1
    # rows, then columns: the (TILE, SUB) blocks of each column
    blocks = binned.reshape(TILE, SUB, TILE * SUB)
    rows = np.einsum("isn,s->in", blocks, near) + np.roll(np.einsum("isn,s->in", blocks, far), 1, axis=0)
    blocks = rows.reshape(TILE, TILE, SUB)
    return blocks @ near + np.roll(blocks @ far, 1, axis=1)


def _whole_zoom(geometry: Geometry) -> int:
    """Return the zoom of a geometry that only zooms by a whole number (1 for the identity), else 0."""
    m = np.array(geometry.matrix)
    zoom = round(m[0, 0])
    return zoom if zoom >= 1 and np.allclose(m, zoom * np.eye(2), atol=1e-9) else 0


def _fold_zoomed(r: np.ndarray, zoom: int) -> np.ndarray:
    # A pixel centre (i + 0.5) / zoom - 0.5 rounds to i // zoom: tiles of
    # zoom * TILE pixels are summed, then each zoom x zoom block of them.
    period = zoom * TILE
    h, w = r.shape
    ph, pw = -h % period, -w % period
    canvas = np.pad(r, ((0, ph), (0, pw))) if ph or pw else r
    big = canvas.reshape(canvas.shape[0] // period, period, canvas.shape[1] // period, period).sum(
        axis=(0, 2), dtype=np.float64
    )
    return big.reshape(TILE, zoom, TILE, zoom).sum(axis=(1, 3)) if zoom > 1 else big


def _targets(
    shape: tuple[int, int], geometry: Geometry, *, sub: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield, a band of rows at a time, the bin *geometry* sends each pixel to.

    Each item is (first row, flat bin indexes): the nearest tile position,
    or for a shrunken image the nearest sub-position (see :func:`_bins`);
    *sub*, if given, is the bins per tile pixel each way instead.
    """
    h, w = shape
    sub = _bins(geometry) // TILE if sub is None else sub
    inverse = (np.linalg.inv(np.array(geometry.matrix)) * sub).astype(np.float32)
    cols = np.arange(w, dtype=np.float32) + 0.5
    band = max(1, 131_072 // w)  # bands of rows keep memory flat and the work in cache
    side = TILE * sub
    wrap = side - 1  # a power of two: "& wrap" is "% side", negatives included
    for top in range(0, h, band):
        rows = np.arange(top, min(top + band, h), dtype=np.float32)[:, None] + 0.5
        # pixel centres: under a zoom of exactly 2 no pixel falls on a tie
        qr = (inverse[0, 0] * rows + inverse[0, 1] * cols - 0.5 * sub).ravel()
        qc = (inverse[1, 0] * rows + inverse[1, 1] * cols - 0.5 * sub).ravel()
        index = (np.rint(qr).astype(np.int32) & wrap) * side + (np.rint(qc).astype(np.int32) & wrap)
        yield top, index
