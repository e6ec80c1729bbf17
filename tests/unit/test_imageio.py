"""Image I/O: every format loads at native precision and saves back without loss."""

import dataclasses
import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin

from artistshield import imageio
from artistshield.errors import ImageError

RNG = np.random.default_rng(20240601)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Ada Artist"/>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def exif_block(orientation: int | None = None) -> bytes:
    """An EXIF block (with the ``Exif\\0\\0`` header) holding an Exif sub-directory."""
    exif = Image.Exif()
    exif[0x013B] = "Ada Artist"
    exif[0x8298] = "(c) Ada Artist"
    if orientation is not None:
        exif[0x0112] = orientation
    exif.get_ifd(0x8769)[0x9003] = "2024:01:02 03:04:05"
    return exif.tobytes()


def noise(shape: tuple[int, ...], dtype: type = np.uint8) -> np.ndarray:
    return RNG.integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)


def with_transparent_corner(rgba: np.ndarray) -> np.ndarray:
    """Make a block fully transparent while its colour stays non-zero noise."""
    rgba = rgba.copy()
    rgba[:4, :4, -1] = 0
    rgba[:4, :4, 0] = np.arange(1, 17).reshape(4, 4)
    return rgba


def grey_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        return np.repeat(array[:, :, None], 3, axis=2)
    return array[:, :, [0, 0, 0, 1]]


def saved_image(path: Path) -> Image.Image:
    im = Image.open(path)
    im.load()
    return im


def exif_dict(block: bytes) -> tuple[dict[int, object], dict[int, object]]:
    exif = Image.Exif()
    exif.load(block if block.startswith(b"Exif") else b"Exif\x00\x00" + block)
    return dict(exif), dict(exif.get_ifd(0x8769))


def assert_one_sentence(error: pytest.ExceptionInfo[ImageError], path: Path) -> str:
    message = str(error.value)
    assert str(path) in message
    assert message.endswith(".") and ". " not in message.replace(str(path), "")
    return message


# --- independent writers for files Pillow cannot write ---------------------------------

ADAM7 = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
]


def _filtered(samples: np.ndarray, bpp: int, first_filter: int) -> bytes:
    rows = samples.astype(">u2").reshape(samples.shape[0], -1).view(np.uint8).astype(np.int16)
    out, prior = [], np.zeros_like(rows[0])
    for y, row in enumerate(rows):
        left = np.concatenate([np.zeros(bpp, np.int16), row[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int16), prior[:-bpp]])
        kind = (y + first_filter) % 5
        p = left + prior - upleft
        pa, pb, pc = abs(p - left), abs(p - prior), abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prior, upleft))
        predictor = [0 * row, left, prior, (left + prior) // 2, paeth][kind]
        out.append(bytes([kind]) + ((row - predictor) % 256).astype(np.uint8).tobytes())
        prior = row
    return b"".join(out)


def png16(samples: np.ndarray, *, interlace: bool = False, first_filter: int = 0) -> bytes:
    """A 16-bit PNG of HxWxC samples, with every filter type in turn and optional Adam7."""
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[samples.shape[2]]
    bpp = 2 * samples.shape[2]
    if interlace:
        passes = [samples[ys::dy, xs::dx] for xs, ys, dx, dy in ADAM7]
        data = b"".join(_filtered(p, bpp, first_filter) for p in passes if p.size)
    else:
        data = _filtered(samples, bpp, first_filter)
    height, width = samples.shape[:2]
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, int(interlace))
    return png_bytes(header, zlib.compress(data))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(header: bytes, data: bytes) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def tiff16_big_endian(samples: np.ndarray) -> bytes:
    """An uncompressed big-endian 16-bit RGB(A) TIFF, written field by field."""
    height, width, channels = samples.shape
    pixels = samples.astype(">u2").tobytes()
    entries = [
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, channels, 8),  # offset of the bit depths, just after the header
        (259, 3, 1, 1),
        (262, 3, 1, 2),
        (273, 4, 1, 8 + 2 * channels),
        (277, 3, 1, channels),
        (278, 4, 1, height),
        (279, 4, 1, len(pixels)),
    ]
    if channels == 4:
        entries.append((338, 3, 1, 2))  # unassociated alpha
    ifd = struct.pack(">H", len(entries))
    for tag, kind, count, value in entries:
        packed = (
            struct.pack(">HH", value, 0) if kind == 3 and count == 1 else struct.pack(">I", value)
        )
        ifd += struct.pack(">HHI", tag, kind, count) + packed
    ifd += b"\0\0\0\0"
    start = 8 + 2 * channels + len(pixels)
    return (
        b"MM\x00*"
        + struct.pack(">I", start)
        + struct.pack(f">{channels}H", *[16] * channels)
        + pixels
        + ifd
    )


