"""Proof bundles: one JSON file that shows a stranger the works are the artist's.

A bundle carries the artist's public key, every log entry up to and including
the export entry that made it (entries about other works carry only the hash
of their details), the selected works' records, thumbnails and fingerprints.
:func:`verify_bundle` checks it with nothing else: no private key, no
registry.  The format is documented in ``docs/bundle-format.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artistshield import untrusted
from artistshield.errors import ArtistShieldError
from artistshield.fileio import Exists, make_folder, write_file
from artistshield.identity import Identity, artist_id
from artistshield.registry.records import (
    EDIT_TITLE,
    EXPORT,
    WORK_KINDS,
    LogEntry,
    Work,
    sha256_hex,
)
from artistshield.registry.standing import check_standings
from artistshield.registry.timestamp import Stamp, check_stamps, earliest
from artistshield.registry.verify import Problem, check_chain
from artistshield.untrusted import expect

FORMAT = "artistshield-proof-bundle"
VERSION = 1


@dataclass(frozen=True)
class BundleReport:
    ok: bool
    name: str
    artist_id: str
    public_key: bytes
    works: tuple[Work, ...]
    entries_checked: int
    exported: str | None
    first_bad: Problem | None
    problems: tuple[Problem, ...] = ()
    stamps: tuple[Stamp, ...] = ()
    """The valid trusted time-stamps in the bundle (:mod:`.timestamp`)."""

    def stamp_for(self, work: Work) -> Stamp | None:
        """The earliest trusted time-stamp that proves *work* was registered by then.

        ``None`` for a bundle that is not valid: a stamp vouches for one entry,
        and for the entries before it only through an intact chain.
        """
        return earliest(self.stamps, work.register_seq) if self.ok else None

    def summary(self) -> str:
        if self.first_bad is None:
            return (
                f"Bundle verified: {len(self.works)} work(s) signed by {self.name} "
                f"({self.artist_id}); {self.entries_checked} entries, exported {self.exported}."
            )
        return f"Bundle NOT valid: entry {self.first_bad.seq}: {self.first_bad.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "name": self.name,
            "artist_id": self.artist_id,
            "public_key": self.public_key.hex(),
            "works": [w.to_json() for w in self.works],
            "entries_checked": self.entries_checked,
            "exported": self.exported,
            "first_bad": None if self.first_bad is None else self.first_bad.to_json(),
            "problems": [p.to_json() for p in self.problems],
            "stamps": [s.to_json() for s in self.stamps],
            "trusted_time": {
                w.work_id: None if (s := self.stamp_for(w)) is None else s.to_json()
                for w in self.works
            },
        }


def write_bundle(
    out: Path,
    *,
    identity: Identity,
    entries: Sequence[LogEntry],
    works: Sequence[tuple[Work, bytes, bytes | None]],
    exists: Exists = "refuse",
) -> Path:
    """Write a bundle of *works* to *out*: ``(work, thumbnail PNG, stored fingerprints)`` each.

    *entries* are the whole log up to the export entry, those about other
    works without their details (:meth:`.store.Registry.export_bundle`
    chooses them).  An existing *out* is handled as *exists* says
    (:func:`artistshield.fileio.write_file`); returns the name written.
    """
    document = bundle_document(identity=identity, entries=entries, works=works)
    make_folder(out.parent)
    return write_file(out, bundle_bytes(document), exists=exists)


def bundle_document(
    *,
    identity: Identity,
    entries: Sequence[LogEntry],
    works: Sequence[tuple[Work, bytes, bytes | None]],
) -> dict[str, Any]:
    """The bundle of *works* as a JSON document (see :func:`write_bundle`)."""
    genesis = entries[0].details
    return {
        "format": FORMAT,
        "version": VERSION,
        "artist": {
            "name": genesis["name"],
            "artist_id": identity.artist_id,
            "public_key": identity.public_key.hex(),
        },
        "entries": [e.to_json() for e in entries],
        # The signed head: the export entry, last above; kept for `registry verify --against`.
        "head": {"seq": entries[-1].seq, "hash": entries[-1].hash},
        "works": [_work_json(*work) for work in works],
    }


def bundle_bytes(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _work_json(work: Work, thumbnail: bytes, fingerprint: bytes | None) -> dict[str, Any]:
    return {
        "record": work.to_json(),
        "thumbnail_png": base64.b64encode(thumbnail).decode("ascii"),
        "fingerprint": None if fingerprint is None else base64.b64encode(fingerprint).decode(),
    }


def verify_bundle(path: str | Path, *, public_key: bytes | None = None) -> BundleReport:
    """Check a proof bundle offline; with *public_key*, also that it is that artist's."""
    return check_bundle(read_bundle(path), public_key=public_key, source=path)


def read_bundle(path: str | Path) -> Any:
    """The JSON document of the bundle file at *path*, read within the untrusted limits."""
    return untrusted.read_json(path, what="proof bundle")


