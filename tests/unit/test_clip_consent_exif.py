"""Animated PNG and WebP copies carry consent EXIF beside the XMP, and keep the source's own.

ExifTool comes from Debian's ``libimage-exiftool-perl``; without it the test
is skipped with that reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clip_files import pan
from exiftool_tags import exiftool, needs_exiftool
from PIL import Image, PngImagePlugin
from signed_marks import NAME, mark

from artistshield import identity
from artistshield.provenance import credentials

XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Walk cycle</rdf:li></rdf:Alt></dc:title>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def animation(path: Path) -> Path:
    images = [Image.fromarray(f) for f in pan("painted-hills.png", 4, width=192, height=160)]
    exif = Image.Exif()
    exif[0x0131] = "Krita"  # Software
    options: dict[str, object] = {"exif": exif.tobytes()}
    if path.suffix == ".webp":
        options |= {"lossless": True, "xmp": XMP.encode()}
    else:
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", XMP)
        options["pnginfo"] = info
    images[0].save(path, save_all=True, append_images=images[1:], duration=80, loop=0, **options)
    return path


@needs_exiftool
@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_animated_copies_carry_consent_exif_and_keep_their_own(tmp_path: Path, suffix: str) -> None:
    artist = identity.create(NAME, None)
    output, _, _ = mark(animation(tmp_path / f"walk{suffix}"), artist, frames=4)
    found = credentials.read_file(output)
    assert found.status == credentials.PRESENT and found.problems == ()
    tags = exiftool(output)
    assert not any("Warning" in k for k in tags), tags
    assert tags["IFD0:Artist"] == NAME  # UTF-8
    assert NAME in str(tags["IFD0:Copyright"])
    assert tags["IFD0:Software"] == "Krita"  # the source's EXIF, kept
    assert tags["XMP-dc:Title"] == "Walk cycle"  # the source's XMP, kept
    assert NAME in str(tags["XMP-dc:Creator"])
    assert tags["XMP-plus:DataMining"].endswith("/DMI-PROHIBITED-AIMLTRAINING")
    with Image.open(output) as image:
        assert image.n_frames == 4
