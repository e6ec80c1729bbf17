"""Signed Content Credentials (C2PA) on marked copies, from the artist's own certificates.

Each identity gets its own small certificate chain: a root made for it and a
signing certificate the root issues (Ed25519, with the document-signing key
purpose).  Both private keys are kept beside the identity in
``c2pa-chain.json``, sealed with AES-256-GCM under a key derived from the
identity's signing key, so only the unlocked identity opens them.

:class:`ContentSigner` signs each marked still's encoded bytes, and each
marked clip's finished file (MP4/MOV, GIF, APNG, animated WebP), and each
frame of a marked frame folder (PNG or TIFF, signed like a still), through
``c2pa-python``: a ``c2pa.created`` action with the IPTC digital source type
``digitalCreation``, a CAWG ``cawg.training-mining`` assertion refusing AI
training, generative training, inference and data mining, the creator, and
a ``c2pa.soft-binding`` assertion naming the ArtistShield mark and the
work's payload, so a copy whose metadata was stripped still leads, through
its mark, back to the artist's registered work and this manifest.

No public trust list knows a root the artist made: validators report these
signatures as valid but *untrusted*.  They prove the copy is unchanged since
the holder of this identity signed it, not who that person is.
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from artistshield.errors import ArtistShieldError
from artistshield.fileio import write_file
from artistshield.identity import SEAL_CIPHER, seal, unseal
from artistshield.provenance.consent import (
    DEFAULT_DATA_MINING,
    DIGITAL_CREATION,
    Consent,
    c2pa_enabled,
)

if TYPE_CHECKING:
    from artistshield.identity import Identity

log = logging.getLogger("artistshield.provenance")

CHAIN_FILE = "c2pa-chain.json"
CHAIN_FORMAT = "artistshield-c2pa-chain"
#: The soft-binding algorithm name: the ArtistShield invisible mark, payload in ``value``.
SOFT_BINDING_ALG = "org.artistshield.mark.1"
#: Formats c2pa embeds a manifest in, by Pillow format name.
MIME_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "TIFF": "image/tiff"}
#: Clips c2pa embeds a manifest in, by suffix.  WebM, MKV and AVI are not
#: signed (c2pa cannot write WebM/MKV); a frame folder's frames are stills,
#: each signed by :meth:`ContentSigner.sign` as it is written.
CLIP_MIME_TYPES = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".gif": "image/gif",
    ".png": "image/png", ".apng": "image/png", ".webp": "image/webp",
}  # fmt: skip
#: The CAWG training-and-mining entries refused on every copy.
TRAINING_MINING = (
    "cawg.ai_training",
    "cawg.ai_generative_training",
    "cawg.ai_inference",
    "cawg.data_mining",
)
_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
_ROOT_YEARS, _SIGNING_YEARS = 30, 10
_RENEW_BEFORE = datetime.timedelta(days=30)
#: Signing settings: no thumbnail (it would show unmarked-quality pixels and
#: costs time) and no re-read after signing (the tests validate instead).
_SIGN_SETTINGS = {
    "builder": {"thumbnail": {"enabled": False}},
    "verify": {"verify_after_sign": False, "ocsp_fetch": False, "remote_manifest_fetch": False},
    "core": {"allowed_network_hosts": []},
}


@dataclass(frozen=True, eq=False)
class CertificateChain:
    """An identity's root and signing certificates, with the signing key."""

    root: x509.Certificate
    certificate: x509.Certificate
    signing_key: Ed25519PrivateKey = field(repr=False)
    root_key: Ed25519PrivateKey = field(repr=False)

    def pem(self) -> bytes:
        """The chain as c2pa wants it: signing certificate first, then the root."""
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.certificate, self.root)
        )


def chain_for(identity: Identity, *, folder: Path | None = None) -> CertificateChain:
    """Return *identity*'s certificate chain, making and storing it the first time.

    A chain that belongs to another identity, cannot be opened, or whose
    signing certificate is about to expire is replaced by a new one.
    """
    if folder is None:
        from artistshield.paths import data_dir

        folder = data_dir()
    path = folder / CHAIN_FILE
    try:
        chain = _load(path, identity)
    except FileNotFoundError:
        chain = None
    except (ValueError, KeyError, TypeError, InvalidTag) as exc:
        log.warning("%s cannot be opened (%s); making a new certificate chain", path, exc)
        chain = None
    now = datetime.datetime.now(datetime.UTC)
    if chain is None or chain.certificate.not_valid_after_utc - now < _RENEW_BEFORE:
        chain = _make(identity, now)
        _store(path, identity, chain)
    return chain


def _names(identity: Identity) -> tuple[x509.Name, x509.Name]:
    org = x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ArtistShield (self-issued)")
    unit = x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, identity.artist_id)
    root = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{identity.name} root"), org, unit])
    leaf = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity.name), org, unit])
    return root, leaf


