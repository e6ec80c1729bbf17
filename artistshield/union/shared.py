"""The union's shared registry: every member's public records, merged and signed.

A member contributes a proof bundle of their registry (records, thumbnails,
fingerprints and the signed log; never originals or keys) with their member
certificate (:func:`contribute`).  The union checks each contribution (the
bundle's own signatures, the certificate against its root and revocation
list) and writes a shared registry folder (:func:`merge`): the contributions
as they came, the revocation list, a catalog of their records and, for a
large registry, the search index (:mod:`.catalog`), and an index document
signed by the union that lists the digest of every one of those files.
The union cannot alter a member's claim: each contribution is kept byte for
byte and still verifies with the member's key alone.

:class:`UnionRegistry` opens such a folder, refusing it if the union's
signature or any file's digest fails, checks a member's signatures before it
names them, and answers a check the way an artist's own registry does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from cryptography import x509

from artistshield.fileio import write_file
from artistshield.fingerprint import scale
from artistshield.identity import Identity, artist_id, verify
from artistshield.registry import Registry
from artistshield.registry.bundle import check_bundle, read_bundle
from artistshield.registry.match import WorkMatch, WorkMatcher
from artistshield.registry.records import WORK_KINDS, LogEntry, Work
from artistshield.union import catalog
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
"""The search index of a large registry, written at merge and signed with it."""
SPILL_NAME = ".fingerprints"
"""Where a merge keeps fingerprints until it knows where they go; removed after."""
FRAMES_NAME = "frames.json"
PRINTS_NAME = "prints.bin"
"""The index's fingerprint store: checked a block at a time, as searches read it."""
EAGER_BYTES = 256 << 20
"""Contributions up to this size in all are checked in full on opening (a few seconds);
larger ones a member at a time, when a check first cites the member's work."""
_qualified = catalog.qualified
_sha256 = catalog.sha256_file

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
    """Check every contribution and write the signed shared registry folder *out*.

    Besides the contributions, as they came, it writes the catalog and, for a
    large registry, the search index (:mod:`.catalog`), whose digests the
    union signs with the rest.
    """
    if out.exists() and any(out.iterdir()):
        raise UnionError(f"{out} already exists and is not empty; choose a new folder.")
    revocations = authority.revocation_list()
    root = authority.root
    members: list[tuple[UnionMember, Path, set[str]]] = []
    certificates: dict[int, str] = {}
    flagged: list[str] = []
    works = fingerprints = 0
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        writer = catalog.CatalogWriter(scratch / catalog.CATALOG_NAME)
        # each contribution is read once: its fingerprints wait on disk until the
        # total says whether they go to the catalog or to the search index
        spill = scale.StoreWriter(scratch / SPILL_NAME)
        for path in files:
            member, signed, late, document = _check_contribution(
                path, root, revocations, authority
            )
            if any(m.artist_id == member.artist_id for m, _, _ in members):
                raise UnionError(f"{path}: {member.name} contributed twice; merge one file each.")
            members.append((member, path, {w.work_id for w in signed}))
            certificates[member.member_no] = str(document["membership"]["certificate_pem"])
            writer.add(member.member_no, signed, set(late), _entries_of(document, signed))
            for work_id, fingerprint in _fingerprints_of(document, signed):
                spill.add(_qualified(member.member_no, work_id), fingerprint)
                fingerprints += 1
            del document
            works += len(signed)
            flagged += [_qualified(member.member_no, w) for w in late]
        spill.close()
        stored = _spilled(scratch / SPILL_NAME)
        index = None
        if _wants_index(fingerprints):
            index = _write_index(scratch / SCALE_INDEX_NAME, stored)
        else:
            writer.add_fingerprints(stored)
        writer.close()
        shutil.rmtree(scratch / SPILL_NAME)
        (scratch / MEMBERS_FOLDER).mkdir()
        listed = []
        for member, path, _ in members:
            name = f"{member.artist_id}.asbundle"
            shutil.copyfile(path, scratch / MEMBERS_FOLDER / name)
            copy = scratch / MEMBERS_FOLDER / name
            listed.append({**member.__dict__, "file": name, "sha256": _sha256(copy),
                           "bytes": copy.stat().st_size,
                           "certificate_pem": certificates[member.member_no]})  # fmt: skip
        (scratch / REVOCATIONS_NAME).write_bytes(revocations)
        body = {
            "format": REGISTRY_FORMAT,
            "version": VERSION,
            "union": authority.public_json(),
            "merged": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "revocations_sha256": hashlib.sha256(revocations).hexdigest(),
            "members": listed,
            "works": works,
            "fingerprints": fingerprints,
            "catalog": {
                "file": catalog.CATALOG_NAME,
                "sha256": _sha256(scratch / catalog.CATALOG_NAME),
            },
            "index": index,
        }
        signed_body = {**body, "signature": authority.sign(canonical_bytes(body)).hex()}
        (scratch / INDEX_NAME).write_text(json.dumps(signed_body, indent=1, ensure_ascii=False))
        if out.exists():
            out.rmdir()
        os.rename(scratch, out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return MergeReport(tuple(m for m, _, _ in members), works, tuple(flagged))


def _wants_index(fingerprints: int) -> bool:
    """Whether a registry of *fingerprints* gets the two-tier search index (``scale`` extra)."""
    wanted = os.environ.get("ARTISTSHIELD_UNION_INDEX", "")
    if wanted == "exact" or not scale.available() or fingerprints == 0:
        return False
    return wanted == "scale" or fingerprints > scale.EXACT_UP_TO


def _write_index(folder: Path, stored: Iterator[tuple[str, bytes]]) -> dict[str, Any]:
    """Build the scale index of *stored* into *folder*; return what the union signs of it."""
    built = scale.ScaleIndex(folder)
    matcher = WorkMatcher(stored, index=built)
    built.finish()
    (folder / FRAMES_NAME).write_text(json.dumps(matcher.frames()), "utf-8")
    del built, matcher
    table = catalog.write_block_table(folder / PRINTS_NAME)
    files = {p.name: _sha256(p) for p in sorted(folder.iterdir()) if p.name != PRINTS_NAME}
    return {
        "folder": folder.name,
        "files": files,
        "blocked": {"file": PRINTS_NAME, "table": table.name, "block_bytes": catalog.BLOCK_BYTES},
    }


def _entries_of(document: dict[str, Any], works: tuple[Work, ...]) -> dict[str, catalog.Entries]:
    """The signed log entries about each of *works* in a (verified) bundle's *document*."""
    wanted: dict[str, catalog.Entries] = {w.work_id: [] for w in works}
    for raw in document["entries"]:
        entry = LogEntry.from_json(raw)
        if entry.work_id in wanted and entry.fields is not None:
            wanted[entry.work_id].append(entry.to_json())
    return wanted


def _fingerprints_of(
    document: dict[str, Any], works: tuple[Work, ...]
) -> Iterator[tuple[str, bytes]]:
    """The stored fingerprints of *works* in a (verified) bundle's *document*."""
    import base64

    wanted = {w.work_id for w in works if w.fingerprint_sha256 is not None}
    for raw in document["works"]:
        work_id = raw["record"]["work_id"]
        if work_id in wanted:
            yield work_id, base64.b64decode(raw["fingerprint"], validate=True)


def _spilled(folder: Path) -> Iterator[tuple[str, bytes]]:
    """The fingerprints a merge set aside, in the order they came.

    Not kept in memory: millions of fingerprints do not fit.
    """
    store = scale.FingerprintStore(folder)
    for slot in range(len(store)):
        yield store.name(slot), store.fingerprint_bytes(slot)


def _check_contribution(
    path: Path, root: x509.Certificate, revocations: bytes, authority: UnionAuthority | None
) -> tuple[UnionMember, tuple[Work, ...], list[str], dict[str, Any]]:
    """Verify one contribution; return its member, its signed works, the ids of those
    made after revocation, and the contribution's JSON document."""
    document = read_bundle(path)
    report = check_bundle(document, source=path)
    if not report.ok:
        raise UnionError(
            f"{path}: the member's records do not verify ({report.summary()}); "
            "nothing was merged. Ask the member for a fresh contribution."
        )
    try:
        certificate_pem = str(document["membership"]["certificate_pem"])
    except (KeyError, TypeError) as exc:
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
    return member, report.works, late, document


class UnionRegistry:
    """A merged union registry, checked on opening, searched like an artist's own.

    Opening checks the union's signature and the digests it signed of the
    revocation list, the catalog and the search index; works are read from the
    catalog when asked for, not held in memory.  Each member's contribution is
    checked (its digest, and every signature in it with the member's key) when
    a check first cites one of that member's works, or for every member on
    opening when the contributions are small (*check_members*: ``None`` decides
    by ``EAGER_BYTES``, ``True`` always, ``False`` never); :meth:`verify`
    checks everything.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        *,
        root_pem: str | None = None,
        check_members: bool | None = None,
    ) -> None:
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
        self._root = x509.load_pem_x509_certificate(str(self.union["root_pem"]).encode("ascii"))
        if root_pem is not None and _pem(self._root).strip() != root_pem.encode("ascii").strip():
            raise UnionError(f"{self.folder} is another union's registry, not your union's.")
        if "catalog" not in body:
            raise UnionError(
                f"{self.folder} was merged by an older ArtistShield, which this one no longer "
                "opens. The union can merge it again from its own contributions: artistshield "
                f"union merge {self.folder / MEMBERS_FOLDER}/*.asbundle --out NEW_FOLDER"
            )
        self._revocations = self._read_signed(REVOCATIONS_NAME, body["revocations_sha256"])
        self._check_file(str(body["catalog"]["file"]), str(body["catalog"]["sha256"]))
        self.members: dict[int, UnionMember] = {}
        self._listed: dict[int, dict[str, Any]] = {}
        for listed in body["members"]:
            member = UnionMember(int(listed["member_no"]), str(listed["name"]),
                                 str(listed["artist_id"]), listed.get("revoked"))  # fmt: skip
            self.members[member.member_no] = member
            self._listed[member.member_no] = listed
        self._index: dict[str, Any] | None = body.get("index")
        self._store: catalog.CheckedStore | None = None
        if self._index is not None:
            self._store = self._open_store(self._index)
        self._catalog = catalog.Catalog(self.folder / str(body["catalog"]["file"]))
        try:
            self.flagged: set[str] = self._catalog.flagged()
            self._vouched: set[int] = set()
            self._vouching = threading.Lock()
            self._signers: dict[int, tuple[bytes, datetime]] = {}
            self._checked: set[str] = set()
            if check_members is None:
                listed_bytes = sum(int(m.get("bytes", 0)) for m in body["members"])
                check_members = listed_bytes <= EAGER_BYTES
            if check_members:
                for member_no in self.members:
                    self._vouch(member_no)
            self._matcher = self._make_matcher()
        except BaseException:
            self._catalog.close()
            raise

    def _path(self, name: str) -> Path:
        path = (self.folder / name).resolve()
        if not path.is_relative_to(self.folder.resolve()):
            raise UnionError(f"{self.folder} names a file outside itself ({name}).")
        return path

    def _check_file(self, name: str, digest: str) -> None:
        path = self._path(name)
        if not path.is_file() or _sha256(path) != digest:
            raise UnionError(
                f"{self.folder} was tampered with: {name} is not the file the union signed."
            )

    def _read_signed(self, name: str, digest: str) -> bytes:
        try:
            data = self._path(name).read_bytes()
        except OSError:
            data = b""
        if hashlib.sha256(data).hexdigest() != digest:
            what = "its revocation list" if name == REVOCATIONS_NAME else name
            raise UnionError(f"{self.folder} was tampered with: {what} changed.")
        return data

    def _open_store(self, index: dict[str, Any]) -> catalog.CheckedStore:
        """Check the index files the union signed; the fingerprints are checked as read."""
        folder = str(index["folder"])
        blocked = index["blocked"]
        for name, digest in index["files"].items():
            if name != blocked["table"]:
                self._check_file(f"{folder}/{name}", str(digest))
        table = self._read_signed(f"{folder}/{blocked['table']}", index["files"][blocked["table"]])
        if int(blocked["block_bytes"]) != catalog.BLOCK_BYTES:
            raise UnionError(f"{self.folder}: its index's blocks are not ones this version reads.")
        return catalog.CheckedStore(self._path(folder), table, source=str(self.folder))

    def _make_matcher(self) -> WorkMatcher:
        """The exact index of a small registry's catalog; the kept two-tier one of a large
        registry (exact too, from its fingerprints, without the ``scale`` extra)."""
        if self._index is None or self._store is None:
            return WorkMatcher(self._catalog.fingerprints())
        folder = self._path(str(self._index["folder"]))
        frames = json.loads((folder / FRAMES_NAME).read_text(encoding="utf-8"))
        if os.environ.get("ARTISTSHIELD_UNION_INDEX") == "exact" or not scale.available():
            logger.warning("Searching %s exactly: the scale extra is not installed.", self.folder)
            owners = {str(n): (str(w), int(f)) for n, (w, f) in frames["owners"].items()}
            matcher = WorkMatcher(())
            for slot in range(len(self._store)):
                name = self._store.name(slot)
                work_id, frame = owners.get(name, (name, 0))
                matcher.add(work_id, self._store.fingerprint_bytes(slot), frame=frame)
            return matcher
        opened = scale.ScaleIndex.open(folder)
        opened._store = self._store  # read fingerprints through the signed block table
        return WorkMatcher.over(opened, frames)

    def _vouch(self, member_no: int) -> None:
        """Check one member's contribution and that the catalog holds its records as signed."""
        if member_no in self._vouched:
            return
        with self._vouching:
            if member_no in self._vouched:
                return
            listed = self._listed[member_no]
            path = self.folder / MEMBERS_FOLDER / Path(str(listed["file"])).name
            if not path.is_file() or _sha256(path) != listed["sha256"]:
                raise UnionError(
                    f"{self.folder} was tampered with: {listed['name']}'s records changed "
                    "after the union merged them."
                )
            member, works, late, _ = _check_contribution(
                path, self._root, self._revocations, None
            )
            signed = {_qualified(member_no, w.work_id): catalog.record_json(w) for w in works}
            late_ids = {_qualified(member_no, w) for w in late}
            flagged = {w for w in self.flagged if catalog.member_no_of(w) == member_no}
            if (
                member != self.members[member_no]
                or signed != self._catalog.records_of(member_no)
                or late_ids != flagged
            ):
                raise UnionError(
                    f"{self.folder} was tampered with: its catalog differs from "
                    f"{listed['name']}'s signed records."
                )
            self._vouched.add(member_no)

    def _signer(self, member_no: int) -> tuple[bytes, datetime]:
        """The member's key, from their certificate checked against the root, and when the
        union stopped vouching for their new works (revocation or the certificate's end)."""
        known = self._signers.get(member_no)
        if known is not None:
            return known
        listed = self._listed[member_no]
        pem = str(listed["certificate_pem"])
        status = check_certificate(pem, _pem(self._root), at=_issued_time(pem))
        certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
        key = certificate.public_key().public_bytes_raw()  # type: ignore[union-attr]
        if not status.ok or status.member_no != member_no or artist_id(key) != listed["artist_id"]:
            raise UnionError(
                f"{self.folder}: {listed['name']}'s certificate does not hold ({status.reason})."
            )
        revoked = revoked_since(certificate, self._root, self._revocations)
        ended = certificate.not_valid_after_utc if revoked is None else revoked
        self._signers[member_no] = (key, ended)
        return key, ended

    def _check_work(self, work_id: str) -> None:
        """Check *work_id*'s record against its member's signed entries, with the member's
        key alone: what the catalog says of a work is what the member signed."""
        if work_id in self._checked:
            return
        member_no = catalog.member_no_of(work_id)
        key, ended = self._signer(member_no)
        record, raw, flagged = self._catalog.signed(work_id)
        local = work_id.split(":", 1)[1]
        try:
            entries = [LogEntry.from_json(e) for e in raw]
            forged = any(
                e.work_id != local
                or not verify(key, e.text.encode("utf-8"), e.signature)
                or e.fields is None
                or hashlib.sha256(e.fields.encode("utf-8")).hexdigest() != e.fields_sha256
                for e in entries
            )
            first = next(e for e in entries if e.kind in WORK_KINDS)
            signed = Work.from_log(first, entries)
            late = _time(signed.registered) > ended
        except (ValueError, KeyError, TypeError, LookupError, StopIteration):
            forged = True
        if forged or catalog.record_json(signed) != record or late != flagged:
            raise UnionError(
                f"{self.folder} was tampered with: its catalog differs from "
                f"{self._listed[member_no]['name']}'s signed records."
            )
        self._checked.add(work_id)

    def verify(self) -> None:
        """Check everything: every member's contribution and every fingerprint of the index."""
        for member_no in self.members:
            self._vouch(member_no)
        if self._store is not None:
            self._store.check_all()

    def __enter__(self) -> UnionRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._catalog.close()

    @property
    def name(self) -> str:
        return str(self.union["name"])

    def works(self) -> list[Work]:
        """Every work (read from the catalog: at millions of works, ask for one instead)."""
        return self._catalog.works()

    def work(self, work_id: str) -> Work:
        """The record of *work_id*, once checked against its member's signed entries."""
        self._check_work(work_id)
        return self._catalog.work(work_id)

    def member_of(self, work_id: str) -> UnionMember:
        """The member who registered *work_id* (a ``M<number>:W-...`` id)."""
        return self.members[catalog.member_no_of(work_id)]

    def find_by_payload(self, payload: int) -> Work | None:
        work_id = self._catalog.by_payload(payload)
        if work_id is None:
            return None
        if member_of_payload(payload) not in self.members:
            return None
        return self.work(work_id)

    def match(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]:
        """Like an artist's registry's; a match's member is checked before it is named."""
        return [
            m.with_work(self.work(m.work_id) if m.is_match else self._catalog.work(m.work_id))
            for m in self._matcher.search(pixels, limit=limit)
        ]

    def describe(self, work_id: str) -> str:
        """``W-000003 by Ada Artist (member 42)``, with a warning if flagged."""
        member = self.member_of(work_id)
        text = f"{work_id.split(':', 1)[1]} by {member.name} (member {member.member_no})"
        if work_id in self.flagged:
            text += f", registered after the member was revoked on {member.revoked[:10]}"  # type: ignore[index]
        return text


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



