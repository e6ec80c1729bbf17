"""Detection: find the key's mark, read its payload, and say how sure we are.

Two tests decide, and the reported p-value covers the whole search:

* the *sync* test: the normalised correlation of the folded image with the
  key's sync chips, maximised over every geometry (and the second whitening
  of the picture as it is), flip, quarter turn, cyclic shift and the two
  reads of each folded tile tried.  Under the null (an unmarked image, or a wrong key) the
  chip signs are independent fair coins, so by Hoeffding's inequality each
  tried position exceeds ``z`` with probability at most ``exp(-z**2 / 2)``,
  whatever the image; a union bound over the positions gives the p-value.
* the *tag* test: the decoded message's last 32 bits must equal the keyed HMAC
  of its payload, which a null decode manages with probability ``2**-32``,
  counted once per message checked: the best path at each of the best sync
  peaks, and a list of the next most likely messages at the very best one
  (see :func:`.coding.decode_list`), ``_TAG_CHECKS`` in all.

The reported p-value is twice the smaller (a Bonferroni over the two tests).
"""

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

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
#: Decode attempts per geometry (the best sync peaks).
_DECODES_PER_GEOMETRY = 4
#: Messages whose tag the whole search may check, shared out over the
#: geometry slots: after the best path at each of a geometry's best peaks,
#: the rest go to a list of the likeliest messages at its very best peak.
#: 1024 checks hold the tag test's p-value to 2.4e-7.
_TAG_CHECKS = 1024
#: Sync z-score below which the list is not decoded: an unmarked image's
#: best peak scores about 4 to 5, and a mark that weak carries no readable
#: payload, so the list would only cost time (about 60 ms a geometry).
_LIST_Z = 5.0
#: Geometries from the sync template tried after the identity, best first.
_TEMPLATE_GEOMETRIES = 2
#: Lattices from the tiling's autocorrelation tried last: format 1 marks have
#: no template, so this is how they are resynchronised.
_LATTICES = 1
#: Correlation (in standard deviations) of a found mark with the key's sync
#: template above which it is told to be format 2: format 2 marks score 12
#: to 60, format 1 marks (which have no template) within about 2 of zero.
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


def _variant(tile: np.ndarray, k: int) -> np.ndarray:
    t = np.rot90(tile, k % 4)
    return np.fliplr(t) if k >= 4 else t


def _smooth_removed(folded: np.ndarray) -> np.ndarray:
    """Return a folded tile less its (cyclic) 3x3 mean.

    A small picture folds only a few periods, which leave the smooth part of
    its residual in the tile; the chips are sharp, so taking that away loses
    little of the mark and much of the noise once a blur has left little of
    the chips' sharpness (a blurred cel's sync score at its true place,
    lowest fifth of the corpus: 4.3 as folded, 7.3 without the smooth part).
    After heavy JPEG it is the other way round, as what survives of the mark
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


def _box(tile: np.ndarray) -> np.ndarray:
    """Sum each CHIP x CHIP block starting at every pixel (cyclically)."""
    out = tile.copy()
    for dr in range(CHIP):
        for dc in range(CHIP):
            if dr or dc:
                out += np.roll(tile, (-dr, -dc), axis=(0, 1))
    return out


class _Reference:
    """The key's sync chips as sparse tiles, in the Fourier domain."""

    def __init__(self, key: bytes) -> None:
        lay = layout(key)
        rows, cols = np.divmod(lay.sync_index, GRID)
        signs = np.zeros((TILE, TILE))
        ones = np.zeros((TILE, TILE))
        signs[rows * CHIP, cols * CHIP] = lay.sync_sign
        ones[rows * CHIP, cols * CHIP] = 1.0
        self.signs_f = np.conj(fft.rfft2(signs))
        self.ones_f = np.conj(fft.rfft2(ones))
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
        s = fft.irfft2(fft.rfft2(box) * self.signs_f, box.shape)
        v = fft.irfft2(fft.rfft2(box * box) * self.ones_f, box.shape)
        return s / np.sqrt(np.maximum(v, 1e-12))


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


def _peaks(z: np.ndarray, count: int) -> list[tuple[int, int]]:
    """Return the positions of the *count* highest values of *z*, highest first."""
    flat = z.ravel()
    top = np.argpartition(flat, flat.size - count)[-count:]
    top = top[np.argsort(flat[top])[::-1]]
    return [tuple(int(v) for v in np.unravel_index(i, z.shape)) for i in top]  # type: ignore[misc]


