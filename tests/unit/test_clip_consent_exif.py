"""Animated PNG and WebP copies carry consent EXIF beside the XMP, and keep the source's own.

ExifTool comes from Debian's ``libimage-exiftool-perl``; without it the test
is skipped with that reason.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from clip_files import pan
from PIL import Image, PngImagePlugin

from artistshield import identity
from artistshield.mark import mark_files
from artistshield.provenance import credentials, signing
from artistshield.provenance.consent import Consent

NAME = "Zoë Ödegaard"
EXIFTOOL = shutil.which("exiftool")
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


@pytest.mark.skipif(
    EXIFTOOL is None,
    reason="ExifTool is not installed (Debian: apt-get install libimage-exiftool-perl)",
)
@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_animated_copies_carry_consent_exif_and_keep_their_own(tmp_path: Path, suffix: str) -> None:
    artist = identity.create(NAME, None)
    source = animation(tmp_path / f"walk{suffix}")
    (outcome,) = mark_files(
        [source], out_dir=tmp_path / "out", key=artist.watermark_key,
        consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
    )
    assert outcome.ok and outcome.readable and outcome.output is not None
    assert outcome.frames == 4
    found = credentials.read_file(outcome.output)
    assert found.status == credentials.PRESENT and found.problems == ()
    assert EXIFTOOL is not None
    out = subprocess.run(
        [EXIFTOOL, "-j", "-G1", "-n", "-a", "-charset", "utf8", str(outcome.output)],
        capture_output=True, check=True, timeout=60,
    ).stdout
    tags = json.loads(out.decode("utf-8"))[0]
    assert not any("Warning" in k for k in tags), tags
    assert tags["IFD0:Artist"] == NAME  # UTF-8
    assert NAME in str(tags["IFD0:Copyright"])
    assert tags["IFD0:Software"] == "Krita"  # the source's EXIF, kept
    assert tags["XMP-dc:Title"] == "Walk cycle"  # the source's XMP, kept
    assert NAME in str(tags["XMP-dc:Creator"])
    assert tags["XMP-plus:DataMining"].endswith("/DMI-PROHIBITED-AIMLTRAINING")
    with Image.open(outcome.output) as image:
        assert image.n_frames == 4
