"""Load and save the still images an artist publishes, without losing anything.

This module owns the boundary between files and the pixel arrays the watermark
engine works on.  It reads PNG, JPEG, WebP, TIFF and BMP at their native bit
depth (16-bit colour PNG and TIFF included, which Pillow alone would cut to 8
bits), turns grey and palette images into RGB/RGBA, applies the EXIF
orientation, and keeps the alpha channel, ICC profile, EXIF and XMP so that
:func:`save` can write the same kind of file back.  Only the first frame of an
animated or multi-page file is read.

Palette images are written back as truecolour: re-quantising to 256 colours
would snap every marked pixel back to the nearest palette entry and erase an
invisible watermark.  Every failure a file can cause is raised as an
:class:`~artistshield.errors.ImageError` whose message names the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import os
import re
import struct
import sys
import warnings
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError

from artistshield.errors import ImageError
from artistshield.fileio import atomic_write, same_file

log = logging.getLogger("artistshield.imageio")

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


# --------------------------------------------------------------------------- load


def load(path: str | os.PathLike[str], *, max_pixels: int = 100_000_000) -> Artwork:
    """Read the first frame of *path* upright, at native precision, with its metadata.

    Images of more than *max_pixels* pixels are refused from their header,
    before any pixel memory is allocated (Pillow's own decompression-bomb
    ceiling of ``2 * Image.MAX_IMAGE_PIXELS`` still applies on top).
    """
    path = Path(path)
    if max_pixels < 1:
        raise ValueError("max_pixels must be a positive number of pixels.")
    _check_readable(path)
    with _opened(path, max_pixels) as im:
        fmt = "JPEG" if im.format == "MPO" else str(im.format)
        try:
            pixels, mode = _read_pixels(im, path)
            exif = _exif_of(im, fmt)
            info = _info_of(im, fmt, path)
        except ImageError:
            raise
        except MemoryError as exc:
            raise ImageError(f"{path} is too large to fit in memory on this computer.") from exc
        except Exception as exc:
            raise ImageError(_damaged(path, exc)) from exc
        icc = im.info.get("icc_profile") or None
        xmp = _xmp_of(im)
        frames = int(getattr(im, "n_frames", 1))
    exif, orientation = _reset_orientation(exif)
    if orientation != 1:
        pixels = _upright(pixels, orientation)
        xmp = _reset_xmp_orientation(xmp)
    return Artwork(pixels, fmt, mode, icc, exif, xmp, info, path, frames)


def _check_readable(path: Path) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ImageError(f"{path} does not exist; check the file name and folder.") from exc
    except OSError as exc:
        raise ImageError(f"{path} cannot be read ({exc.strerror or exc}).") from exc
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file.")
    if size == 0:
        raise ImageError(f"{path} is empty (0 bytes); export the image again.")


@contextlib.contextmanager
def _quiet_pillow() -> Iterator[None]:
    """Log Pillow's warnings (bomb size, corrupt EXIF) instead of letting them escape.

    ``catch_warnings`` swaps process-wide state; a warning another thread
    raises meanwhile is logged here too, which is harmless.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if not issubclass(warning.category, Image.DecompressionBombWarning):
            log.warning("%s", warning.message)


