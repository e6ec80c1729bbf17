"""What the registry records: works and signed log entries, as plain values.

Both are frozen dataclasses with a JSON round trip.  A :class:`LogEntry` is
what the artist signs: its canonical JSON text (:func:`canonical_json`) is
hashed and signed, and commits to its ``fields`` through their SHA-256, so a
proof bundle can leave out the details of other works and still be checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

ENTRY_TYPE = "artistshield-log-entry"
ENTRY_VERSION = 1
#: ``prev_hash`` of the first entry.
GENESIS_PREV = "0" * 64

#: Entry kinds.  ``register`` and ``mark`` each create one work.
GENESIS, REGISTER, MARK, EDIT_TITLE, EXPORT = "genesis", "register", "mark", "edit-title", "export"
#: An export whose bundle could not be given its name after its entry was signed.
EXPORT_FAILED = "export-failed"
#: A trusted time-stamp of an earlier entry (:mod:`.timestamp`).
TIMESTAMP = "timestamp"
#: What a work's marked copy said about AI training (:mod:`.consent`).
CONSENT = "consent"
#: The artist withdraws a work, merges a duplicate into another, or takes either back
#: (:mod:`.standing`); the work's record stays, hidden from matches and lists.
WITHDRAW, MERGE, RESTORE = "withdraw", "merge", "restore"
#: A work is a new version of an earlier one (marked again on purpose).
VERSION = "version"
WORK_KINDS = frozenset({REGISTER, MARK})
STANDING_KINDS = frozenset({WITHDRAW, MERGE, RESTORE})
KINDS = frozenset(
    {GENESIS, REGISTER, MARK, EDIT_TITLE, EXPORT, EXPORT_FAILED, TIMESTAMP, CONSENT, VERSION,
     *STANDING_KINDS}
)
_ENTRY_KEYS = frozenset(
    {"type", "v", "seq", "kind", "work_id", "time", "prev_hash", "fields_sha256"}
)


def canonical_json(value: Any) -> str:
    """Return the one JSON text of *value*: sorted keys, no spaces, UTF-8, no floats."""
    _reject_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_json(text: str) -> Any:
    """Parse *text*, refusing duplicate keys (two readers could disagree)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            raise ValueError("duplicate key in JSON object")
        return result

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except RecursionError:  # a hostile bundle's entry nested thousands deep
        raise ValueError("JSON nested too deep") from None


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def utc_now() -> str:
    """The time now as UTC ISO-8601, to the second: ``2025-03-01T12:00:00Z``."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("log fields must not hold floats (their JSON text is not unique)")
    if isinstance(value, Mapping):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reject_floats(item)


@dataclass(frozen=True)
class LogEntry:
    """One signed, hash-linked entry of the registry log.

    ``fields`` is the canonical JSON text of the entry's details, or ``None``
    where a bundle left them out (only their hash is then known).
    """

    seq: int
    kind: str
    work_id: str | None
    time: str
    prev_hash: str
    fields_sha256: str
    signature: bytes
    fields: str | None = None

    @classmethod
    def new(
        cls, seq: int, kind: str, work_id: str | None, fields: Mapping[str, Any], *, prev_hash: str
    ) -> LogEntry:
        """An unsigned entry; sign ``entry.text`` and use :meth:`signed`."""
        text = canonical_json(dict(fields))
        return cls(seq, kind, work_id, utc_now(), prev_hash, sha256_hex(text), b"", text)

    def signed(self, signature: bytes) -> LogEntry:
        return replace(self, signature=signature)

    @property
    def text(self) -> str:
        """The canonical JSON text that is hashed and signed."""
        return canonical_json(
            {
                "type": ENTRY_TYPE,
                "v": ENTRY_VERSION,
                "seq": self.seq,
                "kind": self.kind,
                "work_id": self.work_id,
                "time": self.time,
                "prev_hash": self.prev_hash,
                "fields_sha256": self.fields_sha256,
            }
        )

    @property
    def hash(self) -> str:
        return sha256_hex(self.text)

    @property
    def details(self) -> dict[str, Any]:
        """The parsed fields; raises ``LookupError`` if they were left out."""
        if self.fields is None:
            raise LookupError(f"entry {self.seq} carries only the hash of its fields")
        value = parse_json(self.fields)
        if not isinstance(value, dict):
            raise ValueError("entry fields are not a JSON object")
        return value

    @classmethod
    def parse(cls, text: str, signature: bytes, fields: str | None) -> LogEntry:
        """Rebuild an entry from its stored text; ``ValueError`` if malformed.

        The result's ``text`` equals *text* only if *text* was canonical;
        callers that verify compare the two.
        """
        value = parse_json(text)
        if not isinstance(value, dict) or value.get("type") != ENTRY_TYPE:
            raise ValueError("not a registry log entry")
        if value.get("v") != ENTRY_VERSION:
            raise ValueError(f"log entry version {value.get('v')!r} is not supported")
        try:
            entry = cls(
                seq=value["seq"],
                kind=value["kind"],
                work_id=value["work_id"],
                time=value["time"],
                prev_hash=value["prev_hash"],
                fields_sha256=value["fields_sha256"],
                signature=signature,
                fields=fields,
            )
        except KeyError as exc:
            raise ValueError(f"log entry lacks {exc}") from None
        if not (isinstance(entry.seq, int) and isinstance(entry.kind, str)):
            raise ValueError("log entry has a malformed seq or kind")
        if set(value) != _ENTRY_KEYS:
            raise ValueError("log entry has unexpected keys")
        return entry

    def to_json(self) -> dict[str, Any]:
        """The exchange form used in proof bundles (see docs/bundle-format.md)."""
        return {"entry": self.text, "signature": self.signature.hex(), "fields": self.fields}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> LogEntry:
        fields = value.get("fields")
        if fields is not None and not isinstance(fields, str):
            raise ValueError("entry fields must be JSON text or null")
        return cls.parse(str(value["entry"]), bytes.fromhex(str(value["signature"])), fields)


#: The fields a ``register`` or ``mark`` entry carries, in the order shown.
WORK_FIELDS = (
    "title",
    "file_name",
    "file_size",
    "file_sha256",
    "pixels_sha256",
    "width",
    "height",
    "channels",
    "frame_count",
    "payload",
    "fingerprint_sha256",
    "thumbnail_sha256",
)
#: Fields a work entry may lack (written by an older ArtistShield), with their value then.
OPTIONAL_WORK_FIELDS: dict[str, Any] = {"key_frames": ()}


@dataclass(frozen=True)
class Work:
    """A registered work as its log entries describe it (``title`` is the latest)."""

    work_id: str
    title: str
    file_name: str
    registered: str
    file_size: int
    file_sha256: str
    pixels_sha256: str
    width: int
    height: int
    channels: int
    frame_count: int
    payload: int | None
    fingerprint_sha256: str | None
    thumbnail_sha256: str
    register_seq: int
    marked: bool
    key_frames: tuple[int, ...] = ()
    """Frame indexes of a clip with a fingerprint each; () for a still or an older clip."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key_frames", tuple(self.key_frames))  # JSON gives a list

    @classmethod
    def from_log(cls, entry: LogEntry, title_edits: Iterable[LogEntry] = ()) -> Work:
        """Build the work that *entry* created, with its title edits applied."""
        if entry.kind not in WORK_KINDS or entry.work_id is None:
            raise ValueError(f"entry {entry.seq} does not register a work")
        fields = entry.details
        title = fields["title"]
        for edit in sorted(title_edits, key=lambda e: e.seq):
            if edit.kind == EDIT_TITLE and edit.work_id == entry.work_id and edit.seq > entry.seq:
                title = edit.details["title"]
        return cls(
            work_id=entry.work_id,
            registered=entry.time,
            register_seq=entry.seq,
            marked=entry.kind == MARK,
            **{**{name: fields[name] for name in WORK_FIELDS}, "title": title},
            **{name: fields.get(name, empty) for name, empty in OPTIONAL_WORK_FIELDS.items()},
        )

    def to_json(self) -> dict[str, Any]:
        # every field is immutable (key_frames a tuple): no deep copy as asdict makes,
        # which was a fifth of a union merge's time
        record = {f.name: getattr(self, f.name) for f in dataclass_fields(self)}
        for name, empty in OPTIONAL_WORK_FIELDS.items():
            if record[name] == empty:  # as the entry has it: absent (docs/bundle-format.md)
                del record[name]
        return record

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Work:
        return cls(**dict(value))
