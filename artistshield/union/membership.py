"""A member's side of a union: the request to join, the membership, its checks.

A member asks with :func:`request_membership` (their name, artist ID and
public key, signed with their own key: nothing secret).  The union answers
with a membership file signed by its root: the member's certificate and the
watermark key of each epoch.  :func:`join` checks that file against the
member's own identity and keeps it in the data folder, its keys sealed with
the identity's passphrase.

A member's marks made after joining use the union's current key, and their
payload starts with the member number (:func:`payload_for`), so the union
reads every member's marks with one key and knows whose records to look in.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.x509.oid import NameOID

from artistshield import identity as identities
from artistshield.fileio import write_file
from artistshield.identity import Identity, artist_id
from artistshield.paths import data_dir
from artistshield.provenance import signing
from artistshield.union import MEMBERSHIP_FILE
from artistshield.union.authority import (
    DOCUMENT_SIGNING,
    MEMBERSHIP_FORMAT,
    PROFILE_FORMAT,
    VERSION,
    UnionError,
    canonical_bytes,
)

REQUEST_FORMAT = "artistshield-membership-request"
FILE_NAME = MEMBERSHIP_FILE
PROFILE_FILE_NAME = "union-profile.json"
#: Bits of a union mark's payload below the member number.
MEMBER_SHIFT = 32
#: The most a union file may weigh before it is refused unread.
FILE_LIMIT = 4 * 2**20


@dataclass(frozen=True)
class MembershipRequest:
    name: str
    artist_id: str
    public_key: bytes
    created: str
    sealing_key: bytes
    """The X25519 key the union seals the member's watermark keys to."""


@dataclass(frozen=True)
class MemberStatus:
    """Whether a member certificate is good at a given time, and why not."""

    ok: bool
    member_no: int | None
    name: str | None
    reason: str
    revoked: str | None = None


@dataclass(frozen=True, eq=False)
class Membership:
    """A member's membership of one union; ``repr`` never shows the keys."""

    union: dict[str, Any]
    member_no: int
    certificate_pem: str
    epochs: dict[int, bytes] = field(repr=False)

    @property
    def union_name(self) -> str:
        return str(self.union["name"])

    @property
    def epoch(self) -> int:
        return max(self.epochs)

    @property
    def key(self) -> bytes:
        """The watermark key new marks are made with: the current epoch's."""
        return self.epochs[self.epoch]

    def keys(self) -> dict[str, bytes]:
        """Every epoch's key by label, newest first, for checking."""
        return {
            f"{self.union_name} (epoch {n})": self.epochs[n]
            for n in sorted(self.epochs, reverse=True)
        }


def request_membership(identity: Identity) -> dict[str, Any]:
    """The signed request an artist sends to join a union (nothing secret in it)."""
    body = {
        "format": REQUEST_FORMAT,
        "version": VERSION,
        "name": identity.name,
        "artist_id": identity.artist_id,
        "public_key": identity.public_key.hex(),
        "sealing_key": identity.sealing_public_key.hex(),
        "created": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    }
    return {**body, "signature": identity.sign(canonical_bytes(body)).hex()}


def verify_request(document: Any) -> MembershipRequest:
    """Check a membership request's signature and return who sent it."""
    try:
        if document.get("format") != REQUEST_FORMAT:
            raise ValueError("not a membership request")
        body = {k: v for k, v in document.items() if k != "signature"}
        key = bytes.fromhex(document["public_key"])
        signature = bytes.fromhex(document["signature"])
        asker = MembershipRequest(
            name=str(document["name"]).strip(),
            artist_id=str(document["artist_id"]),
            public_key=key,
            created=str(document["created"]),
            sealing_key=bytes.fromhex(document["sealing_key"]),
        )
        if len(asker.sealing_key) != 32:
            raise ValueError("the sealing key is not an X25519 key")
    except KeyError as exc:
        raise UnionError(
            "The membership request names no key to seal the union's keys to; it was made "
            "by an older ArtistShield. Ask the member for a new one."
        ) from exc
    except (AttributeError, TypeError, ValueError) as exc:
        raise UnionError("This is not a readable ArtistShield membership request.") from exc
    if not asker.name:
        raise UnionError("The membership request has no name.")
    if artist_id(key) != asker.artist_id or not identities.verify(
        key, canonical_bytes(body), signature
    ):
        raise UnionError(
            "The membership request's signature does not verify: it was altered or not "
            "made by the artist it names. Ask the member to send a new one."
        )
    return asker


