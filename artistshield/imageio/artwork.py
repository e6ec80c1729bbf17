"""The :class:`Artwork` a file becomes, and the formats ArtistShield reads and writes."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

#: Pillow format name -> file name suffixes, the first being the default.
_SUFFIXES = {
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "WEBP": (".webp",),
    "TIFF": (".tif", ".tiff"),
    "BMP": (".bmp",),
}
_FORMAT_OF_SUFFIX = {s: fmt for fmt, suffixes in _SUFFIXES.items() for s in suffixes}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMAT_OF_SUFFIX)
_SUPPORTED_TEXT = "PNG, JPEG, WebP, TIFF or BMP"
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I;16", "I;16B", "I;16L", "I;16N", "LA;16"})
_CONVERTIBLE_MODES = frozenset(
    {"1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "YCbCr"}
)
_WIDE_RAWMODE = re.compile(r"^(RGB|RGBA|LA);16([BLN])$")
_LOSSLESS_TIFF = {"raw", "tiff_lzw", "tiff_adobe_deflate", "tiff_deflate", "packbits"}
#: TIFF tags that describe the pixel layout, or data tied to the unmarked pixels
#: (Photoshop layers and resources), rather than the work; never copied as EXIF.
_TIFF_LAYOUT_TAGS = frozenset(
    {254, 255, 256, 257, 258, 259, 262, 263, 266, 273, 277, 278, 279, 280, 281, 282, 283}
    | {284, 290, 291, 296, 317, 318, 319, 320, 321, 322, 323, 324, 325, 330, 338, 339}
    | {340, 341, 347, 530, 531, 532, 700, 34377, 34675, 37724}
)
_SUB_IFD_TAGS = (0x8769, 0x8825)  # Exif and GPS
_ORIENTATION = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The IJG (Annex K) luminance table, natural order, that quality 50 reproduces.
_IJG_LUMA = np.array(
    [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
     14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
     18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
     49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99],
)  # fmt: skip
_SAMPLING_NAMES = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}


@dataclasses.dataclass(frozen=True, eq=False)
class Artwork:
    """One still image: upright pixels at native precision plus what to write back."""

    pixels: np.ndarray
    format: str
    mode: str
    icc_profile: bytes | None = dataclasses.field(default=None, repr=False)
    exif: bytes | None = dataclasses.field(default=None, repr=False)
    xmp: bytes | None = dataclasses.field(default=None, repr=False)
    info: dict[str, Any] = dataclasses.field(default_factory=dict)
    source: Path | None = None
    frame_count: int = 1

    def __post_init__(self) -> None:
        _check_pixels(self.pixels)

    @property
    def has_alpha(self) -> bool:
        return self.pixels.shape[2] == 4

    def rgb8(self) -> np.ndarray:
        """Return the pixels as uint8 (16-bit samples rounded to the nearest 8-bit value)."""
        if self.pixels.dtype == np.uint8:
            return self.pixels
        return ((self.pixels.astype(np.uint32) + 128) // 257).astype(np.uint8)

    def with_pixels(self, pixels: np.ndarray) -> Artwork:
        """Return a copy holding *pixels*, with every piece of metadata kept."""
        return dataclasses.replace(self, pixels=pixels, info=dict(self.info))

    def with_rgb8(self, marked: np.ndarray) -> Artwork:
        """Return a copy where an edit made on :meth:`rgb8` is applied at native precision.

        For 16-bit work the 8-bit change is scaled by 257 and added to the
        original samples, so the result keeps its 16-bit detail and its
        :meth:`rgb8` equals *marked* exactly.
        """
        _check_pixels(marked)
        if marked.shape != self.pixels.shape or marked.dtype != np.uint8:
            raise ValueError(
                f"Marked pixels must be uint8 of shape {self.pixels.shape}, "
                f"not {marked.dtype} of shape {marked.shape}."
            )
        if self.pixels.dtype == np.uint8:
            return self.with_pixels(marked)
        change = marked.astype(np.int32) - self.rgb8().astype(np.int32)
        wide = np.clip(self.pixels.astype(np.int32) + change * 257, 0, 65535)
        return self.with_pixels(wide.astype(np.uint16))


def _check_pixels(pixels: np.ndarray) -> None:
    if not isinstance(pixels, np.ndarray) or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError("Artwork pixels must be an HxWx3 (RGB) or HxWx4 (RGBA) array.")
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"Artwork pixels must be uint8 or uint16, not {pixels.dtype}.")


def is_supported(path: str | os.PathLike[str]) -> bool:
    """Return whether *path* has the suffix of a format ArtistShield reads and writes."""
    return Path(path).suffix.lower() in SUPPORTED_SUFFIXES