# --- PNG -------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA"])
def test_png_8bit_round_trip_keeps_kind_pixels_and_metadata(tmp_path: Path, mode: str) -> None:
    channels = {"RGB": 3, "RGBA": 4, "L": 1, "LA": 2}[mode]
    source = noise((24, 32, channels)).squeeze()
    if mode in ("RGBA", "LA"):
        source = with_transparent_corner(source)
    path = tmp_path / "art.png"
    text = PngImagePlugin.PngInfo()
    text.add_text("Title", "Moonlight")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    Image.fromarray(source).save(
        path, icc_profile=ICC, exif=exif_block(), pnginfo=text, dpi=(300, 300)
    )

    art = imageio.load(path)
    assert (art.format, art.mode, art.frame_count) == ("PNG", mode, 1)
    assert art.pixels.dtype == np.uint8
    np.testing.assert_array_equal(art.pixels, source if channels > 2 else grey_to_rgb(source))
    assert art.has_alpha == (mode in ("RGBA", "LA"))
    assert (art.icc_profile, art.exif, art.xmp) == (ICC, exif_block()[6:], XMP)
    assert art.info["png_text"] == {"Title": "Moonlight"}

    out = imageio.save(art, tmp_path / "marked.png")
    written = saved_image(out)
    assert written.format == "PNG" and written.mode == mode
    np.testing.assert_array_equal(np.asarray(written), source)
    again = imageio.load(out)
    np.testing.assert_array_equal(again.pixels, art.pixels)
    assert (again.icc_profile, again.exif, again.xmp) == (art.icc_profile, art.exif, art.xmp)
    assert again.info["png_text"] == {"Title": "Moonlight"}
    assert again.info["dpi"] == pytest.approx((300, 300), abs=0.01)


@pytest.mark.parametrize("transparent", [False, True])
def test_palette_png_is_expanded_and_written_as_truecolour(
    tmp_path: Path, transparent: bool
) -> None:
    indices = noise((20, 30)) % 16
    im = Image.fromarray(indices.astype(np.uint8), "L").convert("P")
    im.putpalette(noise((16 * 3,)).tolist())
    path = tmp_path / "palette.png"
    if transparent:
        im.save(path, transparency=bytes([0, 128] + [255] * 14))
    else:
        im.save(path)
    expected = np.asarray(Image.open(path).convert("RGBA" if transparent else "RGB"))

    art = imageio.load(path)
    assert art.mode == "P" and art.has_alpha == transparent
    np.testing.assert_array_equal(art.pixels, expected)
    written = saved_image(imageio.save(art, tmp_path / "out.png"))
    assert written.mode == ("RGBA" if transparent else "RGB")
    np.testing.assert_array_equal(np.asarray(written), expected)


@pytest.mark.parametrize(("mode", "key"), [("RGB", (10, 20, 30)), ("L", 10)])
def test_a_transparent_colour_key_becomes_alpha(tmp_path: Path, mode: str, key: object) -> None:
    pixels = noise((6, 6, 3)) if mode == "RGB" else noise((6, 6))
    pixels[2, 3] = key
    path = tmp_path / "keyed.png"
    Image.fromarray(pixels).save(path, transparency=key)
    art = imageio.load(path)
    assert art.has_alpha and art.mode == mode
    expected_alpha = np.full((6, 6), 255, np.uint8)
    expected_alpha[2, 3] = 0
    np.testing.assert_array_equal(art.pixels[:, :, 3], expected_alpha)
    np.testing.assert_array_equal(
        art.pixels[:, :, :3], pixels if mode == "RGB" else grey_to_rgb(pixels)
    )
    written = saved_image(imageio.save(art, tmp_path / "out.png"))
    assert written.mode == ("RGBA" if mode == "RGB" else "LA")
    np.testing.assert_array_equal(imageio.load(tmp_path / "out.png").pixels, art.pixels)