def check_bundle(
    document: Any, *, public_key: bytes | None = None, source: str | Path = "the bundle"
) -> BundleReport:
    """:func:`verify_bundle` of a document read already (a union merge reads it once)."""
    path = source
    try:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError("not a proof bundle")
        if document.get("version") != VERSION:
            raise ArtistShieldError(
                f"{path} is a proof bundle of version {document.get('version')}; "
                f"this ArtistShield reads version {VERSION}."
            )
        artist = expect(document["artist"], dict, "artist")
        key = bytes.fromhex(expect(artist["public_key"], str, "public key"))
        if len(key) != 32:
            raise ValueError("the public key is not 32 bytes")
        raw_entries = []
        for i, e in enumerate(expect(document["entries"], list, "entries")):
            e = expect(e, dict, "an entry")
            fields = e.get("fields")
            raw_entries.append((
                i + 1,
                expect(e["entry"], str, "an entry's text"),
                bytes.fromhex(expect(e["signature"], str, "a signature")),
                None if fields is None else expect(fields, str, "an entry's fields"),
            ))
        raw_works = list(expect(document["works"], list, "works"))
        stated_head = document.get("head")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArtistShieldError(f"{path} is not a readable ArtistShield proof bundle.") from exc

    problems: list[Problem] = []
    if artist.get("artist_id") != artist_id(key):
        problems.append(Problem(1, "the artist ID does not belong to the bundle's public key"))
    if public_key is not None and public_key != key:
        problems.append(
            Problem(1, f"the bundle is signed by {artist_id(key)}, not the expected key")
        )
    chain = check_chain(raw_entries, key)
    problems += chain.problems
    if stated_head is not None and stated_head != {"seq": chain.head[0], "hash": chain.head[1]}:
        problems.append(Problem(chain.head[0], "the bundle's stated head is not its last entry"))
    entries = chain.entries
    genesis = entries.get(1)
    if genesis is None or genesis.fields is None:
        problems.append(Problem(1, "the bundle lacks the first entry's details"))
    elif _genesis_name(genesis) != artist.get("name"):
        problems.append(Problem(1, "the artist's name differs from the first entry's"))
    last = entries.get(chain.head[0])
    exported = last.time if last is not None and last.kind == EXPORT else None
    works = _check_works(raw_works, entries, last, problems)
    stamps, bad_stamps = check_stamps(entries)
    problems += [Problem(seq, reason) for seq, reason in bad_stamps]
    problems += [Problem(seq, reason) for seq, reason in check_standings(entries)]
    problems.sort(key=lambda p: p.seq)
    return BundleReport(
        ok=not problems,
        name=str(artist.get("name")),
        artist_id=artist_id(key),
        public_key=key,
        works=tuple(works),
        entries_checked=chain.checked,
        exported=exported,
        first_bad=problems[0] if problems else None,
        problems=tuple(problems[:50]),
        stamps=tuple(stamps),
    )


def _genesis_name(genesis: LogEntry) -> Any:
    try:
        return genesis.details.get("name")
    except (ValueError, LookupError):
        return None


def _check_works(
    raw_works: list[Any],
    entries: dict[int, LogEntry],
    last: LogEntry | None,
    problems: list[Problem],
) -> list[Work]:
    """Check each work in the bundle against its signed entries."""
    last_seq = max(entries, default=0)
    if last is None or last.kind != EXPORT or last.fields is None:
        problems.append(Problem(last_seq, "the bundle does not end with its own export entry"))
        listed: list[Any] = []
    else:
        try:
            listed = list(expect(last.details.get("works", []), list, "the exported works"))
        except (ValueError, LookupError):
            problems.append(Problem(last_seq, "the export entry's list of works is unreadable"))
            listed = []
    registering = {e.work_id: e for e in entries.values() if e.kind in WORK_KINDS}
    about: dict[str | None, list[LogEntry]] = {}
    for e in entries.values():
        about.setdefault(e.work_id, []).append(e)
    works: list[Work] = []
    for raw in raw_works:
        try:
            record = Work.from_json(expect(raw["record"], dict, "a work record"))
            entry = registering.get(record.work_id)
            if entry is None or entry.fields is None:
                problems.append(Problem(last_seq, f"no signed entry registers {record.work_id}"))
                continue
            edits = about.get(record.work_id, [])
            if any(e.kind == EDIT_TITLE and e.fields is None for e in edits):
                problems.append(Problem(entry.seq, f"a title edit of {record.work_id} is hidden"))
                continue
            signed = Work.from_log(entry, edits)
            thumbnail = base64.b64decode(raw["thumbnail_png"], validate=True)
            fingerprint = raw.get("fingerprint")
            fingerprint_sha = (
                None
                if fingerprint is None
                else sha256_hex(base64.b64decode(fingerprint, validate=True))
            )
        except (KeyError, TypeError, ValueError, binascii.Error, LookupError) as exc:
            problems.append(Problem(last_seq, f"a work in the bundle is unreadable ({exc})"))
            continue
        if record != signed:
            problems.append(Problem(entry.seq, f"the record of {signed.work_id} was changed"))
        if sha256_hex(thumbnail) != signed.thumbnail_sha256:
            problems.append(Problem(entry.seq, f"the thumbnail of {signed.work_id} was changed"))
        if fingerprint_sha != signed.fingerprint_sha256:
            problems.append(Problem(entry.seq, f"the fingerprint of {signed.work_id} was changed"))
        works.append(signed)
    if sorted(w.work_id for w in works) != sorted(map(str, listed)):
        problems.append(
            Problem(last_seq, "the works in the bundle are not the ones its export entry names")
        )
    return works