def _make(identity: Identity, now: datetime.datetime) -> CertificateChain:
    root_key, signing_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    root_name, leaf_name = _names(identity)
    start = now - datetime.timedelta(hours=1)  # tolerate a verifier's clock a little behind
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=365 * _ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, None)
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(leaf_name)
        .issuer_name(root_name)
        .public_key(signing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + datetime.timedelta(days=365 * _SIGNING_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        # c2pa's default list of signing purposes asks for e-mail protection
        # beside document signing, so both are named.
        .add_extension(
            x509.ExtendedKeyUsage([_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signing_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, None)
    )
    return CertificateChain(root, certificate, signing_key, root_key)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )


def _sealing(identity: Identity) -> tuple[bytes, bytes]:
    return identity.derived_key("c2pa-chain"), identity.artist_id.encode("ascii")


def _store(path: Path, identity: Identity, chain: CertificateChain) -> None:
    key, artist = _sealing(identity)
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw
    plain = json.dumps({
        "root_key": chain.root_key.private_bytes(*raw, serialization.NoEncryption()).hex(),
        "signing_key": chain.signing_key.private_bytes(*raw, serialization.NoEncryption()).hex(),
    }).encode("utf-8")
    certificates = chain.pem().decode("ascii")
    # The certificates are associated data: swapping them breaks the seal.
    sealed = seal(plain, artist + certificates.encode("ascii"), key=key)
    document = {
        "format": CHAIN_FORMAT,
        "version": 1,
        "artist_id": identity.artist_id,
        "certificates": certificates,
        "nonce": sealed["nonce"],
        "sealed_keys": sealed["ciphertext"],
    }
    text = json.dumps(document, indent=2) + "\n"
    write_file(path, text.encode("utf-8"), exists="replace", private=True)


def _load(path: Path, identity: Identity) -> CertificateChain | None:
    document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("format") != CHAIN_FORMAT or document.get("artist_id") != identity.artist_id:
        return None
    key, artist = _sealing(identity)
    certificates = str(document["certificates"])
    sealed = {"cipher": SEAL_CIPHER, "nonce": document["nonce"], "ciphertext": document["sealed_keys"]}
    plain = unseal(sealed, artist + certificates.encode("ascii"), key=key)
    keys = json.loads(plain)
    leaf, root = x509.load_pem_x509_certificates(certificates.encode("ascii"))
    signing_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["signing_key"]))
    root_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(keys["root_key"]))
    if signing_key.public_key() != leaf.public_key():
        raise ValueError("the signing key does not match its certificate")
    return CertificateChain(root, leaf, signing_key, root_key)


MEMBER_CHAIN_FILE = "c2pa-member-chain.pem"
"""A chain an authority the artist joined (a union) issued for the identity's own key:
the member certificate first, then the authority's root.  Manifests signed under it
validate as trusted wherever that root is a trust anchor."""


@dataclass(frozen=True)
class MemberChain:
    """A certificate for the identity's own signing key, and the root that issued it."""

    root: x509.Certificate
    certificate: x509.Certificate

    def pem(self) -> bytes:
        return b"".join(
            c.public_bytes(serialization.Encoding.PEM) for c in (self.certificate, self.root)
        )


def member_chain_for(identity: Identity, *, folder: Path | None = None) -> MemberChain | None:
    """The chain kept in *folder* for *identity*'s key, if there is one that holds today.

    One for another key, not issued by its root, or out of date is passed
    over (with a warning): the identity's own chain signs instead.
    """
    if folder is None:
        from artistshield.paths import data_dir

        folder = data_dir()
    path = folder / MEMBER_CHAIN_FILE
    try:
        certificate, root = x509.load_pem_x509_certificates(path.read_bytes())[:2]
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be read (%s); signing with the artist's own chain", path, exc)
        return None
    now = datetime.datetime.now(datetime.UTC)
    held = certificate.public_key()
    try:
        certificate.verify_directly_issued_by(root)
        good = (
            isinstance(held, Ed25519PublicKey)
            and held.public_bytes_raw() == identity.public_key
            and certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc
        )
    except (ValueError, TypeError, InvalidSignature):
        good = False
    if not good:
        log.warning("%s is not a current chain for this identity; signing with its own", path)
        return None
    return MemberChain(root, certificate)


def from_settings(identity: Identity, consent: Consent | None) -> ContentSigner | None:
    """The signer the settings ask for: none when consent or ``c2pa`` is off in the settings."""
    if consent is None or not c2pa_enabled():
        return None
    return ContentSigner(identity, data_mining=consent.data_mining)


def training_mining(data_mining: str) -> dict[str, dict[str, str]]:
    """The CAWG training-and-mining entries that say what the IPTC *data_mining* value says."""
    if data_mining == "DMI-UNSPECIFIED":
        return {}
    if data_mining == "DMI-ALLOWED":
        return {name: {"use": "allowed"} for name in TRAINING_MINING}
    if data_mining == "DMI-PROHIBITED-GENAIMLTRAINING":
        return {"cawg.ai_generative_training": {"use": "notAllowed"}}
    return {name: {"use": "notAllowed"} for name in TRAINING_MINING}