def test_16bit_grey_png_round_trips_exactly(tmp_path: Path) -> None:
    grey = noise((17, 23), np.uint16)
    path = tmp_path / "grey16.png"
    Image.fromarray(grey).save(path, icc_profile=ICC)

    art = imageio.load(path)
    assert (art.mode, art.pixels.dtype) == ("I;16", np.uint16)
    np.testing.assert_array_equal(art.pixels, grey_to_rgb(grey))
    written = saved_image(imageio.save(art, tmp_path / "out.png"))
    assert written.mode == "I;16" and written.info["icc_profile"] == ICC
    np.testing.assert_array_equal(np.asarray(written), grey)


@pytest.mark.parametrize("channels", [2, 3, 4])
@pytest.mark.parametrize("interlace", [False, True])
def test_16bit_colour_png_keeps_all_16_bits(
    tmp_path: Path, channels: int, interlace: bool
) -> None:
    samples = noise((19, 13, channels), np.uint16)
    path = tmp_path / "deep.png"
    path.write_bytes(png16(samples, interlace=interlace, first_filter=channels))

    art = imageio.load(path)
    assert art.pixels.dtype == np.uint16
    assert art.mode == {2: "LA;16", 3: "RGB;16", 4: "RGBA;16"}[channels]
    np.testing.assert_array_equal(art.pixels, samples if channels > 2 else grey_to_rgb(samples))

    marked = art.pixels.copy()
    marked[0, 0, 0] ^= 1  # the low byte must reach the file too
    if channels == 2:
        marked[:, :, 1:3] = marked[:, :, :1]
    out = imageio.save(art.with_pixels(marked), tmp_path / "out.png")
    # Pillow reads the high bytes of the file on its own: this checks the file format.
    high = np.asarray(saved_image(out))
    expected_high = (marked >> 8).astype(np.uint8)
    np.testing.assert_array_equal(
        high, expected_high[:, :, [0, 0, 0, 3]] if channels == 2 else expected_high
    )
    again = imageio.load(out)
    assert again.mode == art.mode
    np.testing.assert_array_equal(again.pixels, marked)


def test_grey_is_written_as_colour_once_its_channels_differ(tmp_path: Path) -> None:
    path = tmp_path / "grey.png"
    Image.fromarray(noise((8, 8))).save(path)
    art = imageio.load(path)
    assert saved_image(imageio.save(art, tmp_path / "same.png")).mode == "L"
    tinted = art.pixels.copy()
    tinted[0, 0, 2] ^= 1
    out = imageio.save(art.with_pixels(tinted), tmp_path / "tinted.png")
    assert saved_image(out).mode == "RGB"
    np.testing.assert_array_equal(imageio.load(out).pixels, tinted)


@pytest.mark.parametrize("name", ["painted-hills.png", "cel-portrait-alpha.png"])
def test_corpus_artwork_round_trips_bit_for_bit(tmp_path: Path, data_dir: Path, name: str) -> None:
    art = imageio.load(data_dir / name)
    np.testing.assert_array_equal(art.pixels, np.asarray(Image.open(data_dir / name)))
    out = imageio.save(art, imageio.output_path(art.source or Path(), tmp_path))
    assert out.name == name
    np.testing.assert_array_equal(imageio.load(out).pixels, art.pixels)


def test_only_the_first_frame_of_an_animated_png_is_read(tmp_path: Path, data_dir: Path) -> None:
    frames = [Image.open(data_dir / "frames" / f"ghosttree-0{i}.png") for i in (0, 1)]
    path = tmp_path / "ghost.png"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    art = imageio.load(path)
    assert art.frame_count == 2
    np.testing.assert_array_equal(art.pixels, np.asarray(frames[0].convert("RGBA")))


def test_a_grey_icc_profile_is_not_attached_to_colour_pixels(tmp_path: Path) -> None:
    grey_icc = ICC[:16] + b"GRAY" + ICC[20:]
    path = tmp_path / "sketch.png"
    Image.fromarray(noise((6, 6))).save(path, icc_profile=grey_icc)
    art = imageio.load(path)
    kept = saved_image(imageio.save(art, tmp_path / "grey.png"))
    assert kept.mode == "L" and kept.info["icc_profile"] == grey_icc
    tinted = art.pixels.copy()
    tinted[0, 0, 0] ^= 1
    coloured = saved_image(imageio.save(art.with_pixels(tinted), tmp_path / "colour.png"))
    assert coloured.mode == "RGB" and "icc_profile" not in coloured.info


# --- JPEG ------------------------------------------------------------------------------

ORIENT = {  # how a camera stores an upright picture for each EXIF orientation
    1: lambda a: a,
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.swapaxes(0, 1),
    6: lambda a: np.rot90(a, 1),
    7: lambda a: a[::-1, ::-1].swapaxes(0, 1),
    8: lambda a: np.rot90(a, -1),
}


