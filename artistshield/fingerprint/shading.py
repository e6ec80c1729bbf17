"""Whole-picture shading: how a smooth work with no drawn detail is found again.

A soft gradient backdrop has no corners for local features, its PDQ hash is
noise (quality 0) and its structure fits anywhere, so none of the other
evidence can find it.  What it does have is its shading, and a JPEG re-save
or a resize leaves that within a level or two everywhere.  So a registered
work too plain for the other evidence is matched when a suspect of the same
proportions, its luminance resampled onto the work's structure picture, is
within ``MEAN`` levels of it on average and ``WORST`` levels anywhere (averaged
over 3x3 pixels of the picture).

That is strict on purpose: the same gradient with one end colour moved by ten
levels (of 255) already differs by about five on average and ten at worst, and
counts as another picture.  Colour is not compared (the structure picture is
luminance), as everywhere in the fingerprint; a page must also span
``MIN_RANGE`` levels, so two blank pages of one colour never match.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

GRID = 16
"""Side of the coarse picture compared first, with every smooth work at once."""
MIN_RANGE = 16.0
"""Levels between a work's darkest and lightest (2nd to 98th percentile) to be matched
by shading: a page flatter than this is blank, and blank pages all look alike."""
ASPECT = 0.02
"""Most a suspect's proportions may differ from the work's (log ratio): a resize rounds."""
COARSE_WORST = 8.0
"""Most a suspect's coarse picture may differ from a work's anywhere, to be compared closely."""
MEAN = 1.5
"""Mean difference in levels at which shading evidence is 1.0 (a match)..."""
WORST = 4.0
"""...and the largest local difference."""


def coarse(picture: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The picture box-resampled to ``GRID`` x ``GRID``, flattened."""
    return _resampled(picture, (GRID, GRID)).ravel()


def tonal_range(picture: NDArray[np.uint8]) -> float:
    """Levels between the picture's 2nd and 98th percentiles."""
    low, high = np.percentile(picture, [2, 98])
    return float(high - low)


def same_proportions(work: tuple[int, int], query: tuple[int, int]) -> bool:
    """Whether frames of *work* and *query* (width, height) have the same proportions."""
    return abs(np.log((work[0] / work[1]) / (query[0] / query[1]))) <= ASPECT


def evidence(work: NDArray[np.uint8], query: NDArray[np.uint8]) -> float:
    """Shading evidence that *query* is *work* re-saved or resized: 1.0 at the thresholds."""
    resampled = _resampled(query, work.shape)
    difference = np.abs(resampled - work.astype(np.float32))
    mean = float(difference.mean())
    worst = float(ndimage.uniform_filter(difference, 3, mode="nearest").max())
    return min(MEAN / max(mean, 1e-3), WORST / max(worst, 1e-3))


def _resampled(picture: NDArray[np.uint8], shape: tuple[int, ...]) -> NDArray[np.float32]:
    rows, cols = int(shape[0]), int(shape[1])
    image = Image.fromarray(np.asarray(picture, np.float32), "F")
    smaller = rows <= picture.shape[0] and cols <= picture.shape[1]
    method = Image.Resampling.BOX if smaller else Image.Resampling.BILINEAR
    return np.asarray(image.resize((cols, rows), method), np.float32)
