"""The append-only, hash-chained, signed log that is the registry's history.

Every change to the registry is one :class:`~.records.LogEntry`, appended in
the same transaction as the rows it describes: it names the hash of the entry
before it and is signed with the artist's Ed25519 key.  Nothing is ever
rewritten; a title edit is a new entry, and the current title is read back
from the log.  The ``meta`` table remembers the head (last seq and hash), so
deleting entries from the end is noticed too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

from artistshield.errors import ArtistShieldError
from artistshield.identity import Identity, artist_id
from artistshield.registry.db import Database
from artistshield.registry.records import GENESIS, GENESIS_PREV, WORK_KINDS, LogEntry, sha256_hex


def append(
    conn: sqlite3.Connection,
    identity: Identity,
    kind: str,
    work_id: str | None,
    fields: Mapping[str, Any],
) -> LogEntry:
    """Sign and append one entry; call inside ``Database.transaction()``."""
    if not conn.in_transaction:
        raise RuntimeError("log.append must run inside a transaction")
    owner = _meta(conn, "public_key")
    if owner is None:
        if kind != GENESIS:
            check_empty(conn)
            _genesis(conn, identity)
    else:
        owner_key = _hex_key(owner)
        if owner_key != identity.public_key:
            raise ArtistShieldError(
                f"This registry belongs to {artist_id(owner_key)}, not to your identity "
                f"{identity.artist_id}; it was not changed."
            )
        if kind != GENESIS:
            check_head(conn, owner_key)
    last = conn.execute("SELECT seq, hash FROM log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, GENESIS_PREV) if last is None else (last[0] + 1, last[1])
    draft = LogEntry.new(seq, kind, work_id, fields, prev_hash=prev)
    entry = draft.signed(identity.sign(draft.text.encode("utf-8")))
    conn.execute(
        "INSERT INTO log (seq, kind, work_id, entry, fields, hash, signature)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, kind, work_id, entry.text, entry.fields, entry.hash, entry.signature),
    )
    conn.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("head_seq", str(seq)), ("head_hash", entry.hash)],
    )
    return entry


class TamperedError(ArtistShieldError):
    """The registry does not verify, so nothing may be written on it."""


REFUSAL = (
    "nothing was written. Run 'artistshield registry verify' to see the damage, and restore "
    "the registry file from a backup copy before marking or registering more work."
)


def check_head(conn: sqlite3.Connection, public_key: bytes) -> None:
    """Refuse to write unless the log's last entry is the signed head the registry wrote last.

    The cheap part of :mod:`.verify`, run before every write: no gap in the
    sequence, the remembered head is the last entry, that entry's hash and
    signature hold, and every work row has its entry.  It catches a
    truncated or edited tail; the full check is ``registry verify``.
    """
    why = _head_problem(conn, public_key)
    if why is not None:
        raise TamperedError(f"The registry does not verify ({why}); {REFUSAL}")


def check_empty(conn: sqlite3.Connection) -> None:
    """A registry without an owner must be empty: else its key was removed."""
    if conn.execute("SELECT 1 FROM log LIMIT 1").fetchone() or conn.execute(
        "SELECT 1 FROM works LIMIT 1"
    ).fetchone():
        raise TamperedError(f"The registry does not verify (its public key is missing); {REFUSAL}")


def _head_problem(conn: sqlite3.Connection, public_key: bytes) -> str | None:
    from artistshield.identity import verify

    last = conn.execute(
        "SELECT seq, entry, hash, signature FROM log ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    (count,) = conn.execute("SELECT COUNT(*) FROM log").fetchone()
    head_seq, head_hash = _meta(conn, "head_seq"), _meta(conn, "head_hash")
    if last is None:
        return "its log is empty, but it has an owner"
    seq, text, digest, signature = last
    if head_seq is None or head_hash is None:
        return "the record of its last entry is missing"
    if str(seq) != head_seq:
        if head_seq.isdigit() and int(head_seq) > seq:
            return f"entries {seq + 1} to {head_seq} are missing (deleted?)"
        return f"entries after {head_seq} were added behind its back"
    if count != seq:
        return f"it holds {count} entries where its last is entry {seq} (some deleted?)"
    if not isinstance(text, str) or sha256_hex(text) != digest or digest != head_hash:
        return f"entry {seq} is not the entry last written"
    if not verify(public_key, text.encode("utf-8"), bytes(signature)):
        return f"the signature of entry {seq} is not valid (forged?)"
    # The newest work row must be the newest work entry's (a full scan is verify's job).
    newest_entry = _last_work_entry(conn)
    newest_row = conn.execute(
        "SELECT register_seq, id FROM works ORDER BY num DESC LIMIT 1"
    ).fetchone()
    if newest_entry != (None if newest_row is None else tuple(newest_row)):
        return "its newest work row is not the one its log registered last"
    return None


def _last_work_entry(conn: sqlite3.Connection) -> tuple[int, str] | None:
    kinds = ", ".join(f"'{kind}'" for kind in sorted(WORK_KINDS))
    row = conn.execute(
        f"SELECT seq, work_id FROM log WHERE kind IN ({kinds}) ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def next_work_number(conn: sqlite3.Connection) -> int:
    """The number of the next work: one past every work ID the signed log ever named.

    Taken from the log, not the works table, so an ID is never given twice,
    even if work rows went missing.
    """
    last = _last_work_entry(conn)  # IDs only grow, so the newest entry names the highest
    logged = int(last[1][2:]) if last is not None and last[1][2:].isdigit() else 0
    (rows,) = conn.execute("SELECT MAX(num) FROM works").fetchone()
    return max(logged, int(rows or 0)) + 1


def _hex_key(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise TamperedError(f"The registry does not verify (its public key is unreadable); {REFUSAL}") from None


def _genesis(conn: sqlite3.Connection, identity: Identity) -> None:
    """Open the log: its first entry names the key every later entry is signed with."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('public_key', ?)", (identity.public_key.hex(),)
    )
    append(
        conn,
        identity,
        GENESIS,
        None,
        {
            "public_key": identity.public_key.hex(),
            "artist_id": identity.artist_id,
            "name": identity.name,
        },
    )


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def meta(db: Database, key: str) -> str | None:
    row = db.query_one("SELECT value FROM meta WHERE key = ?", (key,))
    return None if row is None else str(row[0])


def stored_public_key(db: Database) -> bytes | None:
    value = meta(db, "public_key")
    return None if value is None else _hex_key(value)


def entries(db: Database, *, work_id: str | None = None) -> Iterator[LogEntry]:
    """Yield the log's entries in order (only *work_id*'s when given).

    Assumes an intact log; :mod:`.verify` reads the raw rows instead.
    """
    sql = "SELECT entry, signature, fields FROM log"
    params: tuple[Any, ...] = ()
    if work_id is not None:
        sql += " WHERE work_id = ?"
        params = (work_id,)
    for text, signature, fields in db.iterate(sql + " ORDER BY seq", params):
        yield parse_row(db, text, signature, fields)


def parse_row(db: Database, text: Any, signature: Any, fields: Any) -> LogEntry:
    """An entry read back from the registry, or a sentence if it is unreadable."""
    try:
        return LogEntry.parse(text, bytes(signature), fields)
    except (ValueError, TypeError) as exc:
        raise TamperedError(
            f"The registry {db.path} holds a log entry that is unreadable ({exc}): it was "
            "damaged or edited. Run 'artistshield registry verify', and restore the registry "
            "from a backup copy."
        ) from None
