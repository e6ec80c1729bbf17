"""Reading invisible-watermark's ``dwtDct`` bits once for every known mark.

invisible-watermark's decoder converts BGR to YUV, takes a Haar wavelet of the
U channel and reads one bit from each 4x4 block of its approximation band,
bit *i* of an *n*-bit mark being the majority over blocks ``i, i + n, ...``.
We read every block once, as its own block reader (``EmbedMaxDct.decode_frame``)
does but all blocks at once, then take the majorities for all three mark
lengths, instead of three full decodes; the blocks' bits agree with its
reader's and :func:`decode` bit for bit with ``WatermarkDecoder`` (tested).

This module imports OpenCV; only the child process of :mod:`.` loads it.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import numpy as np

SCALE = 36  # invisible-watermark's default strength for the U channel
BLOCK = 4


def _load_max_dct() -> ModuleType:
    """Import ``imwatermark.maxDct`` without the package's ``__init__``.

    The package's ``__init__`` imports its RivaGAN model and with it torch,
    which takes about a second and is not needed for ``dwtDct`` (Stability's
    own detector script falls back to the same trick).
    """
    name = "artistshield_imwatermark_maxdct"
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec("imwatermark")
    if package is None or not package.submodule_search_locations:
        raise ModuleNotFoundError("invisible-watermark is not installed", name="imwatermark")
    location = next(iter(package.submodule_search_locations))
    spec = importlib.util.spec_from_file_location(name, f"{location}/maxDct.py")
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError("invisible-watermark has no maxDct module", name="imwatermark")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def available() -> bool:
    """Whether invisible-watermark and its OpenCV and PyWavelets can be loaded."""
    return why_unavailable() is None


def why_unavailable() -> str | None:
    """``None`` when the reader loads, else why not (the package missing, named)."""
    try:
        _load_max_dct()  # it imports OpenCV and PyWavelets
    except ImportError as exc:
        return str(exc)
    return None


def block_scores(bgr: np.ndarray) -> np.ndarray:
    """Every block's bit (0/1), in invisible-watermark's reading order."""
    import cv2
    import pywt

    rows, cols = bgr.shape[:2]
    yuv = cv2.cvtColor(np.ascontiguousarray(bgr), cv2.COLOR_BGR2YUV)
    band, _ = pywt.dwt2(yuv[: rows // 4 * 4, : cols // 4 * 4, 1], "haar")
    return read_blocks(band, SCALE)


def read_blocks(band: np.ndarray, scale: float) -> np.ndarray:
    """Read one bit from each BLOCK x BLOCK block of *band*, as ``EmbedMaxDct.decode_frame`` does.

    Row by row of blocks: a block's largest coefficient in magnitude after
    its first (the first of equals) gives the bit, 1 when its magnitude
    modulo *scale* is above half of *scale*.  All blocks at once, instead of
    a Python loop over each (for 1920x1080, a few milliseconds against
    0.3 s); ``EmbedMaxDct.infer_dct_matrix`` is the reference, and a test
    holds the two to the same bits.
    """
    r, c = band.shape[0] // BLOCK, band.shape[1] // BLOCK
    blocks = band[: r * BLOCK, : c * BLOCK].reshape(r, BLOCK, c, BLOCK).swapaxes(1, 2).reshape(r * c, -1)
    rest = np.abs(blocks[:, 1:])
    value = rest[np.arange(rest.shape[0]), np.argmax(rest, axis=1)]
    return ((value % scale) > 0.5 * scale).astype(np.float64)


def majority(scores: np.ndarray, length: int) -> list[int]:
    """Bit *i* of a *length*-bit mark, as ``WatermarkDecoder`` decides it."""
    sums = np.bincount(np.arange(scores.size) % length, weights=scores, minlength=length)
    counts = np.bincount(np.arange(scores.size) % length, minlength=length)
    return [int(bit) for bit in (sums / counts) * 255 > 127]


def decode(bgr: np.ndarray, lengths: tuple[int, ...]) -> dict[int, list[int]]:
    """The bits of a mark of each length in *lengths*, read from *bgr* (uint8 HxWx3)."""
    scores = block_scores(bgr)
    return {length: majority(scores, length) for length in lengths}
