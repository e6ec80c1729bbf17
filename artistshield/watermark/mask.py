"""The perceptual mask: how strongly each pixel may carry the mark.

The mark hides in texture and along edges and stays out of flat colour and
smooth gradients, where even one grey level of structured noise would show on
an artist's cel.  It goes where the local contrast (standard deviation of
luma over a 5x5 window) is above about one grey level, its strength follows
that contrast and is capped by a model of contrast masking (see
:func:`masking_cap`), and the whole mask is then scaled down if needed so the
mark's RMS stays within the quality budget (PSNR >= 42 dB at strength 1).
Flat art, whose few edges cannot take that budget, and every cel spread
their mark a few pixels past them too, over which an edge still masks it.

Two perceptual steps follow (see :func:`need` and
:func:`artistshield.watermark.embed.mark_delta`): a picture whose texture
hides a strong mark everywhere (a painting) gets only the share of that
budget its detection needs, and the mark loses its coarse, low-frequency
part, the part the eye sees best on smooth slopes and the detector throws
away anyway.
"""

import numpy as np
from scipy import ndimage

#: Contrast (grey levels of local standard deviation) below which nothing is added.
FLAT_CONTRAST = 1.5
#: Mark amplitude per grey level of contrast above FLAT_CONTRAST: the range the
#: gain may take when the RMS budget is shared out.
MIN_GAIN, MAX_GAIN = 0.15, 3.0
#: Contrast masking (see :func:`masking_cap`): no pixel carries more than
#: MASKING_SHARE * sqrt(2 c**2 + MASKING_FLOOR**2) grey levels, c its local
#: contrast over MASKING_WINDOW, nor more than PEAK (at strength 1).
MASKING_SHARE = 0.2
MASKING_FLOOR = 9.0
PEAK = 12.0
#: Amplitude grows as this power of the contrast: below 1, texture of middling
#: contrast (where the detector hears the mark best) carries more than edges.
EXPONENT = 0.5
#: RMS of the mark over the whole picture (flattened over white) at strength 1
#: (PSNR 42.4 dB), and the most it may reach over the part that is drawn: the
#: opaque part of a cel, or what an opaque picture holds inside the flat
#: colour round it (see :func:`drawn_share`).
RMS_BUDGET = 1.95
OPAQUE_RMS_BUDGET = 3.0
#: :func:`need`: the expected detection signal (a matched-filter SNR,
#: against the picture's own fine detail plus ATTACK_NOISE grey levels of
#: the noise a platform's re-encoding adds) at which a picture needs its
#: whole budget; past it the mark is scaled by (NEED_SNR / snr) ** NEED_POWER,
#: down to NEED_FLOOR.  Measured on ../shared/corpus (benchmarks/strength_tradeoff.py):
#: cels, flat art and sprites score 28-51 and keep all; paintings and busy
#: cartoons score 210-300 and still read every attack at 0.45 of the budget
#: (under three keys each, crop + scale 0.7 + JPEG 70 and Instagram the
#: closest), where they score 91 to 93 in SSIMULACRA2 (90 to 92 at 0.5).
NEED_SNR = 75.0
NEED_POWER = 0.75
NEED_FLOOR = 0.45
ATTACK_NOISE = 4.0
#: :func:`sparse_boost`: below this :func:`detection_snr` a drawing's mark
#: rises as SPARSE_SNR / snr, to at most SPARSE_BOOST times, past its masking
#: cap.  On the held-out clip art (benchmarks/heldout.py, SSIMULACRA2 by the
#: reference tool), the drawings below it are a few thousand to twenty
#: thousand drawn pixels on a page many times larger: at the standard budget
#: their sync peak after JPEG 90 is at noise level, while they score 2 to 5
#: above a JPEG 90 re-save, since so few pixels change.  At 1.5 times they
#: still score above it (by 0.8 to 3.6), and a cartoon tree and a vacuum
#: cleaner of 17,000 to 26,000 pixels then read JPEG 50, WebP 75 and noise.
#: Drawings above it (from 12) had a point or less to spare and lost it at
#: 1.5 times; the corpus's cels score 28 and more.  Cels alone: the same
#: drawings flattened on a white page first take the opaque mask, whose SNR
#: runs lower (4 to 11 for eleven of them), and three of those (a silhouette,
#: a kanji, a turkey) fell below a JPEG 90 re-save at 1.5 times.
SPARSE_SNR = 11.0
SPARSE_BOOST = 1.5
#: Below this :func:`detection_snr` (with the boost, at the strength chosen)
#: a mark is fragile: the artist is told so.  On the held-out drawings at
#: strength 1 each of the six below it missed 2 to 8 of JPEG 75 and 50,
#: WebP 75, noise, a blur, Instagram, a halving and a 5-degree turn; of the
#: 28 above it, 24 read all eight.
FRAGILE_SNR = 13.5
#: Every how many pixels the flat colour round a picture is looked for.
_SURROUND_STEP = 4
WINDOW = 5
#: The window (pixels a side) over which an edge masks the mark on a picture
#: whose edges cannot take the budget (see :func:`amplitude`): masking
#: reaches a few pixels past an edge, and a mark spread thinner over more
#: of them reads as well for less that shows.
MASKING_WINDOW = 9
#: On such a picture the mark spread over that band takes the cap of
#: :func:`masking_cap` at the contrast a Gaussian window of this many pixels
#: sees (the window SSIM, and so SSIMULACRA2, measures structure with), not
#: the wide box's: the box dilutes a thin edge's contrast where the eye sees
#: it whole and lends an edge's contrast to flat pixels a few pixels off it,
#: where the eye sees none.
SPREAD_SIGMA = 1.5
#: SciPy's default: the Gaussian reaches 4 sigma (see :func:`_cap_within`).
_GAUSSIAN_TRUNCATE = 4.0
#: :func:`_cap_within` works in blocks this many pixels a side.
_CAP_BLOCK = 64
#: A picture with transparent pixels (a cel, clip art) always spreads its
#: mark so, over this wider window, and carries CEL_SHARE of it.  Kept to the
#: contrast of its edges, a cel's mark sat within two pixels of them: where
#: the detector, which weighs each pixel down by the fine detail round it,
#: hears almost none of it, and where flattening blends the alpha edge's
#: part away.  Black silhouettes lost most: all their mark was at the edge,
#: and half of it clipped at 0 on black.  On the 34 held-out (33 of them
#: transparent) clip-art drawings (benchmarks/heldout.py, one key, flattened
#: over white), no weak attack read less often and most more: crop + scale 0.7 +
#: JPEG 70 0.12 to 0.24, a 1.5-pixel blur 0.71 to 0.91, a 15-degree turn
#: 0.62 to 0.79, Instagram 0.74 to 0.82, noise 0.59 to 0.65, scale 0.5 0.76
#: to 0.79.  SSIMULACRA2 (reference tool) kept its median, 90.8; at the full
#: amplitude it scored about 1.5 lower on icons whose edges had already
#: taken the budget, and at 0.85 JPEG 30, 50 and WebP read less than before.
CEL_MASKING_WINDOW = 13
CEL_SHARE = 0.9


