"""The union's authority: its root certificate, watermark keys and members.

Everything lives in one folder (``--home``, ``$ARTISTSHIELD_UNION_HOME``, or
``union`` in the data folder) in ``union.json``: the public part (name,
colour, logo, root certificate) in the clear, and the secrets (the root's
Ed25519 key and the watermark key of every epoch) sealed with the union's
passphrase like an artist's identity.  The record of issued and revoked
members is kept beside them; what others rely on is signed: member
certificates, the revocation list and membership files.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from artistshield import identity as identities
from artistshield.errors import ArtistShieldError
from artistshield.fileio import make_folder, write_file
from artistshield.paths import data_dir
from artistshield.registry.records import canonical_json

ENV_HOME = "ARTISTSHIELD_UNION_HOME"
FILE_NAME = "union.json"
FORMAT = "artistshield-union"
MEMBERSHIP_FORMAT = "artistshield-membership"
PROFILE_FORMAT = "artistshield-union-profile"
VERSION = 1
#: id-kp-documentSigning (RFC 9336), the key purpose C2PA expects of a signer.
DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
DEFAULT_COLOUR = "#2f5d8a"
#: Largest logo accepted, so a profile stays a small file.
LOGO_LIMIT = 256 * 1024


class UnionError(ArtistShieldError):
    """A union file or request that cannot be used, with what to do."""


@dataclass(frozen=True)
class IssuedMember:
    """A member the union certified, as its own records keep it."""

    member_no: int
    name: str
    artist_id: str
    public_key: str
    serial: int
    issued: str
    until: str
    revoked: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def union_home(home: str | os.PathLike[str] | None = None) -> Path:
    """The union's folder: *home*, ``$ARTISTSHIELD_UNION_HOME``, or ``union`` in the data folder."""
    chosen = home or os.environ.get(ENV_HOME)
    return Path(chosen).expanduser() if chosen else data_dir() / "union"