def quadrants() -> np.ndarray:
    """A 32x48 upright picture of four flat colours, so JPEG keeps it nearly exact."""
    upright = np.zeros((32, 48, 3), np.uint8)
    upright[:16, :24] = (200, 30, 30)
    upright[:16, 24:] = (30, 200, 30)
    upright[16:, :24] = (30, 30, 200)
    upright[16:, 24:] = (220, 220, 40)
    return upright


@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_orientation_is_applied_and_reset(tmp_path: Path, orientation: int) -> None:
    upright = quadrants()
    path = tmp_path / "photo.jpg"
    stored = np.ascontiguousarray(ORIENT[orientation](upright))
    Image.fromarray(stored).save(
        path,
        quality=95,
        exif=exif_block(orientation),
        xmp=XMP.replace(
            b"/>",
            b' xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="%d"/>' % orientation,
            1,
        ),
    )

    art = imageio.load(path)
    assert art.pixels.shape == upright.shape
    reference = ImageOps.exif_transpose(Image.open(path))
    np.testing.assert_array_equal(art.pixels, np.asarray(reference))
    centres = art.pixels[8::16, 12::24].astype(int)  # the middle of each flat quadrant
    assert np.abs(centres - upright[8::16, 12::24]).max() < 8
    tags, exif_ifd = exif_dict(art.exif or b"")
    assert tags[0x0112] == 1 and tags[0x013B] == "Ada Artist"
    assert exif_ifd[0x9003] == "2024:01:02 03:04:05"
    assert b'tiff:Orientation="1"' in (art.xmp or b"")

    out = imageio.save(art, tmp_path / "marked.jpg")
    written = saved_image(out)
    assert written.getexif()[0x0112] == 1 and written.size == (48, 32)
    assert imageio.load(out).pixels.shape == upright.shape


def test_jpeg_metadata_survives_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpeg"
    Image.fromarray(noise((16, 24, 3))).save(
        path,
        quality=92,
        icc_profile=ICC,
        exif=exif_block(1),
        xmp=XMP,
        comment=b"made by hand",
        dpi=(300, 300),
    )
    art = imageio.load(path)
    assert (art.icc_profile, art.exif, art.xmp) == (ICC, exif_block(1)[6:], XMP)
    again = imageio.load(imageio.save(art, imageio.output_path(path, tmp_path)))
    assert again.source is not None and again.source.name == "photo (2).jpeg"
    assert (again.icc_profile, again.exif, again.xmp) == (ICC, art.exif, XMP)
    assert again.info["comment"] == b"made by hand" and again.info["dpi"] == (300, 300)


@pytest.mark.parametrize(
    ("source_quality", "override", "expected"),
    [(75, None, 90), (93, None, 93), (100, None, 98), (93, 80, 80)],
)
def test_jpeg_quality_follows_the_source(
    tmp_path: Path, source_quality: int, override: int | None, expected: int
) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(noise((16, 16, 3))).save(path, quality=source_quality)
    art = imageio.load(path)
    assert art.info["jpeg_quality"] == source_quality
    assert art.info["jpeg_subsampling"] == "4:2:0"
    out = imageio.save(art, tmp_path / "out.jpg", quality=override)
    assert imageio.load(out).info["jpeg_quality"] == expected
    assert JpegImagePlugin.get_sampling(Image.open(out)) == 0  # 4:4:4


def test_jpeg_subsampling_can_be_chosen(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.fromarray(noise((16, 16, 3))).save(path)
    out = imageio.save(imageio.load(path), tmp_path / "out.jpg", subsampling="4:2:0")
    assert JpegImagePlugin.get_sampling(Image.open(out)) == 2


def test_grey_jpeg_stays_grey(tmp_path: Path) -> None:
    path = tmp_path / "sketch.jpg"
    Image.fromarray(noise((16, 16))).save(path)
    art = imageio.load(path)
    assert art.mode == "L" and art.pixels.shape == (16, 16, 3)
    assert saved_image(imageio.save(art, tmp_path / "out.jpg")).mode == "L"


def test_multi_picture_jpeg_is_read_as_jpeg(tmp_path: Path) -> None:
    first, second = noise((16, 16, 3)), noise((16, 16, 3))
    path = tmp_path / "camera.jpg"
    Image.fromarray(first).save(
        path, "MPO", save_all=True, append_images=[Image.fromarray(second)]
    )
    assert Image.open(path).format == "MPO"
    art = imageio.load(path)
    assert (art.format, art.frame_count) == ("JPEG", 2)
    assert Image.open(imageio.save(art, tmp_path / "out.jpg")).format == "JPEG"


def test_cmyk_jpeg_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (8, 8), (0, 50, 100, 0)).save(path)
    with pytest.raises(ImageError) as error:
        imageio.load(path)
    assert "convert it to RGB in your editor" in assert_one_sentence(error, path)


