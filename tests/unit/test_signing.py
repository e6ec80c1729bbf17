"""Signed Content Credentials on marked copies, from the artist's own certificate chain."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import c2pa
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier
from PIL import Image

from artistshield import identity, imageio
from artistshield.check import check_file
from artistshield.imageio.artwork import Artwork
from artistshield.mark import mark_files
from artistshield.provenance import credentials, signing
from artistshield.provenance.consent import Consent

DATA = Path(__file__).resolve().parents[1] / "data"
NAME = "Zoë Ödegaard"


@pytest.fixture
def artist() -> identity.Identity:
    return identity.create(NAME, None)


def picture() -> np.ndarray:
    return np.asarray(Image.open(DATA / "painted-hills.png").convert("RGB"))[:256, :320].copy()


def marked(tmp_path: Path, artist: identity.Identity, suffix: str) -> tuple[Path, int]:
    source = imageio.save(Artwork(picture(), "PNG", "RGB"), tmp_path / f"work{suffix}")
    (outcome,) = mark_files(
        [source], out_dir=tmp_path / "out", key=artist.watermark_key,
        consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
    )
    assert outcome.ok, outcome.error
    assert outcome.readable, "the mark must still read in the signed file"
    assert outcome.output is not None and outcome.payload is not None
    return outcome.output, outcome.payload


def manifest_store(path: Path) -> dict:
    with c2pa.Reader(str(path)) as reader:
        return dict(json.loads(reader.json()))


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".tif"])
def test_marked_stills_carry_a_valid_untrusted_manifest(
    tmp_path: Path, artist: identity.Identity, suffix: str
) -> None:
    path, payload = marked(tmp_path, artist, suffix)
    found = credentials.read_file(path)
    assert found.status == credentials.PRESENT
    assert found.problems == ()
    assert not found.trusted
    assert found.signature == "valid, but the signer is not on any trust list (untrusted)"
    assert found.signer == NAME
    assert found.actions == ("c2pa.created",)
    assert found.source_types == ("digitalCreation",)
    assert sorted(found.training_mining) == [
        "cawg.ai_generative_training: notAllowed",
        "cawg.ai_inference: notAllowed",
        "cawg.ai_training: notAllowed",
        "cawg.data_mining: notAllowed",
    ]
    store = manifest_store(path)
    codes = [s["code"] for s in store.get("validation_status") or []]
    assert codes == ["signingCredential.untrusted"]
    assertions = {a["label"]: a["data"] for a in store["manifests"][store["active_manifest"]]["assertions"]}
    binding = assertions["c2pa.soft-binding"]
    assert binding["alg"] == signing.SOFT_BINDING_ALG
    assert int.from_bytes(base64.b64decode(binding["blocks"][0]["value"]), "big") == payload
    assert assertions["stds.schema-org.CreativeWork"]["author"][0]["name"] == NAME


def test_check_says_the_refusal_is_signed(tmp_path: Path, artist: identity.Identity) -> None:
    path, _ = marked(tmp_path, artist, ".png")
    consent = check_file(path, keys={"mine": artist.watermark_key}).to_json()["consent"]
    assert consent["refuses_ai_training"] is True
    assert [e["signed"] for e in consent["data_mining"]] == [True]
    assert len(consent["training_mining"]) == 4
    assert all(e["signed"] and e["source"] == "C2PA" for e in consent["training_mining"])
    assert "untrusted" in consent["signature"]


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="ExifTool is not installed")
def test_signing_keeps_the_consent_metadata(tmp_path: Path, artist: identity.Identity) -> None:
    path, _ = marked(tmp_path, artist, ".jpg")
    out = subprocess.run(
        ["exiftool", "-j", "-G1", "-n", str(path)], capture_output=True, check=True, timeout=60
    ).stdout
    tags = json.loads(out.decode("utf-8"))[0]
    assert tags["XMP-plus:DataMining"].endswith("DMI-PROHIBITED-AIMLTRAINING")
    assert tags["IFD0:Artist"] == NAME
    assert "JUMBF:JUMDLabel" in tags


def test_formats_c2pa_cannot_hold_are_left_unsigned(artist: identity.Identity) -> None:
    data = b"BM not really"
    assert signing.ContentSigner(artist).sign(data, "BMP", payload=1, title="t") is data


def test_the_chain_is_sealed_and_belongs_to_its_identity(
    tmp_path: Path, artist: identity.Identity
) -> None:
    chain = signing.chain_for(artist, folder=tmp_path)
    stored = (tmp_path / signing.CHAIN_FILE).read_text(encoding="utf-8")
    raw = chain.signing_key.private_bytes_raw().hex()
    assert raw not in stored and chain.root_key.private_bytes_raw().hex() not in stored
    again = signing.chain_for(artist, folder=tmp_path)
    assert again.pem() == chain.pem()
    assert again.signing_key.private_bytes_raw() == chain.signing_key.private_bytes_raw()
    leaf = chain.certificate
    assert leaf.issuer == chain.root.subject
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert chain.root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ObjectIdentifier("1.3.6.1.5.5.7.3.36") in usages  # document signing
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in usages
    chain.root.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes)
    assert artist.artist_id in leaf.subject.rfc4514_string()


def test_a_chain_sealed_for_someone_else_is_not_used(tmp_path: Path, artist: identity.Identity) -> None:
    chain = signing.chain_for(artist, folder=tmp_path)
    document = json.loads((tmp_path / signing.CHAIN_FILE).read_text(encoding="utf-8"))
    other = identity.Identity("Mallory", artist.created, bytes(32), _signing_key=_new_key())
    document["artist_id"] = other.artist_id  # claims to be theirs: the seal still refuses it
    (tmp_path / signing.CHAIN_FILE).write_text(json.dumps(document), encoding="utf-8")
    theirs = signing.chain_for(other, folder=tmp_path)
    assert theirs.pem() != chain.pem()
    assert other.artist_id in theirs.certificate.subject.rfc4514_string()


def _new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_training_mining_follows_the_iptc_choice() -> None:
    assert signing.training_mining("DMI-UNSPECIFIED") == {}
    assert signing.training_mining("DMI-ALLOWED") == {
        name: {"use": "allowed"} for name in signing.TRAINING_MINING
    }
    assert signing.training_mining("DMI-PROHIBITED-GENAIMLTRAINING") == {
        "cawg.ai_generative_training": {"use": "notAllowed"}
    }
    refused = {name: {"use": "notAllowed"} for name in signing.TRAINING_MINING}
    assert signing.training_mining("DMI-PROHIBITED") == refused
    assert signing.training_mining("DMI-PROHIBITED-AIMLTRAINING") == refused


def test_a_stripped_copy_is_told_what_the_original_said(
    tmp_path: Path, artist: identity.Identity
) -> None:
    from artistshield.provenance import record
    from artistshield.registry import Registry

    source = imageio.save(Artwork(picture(), "PNG", "RGB"), tmp_path / "work.png")
    with Registry.open() as registry:
        (outcome,) = mark_files(
            [source], out_dir=tmp_path / "out", key=artist.watermark_key, registry=registry,
            identity=artist, consent=Consent(creator=NAME), signer=signing.ContentSigner(artist),
        )
        assert outcome.ok and outcome.work_id and outcome.output is not None
        recorded = record.load(registry.path.parent, outcome.work_id)
        assert recorded is not None and recorded.manifest  # the signed manifest is kept
        assert recorded.statement == "not for AI training"
        assert recorded.training_mining["cawg.ai_training"] == "notAllowed"
        stripped = tmp_path / "stripped.png"
        Image.open(outcome.output).convert("RGB").save(stripped)  # pixels only
        keys = {"mine": artist.watermark_key}
        result = check_file(stripped, keys=keys, registry=registry)
        consent = result.to_json()["consent"]
        assert consent["stripped"] is True
        assert consent["recorded"]["work_id"] == outcome.work_id
        assert consent["recorded"]["signed_manifest"] is True
        assert (
            "This copy's credentials were removed; the original said: not for AI training "
            f"(recorded for work {outcome.work_id})."
        ) in result.findings
        intact = check_file(outcome.output, keys=keys, registry=registry).to_json()["consent"]
        assert intact["stripped"] is False and intact["recorded"] is not None
