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
from artistshield.registry.records import GENESIS, GENESIS_PREV, LogEntry


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
            _genesis(conn, identity)
    elif bytes.fromhex(owner) != identity.public_key:
        raise ArtistShieldError(
            f"This registry belongs to {artist_id(bytes.fromhex(owner))}, not to your identity "
            f"{identity.artist_id}; it was not changed."
        )
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
    return None if value is None else bytes.fromhex(value)


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
        yield LogEntry.parse(text, bytes(signature), fields)
