"""The union's shared registry: every member's public records, merged and signed.

A member contributes a proof bundle of their registry (records, thumbnails,
fingerprints and the signed log; never originals or keys) with their member
certificate (:func:`contribute`).  The union checks each contribution (the
bundle's own signatures, the certificate against its root and revocation
list) and writes a shared registry folder (:func:`merge`): the contributions
as they came, the revocation list, and an index of them signed by the union.
The union cannot alter a member's claim: each contribution is kept byte for
byte and still verifies with the member's key alone.

:class:`UnionRegistry` opens such a folder, refusing it if the union's
signature, any contribution's hash or any member's signatures fail, and
answers a check the way an artist's own registry does, naming the member.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from cryptography import x509

from artistshield.fileio import write_file
from artistshield.fingerprint import scale
from artistshield.identity import Identity
from artistshield.registry import Registry
from artistshield.registry.bundle import verify_bundle
from artistshield.registry.match import WorkMatch, WorkMatcher
from artistshield.registry.records import Work
from artistshield.union.authority import VERSION, UnionAuthority, UnionError, canonical_bytes
from artistshield.union.membership import (
    Membership,
    check_certificate,
    member_of_payload,
    revoked_since,
    verify_union_signed,
)

REGISTRY_FORMAT = "artistshield-union-registry"
INDEX_NAME = "union-registry.json"
REVOCATIONS_NAME = "revocations.pem"
MEMBERS_FOLDER = "members"
SCALE_INDEX_NAME = "scale-index"
"""The search index of a large registry, kept beside it; rebuilt when the registry changes."""
FRAMES_NAME = "frames.json"

logger = logging.getLogger("artistshield.union")


@dataclass(frozen=True)
class UnionMember:
    member_no: int
    name: str
    artist_id: str
    revoked: str | None = None


@dataclass(frozen=True)
class MergeReport:
    members: tuple[UnionMember, ...]
    works: int
    flagged: tuple[str, ...]
    """Works registered by a member after their certificate was revoked."""


def contribute(
    registry: Registry, identity: Identity, membership: Membership, out: Path
) -> Path:
    """Write this member's contribution: a proof bundle of every work, with the certificate."""
    with tempfile.TemporaryDirectory() as scratch:
        bundle = registry.export_bundle(Path(scratch) / "bundle.json", identity=identity)
        document = json.loads(bundle.read_text(encoding="utf-8"))
    document["membership"] = {
        "union": membership.union_name,
        "member_no": membership.member_no,
        "certificate_pem": membership.certificate_pem,
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    return write_file(out, text.encode("utf-8"))


def merge(authority: UnionAuthority, files: list[Path], out: Path) -> MergeReport:
    """Check every contribution and write the signed shared registry folder *out*."""
    if out.exists() and any(out.iterdir()):
        raise UnionError(f"{out} already exists and is not empty; choose a new folder.")
    revocations = authority.revocation_list()
    root = authority.root
    members: list[tuple[UnionMember, Path, str]] = []
    flagged: list[str] = []
    works = 0
    for path in files:
        member, work_ids, late = _check_contribution(path, root, revocations, authority)
        if any(m.artist_id == member.artist_id for m, _, _ in members):
            raise UnionError(f"{path}: {member.name} contributed twice; merge one file each.")
        members.append((member, path, _sha256(path)))
        works += len(work_ids)
        flagged += [f"M{member.member_no}:{w}" for w in late]
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        (scratch / MEMBERS_FOLDER).mkdir()
        listed = []
        for member, path, digest in members:
            name = f"{member.artist_id}.asbundle"
            shutil.copyfile(path, scratch / MEMBERS_FOLDER / name)
            listed.append({**member.__dict__, "file": name, "sha256": digest})
        (scratch / REVOCATIONS_NAME).write_bytes(revocations)
        body = {
            "format": REGISTRY_FORMAT,
            "version": VERSION,
            "union": authority.public_json(),
            "merged": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "revocations_sha256": hashlib.sha256(revocations).hexdigest(),
            "members": listed,
        }
        signed = {**body, "signature": authority.sign(canonical_bytes(body)).hex()}
        (scratch / INDEX_NAME).write_text(json.dumps(signed, indent=1, ensure_ascii=False))
        if out.exists():
            out.rmdir()
        os.rename(scratch, out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return MergeReport(tuple(m for m, _, _ in members), works, tuple(flagged))


def _check_contribution(
    path: Path, root: x509.Certificate, revocations: bytes, authority: UnionAuthority | None
) -> tuple[UnionMember, list[str], list[str]]:
    """Verify one contribution; return its member, its works and those made after revocation."""
    report = verify_bundle(path)
    if not report.ok:
        raise UnionError(
            f"{path}: the member's records do not verify ({report.summary()}); "
            "nothing was merged. Ask the member for a fresh contribution."
        )
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        certificate_pem = str(document["membership"]["certificate_pem"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnionError(f"{path} carries no member certificate; it is not a contribution.") from exc
    status = check_certificate(
        certificate_pem, _pem(root), public_key=report.public_key, at=_issued_time(certificate_pem)
    )
    if not status.ok or status.member_no is None:
        raise UnionError(f"{path}: {report.name}'s certificate does not hold: {status.reason}.")
    if authority is not None:
        known = authority.members.get(status.member_no)
        if known is None or known.artist_id != report.artist_id:
            raise UnionError(f"{path}: member {status.member_no} is not on the union's records.")
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    revoked = revoked_since(certificate, root, revocations)
    # what a member registers once their certificate is revoked or has run out
    # is not vouched for by the union
    ended = certificate.not_valid_after_utc if revoked is None else revoked
    late = [w.work_id for w in report.works if _time(w.registered) > ended]
    member = UnionMember(
        status.member_no,
        report.name,
        report.artist_id,
        None if revoked is None else revoked.isoformat().replace("+00:00", "Z"),
    )
    return member, [w.work_id for w in report.works], late


class UnionRegistry:
    """A merged union registry, verified on opening, searched like an artist's own."""

    def __init__(self, folder: str | os.PathLike[str], *, root_pem: str | None = None) -> None:
        self.folder = Path(folder)
        index = self.folder / INDEX_NAME
        try:
            document = json.loads(index.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UnionError(f"{self.folder} is not a union registry (no {INDEX_NAME}).") from None
        except (OSError, ValueError) as exc:
            raise UnionError(f"{index} is not a readable union registry.") from exc
        body = verify_union_signed(
            document, expected_format=REGISTRY_FORMAT, source=str(self.folder)
        )
        self.union = body["union"]
        root = x509.load_pem_x509_certificate(str(self.union["root_pem"]).encode("ascii"))
        if root_pem is not None and _pem(root).strip() != root_pem.encode("ascii").strip():
            raise UnionError(f"{self.folder} is another union's registry, not your union's.")
        revocations = (self.folder / REVOCATIONS_NAME).read_bytes()
        if hashlib.sha256(revocations).hexdigest() != body["revocations_sha256"]:
            raise UnionError(f"{self.folder} was tampered with: its revocation list changed.")
        self.members: dict[int, UnionMember] = {}
        self.flagged: set[str] = set()
        self._works: dict[str, Work] = {}
        self._payloads: dict[int, str] = {}
        self._contributions: list[tuple[int, Path]] = []
        fingerprints = 0
        for listed in body["members"]:
            path = self.folder / MEMBERS_FOLDER / Path(str(listed["file"])).name
            if not path.is_file() or _sha256(path) != listed["sha256"]:
                raise UnionError(
                    f"{self.folder} was tampered with: {listed['name']}'s records changed "
                    "after the union merged them."
                )
            member, _, late = _check_contribution(path, root, revocations, None)
            self.members[member.member_no] = member
            self.flagged |= {_qualified(member.member_no, w) for w in late}
            self._contributions.append((member.member_no, path))
            for work, fingerprint in _works_of(path):
                work_id = _qualified(member.member_no, work.work_id)
                self._works[work_id] = replace(work, work_id=work_id)
                if work.payload is not None:
                    self._payloads[work.payload] = work_id
                fingerprints += fingerprint is not None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        source = {"registry_sha256": _sha256(index), "fingerprints": fingerprints}
        self._matcher = self._make_matcher(self._stored(), source)

    def _stored(self) -> Iterator[tuple[str, bytes]]:
        """Every fingerprint by work id, read again one contribution at a time.

        Not kept from the checks on opening: millions of fingerprints do not fit in
        memory, and a kept index needs none of them.
        """
        for member_no, path in self._contributions:
            for work, fingerprint in _works_of(path):
                work_id = _qualified(member_no, work.work_id)
                if fingerprint is not None and work_id in self._works:
                    yield work_id, fingerprint

    def _make_matcher(
        self, stored: Iterator[tuple[str, bytes]], source: dict[str, Any]
    ) -> WorkMatcher:
        """The exact index for a small registry; with the ``scale`` extra, past
        ``scale.EXACT_UP_TO`` fingerprints, the two-tier one, kept beside the registry."""
        wanted = os.environ.get("ARTISTSHIELD_UNION_INDEX", "")
        if (
            wanted == "exact"
            or not scale.available()
            or (wanted != "scale" and source["fingerprints"] <= scale.EXACT_UP_TO)
        ):
            return WorkMatcher(stored)
        kept = self.folder / SCALE_INDEX_NAME
        reused = _reuse(kept, source)
        if reused is not None:
            return reused
        try:
            return _keep(kept, stored, source)
        except OSError as exc:  # a registry on a read-only share: index in a scratch folder
            logger.warning("Cannot keep the union's index in %s (%s); building it for now.",
                           kept, exc)  # fmt: skip
        self._scratch = tempfile.TemporaryDirectory(prefix="artistshield-union-index-")
        index = scale.ScaleIndex(Path(self._scratch.name) / "index")
        return WorkMatcher(self._stored(), index=index)  # afresh: _keep read some

    def __enter__(self) -> UnionRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    @property
    def name(self) -> str:
        return str(self.union["name"])

    def works(self) -> list[Work]:
        return list(self._works.values())

    def work(self, work_id: str) -> Work:
        return self._works[work_id]

    def member_of(self, work_id: str) -> UnionMember:
        """The member who registered *work_id* (a ``M<number>:W-...`` id)."""
        return self.members[int(work_id.split(":", 1)[0][1:])]

    def find_by_payload(self, payload: int) -> Work | None:
        work_id = self._payloads.get(payload)
        if work_id is None:
            return None
        if member_of_payload(payload) not in self.members:
            return None
        return self._works[work_id]

    def match(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]:
        return [
            m.with_work(self._works[m.work_id])
            for m in self._matcher.search(pixels, limit=limit)
        ]

    def describe(self, work_id: str) -> str:
        """``W-000003 by Ada Artist (member 42)``, with a warning if flagged."""
        member = self.member_of(work_id)
        text = f"{work_id.split(':', 1)[1]} by {member.name} (member {member.member_no})"
        if work_id in self.flagged:
            text += f", registered after the member was revoked on {member.revoked[:10]}"  # type: ignore[index]
        return text


def _reuse(folder: Path, source: dict[str, Any]) -> WorkMatcher | None:
    """The index kept in *folder*, if it was built from this very registry."""
    try:
        index = scale.ScaleIndex.open(folder)
        frames = json.loads((folder / FRAMES_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, RuntimeError):
        return None
    if index.source != source:
        return None
    return WorkMatcher.over(index, frames)


def _keep(folder: Path, stored: Iterator[tuple[str, bytes]], source: dict[str, Any]) -> WorkMatcher:
    """Build the scale index of *stored* into *folder*, replacing an outdated one there."""
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-new.", dir=folder.parent))
    try:
        built = scale.ScaleIndex(scratch / "index", source=source)
        matcher = WorkMatcher(stored, index=built)
        built.finish()
        (scratch / "index" / FRAMES_NAME).write_text(json.dumps(matcher.frames()), "utf-8")
        old = None
        if folder.exists():  # ours, from an earlier state of the registry
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}-old.", dir=folder.parent))
            os.rename(folder, old / "index")
        os.rename(scratch / "index", folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    reopened = _reuse(folder, source)
    assert reopened is not None
    return reopened


def _works_of(path: Path) -> list[tuple[Work, bytes | None]]:
    import base64

    document = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for raw in document["works"]:
        fingerprint = raw.get("fingerprint")
        found.append(
            (
                Work.from_json(raw["record"]),
                None if fingerprint is None else base64.b64decode(fingerprint),
            )
        )
    return found


def _qualified(member_no: int, work_id: str) -> str:
    return f"M{member_no}:{work_id}"


def _issued_time(certificate_pem: str) -> datetime:
    """The moment the certificate was issued, to judge its chain apart from its end."""
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    except ValueError:
        return datetime.now(UTC)
    return certificate.not_valid_before_utc


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pem(certificate: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return certificate.public_bytes(serialization.Encoding.PEM)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