def verify_union_signed(
    document: Any, *, expected_format: str, source: str = "The union file"
) -> dict[str, Any]:
    """Check a file the union signed (membership, profile, shared registry); return its body.

    The one check of a union's signature: the body, without ``signature``, in
    its canonical bytes, under the Ed25519 root it names.  Whether that root
    is the expected union's is the caller's question.
    """
    try:
        if document.get("format") != expected_format:
            raise ValueError(f"not a {expected_format} file")
        body = {k: v for k, v in document.items() if k != "signature"}
        root = x509.load_pem_x509_certificate(str(body["union"]["root_pem"]).encode("ascii"))
        signature = bytes.fromhex(document["signature"])
        public = root.public_key()
        if not isinstance(public, Ed25519PublicKey):
            raise ValueError("the union's root is not an Ed25519 key")
        public.verify(signature, canonical_bytes(body))
    except InvalidSignature:
        raise UnionError(
            f"{source} was tampered with: its signature does not verify, so it was altered "
            "after the union signed it. Get it from the union again."
        ) from None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise UnionError(f"{source} is not a readable ArtistShield union file ({exc}).") from exc
    return body


def read_union_file(path: str | os.PathLike[str]) -> Any:
    """Read a small JSON file from the user: a regular file, under :data:`FILE_LIMIT`."""
    path = Path(path)
    try:
        if not path.is_file():
            raise UnionError(f"{path} is not a file; give the union file's path.")
        if path.stat().st_size > FILE_LIMIT:
            raise UnionError(f"{path} is too large to be a union file.")
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnionError(f"{path} cannot be read ({exc.strerror}).") from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UnionError(f"{path} is not a readable ArtistShield union file.") from exc


def check_certificate(
    certificate_pem: str | bytes,
    root_pem: str | bytes,
    *,
    revocations: str | bytes | None = None,
    at: datetime | None = None,
    public_key: bytes | None = None,
) -> MemberStatus:
    """Check a member certificate against the union's root (and revocation list) at *at*."""
    moment = at or datetime.now(UTC)
    try:
        certificate = x509.load_pem_x509_certificate(_bytes(certificate_pem))
        root = x509.load_pem_x509_certificate(_bytes(root_pem))
    except ValueError:
        return MemberStatus(False, None, None, "the certificate is not readable")
    member_no, name = _member_of(certificate)
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return MemberStatus(False, member_no, name, "the certificate was not issued by this union")
    if public_key is not None:
        held = certificate.public_key()
        if not isinstance(held, Ed25519PublicKey) or held.public_bytes_raw() != public_key:
            return MemberStatus(False, member_no, name, "the certificate is for another key")
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        return MemberStatus(
            False, member_no, name, f"the certificate is not valid at {moment:%Y-%m-%d}"
        )
    if revocations is not None:
        revoked = revoked_since(certificate, root, revocations)
        if revoked is not None and revoked <= moment:
            return MemberStatus(
                False, member_no, name, f"revoked on {revoked:%Y-%m-%d}", revoked=revoked.isoformat()
            )
    return MemberStatus(True, member_no, name, "a member in good standing")


def revoked_since(
    certificate: x509.Certificate, root: x509.Certificate, revocations: str | bytes
) -> datetime | None:
    """When the union's signed revocation list says *certificate* was revoked, if it does."""
    try:
        crl = x509.load_pem_x509_crl(_bytes(revocations))
    except ValueError:
        raise UnionError("The union's revocation list is not readable.") from None
    public = root.public_key()
    if crl.issuer != root.subject or not isinstance(public, Ed25519PublicKey):
        raise UnionError("The revocation list is not this union's.")
    if not crl.is_signature_valid(public):
        raise UnionError("The union's revocation list was altered: its signature fails.")
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    return None if entry is None else entry.revocation_date_utc