@dataclass(eq=False)
class UnionAuthority:
    """A union's keys and member records.  ``repr`` never shows the secrets."""

    home: Path
    name: str
    colour: str
    logo_png: bytes | None
    root_pem: bytes
    created: str
    root_key: Ed25519PrivateKey = field(repr=False)
    epochs: list[bytes] = field(repr=False)
    members: dict[int, IssuedMember] = field(default_factory=dict)
    passphrase: str | None = field(default=None, repr=False)

    # -- making and opening ---------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str,
        passphrase: str | None,
        *,
        home: str | os.PathLike[str] | None = None,
        logo: str | os.PathLike[str] | None = None,
        colour: str = DEFAULT_COLOUR,
    ) -> UnionAuthority:
        """Make a new union authority in *home* (refusing to replace one)."""
        name = name.strip()
        if not name:
            raise UnionError("The union's name is empty; give the name members will see.")
        if not _is_colour(colour):
            raise UnionError(f"{colour!r} is not a colour; give it as #RRGGBB, e.g. #2f5d8a.")
        folder = union_home(home)
        if (folder / FILE_NAME).exists():
            raise UnionError(
                f"A union authority already exists in {folder}; making a new one would lose "
                "its keys. Use another --home."
            )
        logo_png = _read_logo(Path(logo)) if logo is not None else None
        root_key = Ed25519PrivateKey.generate()
        created = _now()
        authority = cls(
            home=folder,
            name=name,
            colour=colour.lower(),
            logo_png=logo_png,
            root_pem=_root_certificate(name, root_key).public_bytes(serialization.Encoding.PEM),
            created=created,
            root_key=root_key,
            epochs=[secrets.token_bytes(32)],
            passphrase=passphrase,
        )
        make_folder(folder, private=True)
        authority.save()
        return authority

    @classmethod
    def load(
        cls, passphrase: str | None = None, *, home: str | os.PathLike[str] | None = None
    ) -> UnionAuthority:
        """Open the authority in *home*, asking for the passphrase if it has one."""
        path = union_home(home) / FILE_NAME
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("format") != FORMAT:
                raise ValueError("not a union authority")
            public = document["public"]
            sealed = document["secrets"]
        except FileNotFoundError:
            raise UnionError(
                f"No union authority in {path.parent}; make one with 'union create'."
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UnionError(f"{path} is not a readable union authority.") from exc
        if passphrase is None and sealed.get("cipher") != "none":
            passphrase = identities.passphrase_from_env_or_prompt()
        values = _unseal(sealed, passphrase, canonical_bytes(public), source=path)
        try:
            root_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(values["root_key"]))
            epochs = [bytes.fromhex(k) for k in values["epochs"]]
            members = {
                int(m["member_no"]): IssuedMember(**m) for m in document.get("members", [])
            }
            root_pem = public["root_pem"].encode("ascii")
            root = x509.load_pem_x509_certificate(root_pem)
        except (KeyError, ValueError, TypeError) as exc:
            raise UnionError(f"{path} is damaged: its keys or members are unreadable.") from exc
        if root.public_key() != root_key.public_key():
            raise UnionError(f"{path} is damaged: its root certificate is not its key's.")
        logo = public.get("logo_png")
        return cls(
            home=path.parent,
            name=public["name"],
            colour=public["colour"],
            logo_png=None if logo is None else base64.b64decode(logo),
            root_pem=root_pem,
            created=public["created"],
            root_key=root_key,
            epochs=epochs,
            members=members,
            passphrase=passphrase,
        )

    def save(self) -> None:
        """Write ``union.json`` atomically (mode 0600)."""
        public = self.public_json()
        secrets_plain = json.dumps(
            {
                "root_key": self.root_key.private_bytes_raw().hex(),
                "epochs": [k.hex() for k in self.epochs],
            }
        ).encode("utf-8")
        document = {
            "format": FORMAT,
            "version": VERSION,
            "public": public,
            "secrets": identities.seal(
                secrets_plain, canonical_bytes(public), passphrase=self.passphrase
            ),
            "members": [m.to_json() for m in sorted(self.members.values(), key=_by_number)],
        }
        text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
        write_file(self.home / FILE_NAME, text.encode("utf-8"), exists="replace", private=True)

    def public_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "colour": self.colour,
            "logo_png": None if self.logo_png is None else base64.b64encode(self.logo_png).decode(),
            "root_pem": self.root_pem.decode("ascii"),
            "created": self.created,
        }

    @property
    def root(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.root_pem)

    @property
    def epoch(self) -> int:
        """The current key epoch (new marks use its key)."""
        return len(self.epochs)

    # -- members -------------------------------------------------------------------

    def issue(self, request: dict[str, Any], *, member_no: int, until: str) -> dict[str, Any]:
        """Certify the member who signed *request*; return their signed membership file."""
        from artistshield.union.membership import verify_request

        asker = verify_request(request)
        if not 1 <= member_no < 2**16:
            raise UnionError(f"Member numbers run from 1 to 65535, not {member_no}.")
        taken = self.members.get(member_no)
        if taken is not None and taken.artist_id != asker.artist_id:
            raise UnionError(
                f"Member number {member_no} is already {taken.name}'s ({taken.artist_id}); "
                "choose another."
            )
        for other in self.members.values():
            if other.artist_id == asker.artist_id and other.member_no != member_no:
                raise UnionError(
                    f"{asker.name} ({asker.artist_id}) is already member {other.member_no}."
                )
        expires = _parse_date(until)
        now = datetime.now(UTC)
        if expires <= now:
            raise UnionError(f"--until {until} is in the past; give a future date.")
        serial = x509.random_serial_number()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, asker.name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, str(member_no)),
                x509.NameAttribute(NameOID.USER_ID, asker.artist_id),
            ]
        )
        member_key = Ed25519PublicKey.from_public_bytes(asker.public_key)
        root = self.root
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(root.subject)
            .public_key(member_key)
            .serial_number(serial)
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(expires)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(member_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()),
                critical=False,
            )
            .sign(self.root_key, algorithm=None)
        )
        self.members[member_no] = IssuedMember(
            member_no=member_no,
            name=asker.name,
            artist_id=asker.artist_id,
            public_key=asker.public_key.hex(),
            serial=serial,
            issued=_now(),
            until=expires.isoformat().replace("+00:00", "Z"),
        )
        self.save()
        body = {
            "format": MEMBERSHIP_FORMAT,
            "version": VERSION,
            "union": self.public_json(),
            "member_no": member_no,
            "certificate_pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        }
        epochs = [{"epoch": n + 1, "key": key.hex()} for n, key in enumerate(self.epochs)]
        # Only the member opens the watermark keys: they are sealed to the key their
        # signed request named, bound to this membership.
        body["sealed_epochs"] = identities.seal_to(
            asker.sealing_key, json.dumps(epochs).encode("utf-8"), canonical_bytes(body)
        )
        return self._signed(body)

    def revoke(self, member_no: int, *, when: str | None = None) -> IssuedMember:
        """Revoke member *member_no* from *when* (now by default)."""
        member = self.members.get(member_no)
        if member is None:
            raise UnionError(f"The union has no member number {member_no}.")
        if member.revoked is not None:
            return member
        moment = _parse_date(when) if when else datetime.now(UTC)
        member = replace(member, revoked=moment.isoformat().replace("+00:00", "Z"))
        self.members[member_no] = member
        self.save()
        return member

    def revocation_list(self) -> bytes:
        """The signed X.509 revocation list (PEM) of every revoked member certificate."""
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.root.subject)
            .last_update(now)
            .next_update(now + timedelta(days=30))
        )
        for member in sorted(self.members.values(), key=_by_number):
            if member.revoked is None:
                continue
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(member.serial)
                .revocation_date(_parse_date(member.revoked))
                .build()
            )
        crl = builder.sign(self.root_key, algorithm=None)
        return crl.public_bytes(serialization.Encoding.PEM)

    def rotate(self) -> int:
        """Start a new key epoch (after a leak); old marks keep reading under old keys."""
        self.epochs.append(secrets.token_bytes(32))
        self.save()
        return self.epoch

    # -- what the union hands out -------------------------------------------------------

    def profile(
        self,
        *,
        strength: float = 1.0,
        platforms: tuple[str, ...] = (),
        consent: bool = True,
        tsa_url: str | None = None,
        registry: str | None = None,
    ) -> dict[str, Any]:
        """The signed union profile members join with: branding, root, defaults."""
        body = {
            "format": PROFILE_FORMAT,
            "version": VERSION,
            "union": self.public_json(),
            "defaults": {
                "strength_percent": round(strength * 100),
                "platforms": list(platforms),
                "consent": consent,
                "tsa_url": tsa_url,
                "registry": registry,
            },
        }
        return self._signed(body)

    def sign(self, data: bytes) -> bytes:
        return self.root_key.sign(data)

    def _signed(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "signature": self.sign(canonical_bytes(body)).hex()}


