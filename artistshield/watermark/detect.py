"""Detection: find the key's mark, read its payload, and say how sure we are.

Two tests decide, and the reported p-value covers the whole search:

* the *sync* test: the normalised correlation of the folded image with the
  key's sync chips, maximised over every geometry slot (each geometry tried
  with one or more residuals folded under it: whitened, whitened twice,
  unweighted, along each pixel's smoothest direction), flip, quarter turn,
  cyclic shift and the two reads of each folded tile, and the few rescales
  of the best geometry tried when it read nothing.
  Under the null (an unmarked image, or a wrong key) the chip signs are
  independent fair coins, so by Hoeffding's inequality each tried position
  exceeds ``z`` with probability at most ``exp(-z**2 / 2)``, whatever the
  image; a union bound over the positions gives the p-value.
* the *tag* test: the decoded message's last 32 bits must equal the keyed HMAC
  of its payload, which a null decode manages with probability ``2**-32``,
  counted once per message checked: the best path at each of the best sync
  peaks, and a list of the next most likely messages at the very best one
  of each main slot (see :func:`.coding.decode_list`), ``_TAG_CHECKS`` in
  all.

The reported p-value is twice the smaller (a Bonferroni over the two tests).

:func:`detect_each` does that search for several keys (a union's key
epochs, an artist's own key and their union's) and works out once what no
key chooses; each key's search, and so its p-value, is the one
:func:`detect` does.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import cache, cached_property

import numpy as np
from scipy import fft, ndimage

from artistshield.watermark import coding, keys, mask, sync, template
from artistshield.watermark.embed import check_pixels
from artistshield.watermark.pattern import (
    CHIP,
    CODED_BITS,
    GRID,
    MESSAGE_BITS,
    PAYLOAD_BITS,
    TAG_BITS,
    TILE,
    layout,
    template_tile,
)

#: The p-value at or below which a mark is reported as found.
THRESHOLD = 1e-6
#: Variants of the folded tile tried: the eight flips and quarter turns,
#: each as folded and with its smooth part removed (see :func:`chip_sums`).
_VARIANTS = 16
#: Decode attempts per geometry slot: its best sync peaks over every variant
#: read (more read nothing more; ``docs/decisions/0007-second-looks.md``).
_DECODES_PER_GEOMETRY = 2
#: Messages whose tag the whole search may check, shared out over the
#: geometry slots: after the best path at each of a geometry's best peaks,
#: the rest go to a list of the likeliest messages at its very best peak.
#: 1024 checks hold the tag test's p-value to 2.4e-7.
_TAG_CHECKS = 1024
#: Sync z-score below which the list is not decoded: an unmarked image's
#: best peak scores about 4 to 5, and a mark that weak carries no readable
#: payload, so the list would only cost time.
_LIST_Z = 5.0
#: Geometries from the sync template's general search tried after the
#: identity, best first by :func:`_ranked` (the best upright geometry is
#: tried before them).  With the upright ones, a second best read nothing
#: more on the corpus.
_TEMPLATE_GEOMETRIES = 1
#: Geometries the template's general search proposes, and of those near
#: upright (see :func:`.template.estimate`), from which those tried are
#: chosen by how strongly the picture folded under each holds the template
#: (see :func:`_ranked`), and the side of the window folded for it, which
#: reads as well as a larger one and so pays for the near-upright guesses
#: (``docs/decisions/0009-template-phases.md``).
_TEMPLATE_CANDIDATES = 8
_NEAR_CANDIDATES = 4
_RANK_WINDOW = 384
#: Lattices from the tiling's autocorrelation tried last: format 1 marks have
#: no template, so this is how they are resynchronised.
_LATTICES = 1
#: Correlation (in standard deviations) of a found mark with the key's sync
#: template above which it is told to be format 2: format 2 marks score far
#: above it, format 1 marks (which have no template) near zero.
_TEMPLATE_Z = 6.0


@dataclass(frozen=True)
class Detection:
    """What :func:`detect` found.

    ``found`` is true only when ``p_value`` (the chance that an unmarked image,
    or an image checked with the wrong key, scores this high under the search
    that was done) is at most 1e-6.  ``payload`` is the decoded payload when
    its keyed tag checked out, else None.
    """

    found: bool
    payload: int | None
    p_value: float
    score: float  # the best sync z-score
    scale: float | None = None
    rotation: float | None = None  # degrees
    flipped: bool | None = None
    offset: tuple[int, int] | None = None  # tile offset (row, col) in the mark's frame
    format_version: int | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Candidate:
    z: float
    variant: int
    shift: tuple[int, int]
    geometry: sync.Geometry
    box: np.ndarray  # the variant's chip-summed tile
    tile: int = 0  # which of the tiles given to the search that found it


@dataclass(frozen=True)
class Folded:
    """A folded tile to search, the geometry it was folded under and the variants to read."""

    geometry: sync.Geometry
    tile: np.ndarray
    variants: Sequence[int] = range(_VARIANTS)
    listed: bool = True  # whether its best peak may get a list of messages

    @cached_property
    def sums(self) -> "ChipSums":
        """The tile's chip sums and their spectra, which any key's sync chips are read from."""
        return ChipSums(self.tile, self.variants)


def _variant(tile: np.ndarray, k: int) -> np.ndarray:
    t = np.rot90(tile, k % 4)
    return np.fliplr(t) if k >= 4 else t


def _smooth_removed(folded: np.ndarray) -> np.ndarray:
    """Return a folded tile less its (cyclic) 3x3 mean.

    A small picture folds only a few periods, which leave the smooth part of
    its residual in the tile; the chips are sharp, so taking that away loses
    little of the mark and much of the noise once a blur has left little of
    the chips' sharpness.  After heavy JPEG it is the other way round, as what survives of the mark
    is its smoother part, so the search tries both.
    """
    return folded - ndimage.uniform_filter(folded, 3, mode="wrap")


def chip_sums(folded: np.ndarray, variants: Iterable[int] = range(_VARIANTS)) -> list[np.ndarray]:
    """Return the chip-summed tiles that the sync and payload chips are read from.

    One for each of *variants* (0 to 15, all by default): the flip and quarter
    turn of *folded* (the variant modulo 8), as folded (below 8) or with its
    smooth part removed (8 and up), which is worked out once.
    """
    smooth_removed = None
    sums = []
    for variant in variants:
        tile = folded
        if variant >= 8:
            if smooth_removed is None:
                smooth_removed = _smooth_removed(folded)
            tile = smooth_removed
        sums.append(_box(_variant(tile, variant % 8)))
    return sums


class ChipSums:
    """The chip-summed tiles of one folded tile (see :func:`chip_sums`) and their spectra.

    None of it depends on the key, so a tile searched for several keys is
    summed and transformed once; each key then only correlates its own
    sync chips with it (:meth:`_Reference.zmaps`).  Only the tile as folded
    and with its smooth part removed are summed and transformed: a flip or
    a quarter turn of a tile only moves its chip sums about, so each key
    reads every variant from those two with its sync chips moved the other
    way (see :func:`_moves`).
    """

    def __init__(self, tile: np.ndarray, variants: Iterable[int] = range(_VARIANTS)) -> None:
        self.variants = list(variants)
        plain = tile.astype(np.float32)  # as zmap reads them
        self._tiles = (plain, _smooth_removed(plain) if any(v >= 8 for v in self.variants) else plain)
        wanted = sorted({v >= 8 for v in self.variants})
        self.spectra = {smooth: _BoxSpectra.of(_box(self._tiles[smooth])) for smooth in wanted}

    def box(self, variant: int) -> np.ndarray:
        """Return the chip-summed tile of *variant*, as :func:`chip_sums` gives it."""
        return _box(_variant(self._tiles[variant >= 8], variant % 8))


@cache
def _moves(turn: int) -> tuple[np.ndarray, np.ndarray]:
    """Return where flip-and-quarter-turn *turn* (0 to 7, as :func:`_variant`) moves chip sums and shifts.

    Two flat index arrays over the tile: ``moved``, such that the chip sums
    of the turned tile are those of the tile itself at ``moved`` (each
    CHIP x CHIP block of a turned tile is a block of the tile, anchored at
    another corner); and ``shifts``, such that a cyclic shift ``s`` of the
    turned tile's chip sums is the shift ``shifts[s]`` of the tile's.
    """
    index = np.arange(TILE * TILE).reshape(TILE, TILE)
    rows, cols = np.divmod(_variant(index, turn), TILE)  # the turned tile's pixel p is the tile's (rows, cols)[p]

    def anchor(a: np.ndarray) -> np.ndarray:
        # the block's rows (or columns) are a[p] - j .. a[p] - j + CHIP - 1 for the j found here
        reach = np.min(
            [(np.roll(a, (-dr, -dc), axis=(0, 1)) - a + CHIP - 1) % TILE for dr in range(CHIP) for dc in range(CHIP)],
            axis=0,
        )
        return (a - (CHIP - 1 - reach)) % TILE

    top, left = anchor(rows), anchor(cols)
    moved = top * TILE + left
    shifts = ((top - top[0, 0]) % TILE) * TILE + (left - left[0, 0]) % TILE
    for a in (moved, shifts):
        a.setflags(write=False)
    return moved.ravel(), shifts.ravel()


def _box(tile: np.ndarray) -> np.ndarray:
    """Sum each CHIP x CHIP block starting at every pixel (cyclically)."""
    out = tile.copy()
    for dr in range(CHIP):
        for dc in range(CHIP):
            if dr or dc:
                out += np.roll(tile, (-dr, -dc), axis=(0, 1))
    return out


#: The share of a folded tile's energy below which a shift's sync chips
#: are taken to hold nothing (see :meth:`_Reference.zmap`).
_EMPTY = 1e-4


@dataclass(frozen=True)
class _BoxSpectra:
    """What :meth:`_Reference.zmap` needs of a chip-summed tile, whatever the key."""

    shape: tuple[int, int]
    box: np.ndarray  # rfft2 of the tile, single precision
    energy: np.ndarray  # rfft2 of its square
    floor: float  # the energy below which a shift holds nothing

    @classmethod
    def of(cls, box: np.ndarray) -> "_BoxSpectra":
        # single precision halves the cost; its sums are good to about 1e-6
        # of the tile's energy, so a shift whose sync chips hold less than
        # _EMPTY of it (a corner a small picture never folded into) gets
        # zero rather than a ratio of rounding errors
        box = box.astype(np.float32, copy=False)
        floor = max(_EMPTY * float(np.dot(box.ravel(), box.ravel())), 1e-12)
        return cls((box.shape[0], box.shape[1]), fft.rfft2(box), fft.rfft2(box * box), floor)


class _Reference:
    """The key's sync chips as sparse tiles, in the Fourier domain."""

    def __init__(self, key: bytes) -> None:
        lay = layout(key)
        rows, cols = np.divmod(lay.sync_index, GRID)
        signs = np.zeros((TILE, TILE))
        ones = np.zeros((TILE, TILE))
        signs[rows * CHIP, cols * CHIP] = lay.sync_sign
        ones[rows * CHIP, cols * CHIP] = 1.0
        # for each flip and quarter turn of a tile, the sync chips moved as
        # its chip sums move (see _moves), so every variant is read from the
        # sums of the tile itself
        moved = [_moves(turn)[0] for turn in range(8)]
        self._signs_f = _conj_spectra(signs, moved)
        self._ones_f = _conj_spectra(ones, moved)
        self.layout = lay
        # the template as the detector sees it: whitened (as sync.whiten does) and chip-summed
        t = template_tile(key).astype(np.float64)
        self.template = _box(t - ndimage.uniform_filter(t, sync.PREDICTOR, mode="wrap"))

    def format_version(self, cand: _Candidate) -> int:
        """Tell a format 2 mark (which has the sync template) from a format 1 mark."""
        t = np.roll(self.template, cand.shift, axis=(0, 1))
        z = float((cand.box * t).sum() / (cand.box.std() * np.sqrt((t * t).sum()) + 1e-12))
        return 2 if z >= _TEMPLATE_Z else 1

    def zmap(self, box: np.ndarray) -> np.ndarray:
        """Return the sync z-score of every cyclic shift of a chip-summed tile."""
        return self.zmap_of(_BoxSpectra.of(box))

    def zmap_of(self, spectra: _BoxSpectra) -> np.ndarray:
        """:meth:`zmap` of the chip-summed tile whose *spectra* are given."""
        return self._zmap(spectra, 0)

    def zmaps(self, sums: ChipSums) -> np.ndarray:
        """Return the :meth:`zmap` of the chip sums of each of *sums*' variants, stacked."""
        out = np.empty((len(sums.variants), TILE * TILE), np.float32)
        for z, variant in zip(out, sums.variants, strict=True):
            turn = variant % 8
            z[:] = self._zmap(sums.spectra[variant >= 8], turn).ravel().take(_moves(turn)[1])
        return out.reshape(-1, TILE, TILE)

    def _zmap(self, spectra: _BoxSpectra, turn: int) -> np.ndarray:
        """Return :meth:`zmap_of` of *spectra* with the sync chips moved as *turn* moves chip sums.

        Its shift ``s`` is that of the chip sums turned by *turn* at ``_moves(turn)[1][s]``.
        """
        s = fft.irfft2(spectra.box * self._signs_f[turn], spectra.shape)
        v = fft.irfft2(spectra.energy * self._ones_f[turn], spectra.shape)
        floor = spectra.floor
        return np.where(v > floor, s, 0.0) / np.sqrt(np.maximum(v, floor))