# --- WebP, TIFF, BMP -------------------------------------------------------------------


def webp_coding(path: Path) -> bytes:
    """The image chunk of a still WebP: b"VP8L" when lossless, b"VP8 " when lossy."""
    data, pos = path.read_bytes(), 12
    while data[pos : pos + 4] not in (b"VP8 ", b"VP8L"):
        (size,) = struct.unpack_from("<I", data, pos + 4)
        pos += 8 + size + size % 2
    return data[pos : pos + 4]


def test_lossless_webp_round_trips_exactly_with_metadata(tmp_path: Path) -> None:
    rgba = with_transparent_corner(noise((20, 28, 4)))
    path = tmp_path / "cel.webp"
    Image.fromarray(rgba).save(
        path, lossless=True, exact=True, icc_profile=ICC, exif=exif_block(), xmp=XMP
    )
    art = imageio.load(path)
    assert art.info["webp_lossless"] is True
    np.testing.assert_array_equal(art.pixels, rgba)
    out = imageio.save(art, tmp_path / "out.webp")
    assert webp_coding(out) == b"VP8L"
    again = imageio.load(out)
    np.testing.assert_array_equal(again.pixels, rgba)
    assert (again.icc_profile, again.exif, again.xmp) == (ICC, exif_block()[6:], XMP)


def test_lossy_webp_stays_lossy_and_keeps_alpha(tmp_path: Path) -> None:
    rgba = with_transparent_corner(noise((20, 28, 4)))
    path = tmp_path / "cel.webp"
    Image.fromarray(rgba).save(path, quality=80, xmp=XMP, exif=exif_block())
    art = imageio.load(path)
    assert art.info["webp_lossless"] is False
    out = imageio.save(art, tmp_path / "out.webp")
    assert webp_coding(out) == b"VP8 "
    again = imageio.load(out)
    np.testing.assert_array_equal(again.pixels[:, :, 3], rgba[:, :, 3])
    assert (again.exif, again.xmp) == (art.exif, XMP)


def tiff_metadata(*, sub_directory: bool) -> Image.Exif:
    exif = Image.Exif()
    exif.load(exif_block())
    if not sub_directory:  # Pillow's libtiff writer cannot write an Exif sub-directory
        del exif[0x8769]
    exif[700] = XMP
    return exif


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("compression", ["raw", "tiff_lzw", "tiff_adobe_deflate"])
def test_8bit_tiff_round_trips_with_metadata(tmp_path: Path, mode: str, compression: str) -> None:
    pixels = noise((12, 10, len(mode)))
    if mode == "RGBA":
        pixels = with_transparent_corner(pixels)
    path = tmp_path / "scan.tif"
    exif = tiff_metadata(sub_directory=compression == "raw")
    Image.fromarray(pixels).save(
        path, compression=compression, icc_profile=ICC, exif=exif, dpi=(600, 600)
    )
    art = imageio.load(path)
    np.testing.assert_array_equal(art.pixels, pixels)
    assert (art.icc_profile, art.xmp, art.info["tiff_compression"]) == (ICC, XMP, compression)
    tags, exif_ifd = exif_dict(art.exif or b"")
    assert tags[0x013B] == "Ada Artist" and 256 not in tags and 700 not in tags
    assert exif_ifd == ({0x9003: "2024:01:02 03:04:05"} if compression == "raw" else {})

    out = imageio.save(art, tmp_path / "out.tiff")
    written = saved_image(out)
    assert written.mode == mode and written.info["compression"] == compression
    again = imageio.load(out)
    np.testing.assert_array_equal(again.pixels, pixels)
    assert (again.icc_profile, again.exif, again.xmp) == (ICC, art.exif, XMP)
    assert again.info["dpi"] == (600, 600)