def canonical_bytes(value: Any) -> bytes:
    """The one byte string of *value* that the union, its members and checkers sign."""
    return canonical_json(value).encode("utf-8")


def _by_number(member: IssuedMember) -> int:
    return member.member_no


def _root_certificate(name: str, key: Ed25519PrivateKey) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} root"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    now = datetime.now(UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, algorithm=None)
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def _unseal(
    sealed: dict[str, Any], passphrase: str | None, associated: bytes, *, source: Path
) -> dict[str, Any]:
    try:
        values = json.loads(identities.unseal(sealed, associated, passphrase=passphrase))
        if not isinstance(values, dict):
            raise ValueError("not an object")
        return values
    except identities.PassphraseError:
        raise identities.PassphraseError(f"{source} is protected by a passphrase.") from None
    except InvalidTag:
        raise identities.PassphraseError(
            f"Wrong passphrase for {source} (or the file was altered); nothing was opened."
        ) from None
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise UnionError(f"{source} is damaged: its sealed keys are unreadable.") from exc


def _read_logo(path: Path) -> bytes:
    """The logo as PNG bytes, at most 256 px, refusing what is not a picture."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.thumbnail((256, 256))
            buffer = io.BytesIO()
            image.convert("RGBA").save(buffer, "PNG")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise UnionError(f"The logo {path} is not a picture ArtistShield can read.") from exc
    data = buffer.getvalue()
    if len(data) > LOGO_LIMIT:
        raise UnionError(f"The logo {path} is too detailed; use a simpler picture.")
    return data


def _is_colour(text: str) -> bool:
    return len(text) == 7 and text[0] == "#" and all(c in "0123456789abcdefABCDEF" for c in text[1:])


def _parse_date(text: str) -> datetime:
    """A date (``2027-12-31``) or ISO time, as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UnionError(f"{text!r} is not a date; give it as YYYY-MM-DD.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
