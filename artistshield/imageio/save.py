"""Writing an :class:`~artistshield.imageio.artwork.Artwork` back, atomically, as the same kind of file."""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin, TiffTags

from artistshield.errors import ImageError
from artistshield.fileio import Exists, WriteError, same_file, write_file
from artistshield.imageio.artwork import (
    _EXIF_HEADER,
    _FORMAT_OF_SUFFIX,
    _GREY_MODES,
    _LOSSLESS_TIFF,
    _PNG_SIGNATURE,
    _SAMPLING_NAMES,
    _SUB_IFD_TAGS,
    _SUFFIXES,
    _SUPPORTED_TEXT,
    Artwork,
)

log = logging.getLogger("artistshield.imageio")


def save(
    artwork: Artwork,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    quality: int | None = None,
    subsampling: str = "4:4:4",
    protect: Iterable[str | os.PathLike[str]] = (),
    exists: Exists = "refuse",
    finish: Callable[[bytes, str], bytes] | None = None,
) -> Path:
    """Write *artwork* to *path* atomically, in the same kind of file it came from.

    The format is *format*, else the one *path*'s suffix names, else the
    source's.  Grey stays grey while its channels are equal, 16-bit stays
    16-bit where the format can hold it (PNG, TIFF), and the ICC profile, EXIF
    and XMP are written wherever the format carries them.  JPEG defaults to
    the source's estimated quality (90 to 98) with 4:4:4 chroma; WebP is
    lossless when the source was lossless and no *quality* is given.  The
    source file and every path in *protect* are never overwritten, nor is
    any existing file unless *exists* is ``"replace"``; with ``"free"`` the
    first free ``stem (N).ext`` is taken (see :mod:`artistshield.fileio`).
    *finish*, if given, takes the encoded bytes and the format name and
    returns the bytes to write (signed Content Credentials are added so).
    Returns the name written.
    """
    target = Path(path)
    data = encode(
        artwork, target, format=format, quality=quality, subsampling=subsampling, protect=protect,
        finish=finish,
    )
    try:
        return write_file(target, data, exists=exists)
    except WriteError as exc:
        raise ImageError(str(exc)) from exc


def encode(
    artwork: Artwork,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    quality: int | None = None,
    subsampling: str = "4:4:4",
    protect: Iterable[str | os.PathLike[str]] = (),
    finish: Callable[[bytes, str], bytes] | None = None,
) -> bytes:
    """The bytes :func:`save` would write to *path*, checked the same way, written nowhere."""
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
    return data if finish is None else finish(data, fmt)


def output_path(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    format: str | None = None,
) -> Path:
    """Return a free path ``out_dir/<stem>.<ext>`` for a copy of *source*.

    The suffix is *format*'s (or the source's own when it already names that
    format), and ``"stem (2).ext"``, ``"stem (3).ext"``... are tried in turn
    while a file of that name exists or the name is the source itself.  The
    name is only a proposal: another writer may take it first, so write with
    ``save(..., exists="free")``, which claims a free name atomically.
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
        _keep_text_bytes(exif)
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


def _keep_text_bytes(exif: Image.Exif) -> None:
    """Hand text tags back as the bytes they were read as, so UTF-8 (Artist "Zoë") survives.

    Pillow reads EXIF text as Latin-1 and would write it back as ASCII,
    turning every other byte into "?"; Latin-1 gives back the original bytes.
    """
    for tag, value in list(exif.items()):
        if isinstance(value, str) and TiffTags.lookup(tag).type == TiffTags.ASCII:
            exif[tag] = value.encode("latin-1", "replace")


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
