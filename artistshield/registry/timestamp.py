"""Trusted time: RFC 3161 time-stamps of the registry's head.

The log's own times are the artist's clock.  A time-stamp authority (TSA)
the artist configures signs the hash of the log's newest entry (the *head*);
since every entry names the hash of the one before it, one stamp proves that
every entry up to the head, and so every work they register, existed by the
TSA's time.  The stamp is kept in a signed ``timestamp`` entry of the log
(its fields below), so it travels in proof bundles and is checked offline,
with the TSA's certificate chain the entry carries.

Nothing here runs unless asked: :func:`take_stamp` makes the one HTTP POST,
to the URL the user gave, and nowhere else.  The protocol (request, response,
signature and chain checks) is ``rfc3161-client``'s.

Fields of a ``timestamp`` entry: ``head_seq`` and ``head_hash`` (the entry
stamped), ``time`` (the TSA's time, UTC), ``tsa_url``, ``response`` (the
TSA's DER ``TimeStampResp``, base64) and ``certificates`` (DER, base64: the
TSA's chain above its own certificate, up to and including the root).

Every ``check`` imports this module (through the registry) and, with no
stamps in the log, needs none of X.509, HTTP or the settings parser, so
those are imported in the functions that use them: about a tenth of a
second less at every start.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artistshield.errors import ArtistShieldError
from artistshield.registry import log as history
from artistshield.registry.records import TIMESTAMP, WORK_KINDS, LogEntry

if TYPE_CHECKING:
    from cryptography import x509
    from rfc3161_client import TimeStampResponse

    from artistshield.identity import Identity
    from artistshield.registry.store import Registry

logger = logging.getLogger("artistshield.registry")

TIMEOUT = 30.0
#: A time-stamp response is a few kilobytes; anything far larger is not one.
RESPONSE_LIMIT = 1 << 20
SETTINGS_FILE = "settings.ini"


class TimestampError(ArtistShieldError):
    """A stamp could not be taken, or a stored one does not verify."""


@dataclass(frozen=True)
class Stamp:
    """A verified stamp: every entry up to ``head_seq`` existed by ``time``."""

    seq: int
    head_seq: int
    head_hash: str
    time: str
    tsa: str
    tsa_url: str
    root: str
    root_sha256: str

    @property
    def date(self) -> str:
        return self.time[:10]

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "time": self.time,
            "tsa": self.tsa,
            "tsa_url": self.tsa_url,
            "root": self.root,
            "root_sha256": self.root_sha256,
        }

    def claim(self) -> str:
        """The one-line claim: ``registered no later than <time>, stamped by <TSA>``."""
        return f"registered no later than {self.time}, stamped by {self.tsa}"


def configured(settings: Path | None = None) -> tuple[str | None, Path | None]:
    """The TSA URL and certificate file from the settings file, or ``None`` each.

    The app's settings (``settings.ini`` in the data folder, the INI format
    Qt writes) hold them as ``tsa_url`` and ``tsa_certs`` under ``[General]``.
    """
    import configparser

    if settings is None:
        from artistshield.paths import data_dir

        settings = data_dir() / SETTINGS_FILE
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(settings, encoding="utf-8")
    except (OSError, configparser.Error) as exc:
        raise ArtistShieldError(f"The settings file {settings} cannot be read ({exc}).") from exc

    def value(key: str) -> str | None:
        text = parser.get("General", key, fallback="").strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':  # Qt quotes values with commas
            text = text[1:-1]
        text = re.sub(r'\\([\\"])', r"\1", text)  # and escapes backslashes and quotes
        return text or None

    certs = value("tsa_certs")
    return value("tsa_url"), None if certs is None else Path(certs).expanduser()


def load_certificates(path: Path) -> list[x509.Certificate]:
    """The PEM (or one DER) certificates in *path*."""
    from cryptography import x509

    try:
        data = path.read_bytes()
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except (OSError, ValueError) as exc:
        raise TimestampError(f"{path} holds no readable certificate ({exc}).") from exc


# -- taking a stamp -----------------------------------------------------------


def pending(entries: Iterable[LogEntry]) -> int:
    """How many registered works no valid stamp covers yet."""
    by_seq = {entry.seq: entry for entry in entries}
    covered = max((s.head_seq for s in check_stamps(by_seq)[0]), default=0)
    return sum(e.kind in WORK_KINDS and seq > covered for seq, e in by_seq.items())


def take_stamp(
    registry: Registry,
    identity: Identity,
    *,
    tsa_url: str,
    certificates: Sequence[x509.Certificate] = (),
    timeout: float = TIMEOUT,
) -> Stamp | None:
    """Have *tsa_url* stamp the registry's head, check the stamp, and log it.

    Returns ``None`` when every work is covered by a stamp already.  Raises
    :class:`TimestampError`, with nothing written, if the TSA cannot be
    reached or its reply does not verify.
    """
    request = prepare(registry, tsa_url=tsa_url)
    if request is None:
        return None
    return record(registry, identity, request, ask(request, timeout), certificates)


@dataclass(frozen=True)
class StampRequest:
    """A request for a stamp of the registry's head, made before asking the TSA."""

    tsa_url: str
    head: LogEntry
    body: bytes
    nonce: int | None