@contextlib.contextmanager
def _opened(path: Path, max_pixels: int) -> Iterator[ImageFile.ImageFile]:
    try:
        with _quiet_pillow():
            im = Image.open(path, formats=tuple(_SUFFIXES))
    except Image.DecompressionBombError as exc:
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
        limit = min(max_pixels, 2 * (Image.MAX_IMAGE_PIXELS or 0))
        raise ImageError(
            f"{path} is {pixels}, more than the limit of {limit:,}; it was not opened "
            "because it may be a decompression bomb."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(_unreadable(path)) from exc
    except Exception as exc:  # Pillow signals bad data with OSErrors that have no errno
        system = isinstance(exc, OSError) and exc.errno is not None
        message = f"{path} cannot be read ({exc})." if system else _damaged(path, exc)
        raise ImageError(message) from exc
    with im:
        width, height = im.size
        if width * height > max_pixels:
            raise ImageError(
                f"{path} is {width}x{height} ({width * height:,} pixels), more than the "
                f"limit of {max_pixels:,}; it was not opened because it may be a "
                "decompression bomb."
            )
        if width == 0 or height == 0:
            raise ImageError(f"{path} has no pixels ({width}x{height}); export it again.")
        with _quiet_pillow():
            yield im


def _unreadable(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            head = handle.read(32)
    except OSError:
        head = b""
    claimed = _magic_format(head)
    if claimed == "PNG" and head[12:16] == b"IHDR" and b"\0\0\0\0" in (head[16:20], head[20:24]):
        return f"{path} has no pixels (its width or height is 0); export it again."
    if claimed:
        return f"{path} looks like a {claimed} file but is damaged; export it again."
    kind = _other_format(path) or ("" if is_supported(path) else path.suffix[1:].upper())
    if kind:
        return (
            f"{path} is in {kind} format, which ArtistShield cannot read; export it as "
            f"{_SUPPORTED_TEXT}."
        )
    return f"{path} is not an image ArtistShield can read; it must be {_SUPPORTED_TEXT}."


def _magic_format(head: bytes) -> str | None:
    if head.startswith(_PNG_SIGNATURE):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "WebP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    return "BMP" if head.startswith(b"BM") else None


def _other_format(path: Path) -> str | None:
    """Name the format of a file ArtistShield does not support, if Pillow knows it."""
    try:
        with _quiet_pillow(), Image.open(path) as im:
            return str(im.format)
    except Exception:
        return None


def _damaged(path: Path, exc: BaseException) -> str:
    if "truncated" in str(exc).lower():
        return f"{path} is incomplete (the file is cut short); copy or export it again."
    return f"{path} is damaged and cannot be decoded; export it again from your editor."


def _read_pixels(im: ImageFile.ImageFile, path: Path) -> tuple[np.ndarray, str]:
    """Decode *im* into an HxWx3/4 array and name the kind of pixels the file held."""
    rawmode = _rawmode(im.tile[0]) if im.format in ("PNG", "TIFF") and im.tile else ""
    wide = _WIDE_RAWMODE.match(rawmode)
    mode = im.mode
    if wide:
        return _read_wide(im, path, wide.group(1)), f"{wide.group(1)};16"
    if mode == "CMYK":
        raise ImageError(
            f"{path} is a CMYK (print) image; convert it to RGB in your editor and export "
            "it again."
        )
    if not (mode.startswith("I;16") or mode in _CONVERTIBLE_MODES):
        raise ImageError(
            f"{path} stores {mode} pixels, which ArtistShield cannot mark; convert it to 8 "
            "or 16-bit RGB in your editor and export it again."
        )
    im.load()
    if mode.startswith("I;16"):
        grey = np.asarray(im).astype(np.uint16)
        return np.repeat(grey[:, :, None], 3, axis=2), mode
    converted: Image.Image = im
    if mode not in ("RGB", "RGBA", "L", "LA") or (
        mode in ("RGB", "L") and im.has_transparency_data
    ):
        converted = im.convert("RGBA" if im.has_transparency_data else "RGB")
    array = np.asarray(converted)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.shape[2] == 2:
        array = array[:, :, [0, 0, 0, 1]]
    return np.ascontiguousarray(array), mode


def _read_wide(im: ImageFile.ImageFile, path: Path, layout: str) -> np.ndarray:
    """Read all 16 bits of a colour image that Pillow reads as 8-bit.

    Pillow decodes these files (unfiltering, decompression, interlacing)
    correctly but keeps only each sample's high byte.  Decoding a second time
    with the opposite byte order yields the low bytes, and the two together
    are the exact 16-bit samples.  Grey+alpha PNG is decoded as 8-bit RGBA,
    whose four bytes per pixel are the two big-endian 16-bit samples.
    """
    tiles = list(im.tile)
    with Image.open(path, formats=(str(im.format),)) as twin:
        if len(twin.tile) != len(tiles):
            raise ImageError(f"{path} is a 16-bit image this version of Pillow cannot read.")
        if layout == "LA":
            twin.tile = [_with_rawmode(tile, "RGBA") for tile in twin.tile]
            twin.load()
            both = np.asarray(twin).astype(np.uint16)
            wide = (both[:, :, 0::2] << 8) | both[:, :, 1::2]
            return np.ascontiguousarray(wide[:, :, [0, 0, 0, 1]])
        twin.tile = [_with_rawmode(tile, _swap_byte_order(_rawmode(tile))) for tile in twin.tile]
        im.load()
        twin.load()
        high = np.asarray(im).astype(np.uint16)
        return (high << 8) | np.asarray(twin)


def _rawmode(tile: ImageFile._Tile) -> str:
    args: Any = tile.args  # a bare string for PNG, a tuple starting with it elsewhere
    return str(args if isinstance(args, str) else args[0])


def _with_rawmode(tile: ImageFile._Tile, rawmode: str) -> ImageFile._Tile:
    args: Any = tile.args
    return tile._replace(args=rawmode if isinstance(args, str) else (rawmode, *args[1:]))


def _swap_byte_order(rawmode: str) -> str:
    order = rawmode[-1]
    if order == "N":
        order = "L" if sys.byteorder == "little" else "B"
    return rawmode[:-1] + ("B" if order == "L" else "L")


def _exif_of(im: ImageFile.ImageFile, fmt: str) -> bytes | None:
    """Return the EXIF block as a bare TIFF structure (no ``Exif\\0\\0`` header)."""
    if fmt == "TIFF":
        # A TIFF's EXIF lives in its own first directory: keep the tags that
        # describe the work, leave out those describing the pixel layout.
        exif = Image.Exif()
        exif.load(im.getexif().tobytes())
        for tag in list(exif):
            if tag in _TIFF_LAYOUT_TAGS:
                del exif[tag]
        return exif.tobytes()[len(_EXIF_HEADER) :] if len(exif) else None
    raw = im.info.get("exif")
    if not isinstance(raw, bytes) or not raw:
        return None
    return raw[len(_EXIF_HEADER) :] if raw.startswith(_EXIF_HEADER) else raw


def _xmp_of(im: ImageFile.ImageFile) -> bytes | None:
    xmp = im.info.get("xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return xmp or None


def _info_of(im: ImageFile.ImageFile, fmt: str, path: Path) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if "dpi" in im.info:
        info["dpi"] = tuple(float(v) for v in im.info["dpi"])
    if fmt == "JPEG":
        info["jpeg_quality"] = _jpeg_quality(getattr(im, "quantization", {}))
        info["jpeg_subsampling"] = _SAMPLING_NAMES.get(JpegImagePlugin.get_sampling(im))
        info["progressive"] = bool(im.info.get("progressive"))
        if im.info.get("comment"):
            info["comment"] = im.info["comment"]
    elif fmt == "PNG":
        texts = getattr(im, "text", {})
        info["png_text"] = {k: v for k, v in texts.items() if k != "XML:com.adobe.xmp"}
        for key in ("gamma", "srgb", "chromaticity"):
            if key in im.info:
                info[key] = im.info[key]
    elif fmt == "WEBP":
        info["webp_lossless"] = _webp_is_lossless(path)
    elif fmt == "TIFF":
        info["tiff_compression"] = im.info.get("compression", "raw")
    return info


def _jpeg_quality(tables: dict[int, Any]) -> int | None:
    """Estimate the IJG quality setting that produced these quantisation tables."""
    if 0 not in tables or len(tables[0]) != 64:
        return None
    luma = np.asarray(tables[0], dtype=np.int64)
    qualities = np.arange(1, 101)
    scale = np.where(qualities < 50, 5000 // qualities, 200 - 2 * qualities)
    candidates = np.clip((_IJG_LUMA[None, :] * scale[:, None] + 50) // 100, 1, 255)
    return int(qualities[np.abs(candidates - luma).sum(axis=1).argmin()])


def _webp_is_lossless(path: Path) -> bool:
    """Return whether the first frame of a WebP file is VP8L (lossless) coded."""
    with open(path, "rb") as handle:
        data = handle.read(4096)
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if kind in (b"VP8 ", b"VP8L"):
            return kind == b"VP8L"
        # An animation frame holds its image chunks after a 16-byte header.
        pos += 8 + 16 if kind == b"ANMF" else 8 + size + (size & 1)
    return False


def _reset_orientation(exif: bytes | None) -> tuple[bytes | None, int]:
    """Return *exif* with its orientation set to 1, and the orientation it had.

    The tag is patched in place so every other byte (maker notes, offsets)
    stays exactly as the camera or editor wrote it.
    """
    if not exif or exif[:2] not in (b"II", b"MM"):
        return exif, 1
    order = "<" if exif[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", exif, 4)
        (count,) = struct.unpack_from(order + "H", exif, ifd)
        for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
            tag, kind, n = struct.unpack_from(order + "HHI", exif, entry)
            if tag == _ORIENTATION and kind == 3 and n == 1:
                (value,) = struct.unpack_from(order + "H", exif, entry + 8)
                if value not in range(1, 9):
                    return exif, 1
                patched = bytearray(exif)
                struct.pack_into(order + "H", patched, entry + 8, 1)
                return bytes(patched), value
    except struct.error:
        log.warning("EXIF block is damaged; its orientation was ignored")
    return exif, 1


def _reset_xmp_orientation(xmp: bytes | None) -> bytes | None:
    if xmp is None:
        return None
    xmp = re.sub(rb'tiff:Orientation="[0-9]"', b'tiff:Orientation="1"', xmp)
    return re.sub(
        rb"<tiff:Orientation>[0-9]</tiff:Orientation>",
        b"<tiff:Orientation>1</tiff:Orientation>",
        xmp,
    )


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Turn pixels stored with an EXIF *orientation* (2-8) the right way up."""
    turns = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
        8: lambda a: np.rot90(a, 1),
    }
    return np.ascontiguousarray(turns[orientation](pixels))


# --------------------------------------------------------------------------- save


def save(
    artwork: Artwork,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    quality: int | None = None,
    subsampling: str = "4:4:4",
    protect: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Write *artwork* to *path* atomically, in the same kind of file it came from.

    The format is *format*, else the one *path*'s suffix names, else the
    source's.  Grey stays grey while its channels are equal, 16-bit stays
    16-bit where the format can hold it (PNG, TIFF), and the ICC profile, EXIF
    and XMP are written wherever the format carries them.  JPEG defaults to
    the source's estimated quality (90 to 98) with 4:4:4 chroma; WebP is
    lossless when the source was lossless and no *quality* is given.  The
    source file and every path in *protect* are never overwritten.
    """
    target = Path(path)
    fmt = _target_format(target, format, artwork.format)
    if quality is not None and (isinstance(quality, bool) or quality not in range(1, 101)):
        raise ImageError(f"Cannot save {target}: quality must be a whole number from 1 to 100.")
    if subsampling not in _SAMPLING_NAMES.values():
        raise ImageError(f"Cannot save {target}: subsampling must be 4:4:4, 4:2:2 or 4:2:0.")
    for kept in (artwork.source, *protect):
        if kept is not None and _same_path(target, Path(kept)):
            which = "the original artwork" if kept == artwork.source else "a protected file"
            raise ImageError(
                f"Refusing to overwrite {target}: it is {which}; choose another name."
            )
    try:
        data = _encode(artwork, fmt, target, quality, subsampling)
    except ImageError:
        raise
    except Exception as exc:
        raise ImageError(f"Could not encode {target} as {fmt} ({exc}).") from exc
    try:
        with atomic_write(target) as handle:
            handle.write(data)
    except OSError as exc:
        raise ImageError(f"Could not write {target} ({exc.strerror or exc}).") from exc
    return target


def output_path(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    format: str | None = None,
) -> Path:
    """Return a free path ``out_dir/<stem>.<ext>`` for a copy of *source*.

    The suffix is *format*'s (or the source's own when it already names that
    format), and ``"stem (2).ext"``, ``"stem (3).ext"``... are tried in turn
    while a file of that name exists or the name is the source itself.
    """
    source, out_dir = Path(source), Path(out_dir)
    fmt = _format_name(format) if format else _FORMAT_OF_SUFFIX.get(source.suffix.lower())
    if fmt is None:
        raise ImageError(
            f"{source} does not end in the suffix of a format ArtistShield writes "
            f"({_SUPPORTED_TEXT})."
        )
    suffix = (
        source.suffix.lower() if source.suffix.lower() in _SUFFIXES[fmt] else _SUFFIXES[fmt][0]
    )
    candidate = out_dir / f"{source.stem}{suffix}"
    number = 2
    while candidate.exists() or _same_path(candidate, source):
        candidate = out_dir / f"{source.stem} ({number}){suffix}"
        number += 1
    return candidate


def _format_name(name: str) -> str:
    fmt = name.upper().lstrip(".")
    fmt = _FORMAT_OF_SUFFIX.get(f".{fmt.lower()}", fmt)
    if fmt not in _SUFFIXES:
        raise ImageError(f"ArtistShield cannot write {name!r} files; choose {_SUPPORTED_TEXT}.")
    return fmt


def _target_format(target: Path, format: str | None, source_format: str) -> str:
    by_suffix = _FORMAT_OF_SUFFIX.get(target.suffix.lower())
    fmt = _format_name(format) if format else by_suffix or source_format
    if by_suffix != fmt:
        raise ImageError(
            f"Cannot save {target}: a {fmt} file must end in {' or '.join(_SUFFIXES[fmt])}."
        )
    return fmt


def _same_path(a: Path, b: Path) -> bool:
    return same_file(a, b) or a.resolve() == b.resolve()


def _encode(art: Artwork, fmt: str, target: Path, quality: int | None, subsampling: str) -> bytes:
    pixels = art.pixels
    if art.has_alpha and fmt in ("JPEG", "BMP"):
        opaque = np.iinfo(pixels.dtype).max
        if not np.all(pixels[:, :, 3] == opaque):
            raise ImageError(
                f"Cannot save {target} as {fmt}: the artwork is transparent and {fmt} cannot "
                "store transparency; save it as PNG, WebP or TIFF instead."
            )
        pixels = pixels[:, :, :3]
    wide = pixels.dtype == np.uint16 and fmt in ("PNG", "TIFF")
    if not wide:
        pixels = art.with_pixels(pixels).rgb8()
    grey = (
        art.mode in _GREY_MODES
        and fmt != "WEBP"
        and not (wide and fmt == "TIFF" and pixels.shape[2] == 4)  # no reader takes 16-bit LA TIFF
        and np.array_equal(pixels[:, :, 0], pixels[:, :, 1])
        and np.array_equal(pixels[:, :, 0], pixels[:, :, 2])
    )
    if grey:
        pixels = pixels[:, :, [0, 3]] if pixels.shape[2] == 4 else pixels[:, :, 0]
    elif art.icc_profile and art.icc_profile[16:20] == b"GRAY":
        log.warning("%s: a grey ICC profile cannot describe colour pixels; not written", target)
        art = dataclasses.replace(art, icc_profile=None)
    buffer = io.BytesIO()
    encoders = {"PNG": _save_png, "JPEG": _save_jpeg, "WEBP": _save_webp, "TIFF": _save_tiff}
    encoders.get(fmt, _save_bmp)(art, pixels, buffer, quality, subsampling)
    return buffer.getvalue()


def _image(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(pixels))


def _dpi(art: Artwork) -> dict[str, Any]:
    return {"dpi": art.info["dpi"]} if "dpi" in art.info else {}


def _save_png(art: Artwork, pixels: np.ndarray, out: io.BytesIO, *_: Any) -> None:
    extra = PngImagePlugin.PngInfo()
    for key, value in art.info.get("png_text", {}).items():
        extra.add_text(key, value)
    if art.xmp:
        extra.add_itxt("XML:com.adobe.xmp", art.xmp.decode("utf-8", "replace"))
    if "gamma" in art.info:
        extra.add(b"gAMA", struct.pack(">I", round(art.info["gamma"] * 100_000)))
    if "srgb" in art.info and not art.icc_profile:
        extra.add(b"sRGB", bytes([art.info["srgb"]]))
    if "chromaticity" in art.info:
        points = [round(v * 100_000) for v in art.info["chromaticity"]]
        extra.add(b"cHRM", struct.pack(">8I", *points))
    options: dict[str, Any] = {"pnginfo": extra, **_dpi(art)}
    if art.icc_profile:
        options["icc_profile"] = art.icc_profile
    if art.exif:
        options["exif"] = art.exif
    if pixels.dtype == np.uint8:
        _image(pixels).save(out, "PNG", **options)
        return
    # Pillow cannot write 16-bit colour PNG: let it write the metadata chunks
    # for a 1x1 image, then splice in our own 16-bit header and image data.
    carrier = io.BytesIO()
    Image.new("RGB", (1, 1)).save(carrier, "PNG", **options)
    kept = [
        c for kind, c in _png_chunks(carrier.getvalue()) if kind not in (b"IHDR", b"IDAT", b"IEND")
    ]
    samples = pixels if pixels.ndim == 3 else pixels[:, :, None]
    height, width, channels = samples.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = (
        np.ascontiguousarray(samples, ">u2").view(np.uint8).reshape(height, width * channels * 2)
    )
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    image_data = zlib.compress(_png_filter(rows, 2 * channels), 6)
    out.write(_PNG_SIGNATURE + _png_chunk(b"IHDR", header) + b"".join(kept))
    out.write(_png_chunk(b"IDAT", image_data) + _png_chunk(b"IEND", b""))


def _png_chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        yield data[pos + 4 : pos + 8], data[pos : pos + 12 + length]
        pos += 12 + length


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_filter(rows: np.ndarray, bpp: int) -> bytes:
    """Filter each row with the PNG filter that leaves the smallest residuals (libpng's rule)."""
    out = []
    zeros = np.zeros((rows.shape[0], bpp), np.int16)
    for start in range(0, rows.shape[0], 64):
        cur = rows[start : start + 64].astype(np.int16)
        up = np.zeros_like(cur)
        up[1:] = cur[:-1]
        if start:
            up[0] = rows[start - 1]
        left = np.concatenate([zeros[: len(cur)], cur[:, :-bpp]], axis=1)
        upleft = np.concatenate([zeros[: len(cur)], up[:, :-bpp]], axis=1)
        pa, pb, pc = np.abs(up - upleft), np.abs(left - upleft), np.abs(left + up - 2 * upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
        candidates = np.stack([cur, cur - left, cur - up, cur - (left + up) // 2, cur - paeth])
        residuals = (candidates & 0xFF).astype(np.uint8)
        cost = np.abs(residuals.view(np.int8).astype(np.int32)).sum(axis=2)
        best = cost.argmin(axis=0)
        chosen = residuals[best, np.arange(len(cur))]
        out.append(np.concatenate([best[:, None].astype(np.uint8), chosen], axis=1).tobytes())
    return b"".join(out)


def _save_jpeg(
    art: Artwork, pixels: np.ndarray, out: io.BytesIO, quality: int | None, subsampling: str
) -> None:
    if quality is None:
        quality = min(max(art.info.get("jpeg_quality") or 95, 90), 98)
    options: dict[str, Any] = {
        "quality": quality,
        "subsampling": subsampling,
        "optimize": True,
        "progressive": bool(art.info.get("progressive")),
        **_dpi(art),
    }
    if art.icc_profile:
        options["icc_profile"] = art.icc_profile
    if art.exif:
        options["exif"] = _EXIF_HEADER + art.exif
    if art.xmp:
        options["xmp"] = art.xmp
    if art.info.get("comment"):
        options["comment"] = art.info["comment"]
    _image(pixels).save(out, "JPEG", **options)


def _save_webp(
    art: Artwork, pixels: np.ndarray, out: io.BytesIO, quality: int | None, _: str
) -> None:
    lossless = quality is None and (
        art.info.get("webp_lossless", False) if art.format == "WEBP" else art.format != "JPEG"
    )
    # exact=True keeps the colour under fully transparent pixels, which the
    # encoder would otherwise discard.
    options: dict[str, Any] = (
        {"lossless": True, "quality": 100, "exact": True}
        if lossless
        else {"quality": quality or 95, "alpha_quality": 100}
    )
    if art.icc_profile:
        options["icc_profile"] = art.icc_profile
    if art.exif:
        options["exif"] = art.exif
    if art.xmp:
        options["xmp"] = art.xmp
    _image(pixels).save(out, "WEBP", **options)


def _save_tiff(art: Artwork, pixels: np.ndarray, out: io.BytesIO, *_: Any) -> None:
    exif = Image.Exif()
    if art.exif:
        exif.load(_EXIF_HEADER + art.exif)
    if art.xmp:
        exif[700] = art.xmp
    compression = art.info.get("tiff_compression", "tiff_adobe_deflate")
    if compression not in _LOSSLESS_TIFF:
        compression = "tiff_adobe_deflate"
    if any(tag in exif for tag in _SUB_IFD_TAGS):
        compression = "raw"  # Pillow's libtiff writer cannot write EXIF sub-directories
    options: dict[str, Any] = {"compression": compression, "exif": exif, **_dpi(art)}
    if art.icc_profile:
        options["icc_profile"] = art.icc_profile
    if pixels.dtype == np.uint8 or pixels.ndim == 2:
        _image(pixels).save(out, "TIFF", **options)
        return
    # Pillow has no 16-bit colour mode: it writes the samples' bytes as an
    # 8-bit image twice as wide, then the width and bit depth are patched.
    height, width, channels = pixels.shape
    carrier = Image.frombytes(
        "RGB" if channels == 3 else "RGBA",
        (2 * width, height),
        np.ascontiguousarray(pixels, "<u2").tobytes(),
    )
    buffer = io.BytesIO()
    carrier.save(buffer, "TIFF", **options)
    out.write(_patch_tiff_depth(buffer.getvalue(), width, channels))


def _patch_tiff_depth(data: bytes, width: int, channels: int) -> bytes:
    patched = bytearray(data)
    if patched[:4] != b"II*\x00":
        raise ImageError("Pillow wrote a big-endian TIFF, so 16 bits could not be kept.")
    (ifd,) = struct.unpack_from("<I", patched, 4)
    (count,) = struct.unpack_from("<H", patched, ifd)
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        tag, kind, n = struct.unpack_from("<HHI", patched, entry)
        if tag == 256:
            struct.pack_into("<H" if kind == 3 else "<I", patched, entry + 8, width)
        elif tag == 258 and kind == 3 and n == channels:
            (where,) = struct.unpack_from("<I", patched, entry + 8)
            struct.pack_into(f"<{channels}H", patched, where, *[16] * channels)
    return bytes(patched)


def _save_bmp(art: Artwork, pixels: np.ndarray, out: io.BytesIO, *_: Any) -> None:
    _image(pixels).save(out, "BMP", **_dpi(art))