def luma(pixels: np.ndarray) -> np.ndarray:
    """Return float32 luma (BT.601) of RGB(A) *pixels*, RGBA flattened over white."""
    rgb = pixels[..., :3].astype(np.float32)
    y = rgb @ np.array([0.299, 0.587, 0.114], np.float32)
    if pixels.shape[-1] == 4:
        alpha = pixels[..., 3].astype(np.float32) / 255.0
        y = y * alpha + 255.0 * (1.0 - alpha)
    return y


def box_mean(a: np.ndarray, size: int, *, step: int = 1) -> np.ndarray:
    """Return the float32 mean of 2-D *a* over a *size* x *size* window.

    The same as ``ndimage.uniform_filter(a, size, mode="reflect")[::step, ::step]``
    up to float rounding, in about two thirds of the time or less: SciPy's
    pass down the columns strides across memory, so that pass adds shifted
    rows instead, and only the rows and columns asked for.
    """
    rows = ndimage.uniform_filter1d(np.asarray(a, np.float32), size, axis=1, mode="reflect")
    if step > 1:
        rows = rows[:, ::step]
    height = a.shape[0]
    before = size // 2
    if height <= size or size < 2:  # a window reflected more than once: pad it
        padded = np.pad(rows, ((before, size - 1 - before), (0, 0)), mode="symmetric")
        out = np.array(padded[0:height:step])
        for shift in range(1, size):
            out += padded[shift : shift + height : step]
    else:
        out = _column_sums(rows, size, step)
    out *= np.float32(1.0 / size)
    return out