def prepare(registry: Registry, *, tsa_url: str) -> StampRequest | None:
    """The request to send for the registry's head; None when every work is stamped already.

    :func:`take_stamp` in three steps, for callers that must not hold the
    registry while the network answers: :func:`prepare` and :func:`record`
    touch the registry, :func:`ask` only the network.
    """
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    if not tsa_url.lower().startswith(("http://", "https://")):
        raise TimestampError(
            f"The TSA address must be an http:// or https:// URL, not {tsa_url!r}."
        )
    entries = registry.log()
    if not entries or pending(entries) == 0:
        return None
    head = entries[-1]
    request = (
        TimestampRequestBuilder()
        .data(head.text.encode("utf-8"))
        .hash_algorithm(HashAlgorithm.SHA256)
        .build()
    )
    return StampRequest(tsa_url, head, request.as_bytes(), request.nonce)


def ask(request: StampRequest, timeout: float = TIMEOUT) -> bytes:
    """Send *request* to its TSA and return the raw reply (the one network call)."""
    return _post(request.tsa_url, request.body, timeout)


def record(
    registry: Registry,
    identity: Identity,
    request: StampRequest,
    reply: bytes,
    certificates: Sequence[x509.Certificate] = (),
) -> Stamp:
    """Check *reply* against *request* and log it in a signed ``timestamp`` entry."""
    from cryptography.hazmat.primitives.serialization import Encoding

    tsa_url, head = request.tsa_url, request.head
    extra = [c.public_bytes(Encoding.DER) for c in certificates]
    try:
        stamp = verify_response(reply, head, extra, nonce=request.nonce)
    except TimestampError as exc:
        raise TimestampError(
            f"The answer from {tsa_url} is not a valid time-stamp of your registry ({exc}); "
            "nothing was stamped."
        ) from None
    fields = {
        "head_seq": head.seq,
        "head_hash": head.hash,
        "time": stamp.time,
        "tsa_url": tsa_url,
        "response": base64.b64encode(reply).decode("ascii"),
        "certificates": [base64.b64encode(c).decode("ascii") for c in _above_tsa(reply, extra)],
    }
    with registry.db.transaction() as conn:
        entry = history.append(conn, identity, TIMESTAMP, None, fields)
    registry.remember_head()  # as after every write, so a rollback past it is noticed
    logger.info(
        "entry %d stamped by %s at %s (kept in entry %d)",
        head.seq, stamp.tsa, stamp.time, entry.seq,
    )
    return replace(stamp, seq=entry.seq, tsa_url=tsa_url)


