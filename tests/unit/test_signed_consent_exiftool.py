"""ExifTool reads every consent field of a signed export, as the defaults write it.

Marked copies are signed by default, and a PNG's signed manifest (``caBX``)
must not hide its EXIF from ExifTool (Debian's ``libimage-exiftool-perl``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from exiftool_tags import exiftool, needs_exiftool
from PIL import Image
from signed_marks import NAME, mark

from artistshield import identity, imageio
from artistshield.imageio.artwork import Artwork
from artistshield.provenance import credentials

DATA = Path(__file__).resolve().parents[1] / "data"


@needs_exiftool
@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_a_signed_still_shows_exiftool_every_consent_field(tmp_path: Path, suffix: str) -> None:
    artist = identity.create(NAME, None)
    pixels = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:256, :320].copy()
    source = tmp_path / f"work{suffix}"
    imageio.save(Artwork(pixels, "PNG", "RGB"), source)
    output, _, _ = mark(source, artist)
    assert credentials.read_file(output).status == credentials.PRESENT
    tags = exiftool(output)
    assert "ExifTool:Warning" not in tags, tags["ExifTool:Warning"]
    assert NAME in str(tags["XMP-dc:Creator"]) and NAME in str(tags["XMP-dc:Rights"])
    assert tags["XMP-plus:DataMining"].endswith("/DMI-PROHIBITED-AIMLTRAINING")
    assert tags["XMP-iptcExt:DigitalSourceType"].endswith("/digitalCreation")
    assert tags["IFD0:Artist"] == NAME
    assert NAME in str(tags["IFD0:Copyright"])
