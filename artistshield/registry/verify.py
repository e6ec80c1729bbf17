"""Checking the registry: every signature, every link, every row.

:func:`check_chain` checks a sequence of signed log entries (shared with proof
bundles); :func:`verify_registry` adds what only the SQLite file holds: the
index columns, the work rows and their blobs, and the remembered head.  The
report names the first bad entry, the earliest point where history can no
longer be trusted.

One thing no local check can catch: someone who deletes the newest entries
*and* rewrites the remembered head to match.  The heads given out earlier
(in proof bundles, evidence reports and head files, see :mod:`.head`) still
show what was there: ``registry verify --against FILE`` compares them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from artistshield.identity import artist_id, verify
from artistshield.registry.db import Database
from artistshield.registry.log import meta, stored_public_key
from artistshield.registry.records import (
    GENESIS,
    GENESIS_PREV,
    KINDS,
    WORK_KINDS,
    LogEntry,
    sha256_hex,
)
from artistshield.registry.standing import check_standings
from artistshield.registry.timestamp import check_stamps


@dataclass(frozen=True)
class Problem:
    """Why entry *seq* (or the work it registers) cannot be trusted."""

    seq: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason}


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries_checked: int
    works_checked: int
    first_bad: Problem | None
    problems: tuple[Problem, ...] = ()
    public_key: bytes | None = None
    #: How many heads given out earlier (bundles, reports, head files) it was compared with.
    heads_checked: int = 0

    @property
    def artist_id(self) -> str | None:
        return None if self.public_key is None else artist_id(self.public_key)

    def summary(self) -> str:
        if self.first_bad is None:
            heads = (
                f" It still holds the head shown in each of the {self.heads_checked} file(s) "
                "given." if self.heads_checked else ""
            )
            return (
                f"Registry intact: {self.entries_checked} signed entries and "
                f"{self.works_checked} works check out.{heads}"
            )
        return (
            f"Registry TAMPERED: first bad entry is {self.first_bad.seq}: {self.first_bad.reason}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries_checked": self.entries_checked,
            "works_checked": self.works_checked,
            "first_bad": None if self.first_bad is None else self.first_bad.to_json(),
            "problems": [p.to_json() for p in self.problems],
            "public_key": None if self.public_key is None else self.public_key.hex(),
            "artist_id": self.artist_id,
            "heads_checked": self.heads_checked,
        }


@dataclass
class Chain:
    """What :func:`check_chain` learnt: readable entries by seq, and problems."""

    entries: dict[int, LogEntry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0
    head: tuple[int, str] = (0, GENESIS_PREV)


def check_chain(rows: Iterable[tuple[int, str, bytes, str | None]], public_key: bytes) -> Chain:
    """Check ``(stored_seq, entry_text, signature, fields_text_or_None)`` rows in order."""
    chain = Chain()
    expected, prev = 1, GENESIS_PREV
    for stored_seq, text, signature, fields in rows:
        chain.checked += 1
        bad = chain.problems.append
        if stored_seq > expected:
            bad(
                Problem(expected, f"entries {expected} to {stored_seq - 1} are missing (deleted?)")
            )
        elif stored_seq < expected:
            bad(Problem(stored_seq, f"entry {stored_seq} appears twice"))
        expected, digest = stored_seq + 1, sha256_hex(text)
        try:
            entry = LogEntry.parse(text, signature, fields)
        except (ValueError, TypeError) as exc:
            bad(Problem(stored_seq, f"entry {stored_seq} is unreadable ({exc})"))
            prev = digest
            continue
        chain.entries[stored_seq] = entry
        if entry.text != text:
            bad(Problem(stored_seq, f"entry {stored_seq} is not in canonical form (edited?)"))
        if entry.seq != stored_seq:
            bad(
                Problem(
                    stored_seq, f"the entry at {stored_seq} says it is entry {entry.seq} (moved?)"
                )
            )
        if entry.kind not in KINDS:
            bad(Problem(stored_seq, f"entry {stored_seq} has an unknown kind {entry.kind!r}"))
        if entry.prev_hash != prev:
            bad(Problem(stored_seq, f"entry {stored_seq} does not link to the entry before it"))
        if fields is not None and sha256_hex(fields) != entry.fields_sha256:
            bad(Problem(stored_seq, f"the details of entry {stored_seq} were changed"))
        if not verify(public_key, text.encode("utf-8"), signature):
            bad(Problem(stored_seq, f"the signature of entry {stored_seq} is not valid (forged?)"))
        if (stored_seq == 1) != (entry.kind == GENESIS):
            bad(Problem(stored_seq, f"entry {stored_seq} is out of place: {entry.kind}"))
        elif stored_seq == 1 and fields is not None and _genesis_key(entry) != public_key.hex():
            bad(Problem(1, "the first entry names a different public key (key swapped?)"))
        prev = digest
        chain.head = (stored_seq, digest)
    return chain


def _genesis_key(entry: LogEntry) -> str | None:
    try:
        return str(entry.details["public_key"])
    except (LookupError, ValueError):
        return None


def verify_registry(db: Database, *, public_key: bytes | None = None) -> VerifyReport:
    """Check the whole registry; with *public_key*, also that it is that artist's."""
    stored = stored_public_key(db)
    first = db.query_one("SELECT MIN(seq) FROM log")
    if stored is None:
        if first is None or first[0] is None:
            return VerifyReport(True, 0, 0, None, (), public_key)
        problem = Problem(1, "the registry's public key is missing")
        return VerifyReport(False, 0, 0, problem, (problem,), None)
    problems: list[Problem] = []
    if public_key is not None and public_key != stored:
        problems.append(
            Problem(
                1,
                f"the registry is signed by {artist_id(stored)}, not by your identity "
                f"{artist_id(public_key)} (key swapped?)",
            )
        )
    columns: dict[int, tuple[str, str | None, str]] = {}

    def rows() -> Iterable[tuple[int, str, bytes, str | None]]:
        sql = "SELECT seq, kind, work_id, entry, fields, hash, signature FROM log ORDER BY seq"
        for seq, kind, work_id, text, fields, digest, signature in db.iterate(sql):
            columns[seq] = (kind, work_id, digest)
            yield seq, text, bytes(signature), fields

    chain = check_chain(rows(), stored)
    problems += chain.problems
    for seq, entry in chain.entries.items():
        kind, work_id, digest = columns[seq]
        if (kind, work_id, digest) != (entry.kind, entry.work_id, entry.hash):
            problems.append(Problem(seq, f"the row of entry {seq} disagrees with the entry"))
    works = _check_works(db, chain.entries, problems)
    problems += [Problem(seq, why) for seq, why in check_stamps(chain.entries)[1]]
    problems += [Problem(seq, why) for seq, why in check_standings(chain.entries)]
    _check_head(db, chain, problems)
    problems.sort(key=lambda p: p.seq)
    return VerifyReport(
        ok=not problems,
        entries_checked=chain.checked,
        works_checked=works,
        first_bad=problems[0] if problems else None,
        problems=tuple(problems[:50]),
        public_key=stored,
    )