def _post(url: str, body: bytes, timeout: float) -> bytes:
    """POST the request to the TSA: the only network call ArtistShield makes."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """The request goes to the configured URL only: a redirect is an error, not followed."""

        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/timestamp-query"}
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as answer:
            reply = bytes(answer.read(RESPONSE_LIMIT + 1))
    except urllib.error.HTTPError as exc:
        raise TimestampError(
            f"The time-stamp authority at {url} refused the request (HTTP {exc.code}); "
            "nothing was stamped."
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        raise TimestampError(
            f"The time-stamp authority at {url} could not be reached ({why}); nothing was "
            "stamped: try again when online."
        ) from exc
    if len(reply) > RESPONSE_LIMIT:
        raise TimestampError(f"The answer from {url} is too large to be a time-stamp.")
    return reply


# -- checking stamps ------------------------------------------------------------


def verify_response(
    reply: bytes, head: LogEntry, certificates: Sequence[bytes] = (), *, nonce: int | None = None
) -> Stamp:
    """Check that *reply* is a valid TSA stamp of *head*; :class:`TimestampError` if not."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from rfc3161_client import (
        PKIStatus,
        VerificationError,
        VerifierBuilder,
        decode_timestamp_response,
    )

    try:
        response = decode_timestamp_response(reply)
    except ValueError as exc:
        raise TimestampError("the TSA's answer is not a readable time-stamp response") from exc
    if response.status != PKIStatus.GRANTED:
        said = "; ".join(response.status_string).rstrip(".") or f"status {response.status}"
        raise TimestampError(f"the TSA refused to stamp it: {said}")
    chain = _chain(response, certificates)
    roots = [c for c in chain if c.issuer == c.subject]
    if not roots:
        raise TimestampError(
            "the TSA's certificate chain does not reach a root certificate; give the TSA's "
            "CA certificates (PEM, from its website) with --tsa-certs FILE"
        )
    builder = VerifierBuilder(
        roots=roots, intermediates=[c for c in chain if c.issuer != c.subject], nonce=nonce
    )
    try:
        builder.build().verify(response, bytes.fromhex(head.hash))
    except VerificationError as exc:
        raise TimestampError(_reason(str(exc))) from None
    leaf = _leaf(response, chain)
    root = _root_of(leaf, chain) or roots[0]
    return Stamp(
        seq=0,
        head_seq=head.seq,
        head_hash=head.hash,
        time=_utc(response.tst_info.gen_time),
        tsa=_name(leaf),
        tsa_url="",
        root=_name(root),
        root_sha256=hashlib.sha256(root.public_bytes(Encoding.DER)).hexdigest(),
    )


def check_entry(entry: LogEntry, entries: Mapping[int, LogEntry]) -> Stamp:
    """Check the ``timestamp`` *entry* against the log *entries* (by seq) it stamps."""
    try:
        fields = entry.details
        head_seq, head_hash = int(fields["head_seq"]), str(fields["head_hash"])
        reply = base64.b64decode(fields["response"], validate=True)
        extra = [base64.b64decode(c, validate=True) for c in fields["certificates"]]
        url, claimed = str(fields["tsa_url"]), str(fields["time"])
    except (LookupError, TypeError, ValueError) as exc:
        raise TimestampError(f"its details are unreadable ({exc})") from None
    head = entries.get(head_seq)
    if head is None or head_seq >= entry.seq:
        raise TimestampError(f"it stamps entry {head_seq}, which is not before it")
    if head.hash != head_hash:
        raise TimestampError(f"entry {head_seq} is not the entry it stamps")
    stamp = verify_response(reply, head, extra)
    if stamp.time != claimed:
        raise TimestampError(f"it says {claimed}, but the TSA's token says {stamp.time}")
    return replace(stamp, seq=entry.seq, tsa_url=url)


