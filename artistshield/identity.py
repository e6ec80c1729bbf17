"""The artist's identity: who signs the registry and whose key marks the work.

An identity is made once per artist and holds two secrets: an Ed25519 signing
key (signs every registry entry and proof bundle) and a 32-byte watermark key
(keys every invisible mark).  Its public half (name, artist ID, public key) can
be read without a passphrase.

At rest, in ``data_dir()/identity.json``, the secrets are sealed with a key
stretched from the passphrase by scrypt and encrypted with AES-256-GCM; the
public half is bound to them as associated data, so neither can be swapped on
its own.  A backup made by :func:`export` uses the same format.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import secrets
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from artistshield import untrusted
from artistshield.errors import ArtistShieldError
from artistshield.fileio import Exists, make_folder, publish, write_file
from artistshield.paths import data_dir

ENV_PASSPHRASE = "ARTISTSHIELD_PASSPHRASE"
#: The new passphrase, for scripts that change it.
ENV_NEW_PASSPHRASE = "ARTISTSHIELD_NEW_PASSPHRASE"
FILE_NAME = "identity.json"
FORMAT = "artistshield-identity"
FORMAT_VERSION = 1

#: scrypt cost for new files (32 MiB, ~0.1 s).  Tests lower it; the cost used
#: is stored in each file, so any file opens whatever this is set to.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
#: Refuse files that ask for more than this much work (a hostile backup could
#: otherwise make the app allocate gigabytes).
_SCRYPT_MAX_MEMORY = 256 * 2**20


#: The longest passphrase taken, typed or from the environment.
MAX_PASSPHRASE = 1024
#: Below this many characters a new passphrase gets a warning (not a refusal).
SHORT_PASSPHRASE = 8
#: Identity files and backups are a few KB; anything far larger is not one.
_MAX_FILE = 2**20


class PassphraseError(ArtistShieldError):
    """The passphrase does not open the identity or backup."""


class KeyMismatchError(ArtistShieldError):
    """The public key shown in an identity file is not the sealed private key's."""


@dataclass(frozen=True)
class PublicIdentity:
    """What anyone may know about an artist: name, artist ID and public key."""

    name: str
    artist_id: str
    public_key: bytes
    created: str
    encrypted: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "artist_id": self.artist_id,
            "public_key": self.public_key.hex(),
            "created": self.created,
            "encrypted": self.encrypted,
        }