def _check_works(db: Database, entries: dict[int, LogEntry], problems: list[Problem]) -> int:
    """Check each work row against the entry that registered it; return the count."""
    registered = {seq for seq, e in entries.items() if e.kind in WORK_KINDS}
    count = 0
    sql = "SELECT id, register_seq, payload, pixels_sha256, fingerprint, thumbnail FROM works"
    for work_id, seq, payload, pixels_sha256, fingerprint, thumbnail in db.iterate(sql):
        count += 1
        entry = entries.get(seq)
        if entry is None or entry.kind not in WORK_KINDS or entry.work_id != work_id:
            problems.append(Problem(seq, f"work {work_id} has no entry registering it"))
            continue
        registered.discard(seq)
        fields = entry.details
        found = {
            "payload": payload,
            "pixels_sha256": pixels_sha256,
            "fingerprint_sha256": None if fingerprint is None else sha256_hex(bytes(fingerprint)),
            "thumbnail_sha256": sha256_hex(bytes(thumbnail)),
        }
        changed = sorted(k for k, v in found.items() if fields.get(k) != v)
        if changed:
            problems.append(
                Problem(seq, f"work {work_id} differs from its entry: {', '.join(changed)}")
            )
    for seq in sorted(registered):
        problems.append(Problem(seq, f"the row of work {entries[seq].work_id} is missing"))
    return count


def _check_head(db: Database, chain: Chain, problems: list[Problem]) -> None:
    """The log must end where the registry last wrote (catches deletions at the end)."""
    head_seq, head_hash = meta(db, "head_seq"), meta(db, "head_hash")
    last_seq, last_hash = chain.head
    if head_seq is None or head_hash is None:
        problems.append(
            Problem(last_seq + 1, "the registry's record of its last entry is missing")
        )
    elif int(head_seq) > last_seq:
        problems.append(
            Problem(last_seq + 1, f"entries {last_seq + 1} to {head_seq} are missing (deleted?)")
        )
    elif int(head_seq) == last_seq and head_hash != last_hash:
        problems.append(Problem(last_seq, f"entry {last_seq} is not the entry last written"))
    elif int(head_seq) < last_seq:
        problems.append(
            Problem(int(head_seq) + 1, f"entries after {head_seq} were added behind its back")
        )
