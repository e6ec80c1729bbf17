"""Reading image files into :class:`~artistshield.imageio.artwork.Artwork` values, at native depth."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import struct
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFile, JpegImagePlugin, UnidentifiedImageError

from artistshield.errors import ImageError
from artistshield.imageio.artwork import (
    _CONVERTIBLE_MODES,
    _EXIF_HEADER,
    _IJG_LUMA,
    _ORIENTATION,
    _PNG_SIGNATURE,
    _SAMPLING_NAMES,
    _SUFFIXES,
    _SUPPORTED_TEXT,
    _TIFF_LAYOUT_TAGS,
    _WIDE_RAWMODE,
    Artwork,
    is_supported,
)

log = logging.getLogger("artistshield.imageio")
#: Read but never written: a one-frame GIF is a still like any other (an
#: animated one is a clip, see :mod:`artistshield.animation`), yet writing one
#: takes the palette care of :mod:`artistshield.animation.frames`.
_READ_ONLY_FORMATS = ("GIF",)


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
            im = Image.open(path, formats=(*_SUFFIXES, *_READ_ONLY_FORMATS))
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