def _conj_spectra(chips: np.ndarray, moved: list[np.ndarray]) -> np.ndarray:
    """Return the conjugate spectra of *chips* moved by each of *moved* (``out[moved] = chips``), stacked."""
    tiles = np.zeros((len(moved), TILE * TILE), np.float32)
    for tile, where in zip(tiles, moved, strict=True):
        tile[where] = chips.ravel()
    return np.conj([fft.rfft2(tile.reshape(TILE, TILE)) for tile in tiles])


def _soft_bits(ref: _Reference, box: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
    """Return the normalised soft value of every coded bit at *shift*."""
    lay = ref.layout
    rows, cols = np.divmod(lay.payload_index, GRID)
    y = box[(rows * CHIP + shift[0]) % TILE, (cols * CHIP + shift[1]) % TILE] * lay.payload_sign
    num = np.bincount(lay.payload_bit, weights=y, minlength=CODED_BITS)
    count = np.bincount(lay.payload_bit, minlength=CODED_BITS)
    # one noise level for all chips: a bit's own few chips say too little
    noise = np.sqrt(max(float(np.mean(y * y)), 1e-12))
    return num / (noise * np.sqrt(count))


def _peaks(zs: np.ndarray, count: int) -> list[tuple[int, tuple[int, int]]]:
    """Return the *count* highest (variant, shift) of stacked z maps *zs*, highest first.

    The *count* highest are at least the *count*-th highest of the maps'
    own maxima, so only the few values that reach it are sorted.
    """
    maxima = zs.max(axis=(1, 2))
    floor = np.sort(maxima)[-min(count, maxima.size)]
    flat = zs.ravel()
    top = np.flatnonzero(flat >= floor)
    top = top[np.argsort(-flat[top], kind="stable")][:count]
    out = []
    for i in top:
        k, row, col = np.unravel_index(int(i), zs.shape)
        out.append((int(k), (int(row), int(col))))
    return out


def _hoeffding(z: float, tests: int) -> float:
    return float(min(1.0, tests * np.exp(-0.5 * z * z)))


def detect(pixels: np.ndarray, key: bytes) -> Detection:
    """Look for *key*'s mark in *pixels* (HxWx3 or HxWx4 uint8)."""
    return detect_each(pixels, [key])[0]


def detect_each(
    pixels: np.ndarray, watermark_keys: Sequence[bytes], *, until_found: bool = False
) -> list[Detection]:
    """Look for the mark of each of *watermark_keys* in *pixels*: :func:`detect` of each, in order.

    With *until_found*, the keys after the first whose mark is found are not
    searched and get no :class:`Detection` (the list is shorter): for keys of
    which a picture carries one mark at most, such as a union's key epochs,
    whose member marks with one epoch's key.

    Each key gets the search :func:`detect` does, so each p-value means what
    it means there; whoever weighs the keys' findings together has tried
    that many keys.  What no key chooses is worked out once for them all:
    the residuals, their folds as they are and under the tiling's lattice,
    the chip sums of those tiles and their spectra, and the template's
    spectrum of each residual.  Per key remain where its template puts the
    geometry, the folds under that, the correlation with its sync chips and
    the decode.  A later key reuses what an earlier one's search got to.
    """
    check_pixels(pixels)
    checked = [keys.check_key(key) for key in watermark_keys]
    residuals = _Residuals(mask.luma(pixels))
    found: list[Detection] = []
    for key in checked:
        found.append(_detect_in(residuals, key))
        if until_found and found[-1].found:
            break
    return found


def _detect_in(residuals: "_Residuals", key: bytes) -> Detection:
    """:func:`detect` of *key* in a picture's *residuals*."""
    ref = _Reference(key)
    slots = _SLOTS + len(_POLISH_KINDS) * len(_POLISH_STEPS)
    found, cand = search(ref, key, _tiles(residuals, key), slots=slots, listed=_SLOTS)
    if found.payload is not None or cand.z < _POLISH_Z or cand.geometry.is_identity():
        return found
    polished = _polished(residuals, cand.geometry)
    return search(ref, key, polished, slots=slots, listed=_SLOTS, best=cand)[0]


def balanced(folded: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """Return a *folded* residual with each tile position divided by the root of the *energy* folded into it.

    *energy* is the square of the residual, folded the same way.  Where
    several copies of the tile fall on a drawing's lines and corners, the
    drawing folds into a few tile positions far more strongly than the
    mark, and those positions outshout the rest: the mark of flat art on a
    blank page can be wholly there and still not read.  Weighting each
    position by its own noise hears every position alike.  The weights
    come from the picture alone, never from the key's chips, so the sync
    test's Hoeffding bound holds as it does for any tile.
    """
    floor = 1e-3 * float(energy.mean()) + 1e-12  # a position nothing folded into stays zero
    return folded / np.sqrt(energy + floor)


#: Side of the blocks whose means :func:`drawn_weight` compares, and the
#: contrast (in grey levels, between those means) at which it gives half weight.
_DRAWN_BLOCK = 4
_DRAWN_CONTRAST = 4.0
#: The most pixels of a picture whose balanced residual is folded under the
#: template's upright geometry: what it reads there is small drawings
#: rescaled, and on a large picture that fold costs more than it reads.
#: Skipped, it is still counted in the p-value.
_BALANCED_PIXELS = 1_000_000


def drawn_weight(luma: np.ndarray) -> np.ndarray:
    """Return a weight from 0 to 1 for each pixel: how much drawing lies within a few pixels of it.

    The mark sits where a picture has edges and texture; a drawing's blank
    page (flat white, once flattened) carries none, but after noise or
    JPEG it carries their noise, which on small clip art is most of what a
    fold adds up.  The contrast between the means of 4x4 blocks over 3x3
    of them tells a drawing's edges from noise, which those means average
    away, at a sixteenth of the cost of looking at every pixel.
    """
    h, w = luma.shape
    means = mask.box_mean(luma, _DRAWN_BLOCK, step=_DRAWN_BLOCK)
    contrast = mask.local_contrast(means, 3)
    contrast *= contrast
    weight = contrast / (contrast + _DRAWN_CONTRAST**2)
    return np.repeat(np.repeat(weight, _DRAWN_BLOCK, axis=0), _DRAWN_BLOCK, axis=1)[:h, :w]


#: The residuals folded under a geometry the template found, by name.
_KINDS = ("whitened", "unweighted", "directional")


class _Residuals:
    """The residuals of one picture's luma that the mark is looked for in, each made when first asked for.

    ``whitened`` and its local ``energy`` (see
    :func:`.sync.whiten_keeping_energy`), ``unweighted`` (the whitened one
    times its energy: the residual before the division) and ``directional``
    (see :func:`.sync.whiten_directional`).  A marked picture usually reads
    from the first, so it never pays for the others.  What every key's
    search reads alike (the folds under geometries no key chose, the
    template's spectra, the lattice) is kept for the next key.
    """

    def __init__(self, luma: np.ndarray) -> None:
        self.luma = luma
        self.whitened, self.energy = sync.whiten_keeping_energy(luma)
        self._shared: dict[tuple[str, object], Folded] = {}  # by residual and geometry
        self._spectra: dict[str, template._Spectrum | None] = {}

    @property
    def small(self) -> bool:
        """Whether the picture is small enough that its balanced residual is folded under the template's geometries."""
        return self.luma.size <= _BALANCED_PIXELS

    @cached_property
    def unweighted(self) -> np.ndarray:
        return self.whitened * self.energy

    @cached_property
    def directional(self) -> np.ndarray:
        return sync.whiten_directional(self.luma)

    @cached_property
    def drawn(self) -> np.ndarray:
        """The directional residual weighted by how much drawing is near each pixel (see :func:`drawn_weight`)."""
        return self.directional * drawn_weight(self.luma)

    @cached_property
    def drawn_energy(self) -> np.ndarray:
        return self.drawn * self.drawn

    def shared(self, kind: str, geometry: sync.Geometry) -> Folded:
        """Return residual *kind* folded under a *geometry* no key chose (as is, the lattice's), made once.

        ``reweighted`` is the whitened residual divided by its energy once
        more; ``balanced`` is the directional one folded, each tile position
        weighted by what folded into it (see :func:`balanced`).
        """
        found = self._shared.get((kind, geometry.matrix))
        if found is None:
            if kind == "reweighted":
                tile = sync.fold(self.whitened / self.energy, geometry)
            else:
                tile = self._folded((kind,), geometry)[kind]
            found = self._shared[kind, geometry.matrix] = Folded(geometry, tile)
        return found

    def _folded(self, kinds: Sequence[str], geometry: sync.Geometry) -> dict[str, np.ndarray]:
        """Return the residuals named in *kinds* folded under *geometry*, by name, in one pass."""
        folds = [kind for kind in kinds if kind != "balanced"]
        if "balanced" in kinds:
            folds += ["drawn", "drawn_energy"]
        out = dict(zip(folds, sync.fold_each([getattr(self, kind) for kind in folds], geometry), strict=True))
        if "balanced" in kinds:
            out["balanced"] = balanced(out["drawn"], out["drawn_energy"])
        return out

    @cached_property
    def lattices(self) -> list[sync.Geometry]:
        """The geometries the tiling's autocorrelation proposes (for format 1 marks)."""
        return sync.estimate(self.whitened, count=_LATTICES)

    def spectrum(self, kind: str) -> template._Spectrum | None:
        """The template's spectrum of residual *kind* (see :func:`.template.spectrum`), made once."""
        if kind not in self._spectra:
            self._spectra[kind] = template.spectrum(getattr(self, kind), signs=kind == "directional")
        return self._spectra[kind]

    def under(self, geometry: sync.Geometry, kinds: Sequence[str] = _KINDS, *, listed: bool = True) -> list[Folded]:
        """Return the tiles of the residuals named in *kinds* folded under a geometry the template found."""
        tiles = self._folded(kinds, geometry)
        return [
            Folded(geometry, tiles[kind], _PLAIN_HALF_TURNS if kind == "unweighted" else _HALF_TURNS, listed)
            for kind in kinds
        ]


#: Relative rescales of the best geometry tried when a strong sync peak
#: gave no payload (see :func:`_polished`).
_POLISH_STEPS = (-0.004, -0.003, -0.002, -0.001, 0.001, 0.002, 0.003, 0.004)
#: Sync z-score from which a geometry that read no payload is polished.  An
#: unmarked image seldom scores this high, so it seldom pays for it.
_POLISH_Z = 6.0
#: The residuals folded at each polishing step (the last for small pictures only).
_POLISH_KINDS = (*_KINDS, "balanced")


def _polished(residuals: _Residuals, geometry: sync.Geometry) -> Iterator[Folded]:
    """Yield the tiles folded under *geometry* rescaled by each of ``_POLISH_STEPS``, every residual.

    The template measures a scale from a few weak spectral peaks; on flat
    art fitted to a feed's width it can be 0.3% out, which over a 1080-pixel
    picture moves the far chips by several tile pixels.  Folding at nearby
    scales finds the one the chips line up at.  The balanced residual only
    for a small picture, as under the template's geometries.
    """
    matrix = np.array(geometry.matrix)
    kinds = _POLISH_KINDS if residuals.small else _KINDS
    for step in _POLISH_STEPS:
        g = sync.Geometry(matrix=tuple(map(tuple, (matrix * (1.0 + step)).tolist())))  # type: ignore[arg-type]
        yield from residuals.under(g, kinds, listed=False)


#: The variants read under a geometry from the template, which has found
#: the turn (quarter turns included) but not a half turn, as the spectrum of
#: a picture is the same turned by half a turn, nor a mirror: the even ones.
#: Of an unweighted residual's tile only the plain reads: its smooth part
#: is the picture's own and never gave the winning read.
_HALF_TURNS = range(0, _VARIANTS, 2)
_PLAIN_HALF_TURNS = range(0, 8, 2)

#: Geometry slots :func:`detect` searches: the identity four times (as
#: whitened, directional, directional balanced, and weighted once more);
#: then, from the template, each general geometry directional and
#: balanced, the upright one unweighted, directional and balanced, and the
#: upright one of the unweighted residual unweighted; the lattice's, as
#: whitened.
_SLOTS = 4 + 2 * _TEMPLATE_GEOMETRIES + 3 + 1 + _LATTICES


def _tiles(residuals: _Residuals, key: bytes) -> Iterator[Folded]:
    """Yield the folded tiles to search, the likeliest first.

    Folded lazily, as the search stops at the first valid payload: as is;
    as is along each pixel's smoothest direction (for drawn art, see
    :func:`.sync.whiten_directional`), folded plain and balanced (see
    :func:`balanced`, for small drawings on a blank page);
    as is once more with the residual divided by its local energy again,
    trusting busy places less (see :func:`.sync.whiten_keeping_energy`, for
    a blurred copy); then under each geometry that the template and the
    lattice propose.
    """
    identity = sync.Geometry()
    for kind in ("whitened", "directional", "balanced", "reweighted"):
        yield residuals.shared(kind, identity)
    for g, kinds in _geometries(residuals, key):
        if kinds:
            yield from residuals.under(g, kinds)
        else:  # the lattice's
            yield residuals.shared("whitened", g)


def _geometries(residuals: _Residuals, key: bytes) -> Iterator[tuple[sync.Geometry, tuple[str, ...]]]:
    """Yield each distinct geometry to try (never the identity) and the residuals to fold under it.

    From the template's search of the directional residual (and its signs,
    see :func:`.template.spectrum`): its best upright geometry, folded
    unweighted, directional and (for a picture of at most
    ``_BALANCED_PIXELS``) balanced (see :func:`balanced`), and the one of
    its eight best general geometries and four best near-upright ones that
    holds the template most strongly (see :func:`_ranked`), folded
    directional and (for such a picture) balanced; then from the template's
    upright search of the unweighted residual, folded unweighted; then the
    lattice's, for format 1 marks (which have no template), as whitened
    (with no residual named, as the lattice leaves every turn and flip to
    find).  Each search is only done when the search gets to it.

    A residual that leaves the drawing out finds flat art's geometry where
    the whitened one's does not, and a painting's as well.  Its search
    scores only the power at the template's peaks, and on small flat art
    the true turn is often its second to eighth guess, which the template's
    phases single out; often it is not among the eight at all, while among
    the geometries near upright it ranks far higher.  The unweighted
    residual is for art whose mark sits on a few edges: after a rescale and
    JPEG only the edges carry it.  The balanced fold reads small
    drawings on a blank page that a rescale or a turn left weak.  Other
    residuals under these geometries read nothing more.  The figures behind
    each choice are in ``docs/decisions/`` (0007, 0009, 0011 and 0015).
    """
    seen: list[tuple[sync.Geometry, set[str]]] = []

    def fresh(g: sync.Geometry, kinds: tuple[str, ...]) -> Iterator[tuple[sync.Geometry, tuple[str, ...]]]:
        # two searches may refine one geometry to nearly the same matrix:
        # fold only what was not folded under it yet
        if g.is_identity():
            return
        done = next((folded for k, folded in seen if k.near(g)), None)
        if done is None:
            seen.append((g, set(kinds) or {"lattice"}))
            yield g, kinds
        elif kinds and not set(kinds) <= done:
            todo = tuple(kind for kind in kinds if kind not in done)
            done.update(todo)
            yield g, todo

    found = template.estimate(
        residuals.spectrum("directional"),
        key,
        count=_TEMPLATE_CANDIDATES,
        upright=True,
        near=_NEAR_CANDIDATES,
    )
    # the upright one (last) first: the general one is often nearly the same
    balanced = ("balanced",) if residuals.small else ()
    for g in found[-1:]:
        yield from fresh(g, ("unweighted", "directional", *balanced))
    ranked = _ranked(residuals.directional, key, found[:-1], drawn=(residuals.drawn, residuals.drawn_energy))
    for g in ranked[:_TEMPLATE_GEOMETRIES]:
        yield from fresh(g, ("directional", *balanced))
    for g in template.estimate(residuals.spectrum("unweighted"), key, count=0, upright=True):
        yield from fresh(g, ("unweighted",))
    for g in residuals.lattices:
        yield from fresh(g, ())


def _ranked(
    r: np.ndarray,
    key: bytes,
    geometries: list[sync.Geometry],
    *,
    drawn: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[sync.Geometry]:
    """Return *geometries* ordered by how strongly *r* folded under each holds the key's template.

    Only the window of *r* richest in residual is folded (at most
    ``_RANK_WINDOW`` a side), which is all of a small picture and plenty
    of a large one.  With *drawn* (the drawn residual and its energy, see
    :attr:`_Residuals.drawn`), that window of it is folded balanced (see
    :func:`balanced`) instead: on a drawing whose mark sits on its lines,
    the template stands out of it about twice as far, and a chance guess
    seldom outscores the true one.  The choice uses the template alone,
    never the sync chips, whose signs come from a separate stream of the
    key: the sync test's p-value counts only the geometries folded for it.
    """
    if len(geometries) < 2:
        return geometries
    window = template.richest_window(r, _RANK_WINDOW)
    if drawn is None:
        tiles = (sync.fold(r[window], g) for g in geometries)
    else:
        parts = [a[window] for a in drawn]
        tiles = (balanced(*sync.fold_each(parts, g, coarse=True)) for g in geometries)
    scores = [template.coherence(tile, key) for tile in tiles]
    # stable: equal scores (a window with nothing in it) keep the spectrum's order
    return [geometries[i] for i in np.argsort(-np.array(scores), kind="stable")]


def search(
    ref: _Reference,
    key: bytes,
    tiles: Iterable[Folded],
    *,
    slots: int,
    listed: int | None = None,
    best: _Candidate | None = None,
) -> tuple[Detection, _Candidate]:
    """Search folded *tiles* for the mark; return it and where.

    *slots* is the most tiles the caller could search in all, *listed* the
    most of them that may get a list of messages (all by default): the
    p-value counts them all, so stopping early at a valid tag never makes
    it look smaller than it is.  *best* carries the best candidate of an
    earlier search of the same slots over.  Used by :func:`detect` and by
    pooled detection.
    """
    listed = slots if listed is None else listed
    tests = 2 * slots * _VARIANTS * TILE * TILE
    list_size = (_TAG_CHECKS - slots * _DECODES_PER_GEOMETRY) // listed
    decodes = slots * _DECODES_PER_GEOMETRY + listed * max(list_size, 0)
    for number, folded in enumerate(tiles):
        sums = folded.sums
        variants = sums.variants
        zs = ref.zmaps(sums)
        here = [
            _Candidate(float(zs[i][shift]), variants[i], shift, folded.geometry, sums.box(variants[i]), number)
            for i, shift in _peaks(zs, _DECODES_PER_GEOMETRY)
        ]
        if best is None or here[0].z > best.z:
            best = here[0]
        tries = [(here[:_DECODES_PER_GEOMETRY], 1)]
        if folded.listed and list_size > 1 and here[0].z >= _LIST_Z:
            tries.append((here[:1], list_size))
        for cands, size in tries:
            decoded = _decode(ref, key, cands, size)
            if decoded is not None:
                cand, payload = decoded
                p_sync = _hoeffding(best.z, tests)
                p_tag = decodes * 2.0**-TAG_BITS
                p = min(1.0, 2.0 * min(p_sync, p_tag))
                return _result(ref, cand, payload, p), cand
    if best is None:
        raise ValueError("nothing to search: no folded tiles were given")
    return _result(ref, best, None, min(1.0, 2.0 * _hoeffding(best.z, tests))), best


def _decode(ref: _Reference, key: bytes, cands: list[_Candidate], size: int = 1) -> tuple[_Candidate, int] | None:
    """Return the first of *cands* whose keyed tag checks out, with its payload, or None.

    With *size* 1 the best message at each of *cands* is checked (decoded
    in one pass); above 1, the *size* likeliest messages at the one
    candidate given, the likeliest first.
    """
    soft = np.stack([_soft_bits(ref, cand.box, cand.shift) for cand in cands])
    if size == 1:
        messages = coding.decode_each(soft, MESSAGE_BITS)
        owners = cands
    else:
        (cand,) = cands
        messages = coding.decode_list(soft[0], MESSAGE_BITS, size)
        owners = [cand] * len(messages)
    payloads = coding.rows_to_ints(messages[:, :PAYLOAD_BITS])
    tags = coding.rows_to_ints(messages[:, PAYLOAD_BITS:])
    for cand, payload, tag in zip(owners, payloads, tags, strict=True):
        if tag == keys.tag(key, payload, PAYLOAD_BITS, TAG_BITS):
            return cand, payload
    return None


def _turned(rotation: float, variant: int) -> float:
    """Add the quarter turns of *variant* to *rotation*, in (-180, 180]."""
    total = rotation - 90.0 * (variant % 4)
    return float(-((-total + 180.0) % 360.0) + 180.0)


def _result(ref: _Reference, cand: _Candidate, payload: int | None, p: float) -> Detection:
    found = p <= THRESHOLD
    g = cand.geometry
    return Detection(
        found=found,
        payload=payload if found else None,
        p_value=p,
        score=cand.z,
        scale=g.scale if found else None,
        rotation=_turned(g.rotation, cand.variant) if found else None,
        flipped=(cand.variant % 8 >= 4) if found else None,
        offset=cand.shift if found else None,
        format_version=ref.format_version(cand) if found else None,
    )
