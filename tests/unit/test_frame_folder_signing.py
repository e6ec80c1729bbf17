"""Every frame of a marked frame folder carries the still's consent and signed Content Credentials.

ExifTool comes from Debian's ``libimage-exiftool-perl``; without it the
ExifTool read-back is skipped with that reason.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import c2pa
import numpy as np
import pytest
from clip_files import pan
from exiftool_tags import exiftool, needs_exiftool
from PIL import Image
from signed_marks import NAME, REFUSED, mark

from artistshield import identity, watermark
from artistshield.animation.sequence import frame_files
from artistshield.check import check_file
from artistshield.provenance import credentials, record, signing
from artistshield.registry import Registry

FRAMES = 3


@pytest.fixture
def artist() -> identity.Identity:
    return identity.create(NAME, None)


def frame_folder(tmp_path: Path, suffix: str = ".png") -> Path:
    folder = tmp_path / "walk"
    folder.mkdir()
    for i, frame in enumerate(pan("painted-hills.png", FRAMES, width=256, height=192)):
        Image.fromarray(frame).save(folder / f"walk_{i:04d}{suffix}")
    return folder


def soft_binding(path: Path) -> dict[str, object]:
    with c2pa.Reader(str(path)) as reader:
        store = json.loads(reader.json())
    assertions = store["manifests"][store["active_manifest"]]["assertions"]
    return next(a["data"] for a in assertions if a["label"] == "c2pa.soft-binding")


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_every_frame_carries_a_valid_manifest_naming_the_payload(
    tmp_path: Path, artist: identity.Identity, suffix: str
) -> None:
    folder, payload, _ = mark(frame_folder(tmp_path, suffix), artist, frames=FRAMES)
    frames = frame_files(folder)
    assert len(frames) == FRAMES
    for frame in frames:
        found = credentials.read_file(frame)
        assert found.status == credentials.PRESENT, frame.name
        assert found.problems == ()
        assert found.signer == NAME and not found.trusted
        assert found.actions == ("c2pa.created",)
        assert found.source_types == ("digitalCreation",)
        assert sorted(found.training_mining) == REFUSED
        binding = soft_binding(frame)
        assert binding["alg"] == signing.SOFT_BINDING_ALG
        value = binding["blocks"][0]["value"]  # type: ignore[index]
        assert int.from_bytes(base64.b64decode(value), "big") == payload
        with Image.open(frame) as image:  # the mark reads in each signed frame
            pixels = np.asarray(image.convert("RGB"))
        assert watermark.detect(pixels, artist.watermark_key).payload == payload
    leftovers = [p.name for p in folder.parent.rglob("*") if p.name.startswith(".")]
    assert leftovers == [], "no half-written or half-signed frame is left behind"


def test_check_of_a_frame_folder_reports_its_frames_provenance(
    tmp_path: Path, artist: identity.Identity
) -> None:
    folder, _, _ = mark(frame_folder(tmp_path), artist, frames=FRAMES)
    report = check_file(folder, keys={"mine": artist.watermark_key}).to_json()
    assert report["watermark"]["found"] is True
    assert report["c2pa"] is not None and report["c2pa"]["status"] == "present"
    assert report["metadata"] is not None
    (mining,) = report["metadata"]["fields"]["data_mining"]
    assert mining["value"].endswith("/DMI-PROHIBITED-AIMLTRAINING")
    consent = report["consent"]
    assert consent["refuses_ai_training"] is True
    assert consent["data_mining"] and consent["training_mining"]
    assert all(e["signed"] for e in consent["data_mining"] + consent["training_mining"])


def test_the_first_frames_manifest_is_kept_in_the_registry(
    tmp_path: Path, artist: identity.Identity
) -> None:
    with Registry.open() as registry:
        folder, _, work_id = mark(frame_folder(tmp_path), artist, registry, frames=FRAMES)
        assert work_id is not None
        recorded = record.load(registry.path.parent, work_id)
    assert recorded is not None and recorded.manifest
    with c2pa.Reader(str(frame_files(folder)[0])) as reader:
        active = json.loads(reader.json())["active_manifest"]
    assert active.encode("utf-8") in recorded.manifest


@needs_exiftool
def test_exiftool_reads_the_consent_of_a_frame(tmp_path: Path, artist: identity.Identity) -> None:
    folder, _, _ = mark(frame_folder(tmp_path), artist, frames=FRAMES)
    tags = exiftool(frame_files(folder)[-1])
    creators = tags["XMP-dc:Creator"]
    assert NAME in (creators if isinstance(creators, list) else [creators])
    assert tags["XMP-plus:DataMining"].endswith("/DMI-PROHIBITED-AIMLTRAINING")
    assert tags["XMP-iptcExt:DigitalSourceType"].endswith("/digitalCreation")
    assert tags["IFD0:Artist"] == NAME
    assert NAME in str(tags["IFD0:Copyright"])
