"""The artist's consent for each marked work is a signed entry of the registry log."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from artistshield import identity, imageio
from artistshield.check import check_file
from artistshield.imageio.artwork import Artwork
from artistshield.mark import mark_files
from artistshield.provenance import record, signing
from artistshield.provenance.consent import Consent
from artistshield.registry import Registry, verify_bundle
from artistshield.registry import consent as signed_consent

DATA = Path(__file__).resolve().parents[1] / "data"
NAME = "Zoë Ödegaard"


@pytest.fixture
def artist() -> identity.Identity:
    return identity.create(NAME, None)


def mark_into(registry: Registry, tmp_path: Path, artist: identity.Identity) -> tuple[str, Path]:
    pixels = np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:256, :320].copy()
    source = imageio.save(Artwork(pixels, "PNG", "RGB"), tmp_path / "work.png")
    (outcome,) = mark_files(
        [source], out_dir=tmp_path / "out", key=artist.watermark_key, registry=registry,
        identity=artist, consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
    )
    assert outcome.ok and outcome.work_id and outcome.output is not None, outcome.error
    return outcome.work_id, outcome.output


def test_marking_signs_the_consent_into_the_log(tmp_path: Path, artist: identity.Identity) -> None:
    with Registry.open() as registry:
        work_id, _ = mark_into(registry, tmp_path, artist)
        entries = [e for e in registry.log() if e.work_id == work_id]
        assert [e.kind for e in entries] == ["mark", "consent"]
        assert registry.verify(artist.public_key).ok
        details = signed_consent.recorded(registry, work_id)
        kept = record.load(registry.path.parent, work_id)
    assert details is not None and kept is not None and kept.manifest is not None
    assert details["data_mining"] == "DMI-PROHIBITED-AIMLTRAINING"
    assert details["training_mining"]["cawg.ai_training"] == "notAllowed"
    assert details["creator"] == NAME
    assert details["manifest_sha256"] == hashlib.sha256(kept.manifest).hexdigest()


def test_a_stripped_copy_is_answered_from_the_log_alone(
    tmp_path: Path, artist: identity.Identity
) -> None:
    with Registry.open() as registry:
        work_id, output = mark_into(registry, tmp_path, artist)
        (registry.path.parent / record.FOLDER / f"{work_id}.json").unlink()  # sidecar lost
        stripped = tmp_path / "stripped.png"
        Image.open(output).convert("RGB").save(stripped)
        result = check_file(stripped, keys={"mine": artist.watermark_key}, registry=registry)
    recorded = result.to_json()["consent"]["recorded"]
    assert recorded["in_signed_log"] is True and recorded["signed_manifest"] is False
    assert recorded["statement"] == "not for AI training"
    assert (
        "This copy's credentials were removed; the original said: not for AI training "
        f"(recorded for work {work_id})."
    ) in result.findings


def test_a_sidecar_whose_manifest_the_log_does_not_name_is_not_trusted(
    tmp_path: Path, artist: identity.Identity
) -> None:
    with Registry.open() as registry:
        work_id, output = mark_into(registry, tmp_path, artist)
        record.store(
            registry.path.parent, work_id, data_mining="DMI-ALLOWED", training_mining={},
            creator="Someone Else", manifest=b"another manifest",
        )
        result = check_file(output, keys={"mine": artist.watermark_key}, registry=registry)
    assert result.recorded_consent is not None
    assert result.recorded_consent.data_mining == "DMI-PROHIBITED-AIMLTRAINING"  # the log wins
    assert result.recorded_consent.creator == NAME
    assert result.recorded_consent.manifest is None


def test_the_consent_travels_in_the_works_proof_bundle(
    tmp_path: Path, artist: identity.Identity
) -> None:
    with Registry.open() as registry:
        work_id, _ = mark_into(registry, tmp_path, artist)
        bundle = registry.export_bundle(tmp_path / "proof.json", identity=artist)
    report = verify_bundle(bundle, public_key=artist.public_key)
    assert report.ok, report.problems
    entries = json.loads(bundle.read_text(encoding="utf-8"))["entries"]
    (shown,) = [e for e in entries if json.loads(e["entry"])["kind"] == "consent"]
    assert json.loads(shown["entry"])["work_id"] == work_id
    assert json.loads(shown["fields"])["data_mining"] == "DMI-PROHIBITED-AIMLTRAINING"