def join(path: str | os.PathLike[str], identity: Identity) -> Membership:
    """Check the membership file at *path* against *identity* and keep it."""
    body = verify_union_signed(read_union_file(path), expected_format=MEMBERSHIP_FORMAT)
    union = body["union"]
    status = check_certificate(
        body["certificate_pem"], union["root_pem"], public_key=identity.public_key
    )
    if not status.ok:
        raise UnionError(f"This membership cannot be joined: {status.reason}.")
    try:
        sealed = body["sealed_epochs"]
        opened = identity.open_sealed(
            sealed, canonical_bytes({k: v for k, v in body.items() if k != "sealed_epochs"})
        )
        epochs = {int(e["epoch"]): bytes.fromhex(e["key"]) for e in json.loads(opened)}
        member_no = int(body["member_no"])
    except InvalidTag:
        raise UnionError(
            "This membership's keys are sealed to another identity; it was issued for "
            "someone else's request."
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnionError("The membership file's keys are unreadable.") from exc
    if not epochs or any(len(k) != 32 for k in epochs.values()) or member_no != status.member_no:
        raise UnionError("The membership file's keys or member number are not valid.")
    membership = Membership(union, member_no, body["certificate_pem"], epochs)
    _save(membership, identity)
    # Content Credentials are signed under the union's root from now on (provenance.signing).
    chain = (body["certificate_pem"].strip() + "\n" + str(union["root_pem"]).strip() + "\n")
    write_file(
        data_dir() / signing.MEMBER_CHAIN_FILE, chain.encode("ascii"), exists="replace"
    )
    return membership


def join_profile(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check the union profile at *path* and keep it (branding and defaults); return its body.

    A profile carries no keys: it says which union this copy of ArtistShield
    belongs to, how to show it and what to default to.  If the artist is a
    member already, the profile must be their union's.
    """
    document = read_union_file(path)
    body = verify_union_signed(document, expected_format=PROFILE_FORMAT)
    kept = data_dir() / FILE_NAME
    if kept.exists():
        public = read_union_file(kept).get("public", {})
        if public.get("union", {}).get("root_pem") != body["union"]["root_pem"]:
            raise UnionError(
                f"This profile is another union's than {public.get('union', {}).get('name')}, "
                "whose member you are; it was not applied."
            )
    text = json.dumps(document, indent=1, ensure_ascii=False)
    write_file(data_dir() / PROFILE_FILE_NAME, text.encode("utf-8"), exists="replace", private=True)
    _default_tsa(body)
    return body


def profile_defaults() -> dict[str, Any]:
    """The joined profile's defaults the app and CLI follow unless the artist chose otherwise.

    ``strength`` (1.0 is the usual mark) and ``tsa_url``, each None without a
    joined profile or when the profile leaves it open.
    """
    try:
        profile = load_profile()
    except UnionError:
        profile = None
    defaults = (profile or {}).get("defaults") or {}
    percent = defaults.get("strength_percent")
    strength = float(percent) / 100 if isinstance(percent, int | float) and percent > 0 else None
    tsa_url = defaults.get("tsa_url")
    return {"strength": strength, "tsa_url": tsa_url if isinstance(tsa_url, str) else None}


def _default_tsa(body: dict[str, Any]) -> None:
    """Name the profile's time-stamp authority in the settings, unless the artist named one.

    The settings file is shared by the app and the command line (``registry
    stamp`` reads ``tsa_url`` from it), so the union's TSA is used by both.
    """
    import configparser

    from artistshield.registry import timestamp

    url = (body.get("defaults") or {}).get("tsa_url")
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        return
    if timestamp.configured()[0] is not None:
        return  # the artist's own choice stays
    path = data_dir() / timestamp.SETTINGS_FILE
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # Qt's keys keep their case
    parser.read(path, encoding="utf-8")
    if not parser.has_section("General"):
        parser.add_section("General")
    parser.set("General", "tsa_url", url)
    with open(path, "w", encoding="utf-8") as handle:
        parser.write(handle, space_around_delimiters=False)


def load_profile() -> dict[str, Any] | None:
    """The union profile this copy of ArtistShield joined, checked again, or None."""
    path = data_dir() / PROFILE_FILE_NAME
    if not path.exists():
        return None
    return verify_union_signed(read_union_file(path), expected_format=PROFILE_FORMAT)


def load_membership(identity: Identity) -> Membership | None:
    """The union membership kept in the data folder, or None if the artist joined none."""
    path = data_dir() / FILE_NAME
    if not path.exists():
        return None
    document = read_union_file(path)
    try:
        public = document["public"]
        sealed = document["secrets"]
        plain = identities.unseal(sealed, canonical_bytes(public), key=_sealing_key(identity))
        values = json.loads(plain)
        epochs = {int(n): bytes.fromhex(k) for n, k in values["epochs"].items()}
        return Membership(public["union"], int(public["member_no"]), public["certificate_pem"], epochs)
    except InvalidTag:
        raise UnionError(
            f"{path} was kept by another identity or altered; join the union again."
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnionError(f"{path} is damaged; join the union again.") from exc


def membership_info() -> dict[str, Any] | None:
    """The public part of the kept membership (union, member number), without keys."""
    path = data_dir() / FILE_NAME
    if not path.exists():
        return None
    try:
        public = read_union_file(path)["public"]
        return {"union": public["union"], "member_no": int(public["member_no"])}
    except (KeyError, TypeError, ValueError) as exc:
        raise UnionError(f"{path} is damaged; join the union again.") from exc


def marking_key(identity: Identity) -> tuple[bytes, int | None]:
    """The key *identity* marks new work with, and their member number if it is a union's.

    A member marks with the union's current key, so the union can find the
    work for them; anyone else with their own key.
    """
    joined = load_membership(identity)
    if joined is None:
        return identity.watermark_key, None
    return joined.key, joined.member_no


def checking_keys(identity: Identity, label: str) -> dict[str, bytes]:
    """Every key *identity*'s marks may carry: their own (as *label*), then the union's."""
    joined = load_membership(identity)
    return {label: identity.watermark_key, **({} if joined is None else joined.keys())}


def payload_for(member_no: int, *, taken: set[int] | None = None) -> int:
    """A new union-mark payload: the member number, then 32 random bits."""
    while True:
        payload = (member_no << MEMBER_SHIFT) | secrets.randbits(MEMBER_SHIFT)
        if taken is None or payload not in taken:
            return payload


def member_of_payload(payload: int) -> int:
    """The member number a union mark's payload starts with."""
    return payload >> MEMBER_SHIFT


def _save(membership: Membership, identity: Identity) -> None:
    """Keep the membership, its keys sealed with a key only *identity* can derive."""
    public = {
        "union": membership.union,
        "member_no": membership.member_no,
        "certificate_pem": membership.certificate_pem,
    }
    plain = json.dumps({"epochs": {str(n): k.hex() for n, k in membership.epochs.items()}})
    document = {
        "format": "artistshield-union-membership-kept",
        "version": VERSION,
        "public": public,
        "secrets": identities.seal(
            plain.encode("utf-8"), canonical_bytes(public), key=_sealing_key(identity)
        ),
    }
    text = json.dumps(document, indent=1, ensure_ascii=False)
    write_file(data_dir() / FILE_NAME, text.encode("utf-8"), exists="replace", private=True)


def _sealing_key(identity: Identity) -> bytes:
    """A key for the kept membership that only the unlocked identity derives.

    The identity file is sealed with the artist's passphrase, so the union's
    keys are as safe at rest as the artist's own, without a second passphrase.
    """
    return identity.derived_key("union-membership")


def _member_of(certificate: x509.Certificate) -> tuple[int | None, str | None]:
    numbers = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        number = int(numbers[0].value) if numbers else None
    except ValueError:
        number = None
    return number, (str(names[0].value) if names else None)



def _bytes(value: str | bytes) -> bytes:
    return value.encode("ascii") if isinstance(value, str) else value


__all__ = [
    "DOCUMENT_SIGNING",
    "MEMBERSHIP_FORMAT",
    "PROFILE_FORMAT",
    "MemberStatus",
    "Membership",
    "check_certificate",
    "join",
    "load_membership",
    "payload_for",
    "request_membership",
    "verify_request",
]