def test_exif_sub_directory_makes_tiff_uncompressed_rather_than_lost(tmp_path: Path) -> None:
    path = tmp_path / "art.png"
    Image.fromarray(noise((6, 6, 3))).save(path, exif=exif_block())
    art = imageio.load(path)
    out = imageio.save(art, tmp_path / "art.tif", format="TIFF")
    assert saved_image(out).info["compression"] == "raw"
    assert exif_dict(imageio.load(out).exif or b"") == exif_dict(exif_block())


def test_16bit_grey_tiff_round_trips(tmp_path: Path) -> None:
    grey = noise((9, 7), np.uint16)
    path = tmp_path / "grey16.tif"
    Image.fromarray(grey).save(path)
    art = imageio.load(path)
    assert art.pixels.dtype == np.uint16
    np.testing.assert_array_equal(art.pixels, grey_to_rgb(grey))
    written = saved_image(imageio.save(art, tmp_path / "out.tif"))
    assert written.mode.startswith("I;16")
    np.testing.assert_array_equal(np.asarray(written).astype(np.uint16), grey)


@pytest.mark.parametrize("channels", [3, 4])
def test_16bit_colour_tiff_keeps_all_16_bits(tmp_path: Path, channels: int) -> None:
    samples = noise((11, 9, channels), np.uint16)
    path = tmp_path / "deep.tif"
    path.write_bytes(tiff16_big_endian(samples))
    art = imageio.load(path)
    assert art.mode == ("RGB;16" if channels == 3 else "RGBA;16")
    np.testing.assert_array_equal(art.pixels, samples)
    art = dataclasses.replace(art, info={"tiff_compression": "tiff_adobe_deflate"})
    out = imageio.save(art, tmp_path / "out.tif")
    np.testing.assert_array_equal(np.asarray(saved_image(out)), (samples >> 8).astype(np.uint8))
    np.testing.assert_array_equal(imageio.load(out).pixels, samples)


def test_bmp_round_trips_and_refuses_transparency(tmp_path: Path) -> None:
    rgb = noise((7, 9, 3))
    path = tmp_path / "old.bmp"
    Image.fromarray(rgb).save(path)
    art = imageio.load(path)
    np.testing.assert_array_equal(
        imageio.load(imageio.save(art, tmp_path / "out.bmp")).pixels, rgb
    )

    cel = imageio.load(Path(__file__).parents[1] / "data" / "cel-portrait-alpha.png")
    with pytest.raises(ImageError) as error:
        imageio.save(cel, tmp_path / "cel.bmp")
    assert "save it as PNG, WebP or TIFF" in assert_one_sentence(error, tmp_path / "cel.bmp")
    assert not (tmp_path / "cel.bmp").exists()


# --- formats, names and safe saving ----------------------------------------------------