def _column_sums(rows: np.ndarray, size: int, step: int) -> np.ndarray:
    """Sum each *size* rows of *rows* (reflected at the ends) at every *step*-th row.

    Every sum adds the same rows in the same order as summing a padded copy
    would, so the result is the same to the bit, without copying the picture
    twice first: the rows whose window lies inside are summed as shifted
    views, and the few at either end, one by one.
    """
    height = rows.shape[0]
    before = size // 2
    count = len(range(0, height, step))
    out = np.empty((count, rows.shape[1]), np.float32)
    # output row o sums rows o*step - before ... o*step - before + size - 1
    first = -(-before // step)  # the first whose window starts inside
    last = min(count, (height - size + before) // step + 1)  # past the last that ends inside
    if last > first:
        top = first * step - before
        inner = out[first:last]

        def shifted(shift: int) -> np.ndarray:
            start = top + shift
            return rows[start : start + (last - first - 1) * step + 1 : step]

        np.add(shifted(0), shifted(1), out=inner)
        for shift in range(2, size):
            inner += shifted(shift)
    for o in (*range(min(first, count)), *range(max(last, first), count)):
        at = [_reflected(o * step - before + shift, height) for shift in range(size)]
        row = rows[at[0]] + rows[at[1]]
        for i in at[2:]:
            row += rows[i]
        out[o] = row
    return out


def _reflected(index: int, length: int) -> int:
    """*index* reflected into 0..length-1 as ``np.pad(mode="symmetric")`` does (once)."""
    if index < 0:
        return -index - 1
    if index >= length:
        return 2 * length - index - 1
    return index


def local_contrast(y: np.ndarray, size: int = WINDOW, *, step: int = 1) -> np.ndarray:
    """Return the standard deviation of *y* over a *size* x *size* window.

    With *step*, only at every step-th pixel of every step-th row.
    """
    mean = box_mean(y, size, step=step)
    mean_sq = box_mean(y * y, size, step=step)
    np.subtract(mean_sq, mean * mean, out=mean_sq)
    np.maximum(mean_sq, 0.0, out=mean_sq)
    return np.sqrt(mean_sq, out=mean_sq)


def amplitude(
    y: np.ndarray, *, strength: float = 1.0, weight: np.ndarray | None = None, step: int = 1
) -> np.ndarray:
    """Return the per-pixel mark amplitude (grey levels) for luma *y*.

    The gain is shared out so the mark uses the RMS budget: a painting full of
    texture gets a low gain everywhere, while flat art, whose few edges are
    all it has to hide a mark in, gets a higher one there (still capped by the
    edge's own contrast).  *weight* (0..1, e.g. from alpha) scales what each
    pixel may carry and limits the budget to the pixels that are seen.

    With *step*, the amplitude is worked out for every step-th pixel of every
    step-th row only (the contrast still over the full-size window around
    it), for a mark whose tile is zoomed so that each chip covers step x step
    blocks or more: the caller holds each value over its block (see
    :func:`hold`).  For video frames: at step 2 it takes under half the time.
    """
    if step > 1 and weight is not None:
        raise ValueError("a weighted (transparent) picture takes its mask at every pixel")
    # the narrow window's contrast serves both passes: worked out once (a
    # video frame is 2 million pixels, many times a second)
    contrast = local_contrast(y, step=step)
    seen_share = 1.0
    if weight is None:
        stride = max(1, _SURROUND_STEP // step)
        seen_share = drawn_share(contrast[::stride, ::stride])
    drawn = contrast >= FLAT_CONTRAST  # before the first pass takes *contrast* over
    amp = None
    if weight is not None and not weight.all():  # a cel (some pixels transparent) always spreads
        spread, window = True, CEL_MASKING_WINDOW
    else:
        amp, spread = _amplitude(y, contrast, None, weight=weight, step=step, seen_share=seen_share)
        window = MASKING_WINDOW
    if spread:
        # edges too few to take the budget even at the highest gain (flat
        # art), or a cel: the mark spreads thinner over the pixels just past them too,
        # as far as the window reaches; never onto a smooth slope, whose
        # contrast grows with the window however gentle it is
        reach = 2 * ((window - WINDOW) // 2 // step) + 1
        near = ndimage.maximum_filter(drawn.view(np.uint8), reach)
        wide = local_contrast(y, window, step=step)
        amp, _ = _amplitude(y, wide, near, weight=weight, step=step, seen_share=seen_share)
    assert amp is not None
    amp *= np.float32(strength)
    return amp


def _amplitude(
    y: np.ndarray, contrast: np.ndarray, drawn: np.ndarray | None, *,
    weight: np.ndarray | None, step: int, seen_share: float,
) -> tuple[np.ndarray | None, bool]:
    """Return :func:`amplitude` at strength 1 for local *contrast* (taken over, changed in
    place), kept to where *drawn* is set if given, and whether the budget was to spare.

    The amplitude is None when the budget was to spare without *drawn*: the
    caller then spreads the mark wider, so working it out would be wasted.
    """
    excess = np.subtract(contrast, np.float32(FLAT_CONTRAST))
    np.maximum(excess, 0.0, out=excess)
    if drawn is not None:
        excess *= drawn
    if EXPONENT == 0.5:
        np.sqrt(excess, out=excess)  # a third of the time of the general power
    else:
        excess **= np.float32(EXPONENT)
    cap = masking_cap(contrast)
    # the RMS is estimated on a sparse sample: 1 pixel in 16 is plenty
    if weight is not None:
        excess *= weight
        cap *= weight
        seen = weight > 0
        sample_excess, sample_cap = excess[seen][::16], cap[seen][::16]
        seen_share = float(seen.mean())
        sampled_share = 1.0  # the sample is of the seen pixels alone
    else:
        sparse = max(1, 16 // step**2)
        sample_excess, sample_cap = excess.ravel()[::sparse], cap.ravel()[::sparse]
        sampled_share = seen_share  # of every pixel: the mark's energy is the drawn part's
    # contiguous: the gain is searched with a dozen passes over the sample
    sample_excess = np.ascontiguousarray(sample_excess)
    sample_cap = np.ascontiguousarray(sample_cap)
    # the budget is over the whole picture, but the drawn part gets at most
    # OPAQUE_RMS_BUDGET however much transparent space or flat colour surrounds it
    share = max(seen_share, (RMS_BUDGET / OPAQUE_RMS_BUDGET) ** 2)

    def rms(gain: float) -> float:
        if sample_excess.size == 0:
            return 0.0
        energy = np.mean(np.minimum(sample_excess * gain, sample_cap) ** 2) / sampled_share
        return float(np.sqrt(energy * share))

    lo, hi = MIN_GAIN, MAX_GAIN
    spare = rms(hi) <= RMS_BUDGET
    if spare and drawn is None:
        return None, True
    if spare:
        gain = hi
    elif rms(lo) >= RMS_BUDGET:
        gain = lo * RMS_BUDGET / rms(lo)
    else:
        for _ in range(14):  # gain to about 2e-4
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if rms(mid) < RMS_BUDGET else (lo, mid)
        gain = lo
    excess *= np.float32(gain)
    if drawn is not None and step == 1:
        # flat art (see SPREAD_SIGMA): the cap where the metric's own window
        # sees it, everywhere the mark may go
        reach = box_mean(excess, 3) > 0  # the band the smoothing below takes in
        excess = _cap_within(y, reach)
        if weight is not None:
            excess *= weight
            sample = excess[seen][::16]
        else:
            sample = excess.ravel()[::sparse]
        energy = np.mean(sample.astype(np.float64) ** 2) if sample.size else 0.0  # nothing seen
        spread_rms = float(np.sqrt(energy / sampled_share * share))
        if spread_rms > RMS_BUDGET:
            excess *= np.float32(RMS_BUDGET / spread_rms)
    else:
        np.minimum(excess, cap, out=excess)
    # smooth so the mask itself draws no edges
    amp = box_mean(excess, 3)
    if weight is not None:
        amp *= weight  # again: smoothing must not leak into transparent pixels
    return amp, spare


def masking_cap(contrast: np.ndarray) -> np.ndarray:
    """Return the most mark amplitude (grey levels) that local *contrast* hides, in place.

    SSIM's model of what a change costs the eye, as SSIMULACRA2 applies it in
    the XYB space of JPEG XL (a cube root of cone responses, where equal
    steps look about equally large): a change of RMS a in a window of
    contrast c is seen in proportion to a**2 / (2 c**2 + a**2 + C).  The
    constant C stands for the eye's own noise floor: it hides a change of
    about MASKING_FLOOR grey levels on flat colour (8 to 10 across the sRGB
    range, whose curve already follows the eye's adaptation to brightness,
    so one value serves).  Holding that ratio to one level everywhere gives
    the cap ``MASKING_SHARE * sqrt(2 c**2 + MASKING_FLOOR**2)``: the mark
    is spread evenly over what can hide it, with no peaks on strong edges
    (a pooled perceptual score is ruled by its worst places), where the
    detector, which weighs each pixel down by its own detail, hears little
    of it anyway.
    """
    cap = np.multiply(contrast, contrast, out=contrast)
    cap *= np.float32(2.0)
    cap += np.float32(MASKING_FLOOR**2)
    np.sqrt(cap, out=cap)
    cap *= np.float32(MASKING_SHARE)
    np.minimum(cap, np.float32(PEAK), out=cap)
    return cap


def _cap_within(y: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Return :func:`masking_cap` of :func:`gaussian_contrast` where *reach* is set, else 0.

    *reach* is a band a few pixels wide along the edges (a tenth of flat art,
    a third of a cel), so the Gaussian is taken over the blocks of
    _CAP_BLOCK pixels a side that hold some of it alone, run by run along
    each row of blocks, with the kernel's radius to spare round each run.
    Each output pixel is a sum over its own neighbours, so the values are
    the whole picture's to the bit.
    """
    out = np.zeros(y.shape, np.float32)
    h, w = y.shape
    size = _CAP_BLOCK
    margin = int(_GAUSSIAN_TRUNCATE * SPREAD_SIGMA + 0.5)  # the kernel's radius
    rows, cols = -(-h // size), -(-w // size)
    padded = np.zeros((rows * size, cols * size), bool)
    padded[:h, :w] = reach
    blocks = np.asarray(padded.reshape(rows, size, cols, size).any(axis=(1, 3)))
    for row in range(rows):
        # runs of neighbouring blocks that hold some of the band: one Gaussian each
        edges = np.flatnonzero(np.diff(blocks[row].astype(np.int8), prepend=0, append=0))
        top, bottom = row * size, min(h, (row + 1) * size)
        for first, last in zip(edges[::2], edges[1::2], strict=True):
            left, right = first * size, min(w, last * size)
            r0, c0 = max(0, top - margin), max(0, left - margin)
            part = y[r0 : min(h, bottom + margin), c0 : min(w, right + margin)]
            cap = masking_cap(gaussian_contrast(part))
            box = (slice(top, bottom), slice(left, right))
            inner = cap[top - r0 : bottom - r0, left - c0 : right - c0]
            np.copyto(out[box], inner, where=reach[box])
    return out


def gaussian_contrast(y: np.ndarray) -> np.ndarray:
    """Return the standard deviation of *y* under a Gaussian window of SPREAD_SIGMA pixels."""
    mean = ndimage.gaussian_filter(y, SPREAD_SIGMA, truncate=_GAUSSIAN_TRUNCATE)
    mean_sq = ndimage.gaussian_filter(y * y, SPREAD_SIGMA, truncate=_GAUSSIAN_TRUNCATE)
    np.subtract(mean_sq, mean * mean, out=mean_sq)
    np.maximum(mean_sq, 0.0, out=mean_sq)
    return np.sqrt(mean_sq, out=mean_sq)


def need(y: np.ndarray, amp: np.ndarray) -> float:
    """Return the share (NEED_FLOOR..1) of amplitude *amp* that luma *y* needs to carry its mark.

    The detector reads the mark in each pixel's residual against its 3x3
    mean, divided by one plus the local RMS of that residual; the picture's
    own fine detail, and what an attack adds, is the noise it reads against.
    The expected signal-to-noise ratio of that matched filter over the whole
    picture says how much margin the mark has: a painting, textured
    everywhere, has several times what a cel's few edges give, and the
    surplus is better spent on invisibility.
    """
    if not amp.any():
        return 1.0
    return need_at(detection_snr(y, amp))


def need_at(snr: float) -> float:
    """Return :func:`need` for a picture whose :func:`detection_snr` is *snr*."""
    if snr <= 0.0:
        return 1.0
    return float(np.clip((NEED_SNR / snr) ** NEED_POWER, NEED_FLOOR, 1.0))


def detection_snr(y: np.ndarray, amp: np.ndarray) -> float:
    """Return the expected signal-to-noise ratio of amplitude *amp* on luma *y* (see :func:`need`).

    It grows linearly with the amplitude: at strength s, s times this.
    """
    if not amp.any():
        return 0.0
    residual = y - box_mean(y, 3)
    noise = box_mean(residual * residual, 7)
    np.maximum(noise, 0.0, out=noise)
    noise += np.float32(ATTACK_NOISE**2)
    trust = 1.0 / (1.0 + np.sqrt(noise))
    signal = float(np.sum(amp * trust, dtype=np.float64))
    spread = float(np.sqrt(np.sum(noise * trust * trust, dtype=np.float64)))
    return signal / spread


def sparse_boost(snr: float) -> float:
    """Return the factor (1..SPARSE_BOOST) by which a cel this sparse raises its budget.

    The other end of :func:`need`: a drawing whose few edges give the mark a
    :func:`detection_snr` below SPARSE_SNR (a small drawing, a thin outline)
    loses it to the first recompression at the standard budget, and takes up
    to SPARSE_BOOST times the amplitude (over its cap: see SPARSE_SNR).
    """
    if snr <= 0.0:
        return 1.0
    return float(np.clip(SPARSE_SNR / snr, 1.0, SPARSE_BOOST))


def hold(amp: np.ndarray, step: int, pattern: np.ndarray) -> np.ndarray:
    """Return *pattern* (HxW) times *amp*, each value of *amp* held over a *step* x *step* block.

    *amp* is what :func:`amplitude` gives with that *step* for an HxW picture.
    """
    h, w = pattern.shape
    rows, cols = amp.shape
    if step == 1:
        return pattern * amp
    if (rows * step, cols * step) != (h, w):
        padded = np.zeros((rows * step, cols * step), np.float32)
        padded[:h, :w] = pattern
        pattern = padded
    blocks = pattern.reshape(rows, step, cols, step) * amp[:, None, :, None]
    return np.ascontiguousarray(blocks.reshape(rows * step, cols * step)[:h, :w])


def drawn_share(contrast: np.ndarray) -> float:
    """Return the share of an opaque picture that is drawn: not the flat colour round it.

    That colour is every flat pixel (*contrast*, the local contrast, below
    FLAT_CONTRAST) joined to the picture's border through flat pixels: the
    page a small drawing was exported on, say.  The budget gives what is
    drawn no more than a cel of the same drawing would get; without this, a
    drawing on a page twenty times its size took the whole picture's budget
    onto its few edges, at the caps, and its soft outlines showed the grain.
    Flat colour inside the drawing, cut off from the border, counts as drawn,
    as a cel's opaque fills do.  *contrast* may be taken at every few pixels:
    the band of contrast round even a one-pixel line is five pixels wide, so
    a stride of four cannot step across it.
    """
    flat = contrast < FLAT_CONTRAST
    if flat.mean() <= 1.0 - (RMS_BUDGET / OPAQUE_RMS_BUDGET) ** 2:
        return 1.0  # too little flat colour to tighten the budget: skip the labelling
    labels, _ = ndimage.label(flat)
    border = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    border = np.unique(border[border > 0])
    surround = float(np.isin(labels, border).mean())
    return max(1.0 - surround, 1.0 / flat.size)
