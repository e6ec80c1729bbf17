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
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artistshield.errors import ArtistShieldError
from artistshield.fileio import Exists, OutputExistsError, make_folder, write_file
from artistshield.identity import Identity, artist_id
from artistshield.registry import log as history
from artistshield.registry.records import (
    EDIT_TITLE,
    EXPORT,
    GENESIS,
    WORK_KINDS,
    LogEntry,
    Work,
    sha256_hex,
)
from artistshield.registry.verify import Problem, check_chain

if TYPE_CHECKING:
    from artistshield.registry.store import Registry

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
        }


def export_bundle(
    registry: Registry,
    out: Path,
    work_ids: Sequence[str] | None,
    *,
    identity: Identity,
    exists: Exists = "refuse",
) -> Path:
    """Append an ``export`` entry naming the works, then write the bundle to *out*.

    An existing *out* is handled as *exists* says (:func:`artistshield.fileio.write_file`);
    returns the name written.
    """
    if exists == "refuse" and os.path.lexists(out):
        raise OutputExistsError(out)  # before the log says a bundle was made
    selected = [w.work_id for w in registry.works()] if work_ids is None else list(work_ids)
    selected = sorted(set(selected))
    works = [registry.work(work_id) for work_id in selected]  # raises on unknown ids
    with registry.db.transaction() as conn:
        export = history.append(conn, identity, EXPORT, None, {"works": selected})
        rows = conn.execute("SELECT entry, signature, fields FROM log ORDER BY seq").fetchall()
    entries = []
    for text, signature, fields in rows:
        entry = LogEntry.parse(text, bytes(signature), fields)
        shown = entry.kind == GENESIS or entry.work_id in selected or entry.seq == export.seq
        entries.append(entry if shown else LogEntry.parse(text, bytes(signature), None))
    genesis = entries[0].details
    document = {
        "format": FORMAT,
        "version": VERSION,
        "artist": {
            "name": genesis["name"],
            "artist_id": identity.artist_id,
            "public_key": identity.public_key.hex(),
        },
        "entries": [e.to_json() for e in entries],
        "works": [_work_json(registry, w) for w in works],
    }
    make_folder(out.parent)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    return write_file(out, text.encode("utf-8"), exists=exists)


def _work_json(registry: Registry, work: Work) -> dict[str, Any]:
    fingerprint = dict(registry.fingerprints_of([work.work_id])).get(work.work_id)
    return {
        "record": work.to_json(),
        "thumbnail_png": base64.b64encode(registry.thumbnail(work.work_id)).decode("ascii"),
        "fingerprint": None if fingerprint is None else base64.b64encode(fingerprint).decode(),
    }


def verify_bundle(path: str | Path, *, public_key: bytes | None = None) -> BundleReport:
    """Check a proof bundle offline; with *public_key*, also that it is that artist's."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ValueError("not a proof bundle")
        if document.get("version") != VERSION:
            raise ArtistShieldError(
                f"{path} is a proof bundle of version {document.get('version')}; "
                f"this ArtistShield reads version {VERSION}."
            )
        artist = document["artist"]
        key = bytes.fromhex(artist["public_key"])
        raw_entries = [
            (i + 1, str(e["entry"]), bytes.fromhex(e["signature"]), e.get("fields"))
            for i, e in enumerate(document["entries"])
        ]
        raw_works = list(document["works"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
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
    entries = chain.entries
    genesis = entries.get(1)
    if genesis is None or genesis.fields is None:
        problems.append(Problem(1, "the bundle lacks the first entry's details"))
    elif genesis.details.get("name") != artist.get("name"):
        problems.append(Problem(1, "the artist's name differs from the first entry's"))
    last = entries.get(chain.head[0])
    exported = last.time if last is not None and last.kind == EXPORT else None
    works = _check_works(raw_works, entries, last, problems)
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
    )


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
        listed = list(last.details.get("works", []))
    registering = {e.work_id: e for e in entries.values() if e.kind in WORK_KINDS}
    works: list[Work] = []
    for raw in raw_works:
        try:
            record = Work.from_json(raw["record"])
            entry = registering.get(record.work_id)
            if entry is None or entry.fields is None:
                problems.append(Problem(last_seq, f"no signed entry registers {record.work_id}"))
                continue
            edits = [e for e in entries.values() if e.work_id == record.work_id]
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
    if sorted(w.work_id for w in works) != sorted(listed):
        problems.append(
            Problem(last_seq, "the works in the bundle are not the ones its export entry names")
        )
    return works