@dataclass(frozen=True, eq=False)
class Identity:
    """An artist's keys.  ``repr`` never shows the secrets."""

    name: str
    created: str
    watermark_key: bytes = field(repr=False)
    _signing_key: Ed25519PrivateKey = field(repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Identity):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def _values(self) -> tuple[str, str, bytes, bytes]:
        # Private key objects do not compare by value; their public halves do.
        return (self.name, self.created, self.watermark_key, self.public_key)

    @property
    def public_key(self) -> bytes:
        return self._signing_key.public_key().public_bytes_raw()

    @property
    def artist_id(self) -> str:
        return artist_id(self.public_key)

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of *data*."""
        return self._signing_key.sign(data)

    def public(self, *, encrypted: bool = True) -> PublicIdentity:
        return PublicIdentity(self.name, self.artist_id, self.public_key, self.created, encrypted)

    def derived_key(self, purpose: str) -> bytes:
        """Return a 32-byte key for *purpose*, derived from the signing key (HKDF-SHA256).

        Seals files that belong with this identity (its certificate chain)
        so that only the unlocked identity opens them.
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        info = b"artistshield:" + purpose.encode("utf-8")
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
        return hkdf.derive(self._signing_key.private_bytes_raw())

    @property
    def sealing_public_key(self) -> bytes:
        """The X25519 public key others seal to (:func:`seal_to`), derived from the signing key."""
        return self._sealing_private().public_key().public_bytes_raw()

    def open_sealed(self, sealed: dict[str, Any], associated: bytes) -> bytes:
        """Open what :func:`seal_to` sealed to this identity; raises ``InvalidTag`` otherwise."""
        sender = bytes.fromhex(str(sealed["from"]))
        shared = self._sealing_private().exchange(X25519PublicKey.from_public_bytes(sender))
        key = _agreed_key(shared, sender, self.sealing_public_key)
        return unseal(sealed, associated, key=key)

    def _sealing_private(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(self.derived_key("x25519-sealing"))


def artist_id(public_key: bytes) -> str:
    """Return the short, readable artist ID of *public_key*.

    ``AS-`` and the base32 of the first 10 bytes of SHA-256(public key), in
    groups of four: ``AS-7KQ2-M4XD-...``.  80 bits: enough that nobody can
    make a key with someone else's ID.
    """
    digest = hashlib.sha256(public_key).digest()[:10]
    text = base64.b32encode(digest).decode("ascii")
    return "AS-" + "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def verify(public_key: bytes, data: bytes, signature: bytes) -> bool:
    """Return whether *signature* is *public_key*'s Ed25519 signature of *data*."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def identity_path() -> Path:
    return data_dir() / FILE_NAME


def exists() -> bool:
    """Return whether this data folder holds an identity."""
    return identity_path().is_file()


def create(name: str, passphrase: str | None) -> Identity:
    """Make a new identity and save it; ``passphrase=None`` stores it unencrypted."""
    name = name.strip()
    if not name:
        raise ValueError("The artist name is empty; give the name to show on your proofs.")
    if exists():
        raise ArtistShieldError(
            f"An identity already exists in {identity_path()}; "
            "making a new one would lose its keys. Use 'identity show' to see it."
        )
    identity = Identity(
        name=name,
        created=_now(),
        watermark_key=secrets.token_bytes(32),
        _signing_key=Ed25519PrivateKey.generate(),
    )
    _write(identity_path(), identity, passphrase)
    return identity


def load(passphrase: str | None = None) -> Identity:
    """Open the identity, asking for the passphrase (env, then prompt) if needed."""
    document = _read(identity_path(), missing=_missing_identity)
    if passphrase is None and document["secrets"].get("cipher") != "none":
        passphrase = passphrase_from_env_or_prompt()
    return _unseal(document, passphrase, source=identity_path())


ALIASES_FILE = "aliases.json"
#: The most names an artist lists, and the longest, so a check stays quick.
_MOST_ALIASES, _LONGEST_ALIAS = 50, 100


def aliases() -> list[str]:
    """The handles and other names the artist goes by (``identity alias``), besides their name.

    A check looks for them, and the name, in the prompt that made a suspect image.
    """
    path = data_dir() / ALIASES_FILE
    if not path.exists():
        return []
    try:
        names = untrusted.read_json(path, what="list of names", limit=64 * 1024)
    except ArtistShieldError:
        return []
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str)][:_MOST_ALIASES]


def set_aliases(names: list[str]) -> list[str]:
    """Keep *names* (stripped, without repeats or blanks) as the artist's aliases."""
    kept = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if len(kept) > _MOST_ALIASES:
        raise ArtistShieldError(f"List at most {_MOST_ALIASES} names; the prompt search is per name.")
    if any(len(n) > _LONGEST_ALIAS for n in kept):
        raise ArtistShieldError(f"A name may be at most {_LONGEST_ALIAS} characters long.")
    text = json.dumps(kept, ensure_ascii=False, indent=1) + "\n"
    write_file(data_dir() / ALIASES_FILE, text.encode("utf-8"), exists="replace", private=True)
    return kept


def names(identity: Identity | PublicIdentity) -> list[str]:
    """Every name the artist goes by: their identity's name, then their aliases."""
    return [identity.name, *aliases()]


def public_info() -> PublicIdentity:
    """Return the public half of the identity; needs no passphrase."""
    document = _read(identity_path(), missing=_missing_identity)
    public = _public_part(document, source=identity_path())
    return PublicIdentity(
        public["name"],
        artist_id(public["key"]),
        public["key"],
        public["created"],
        document["secrets"].get("cipher") != "none",
    )


def key_mismatch(passphrase: str | None = None) -> str | None:
    """Why the public key shown does not match the sealed private key, or ``None``.

    Unencrypted keys are compared directly; encrypted ones only with a
    *passphrase* (an edited public key then fails to open at all, which
    cannot be told from a wrong passphrase).
    """
    document = _read(identity_path(), missing=_missing_identity)
    if document["secrets"].get("cipher") != "none" and passphrase is None:
        return None
    try:
        _unseal(document, passphrase, source=identity_path())
    except KeyMismatchError as exc:
        return str(exc)
    except PassphraseError:
        return None
    return None


def export(
    path: str | os.PathLike[str],
    passphrase: str,
    *,
    identity: Identity | None = None,
    force: bool = False,
) -> Path:
    """Write an encrypted backup of the identity to *path*.

    The backup is sealed with *passphrase*, which also opens the stored
    identity unless it is given as *identity*.  An existing file at *path*
    is replaced only with *force* (:class:`~artistshield.fileio.OutputExistsError`).
    """
    if not passphrase:
        raise ValueError("A backup must be encrypted: give it a passphrase.")
    if identity is None:
        stored = _read(identity_path(), missing=_missing_identity)
        identity = _unseal(stored, passphrase, source=identity_path())
    target = Path(path)
    _write(target, identity, passphrase, exists="replace" if force else "refuse")
    return target


def import_(path: str | os.PathLike[str], passphrase: str, *, force: bool = False) -> Identity:
    """Restore the identity from a backup made by :func:`export`.

    Refuses to replace an existing, different identity unless *force*; even
    then the old file is kept beside the new one, because losing a watermark
    key means never finding one's marks again.
    """
    source = Path(path)
    identity = _unseal(_read(source, missing=None), passphrase, source=source)
    target = identity_path()
    if exists():
        current = public_info()
        if current.public_key == identity.public_key:
            return identity
        if not force:
            raise ArtistShieldError(
                f"This data folder already holds a different identity ({current.artist_id}, "
                f"{current.name}); importing {identity.artist_id} would replace it. "
                "Export a backup of it first, then import with --force."
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        publish(target, target.with_name(f"{FILE_NAME}.replaced-{stamp}"), exists="free")
    _write(target, identity, passphrase)
    return identity


def change_passphrase(old: str | None, new: str | None) -> Identity:
    """Re-seal the identity under *new* (``None`` removes the passphrase)."""
    stored = _read(identity_path(), missing=_missing_identity)
    identity = _unseal(stored, old, source=identity_path())
    _write(identity_path(), identity, new, exists="replace")
    return identity


def passphrase_from_env_or_prompt(
    prompt: str = "Passphrase: ", *, confirm: bool = False, env: str = ENV_PASSPHRASE
) -> str:
    """Return ``$ARTISTSHIELD_PASSPHRASE`` (or *env*) or ask for it at the terminal."""
    value = os.environ.get(env)
    if value:
        return checked_passphrase(value, new=confirm)
    if not sys.stdin.isatty():
        raise ArtistShieldError(
            "A passphrase is needed: run this in a terminal to be asked for it, "
            f"or set {env} for scripts."
        )
    value = checked_passphrase(_ask(prompt), new=confirm)
    if confirm and unicodedata.normalize("NFC", _ask("Repeat the passphrase: ")) != value:
        raise ArtistShieldError("The two passphrases differ; nothing was changed.")
    return value


def checked_passphrase(value: str, *, new: bool = False) -> str:
    """Refuse an empty or overlong passphrase; warn about a short new one.

    The same rules hold typed and from the environment.  A new passphrase
    is kept in Unicode NFC form, so it opens whichever way it is typed.
    """
    if not value:
        raise ArtistShieldError("The passphrase is empty.")
    if len(value) > MAX_PASSPHRASE:
        raise ArtistShieldError(
            f"The passphrase is longer than {MAX_PASSPHRASE} characters; choose a shorter one."
        )
    if new:
        value = unicodedata.normalize("NFC", value)
        if len(value) < SHORT_PASSPHRASE:
            print(
                f"Warning: a passphrase of fewer than {SHORT_PASSPHRASE} characters is easy to "
                "guess for anyone who copies your identity file; a few words are safer.",
                file=sys.stderr,
            )
    return value


def _ask(prompt: str) -> str:
    try:
        return getpass.getpass(prompt)
    except EOFError:  # Ctrl+D at the prompt
        print(file=sys.stderr)
        raise ArtistShieldError("No passphrase was given; nothing was changed.") from None


def _forms(passphrase: str) -> list[str]:
    """The passphrase as typed, then in NFC and NFD form (files written before NFC was kept)."""
    forms = [passphrase]
    for form in ("NFC", "NFD"):
        other = unicodedata.normalize(form, passphrase)  # type: ignore[arg-type]
        if other not in forms:
            forms.append(other)
    return forms


# -- the file format -------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _missing_identity() -> ArtistShieldError:
    return ArtistShieldError(
        "There is no identity yet: make one with 'artistshield identity create --name NAME' "
        "or restore a backup with 'artistshield identity import FILE'."
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def _associated_data(public: dict[str, Any]) -> bytes:
    return json.dumps(public, sort_keys=True, separators=(",", ":")).encode("utf-8")


SEAL_CIPHER = "aes-256-gcm"


def seal(
    plain: bytes, associated: bytes, *, passphrase: str | None = None, key: bytes | None = None
) -> dict[str, Any]:
    """Seal *plain* with AES-256-GCM, bound to *associated* (what it belongs with).

    Under a key stretched from *passphrase* (scrypt; the salt and costs go in
    the result), or under a 32-byte *key* the caller derived; with neither,
    *plain* is kept as text (``"cipher": "none"``), for users who chose no
    passphrase.  :func:`unseal` opens it.  Identities, their backups, the
    certificate chain, a union's authority and a kept membership all seal this way.
    """
    if passphrase is None and key is None:
        return {"cipher": "none", "plaintext": plain.decode("utf-8")}
    nonce = secrets.token_bytes(12)
    sealed: dict[str, Any] = {"cipher": SEAL_CIPHER}
    if key is None:
        assert passphrase is not None
        if not passphrase:
            raise ValueError("The passphrase is empty; choose one, or store without a passphrase.")
        salt = secrets.token_bytes(16)
        kdf = dict(_SCRYPT)
        key = _stretch(unicodedata.normalize("NFC", passphrase), salt, kdf)
        sealed["kdf"] = {"name": "scrypt", **kdf, "salt": _b64(salt)}
    sealed["nonce"] = _b64(nonce)
    sealed["ciphertext"] = _b64(AESGCM(key).encrypt(nonce, plain, associated))
    return sealed


def unseal(
    sealed: dict[str, Any],
    associated: bytes,
    *,
    passphrase: str | None = None,
    key: bytes | None = None,
) -> bytes:
    """Open what :func:`seal` made.

    Raises ``InvalidTag`` for a wrong passphrase or key, or a sealed text or
    *associated* data that was altered; ``PassphraseError`` when a passphrase
    is needed and none was given; ``ValueError`` when *sealed* is not readable.
    """
    cipher = sealed.get("cipher")
    if cipher == "none":
        return str(sealed["plaintext"]).encode("utf-8")
    if cipher != SEAL_CIPHER:
        raise ValueError("unknown cipher")
    nonce, ciphertext = _unb64(sealed["nonce"]), _unb64(sealed["ciphertext"])
    if "kdf" not in sealed:
        if key is None:
            raise ValueError("sealed under a key, and none was given")
        return AESGCM(key).decrypt(nonce, ciphertext, associated)
    if passphrase is None:
        raise PassphraseError("This is protected by a passphrase; none was given.")
    kdf = sealed["kdf"]
    if kdf.get("name") != "scrypt":
        raise ValueError("unknown key derivation")
    salt = _unb64(kdf["salt"])
    for candidate in _forms(passphrase):  # as typed, then normalised
        try:
            return AESGCM(_stretch(candidate, salt, kdf)).decrypt(nonce, ciphertext, associated)
        except InvalidTag:
            continue
    raise InvalidTag()


def seal_to(recipient: bytes, plain: bytes, associated: bytes) -> dict[str, Any]:
    """Seal *plain* so only the identity whose ``sealing_public_key`` is *recipient* opens it.

    X25519 with a one-time key, HKDF-SHA256, then AES-256-GCM (an ECIES);
    :meth:`Identity.open_sealed` opens it.
    """
    one_time = X25519PrivateKey.generate()
    shared = one_time.exchange(X25519PublicKey.from_public_bytes(recipient))
    sender = one_time.public_key().public_bytes_raw()
    sealed = seal(plain, associated, key=_agreed_key(shared, sender, recipient))
    return {**sealed, "to": recipient.hex(), "from": sender.hex()}


def _agreed_key(shared: bytes, sender: bytes, recipient: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    info = b"artistshield:sealed-to:" + sender + recipient
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(shared)


def _write(
    path: Path, identity: Identity, passphrase: str | None, *, exists: Exists = "refuse"
) -> None:
    public = {
        "name": identity.name,
        "created": identity.created,
        "public_key": identity.public_key.hex(),
    }
    plain = json.dumps(
        {
            "signing_key": identity._signing_key.private_bytes_raw().hex(),
            "watermark_key": identity.watermark_key.hex(),
        }
    ).encode("utf-8")
    sealed = seal(plain, _associated_data(public), passphrase=passphrase)
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "artist_id": identity.artist_id,
        **public,
        "secrets": sealed,
    }
    make_folder(path.parent)
    text = json.dumps(document, indent=2) + "\n"
    write_file(path, text.encode("utf-8"), exists=exists, private=True)


def _stretch(passphrase: str, salt: bytes, kdf: dict[str, Any]) -> bytes:
    n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
    if 128 * n * r * p > _SCRYPT_MAX_MEMORY:
        raise ValueError("scrypt cost beyond what ArtistShield ever writes")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _read(path: Path, *, missing: Callable[[], ArtistShieldError] | None) -> dict[str, Any]:
    if not os.path.lexists(path):
        raise missing() if missing is not None else ArtistShieldError(f"There is no file {path}.")
    try:
        document = untrusted.read_json(path, what="identity or backup", limit=_MAX_FILE)
    except untrusted.UntrustedFileError as exc:
        raise ArtistShieldError(
            f"{exc} It is not an ArtistShield identity or backup, or it is damaged."
        ) from None
    try:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("not an identity")
        if document.get("version") != FORMAT_VERSION:
            raise ArtistShieldError(
                f"{path} is an identity of format version {document.get('version')}; "
                "this ArtistShield reads version 1. Update ArtistShield to open it."
            )
        if not isinstance(document.get("secrets"), dict):
            raise ValueError("no secrets")
    except (ValueError, AttributeError) as exc:
        raise ArtistShieldError(
            f"{path} is not an ArtistShield identity or backup, or it is damaged."
        ) from exc
    return dict(document)


def _public_part(document: dict[str, Any], *, source: Path) -> dict[str, Any]:
    try:
        public = {
            "name": str(document["name"]),
            "created": str(document["created"]),
            "public_key": str(document["public_key"]),
        }
        key = bytes.fromhex(public["public_key"])
        if len(key) != 32:
            raise ValueError("bad key length")
    except (KeyError, ValueError, TypeError) as exc:
        raise ArtistShieldError(f"{source} is damaged: its public key is unreadable.") from exc
    return {**public, "key": key}


def _unseal(document: dict[str, Any], passphrase: str | None, *, source: Path) -> Identity:
    public = _public_part(document, source=source)
    key_info = {k: public[k] for k in ("name", "created", "public_key")}
    sealed = document["secrets"]
    try:
        if sealed.get("cipher") == "none":
            plain = str(sealed["plaintext"]).encode("utf-8")
        elif sealed.get("cipher") == "aes-256-gcm":
            if passphrase is None:
                raise PassphraseError(f"{source} is protected by a passphrase; none was given.")
            plain = _open_sealed(sealed, passphrase, _associated_data(key_info))
        else:
            raise ValueError("unknown cipher")
    except InvalidTag:
        if passphrase is not None and _sealed_for_another_key(sealed, passphrase, key_info):
            raise KeyMismatchError(
                f"{source} was edited: the public key it shows is not the one of the private "
                "key sealed in it. Restore it from your backup."
            ) from None
        raise PassphraseError(
            f"Wrong passphrase for {source} (or the file was altered); nothing was opened."
        ) from None
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise ArtistShieldError(f"{source} is damaged: its sealed keys are unreadable.") from exc
    try:
        values = json.loads(plain)
        signing_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(values["signing_key"]))
        watermark_key = bytes.fromhex(values["watermark_key"])
    except (KeyError, ValueError, TypeError, RecursionError) as exc:
        raise ArtistShieldError(f"{source} is damaged: its keys are unreadable.") from exc
    identity = Identity(public["name"], public["created"], watermark_key, signing_key)
    if len(watermark_key) != 32:
        raise ArtistShieldError(f"{source} is damaged: its watermark key is not 32 bytes.")
    if identity.public_key != public["key"]:
        raise KeyMismatchError(
            f"{source} is damaged or was edited: the public key it shows is not the one of "
            "the private key sealed in it. Restore it from your backup."
        )
    return identity


def _sealed_for_another_key(
    sealed: dict[str, Any], passphrase: str, key_info: dict[str, Any]
) -> bool:
    """Whether the keys open with *passphrase* once the public key shown is put right.

    GCM is counter mode plus a tag: the keys can be read without the tag, and
    the public key they make then checked, with the tag, as the true one.
    """
    try:
        kdf = sealed["kdf"]
        salt, nonce = _unb64(kdf["salt"]), _unb64(sealed["nonce"])
        ciphertext = _unb64(sealed["ciphertext"])
        for candidate in _forms(passphrase):
            key = _stretch(candidate, salt, kdf)
            counter = Cipher(algorithms.AES(key), modes.CTR(nonce + b"\0\0\0\2")).decryptor()
            try:
                values = json.loads(counter.update(ciphertext[:-16]) + counter.finalize())
                signing = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(values["signing_key"]))
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                continue
            true_info = {**key_info, "public_key": signing.public_key().public_bytes_raw().hex()}
            try:
                AESGCM(key).decrypt(nonce, ciphertext, _associated_data(true_info))
            except InvalidTag:
                continue
            return True
    except (KeyError, ValueError, TypeError, AttributeError, OverflowError):
        return False
    return False


def _open_sealed(sealed: dict[str, Any], passphrase: str, associated: bytes) -> bytes:
    """Decrypt the sealed keys, trying the passphrase as typed, then normalised."""
    if "kdf" not in sealed:
        raise ValueError("an identity is sealed with a passphrase")
    return unseal(sealed, associated, passphrase=passphrase)
