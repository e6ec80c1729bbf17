"""Provenance metadata read the way ExifTool reads it, on files ExifTool wrote.

The files are made by ExifTool itself (Debian's ``libimage-exiftool-perl``);
without it those tests are skipped with that reason.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield.provenance import metadata

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None,
    reason="ExifTool is not installed (Debian: apt-get install libimage-exiftool-perl)",
)
NAME, RIGHTS = "Zoë Ödegaard", "© 2026 Zoë Ödegaard"
PIXELS = np.random.default_rng(3).integers(0, 255, (24, 24, 3)).astype(np.uint8)


def exiftool_write(path: Path, *tags: str) -> None:
    assert EXIFTOOL is not None
    subprocess.run(
        [EXIFTOOL, "-q", "-q", "-overwrite_original", "-charset", "iptc=UTF8",
         "-IPTC:CodedCharacterSet=UTF8", *tags, str(path)],
        check=True, timeout=60,
    )


def exiftool_read(path: Path) -> dict[str, object]:
    assert EXIFTOOL is not None
    out = subprocess.run(
        [EXIFTOOL, "-j", "-G1", "-charset", "utf8", str(path)],
        capture_output=True, check=True, timeout=60,
    ).stdout
    return dict(json.loads(out.decode("utf-8"))[0])


@needs_exiftool
@pytest.mark.parametrize("suffix", [".tif", ".png", ".jpg", ".webp"])
def test_exif_and_iptc_read_like_exiftool(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"work{suffix}"
    Image.fromarray(PIXELS).save(path)
    exiftool_write(
        path, f"-EXIF:Artist={NAME}", f"-EXIF:Copyright={RIGHTS}",
        *([f"-IPTC:By-line={NAME}", f"-IPTC:CopyrightNotice={RIGHTS}"] if suffix != ".webp" else []),
    )
    theirs = exiftool_read(path)
    found = metadata.read(path)
    assert theirs["IFD0:Artist"] == NAME
    assert ("creator", NAME, "EXIF") in found.fields
    assert ("copyright", RIGHTS, "EXIF") in found.fields
    if suffix != ".webp":
        assert theirs["IPTC:By-line"] == NAME
        assert ("creator", NAME, "IPTC") in found.fields
        assert ("copyright", RIGHTS, "IPTC") in found.fields
    assert not any("Ã" in value for _, value, _ in found.fields)


@needs_exiftool
def test_iptc_kept_when_pillow_opens_a_jpeg_as_mpo(tmp_path: Path) -> None:
    path = tmp_path / "two-views.jpg"
    first = Image.fromarray(PIXELS)
    first.save(path, format="MPO", save_all=True, append_images=[first])
    exiftool_write(path, f"-IPTC:By-line={NAME}")
    with Image.open(path) as im:
        assert im.format == "MPO"
    assert exiftool_read(path)["IPTC:By-line"] == NAME
    assert ("creator", NAME, "IPTC") in metadata.read(path).fields


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_xmp_after_the_png_image_data_is_found(tmp_path: Path) -> None:
    path = tmp_path / "late-xmp.png"
    Image.fromarray(PIXELS).save(path)
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        b'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/" '
        b'plus:DataMining="http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    data = path.read_bytes()
    assert data.endswith(_chunk(b"IEND", b""))
    late = _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp)
    path.write_bytes(data[:-12] + late + data[-12:])
    found = metadata.read(path)
    assert found.values("data_mining") == [
        "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
    ]
    if EXIFTOOL is not None:
        assert "XMP-plus:DataMining" in exiftool_read(path)


def test_utf8_exif_text_is_not_garbled(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x013B] = NAME.encode("utf-8")
    path = tmp_path / "utf8.jpg"
    Image.fromarray(PIXELS).save(path, exif=exif.tobytes())
    assert metadata.read(path).values("creator") == [NAME]


def test_latin1_exif_text_still_reads(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x013B] = "Zoë".encode("latin-1")
    path = tmp_path / "latin1.jpg"
    Image.fromarray(PIXELS).save(path, exif=exif.tobytes())
    assert metadata.read(path).values("creator") == ["Zoë"]


def test_check_json_gathers_the_consent_signals(tmp_path: Path) -> None:
    from artistshield import imageio
    from artistshield.check import check_file
    from artistshield.imageio.artwork import Artwork
    from artistshield.provenance.consent import Consent

    # big enough to be checked at all: a picture under 32 pixels is an error, not a suspect
    pixels = np.random.default_rng(3).integers(0, 255, (64, 64, 3)).astype(np.uint8)
    path = imageio.save(Consent(creator=NAME).apply(Artwork(pixels, "PNG", "RGB")), tmp_path / "a.png")
    consent = check_file(path, keys={}).to_json()["consent"]
    assert consent["data_mining"] == [{
        "kind": "data_mining",
        "value": "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING",
        "meaning": "prohibited for AI/ML training",
        "source": "XMP",
        "signed": False,
    }]
    assert consent["training_mining"] == []
    assert consent["refuses_ai_training"] is True
    assert consent["signature"] == "none"
    assert check_file(path, keys={}, provenance=False).to_json()["consent"] is None


def test_training_mining_entries_are_signed_only_under_a_valid_signature() -> None:
    from artistshield.provenance import signals
    from artistshield.provenance.credentials import PRESENT, ContentCredentials

    entries = ("cawg.ai_generative_training: notAllowed", "cawg.data_mining: allowed")
    valid = ContentCredentials(PRESENT, training_mining=entries)
    found = signals.gather(valid, metadata.Metadata()).to_json()
    assert [
        (e["kind"], e["value"], e["meaning"], e["signed"]) for e in found["training_mining"]
    ] == [
        ("cawg.ai_generative_training", "notAllowed", "not allowed", True),
        ("cawg.data_mining", "allowed", "allowed", True),
    ]
    assert found["refuses_ai_training"] is True
    broken = ContentCredentials(PRESENT, training_mining=entries[1:], problems=("hash mismatch",))
    found = signals.gather(broken, None).to_json()
    assert found["training_mining"][0]["signed"] is False
    assert found["refuses_ai_training"] is False


def test_a_finding_ending_in_a_full_stop_gets_only_one() -> None:
    found = metadata.Metadata((("copyright", "© 2026 Zoë. All rights reserved.", "XMP"),))
    assert found.findings() == ["Metadata copyright: © 2026 Zoë. All rights reserved."]