def test_format_can_be_changed_and_16_bits_round_to_8(tmp_path: Path) -> None:
    samples = noise((6, 5, 4), np.uint16)
    samples[:, :, 3] = 65535
    path = tmp_path / "deep.png"
    path.write_bytes(png16(samples))
    art = imageio.load(path)
    out = imageio.save(art, imageio.output_path(path, tmp_path, format="jpeg"), quality=98)
    assert out == tmp_path / "deep.jpg" and Image.open(out).format == "JPEG"
    expected = ((samples[:, :, :3].astype(int) + 128) // 257).astype(np.uint8)
    np.testing.assert_array_equal(art.rgb8()[:, :, :3], expected)
    webp = imageio.save(art, tmp_path / "deep.webp")
    # PNG source, so lossless; libwebp stores no alpha channel when all of it is opaque.
    np.testing.assert_array_equal(imageio.load(webp).pixels, art.rgb8()[:, :, :3])
    with pytest.raises(ImageError) as error:
        imageio.save(art, tmp_path / "deep2.png", format="TIFF")
    assert ".tif or .tiff" in assert_one_sentence(error, tmp_path / "deep2.png")
    with pytest.raises(ImageError, match="cannot write 'gif' files"):
        imageio.save(art, tmp_path / "deep.gif", format="gif")


def test_output_path_picks_a_free_name_never_the_source(tmp_path: Path) -> None:
    source = tmp_path / "Moon Light.jpeg"
    assert imageio.output_path(source, tmp_path / "out") == tmp_path / "out" / "Moon Light.jpeg"
    assert imageio.output_path(source, tmp_path) == tmp_path / "Moon Light (2).jpeg"
    (tmp_path / "Moon Light (2).png").touch()
    assert imageio.output_path(source, tmp_path, format="PNG") == tmp_path / "Moon Light.png"
    (tmp_path / "Moon Light.png").touch()
    assert imageio.output_path(source, tmp_path, format=".png") == tmp_path / "Moon Light (3).png"
    assert imageio.output_path(tmp_path / "a.TIFF", tmp_path, format="tif").name == "a.tiff"
    assert imageio.output_path(tmp_path / "a.png", tmp_path, format="webp").name == "a.webp"
    with pytest.raises(ImageError, match="suffix of a format"):
        imageio.output_path(tmp_path / "layers.psd", tmp_path)


def test_save_never_overwrites_the_source_or_protected_files(tmp_path: Path) -> None:
    path = tmp_path / "art.png"
    Image.fromarray(noise((4, 4, 3))).save(path)
    before = path.read_bytes()
    art = imageio.load(path)
    for target in (path, tmp_path / "sub" / ".." / "art.png"):
        with pytest.raises(ImageError, match="it is the original artwork"):
            imageio.save(art, target)
    link = tmp_path / "link.png"
    link.symlink_to(path)
    with pytest.raises(ImageError, match="original artwork"):
        imageio.save(art, link)
    registry_copy = tmp_path / "registered.png"
    with pytest.raises(ImageError) as error:
        imageio.save(art, registry_copy, protect=[tmp_path / "other.png", registry_copy])
    assert "protected file" in assert_one_sentence(error, registry_copy)
    assert path.read_bytes() == before and not registry_copy.exists()


def test_a_failed_save_leaves_no_partial_or_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    art = imageio.load(Path(__file__).parents[1] / "data" / "cel-portrait-alpha.png")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "kept.png").write_bytes(b"old")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    for name in ("new.png", "kept.png"):
        with pytest.raises(ImageError) as error:
            imageio.save(art, out_dir / name)
        assert "No space left" in assert_one_sentence(error, out_dir / name)
    assert sorted(p.name for p in out_dir.iterdir()) == ["kept.png"]
    assert (out_dir / "kept.png").read_bytes() == b"old"
    with pytest.raises(ImageError, match="cannot store transparency"):
        imageio.save(art, out_dir / "cel.jpg")
    assert sorted(p.name for p in out_dir.iterdir()) == ["kept.png"]


def test_save_rejects_bad_options(tmp_path: Path) -> None:
    art = imageio.Artwork(noise((4, 4, 3)), "PNG", "RGB")
    for quality in (0, 101, True):
        with pytest.raises(ImageError, match="from 1 to 100"):
            imageio.save(art, tmp_path / "x.jpg", quality=quality)
    with pytest.raises(ImageError, match="4:4:4, 4:2:2 or 4:2:0"):
        imageio.save(art, tmp_path / "x.jpg", subsampling="4:1:1")
    assert list(tmp_path.iterdir()) == []


# --- bad files -------------------------------------------------------------------------