def _hoeffding(z: float, tests: int) -> float:
    return float(min(1.0, tests * np.exp(-0.5 * z * z)))


def detect(pixels: np.ndarray, key: bytes) -> Detection:
    """Look for *key*'s mark in *pixels* (HxWx3 or HxWx4 uint8)."""
    check_pixels(pixels)
    key = keys.check_key(key)
    ref = _Reference(key)
    r, energy = sync.whiten_keeping_energy(mask.luma(pixels))
    return search(ref, key, _tiles(r, energy, key), slots=2 + _TEMPLATE_GEOMETRIES + _LATTICES)[0]


def _tiles(r: np.ndarray, energy: np.ndarray, key: bytes) -> Iterator[tuple[sync.Geometry, np.ndarray]]:
    """Yield the folded tiles to search, each with its geometry, the likeliest first.

    Folded lazily, as the search stops at the first valid payload: as is;
    as is once more with *r* divided by its local *energy* again, trusting
    busy places less (see :func:`.sync.whiten_keeping_energy`, for a blurred
    copy); then under each geometry the template and the lattice propose.
    """
    yield sync.Geometry(), sync.fold(r, sync.Geometry())
    yield sync.Geometry(), sync.fold(r / energy, sync.Geometry())
    for g in _geometries(r, key):
        yield g, sync.fold(r, g)


def _geometries(r: np.ndarray, key: bytes) -> Iterator[sync.Geometry]:
    """Yield the template's geometries, then the lattice's (never the identity).

    Each source is only computed when the search gets to it.
    """
    for source in (
        lambda: template.estimate(r, key, count=_TEMPLATE_GEOMETRIES),
        lambda: sync.estimate(r, count=_LATTICES),
    ):
        for g in source():
            if not np.allclose(g.matrix, np.eye(2), atol=2e-4):
                yield g


def search(
    ref: _Reference,
    key: bytes,
    tiles: Iterable[tuple[sync.Geometry, np.ndarray]],
    *,
    slots: int,
) -> tuple[Detection, _Candidate]:
    """Search folded *tiles* (one per geometry) for the mark; return it and where.

    *slots* is the most geometries the caller could have passed: the
    p-value counts them all, so stopping early at a valid tag never makes it
    look smaller than it is.  Used by :func:`detect` and by pooled detection.
    """
    tests = 2 * slots * _VARIANTS * TILE * TILE
    list_size = _TAG_CHECKS // slots - _DECODES_PER_GEOMETRY
    decodes = slots * (_DECODES_PER_GEOMETRY + max(list_size, 0))
    best: _Candidate | None = None
    for geometry, folded in tiles:
        here: list[_Candidate] = []
        for k, box in enumerate(chip_sums(folded)):
            z = ref.zmap(box)
            for shift in _peaks(z, _DECODES_PER_GEOMETRY):
                here.append(_Candidate(float(z[shift]), k, shift, geometry, box))
        here.sort(key=lambda c: -c.z)
        if best is None or here[0].z > best.z:
            best = here[0]
        tries = [(cand, 1) for cand in here[:_DECODES_PER_GEOMETRY]]
        if list_size > 1 and here[0].z >= _LIST_Z:
            tries.append((here[0], list_size))
        for cand, size in tries:
            payload = _decode(ref, key, cand, size)
            if payload is not None:
                p_sync = _hoeffding(best.z, tests)
                p_tag = decodes * 2.0**-TAG_BITS
                p = min(1.0, 2.0 * min(p_sync, p_tag))
                return _result(ref, cand, payload, p), cand
    if best is None:
        raise ValueError("nothing to search: no folded tiles were given")
    return _result(ref, best, None, min(1.0, 2.0 * _hoeffding(best.z, tests))), best


def _decode(ref: _Reference, key: bytes, cand: _Candidate, size: int = 1) -> int | None:
    """Return the payload at *cand* if its keyed tag checks out, else None.

    With *size* above 1, the *size* likeliest messages are checked, the
    likeliest first.
    """
    soft = _soft_bits(ref, cand.box, cand.shift)
    if size == 1:
        messages = coding.decode(soft, MESSAGE_BITS)[None]
    else:
        messages = coding.decode_list(soft, MESSAGE_BITS, size)
    payloads = coding.rows_to_ints(messages[:, :PAYLOAD_BITS])
    tags = coding.rows_to_ints(messages[:, PAYLOAD_BITS:])
    for payload, tag in zip(payloads, tags, strict=True):
        if tag == keys.tag(key, payload, PAYLOAD_BITS, TAG_BITS):
            return payload
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
