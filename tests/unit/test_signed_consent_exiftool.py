"""ExifTool reads every consent field of a signed export, as the defaults write it.

Marked copies are signed by default, and a PNG's signed manifest (``caBX``)
must not hide its EXIF from ExifTool (Debian's ``libimage-exiftool-perl``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity, imageio
from artistshield.imageio.artwork import Artwork
from artistshield.mark import mark_files
from artistshield.provenance import credentials, signing
from artistshield.provenance.consent import Consent

DATA = Path(__file__).resolve().parents[1] / "data"
NAME = "Zoë Ödegaard"
EXIFTOOL = shutil.which("exiftool")


@pytest.mark.skipif(
    EXIFTOOL is None,
    reason="ExifTool is not installed (Debian: apt-get install libimage-exiftool-perl)",
)
@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_a_signed_still_shows_exiftool_every_consent_field(tmp_path: Path, suffix: str) -> None:
    artist = identity.create(NAME, None)
    pixels = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:256, :320].copy()
    source = tmp_path / f"work{suffix}"
    imageio.save(Artwork(pixels, "PNG", "RGB"), source)
    (outcome,) = mark_files(
        [source], out_dir=tmp_path / "out", key=artist.watermark_key,
        consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
    )
    assert outcome.ok and outcome.readable and outcome.output is not None
    assert credentials.read_file(outcome.output).status == credentials.PRESENT
    assert EXIFTOOL is not None
    out = subprocess.run(
        [EXIFTOOL, "-j", "-G1", "-n", "-a", "-charset", "utf8", str(outcome.output)],
        capture_output=True, check=True, timeout=60,
    ).stdout
    tags = json.loads(out.decode("utf-8"))[0]
    assert "ExifTool:Warning" not in tags, tags["ExifTool:Warning"]
    assert NAME in str(tags["XMP-dc:Creator"]) and NAME in str(tags["XMP-dc:Rights"])
    assert tags["XMP-plus:DataMining"].endswith("/DMI-PROHIBITED-AIMLTRAINING")
    assert tags["XMP-iptcExt:DigitalSourceType"].endswith("/digitalCreation")
    assert tags["IFD0:Artist"] == NAME
    assert NAME in str(tags["IFD0:Copyright"])