def encoded(format: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(noise((40, 40, 3))).save(buffer, format)
    return buffer.getvalue()


BAD_FILES = {
    "missing.png": (None, "does not exist"),
    "empty.png": (b"", "is empty (0 bytes)"),
    "cut.png": (encoded("PNG")[:2000], "is incomplete"),
    "cut.jpg": (encoded("JPEG")[:1000], "is incomplete"),
    "cut.tif": (encoded("TIFF")[:2000], "is incomplete"),
    "cut.bmp": (encoded("BMP")[:2000], "is incomplete"),
    "cut.webp": (encoded("WEBP")[:300], "is damaged"),
    "header-only.png": (encoded("PNG")[:40], "is damaged"),
    "noise.png": (bytes(noise((500,))), "is not an image ArtistShield can read"),
    "notes.png": (b"Remember to buy more paint.\n", "must be PNG, JPEG, WebP, TIFF or BMP"),
    "logo.svg": (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "is in SVG format"),
    "layers.psd": (
        b"8BPS\x00\x01" + bytes(6) + struct.pack(">HIIHH", 3, 4, 4, 8, 3) + bytes(64),
        "is in PSD format",
    ),
    "zero.png": (
        png_bytes(struct.pack(">IIBBBBB", 0, 5, 8, 2, 0, 0, 0), zlib.compress(b"")),
        "has no pixels",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_raise_one_clear_sentence(tmp_path: Path, name: str) -> None:
    content, expected = BAD_FILES[name]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ImageError) as error:
            imageio.load(path)
    assert expected in assert_one_sentence(error, path)


def test_a_folder_and_a_format_not_read_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a folder"):
        imageio.load(tmp_path)
    pcx = tmp_path / "scan.png"
    Image.new("P", (4, 4)).save(pcx, "PCX")
    with pytest.raises(ImageError) as error:
        imageio.load(pcx)
    assert "is in PCX format" in assert_one_sentence(error, pcx)


def test_a_one_frame_gif_is_read_as_a_still_but_not_written(tmp_path: Path) -> None:
    gif = tmp_path / "anim.png"  # misnamed, as downloads often are
    Image.new("P", (4, 4)).save(gif, "GIF")
    art = imageio.load(gif)
    assert (art.format, art.pixels.shape, art.frame_count) == ("GIF", (4, 4, 3), 1)
    with pytest.raises(ImageError, match="cannot write 'gif' files"):
        imageio.save(art, tmp_path / "copy.gif", format="gif")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any pixel data is decoded (that is, allocated)."""

    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded before the size was checked")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize(
    ("size", "max_pixels"),
    [((100_000, 100_000), 100_000_000), ((10_000, 9_000), 50_000_000), ((40, 30), 1_000)],
)
@pytest.mark.usefixtures("no_decoding")
def test_decompression_bombs_are_refused_from_the_header(
    tmp_path: Path, size: tuple[int, int], max_pixels: int
) -> None:
    path = tmp_path / "bomb.png"
    header = struct.pack(">IIBBBBB", *size, 8, 2, 0, 0, 0)
    path.write_bytes(png_bytes(header, zlib.compress(bytes(1000))))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning must not escape
        with pytest.raises(ImageError) as error:
            imageio.load(path, max_pixels=max_pixels)
    message = assert_one_sentence(error, path)
    assert f"{size[0] * size[1]:,} pixels" in message and "decompression bomb" in message
    assert f"limit of {max_pixels:,}" in message


def test_pillows_own_bomb_warning_and_error_are_turned_into_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    small, large = tmp_path / "small.png", tmp_path / "large.png"
    Image.fromarray(noise((30, 40, 3))).save(small)  # 1200 pixels: Pillow warns
    Image.fromarray(noise((60, 40, 3))).save(large)  # 2400 pixels: Pillow refuses
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert imageio.load(small).pixels.shape == (30, 40, 3)
        with pytest.raises(ImageError) as error:
            imageio.load(large)
    assert "2,400 pixels, more than the limit of 2,000" in assert_one_sentence(error, large)


# --- the pixel helpers -----------------------------------------------------------------


def test_rgb8_rounds_and_with_rgb8_applies_an_edit_at_16_bits() -> None:
    wide = np.array([[[0, 128, 129], [257, 65535, 65407]]], np.uint16)
    art = imageio.Artwork(wide, "PNG", "RGB;16", info={"dpi": (72, 72)})
    np.testing.assert_array_equal(art.rgb8(), [[[0, 0, 1], [1, 255, 255]]])
    samples = noise((16, 16, 4), np.uint16)
    art = art.with_pixels(samples)
    assert art.info == {"dpi": (72, 72)} and art.mode == "RGB;16"
    marked = np.clip(art.rgb8().astype(int) + noise((16, 16, 4)) % 5 - 2, 0, 255).astype(np.uint8)
    marked[:, :, 3] = art.rgb8()[:, :, 3]
    edited = art.with_rgb8(marked)
    assert edited.pixels.dtype == np.uint16
    np.testing.assert_array_equal(edited.rgb8(), marked)
    np.testing.assert_array_equal(edited.pixels[:, :, 3], samples[:, :, 3])
    assert np.abs(edited.pixels.astype(int) - samples).max() <= 2 * 257
    eight = imageio.Artwork(marked, "PNG", "RGBA")
    assert eight.rgb8() is marked and eight.with_rgb8(marked).pixels is marked


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4, 3), np.float32)],
)
def test_artwork_refuses_pixels_the_engine_cannot_take(pixels: np.ndarray) -> None:
    with pytest.raises(ValueError, match="Artwork pixels must be"):
        imageio.Artwork(pixels, "PNG", "RGB")


def test_supported_suffixes() -> None:
    assert {
        ".png",
        ".jpg",
        ".jpeg",
        ".webp",
        ".tif",
        ".tiff",
        ".bmp",
    } <= imageio.SUPPORTED_SUFFIXES
    assert imageio.is_supported("Art.JPG") and imageio.is_supported(Path("a/b.tiff"))
    assert not imageio.is_supported("layers.psd") and not imageio.is_supported("noext")