def check_stamps(entries: Mapping[int, LogEntry]) -> tuple[list[Stamp], list[tuple[int, str]]]:
    """Every valid stamp among *entries*, and ``(seq, reason)`` for each invalid one."""
    stamps: list[Stamp] = []
    problems: list[tuple[int, str]] = []
    for seq in sorted(entries):
        entry = entries[seq]
        if entry.kind != TIMESTAMP:
            continue
        if entry.fields is None:
            problems.append((seq, f"the time-stamp in entry {seq} is hidden"))
            continue
        try:
            stamps.append(check_entry(entry, entries))
        except TimestampError as exc:
            problems.append((seq, f"the time-stamp in entry {seq} is not valid: {exc}"))
    return stamps, problems


def earliest(stamps: Iterable[Stamp], seq: int) -> Stamp | None:
    """The earliest-dated stamp covering entry *seq*, or ``None``."""
    covering = [s for s in stamps if s.head_seq >= seq]
    return min(covering, key=lambda s: s.time, default=None)


def stamped_works(entries: Iterable[LogEntry]) -> dict[str, Stamp | None]:
    """Each registered work's earliest valid stamp, or ``None`` while it waits for one."""
    by_seq = {entry.seq: entry for entry in entries}
    stamps = check_stamps(by_seq)[0]
    return {
        str(entry.work_id): earliest(stamps, seq)
        for seq, entry in sorted(by_seq.items())
        if entry.kind in WORK_KINDS and entry.work_id
    }


def _chain(response: TimeStampResponse, extra: Sequence[bytes]) -> list[x509.Certificate]:
    from cryptography import x509

    found: dict[bytes, x509.Certificate] = {}
    for der in [*response.signed_data.certificates, *extra]:
        try:
            found.setdefault(bytes(der), x509.load_der_x509_certificate(bytes(der)))
        except ValueError as exc:
            raise TimestampError(
                f"a certificate of the TSA's chain is unreadable ({exc})"
            ) from None
    return list(found.values())


def _above_tsa(reply: bytes, extra: Sequence[bytes]) -> list[bytes]:
    """The TSA's chain above its own certificate, up to and including the root, as DER."""
    from cryptography.hazmat.primitives.serialization import Encoding
    from rfc3161_client import decode_timestamp_response

    response = decode_timestamp_response(reply)
    chain = _chain(response, extra)
    cert = _leaf(response, chain)
    path: list[bytes] = []
    while cert.issuer != cert.subject and len(path) < len(chain):
        parent = next((c for c in chain if c.subject == cert.issuer), None)
        if parent is None:
            break
        path.append(parent.public_bytes(Encoding.DER))
        cert = parent
    return path


def _leaf(response: TimeStampResponse, chain: Sequence[x509.Certificate]) -> x509.Certificate:
    (signer,) = response.signed_data.signer_infos
    for cert in chain:
        if cert.issuer == signer.issuer and cert.serial_number == signer.serial_number:
            return cert
    raise TimestampError("the TSA's own certificate is missing from its chain")


def _root_of(cert: x509.Certificate, chain: Sequence[x509.Certificate]) -> x509.Certificate | None:
    for _ in range(len(chain) + 1):
        if cert.issuer == cert.subject:
            return cert
        parent = next((c for c in chain if c.subject == cert.issuer), None)
        if parent is None:
            return None
        cert = parent
    return None


def _name(cert: x509.Certificate) -> str:
    from cryptography.x509.oid import NameOID

    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


def _utc(moment: datetime) -> str:
    """*moment* in UTC to the second, rounded up: "no later than" must stay true."""
    stamp = moment.astimezone(UTC)
    seconds = math.ceil(stamp.timestamp())
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _reason(message: str) -> str:
    if "Mismatch between messages" in message:
        return "the token stamps something else than the entry it names"
    if "pkcs7" in message.lower() or "certificates" in message.lower():
        return "the TSA's signature does not verify against its certificate chain"
    return message.split("\n", 1)[0][:160]
