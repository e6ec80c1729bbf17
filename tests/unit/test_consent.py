"""Consent metadata on marked copies, read back by ExifTool as other tools would.

ExifTool comes from Debian's ``libimage-exiftool-perl``; without it the
read-back tests are skipped with that reason (the Python-side checks still run).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from clip_files import pan, write_gif, write_video
from exiftool_tags import exiftool, needs_exiftool
from PIL import Image

from artistshield import imageio, watermark
from artistshield.cli.mark import consent_for
from artistshield.imageio.artwork import Artwork
from artistshield.mark import mark_files
from artistshield.provenance import consent as consent_mod
from artistshield.provenance import metadata
from artistshield.provenance.consent import Consent

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = bytes(range(32))
CREATOR = "Zoë Ödegaard"
PLUS = "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"
DIGITAL_CREATION = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"
def picture() -> np.ndarray:
    return np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:256, :320].copy()


def marked(tmp_path: Path, source: Path, consent: Consent | None, **options: object) -> Path:
    (outcome,) = mark_files(
        [source], out_dir=tmp_path / "out", key=KEY, consent=consent, **options  # type: ignore[arg-type]
    )
    assert outcome.ok, outcome.error
    assert outcome.readable, "the mark must still read in the file with metadata"
    assert outcome.output is not None
    return outcome.output


def assert_xmp_consent(tags: dict[str, object], creator: str = CREATOR) -> None:
    creators = tags["XMP-dc:Creator"]
    assert creator in (creators if isinstance(creators, list) else [creators])
    assert str(tags["XMP-dc:Rights"]).startswith("© ") and creator in str(tags["XMP-dc:Rights"])
    assert tags["XMP-plus:DataMining"] == PLUS
    assert tags["XMP-iptcExt:DigitalSourceType"] == DIGITAL_CREATION


@needs_exiftool
@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_every_still_format_carries_consent_in_xmp_and_exif(tmp_path: Path, suffix: str) -> None:
    source = tmp_path / f"work{suffix}"
    imageio.save(Artwork(picture(), "PNG", "RGB"), source)
    tags = exiftool(marked(tmp_path, source, Consent(creator=CREATOR)))
    assert_xmp_consent(tags)
    assert tags["IFD0:Artist"] == CREATOR  # UTF-8, not "ZoÃ«"
    assert CREATOR in str(tags["IFD0:Copyright"])
    assert "AI/ML training" in str(tags["IFD0:Copyright"])


@needs_exiftool
def test_existing_exif_and_xmp_are_kept(tmp_path: Path) -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Oslo">'
        b'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Hills</rdf:li></rdf:Alt></dc:title>'
        b"<dc:creator><rdf:Seq><rdf:li>Co Author</rdf:li></rdf:Seq></dc:creator>"
        b"</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x0131] = "Krita"
    source = tmp_path / "work.jpg"
    Image.fromarray(picture()).save(source, quality=95, exif=exif.tobytes(), xmp=xmp)
    tags = exiftool(marked(tmp_path, source, Consent(creator=CREATOR)))
    assert_xmp_consent(tags)
    assert tags["XMP-dc:Creator"] == ["Co Author", CREATOR]
    assert tags["XMP-dc:Title"] == "Hills"
    assert tags["XMP-photoshop:City"] == "Oslo"
    assert tags["IFD0:Make"] == "Camera Maker"
    assert tags["IFD0:Software"] == "Krita"
    assert tags["IFD0:Artist"] == CREATOR


@needs_exiftool
@pytest.mark.parametrize("suffix", [".gif", ".png", ".webp", ".mp4"])
def test_clips_carry_consent_in_xmp(tmp_path: Path, suffix: str) -> None:
    frames = pan("painted-hills.png", 4, width=192, height=160)
    if suffix == ".gif":
        source = write_gif(tmp_path / "clip.gif", frames)
    elif suffix == ".mp4":
        source = write_video(tmp_path / "clip.mp4", frames)
    else:
        source = tmp_path / f"clip{suffix}"
        images = [Image.fromarray(f) for f in frames]
        images[0].save(source, save_all=True, append_images=images[1:], duration=80)
    tags = exiftool(marked(tmp_path, source, Consent(creator=CREATOR)))
    assert_xmp_consent(tags)
    assert not any("Warning" in k for k in tags), tags
    if suffix == ".webp":
        with Image.open(tmp_path / "out" / "clip.webp") as im:
            assert im.n_frames == 4 and b"DMI-PROHIBITED-AIMLTRAINING" in im.info["xmp"]


@needs_exiftool
def test_other_data_mining_value_and_no_creator(tmp_path: Path) -> None:
    source = tmp_path / "work.png"
    imageio.save(Artwork(picture(), "PNG", "RGB"), source)
    tags = exiftool(marked(tmp_path, source, Consent(data_mining="DMI-PROHIBITED")))
    assert tags["XMP-plus:DataMining"] == "http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED"
    assert tags["XMP-iptcExt:DigitalSourceType"] == DIGITAL_CREATION
    assert "XMP-dc:Creator" not in tags and "IFD0:Artist" not in tags


def test_metadata_leaves_the_marked_pixels_alone(tmp_path: Path) -> None:
    pixels = picture()
    mark = watermark.embed(pixels, KEY, 12345)
    art = Artwork(pixels, "PNG", "RGB").with_rgb8(mark)
    for suffix in (".png", ".webp", ".tif"):
        plain = imageio.save(art, tmp_path / f"plain{suffix}")
        stamped = imageio.save(Consent(creator=CREATOR).apply(art), tmp_path / f"stamped{suffix}")
        assert np.array_equal(imageio.load(plain).pixels, imageio.load(stamped).pixels)
        assert np.array_equal(imageio.load(stamped).rgb8(), mark)
    plain_jpeg = imageio.save(art, tmp_path / "plain.jpg", quality=92)
    stamped_jpeg = imageio.save(Consent(creator=CREATOR).apply(art), tmp_path / "s.jpg", quality=92)
    assert np.array_equal(imageio.load(plain_jpeg).pixels, imageio.load(stamped_jpeg).pixels)


def test_an_unknown_data_mining_value_is_refused() -> None:
    with pytest.raises(ValueError, match="IPTC data-mining value"):
        Consent(data_mining="NO-AI-PLEASE")


def test_damaged_xmp_is_replaced_and_damaged_exif_kept() -> None:
    consent = Consent(creator=CREATOR)
    assert b"DMI-PROHIBITED-AIMLTRAINING" in consent.merge_xmp(b"<x:xmpmeta><broken")
    assert consent.merge_exif(b"not a tiff header") == b"not a tiff header"


def test_settings_turn_consent_off_or_choose_the_value(tmp_path: Path) -> None:
    settings = tmp_path / "settings.ini"
    assert consent_mod.from_settings("A", settings_file=settings) == Consent("A")
    settings.write_text("[Consent]\nenabled=false\n", encoding="utf-8")
    assert consent_mod.from_settings("A", settings_file=settings) is None
    settings.write_text("[Consent]\nenabled=true\ndata_mining=DMI-ALLOWED\n", encoding="utf-8")
    assert consent_mod.from_settings("A", settings_file=settings) == Consent("A", "DMI-ALLOWED")
    settings.write_text("[consent]\ndata_mining=bogus\n", encoding="utf-8")
    assert consent_mod.from_settings("A", settings_file=settings) == Consent("A")


def test_cli_flags_override_the_setting() -> None:
    args = argparse.Namespace(no_consent=True, data_mining=None)
    assert consent_for(args, "A") is None
    args = argparse.Namespace(no_consent=False, data_mining="DMI-PROHIBITED-GENAIMLTRAINING")
    assert consent_for(args, "A") == Consent("A", "DMI-PROHIBITED-GENAIMLTRAINING")
    args = argparse.Namespace(no_consent=False, data_mining=None)
    assert consent_for(args, "A") == Consent("A")


@pytest.mark.parametrize("wrapper", ["x:xmpmeta", "x:xapmeta", None])
def test_xmp_without_the_usual_wrapper_is_kept(wrapper: str | None) -> None:
    rdf = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'photoshop:City="Oslo"/></rdf:RDF>'
    )
    packet = f'<{wrapper} xmlns:x="adobe:ns:meta/">{rdf}</{wrapper}>' if wrapper else rdf
    merged = Consent(creator=CREATOR).merge_xmp(packet.encode())
    fields = metadata._xmp_fields(merged, [])
    assert ("creator", CREATOR, "XMP") in fields
    assert b'City="Oslo"' in merged
    assert merged.count(b"rdf:RDF") == 2  # one element, opened and closed