class ContentSigner:
    """Signs marked copies with *identity*'s chain; one per batch."""

    def __init__(self, identity: Identity, *, data_mining: str = DEFAULT_DATA_MINING) -> None:
        self.identity = identity
        self.chain = chain_for(identity)
        self.member_chain = member_chain_for(identity)
        """When set (the artist joined a union), copies are signed under it instead."""
        self.data_mining = data_mining
        self._manifests: dict[int, bytes] = {}

    def manifest_of(self, payload: int) -> bytes | None:
        """The manifest store first signed for *payload* (handed over once, for the registry).

        A frame folder's frames are each signed; the first frame's manifest is
        kept, as the registry records a frame folder by its first frame.
        """
        return self._manifests.pop(payload, None)

    def manifest(self, *, payload: int, title: str) -> dict[str, Any]:
        """The manifest definition written for a copy carrying *payload*."""
        from artistshield import __version__
        from artistshield.watermark import PAYLOAD_BITS

        value = base64.b64encode(payload.to_bytes((PAYLOAD_BITS + 7) // 8, "big")).decode()
        uses = training_mining(self.data_mining)
        mining = [{"label": "cawg.training-mining", "data": {"entries": uses}}] if uses else []
        return {
            "claim_generator_info": [{"name": "ArtistShield", "version": __version__}],
            "title": title,
            "assertions": [
                {"label": "c2pa.actions", "data": {"actions": [
                    {"action": "c2pa.created", "digitalSourceType": DIGITAL_CREATION},
                ]}},
                *mining,
                {"label": "stds.schema-org.CreativeWork", "data": {
                    "@context": "http://schema.org/",
                    "@type": "CreativeWork",
                    "author": [{
                        "@type": "Person",
                        "name": self.identity.name,
                        "identifier": self.identity.artist_id,
                    }],
                }},
                {"label": "c2pa.soft-binding", "data": {
                    "alg": SOFT_BINDING_ALG,
                    "name": f"ArtistShield invisible mark, payload {payload}",
                    "blocks": [{"scope": {}, "value": value}],
                }},
            ],
        }  # fmt: skip

    def sign(self, data: bytes, fmt: str, *, payload: int, title: str) -> bytes:
        """Return *data* (an encoded *fmt* file) with a signed manifest; as is if c2pa cannot hold one."""
        mime = MIME_TYPES.get(fmt)
        if mime is None:
            return data
        import io

        out = io.BytesIO()
        self._sign(mime, io.BytesIO(data), out, payload=payload, title=title)
        return out.getvalue()

    def sign_file(self, path: str | os.PathLike[str], *, payload: int, title: str) -> bool:
        """Sign the clip at *path* in place; return False for a kind c2pa cannot hold.

        *path* must be a file this batch has just written and nobody else
        holds yet (a staged copy): the signed file is written beside it and
        takes its name.  The frames are copied, never decoded again.
        """
        target = Path(path)
        mime = CLIP_MIME_TYPES.get(target.suffix.lower())
        if mime is None or not target.is_file():
            return False
        signed = target.with_name(f".{target.name}.signing")
        out = signed.open("x+b")
        try:
            with out, target.open("rb") as source:
                self._sign(mime, source, out, payload=payload, title=title)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            signed.unlink(missing_ok=True)  # closed by now, so Windows lets it go too
            raise
        os.replace(signed, target)  # both ours: the staged copy and its signed twin
        return True

    def _sign(self, mime: str, source: BinaryIO, out: BinaryIO, *, payload: int, title: str) -> None:
        import c2pa

        info = c2pa.C2paSignerInfo(
            c2pa.C2paSigningAlg.ED25519,
            self.chain.pem(),
            self.chain.signing_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            None,
        )
        try:
            with (
                c2pa.Context.from_dict(_SIGN_SETTINGS) as context,
                self._signer(c2pa, info) as signer,
                c2pa.Builder(self.manifest(payload=payload, title=title), context=context) as builder,
            ):
                manifest = builder.sign(signer, mime, source, out)
        except c2pa.C2paError as exc:
            raise ArtistShieldError(f"Could not sign the Content Credentials ({exc}).") from exc
        self._manifests.setdefault(payload, bytes(manifest))

    def _signer(self, c2pa: Any, info: Any) -> Any:
        """The c2pa signer: the member chain signs with the identity's own key, held here."""
        if self.member_chain is None:
            return c2pa.Signer.from_info(info)
        return c2pa.Signer.from_callback(
            self.identity.sign, c2pa.C2paSigningAlg.ED25519, self.member_chain.pem().decode("ascii")
        )
