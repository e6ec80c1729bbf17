"""What a union's shared registry derives from its contributions, and how it is checked.

At merge the union verifies every contribution in full and writes, beside
them, what a check needs to open fast: a *catalog* (SQLite: every work's
record by its qualified id, its member, payload and whether it is flagged;
the fingerprints too when the registry is small enough to search exactly)
and, for a large registry, the search index.  The union's signed index
document lists the SHA-256 of every such file, so opening checks them instead
of reading millions of records again, and a swapped index or catalog is
refused.

Most files are hashed whole on opening.  The fingerprint store of a large
index is not (tens of gigabytes at 10 million works): it is hashed in blocks
of ``BLOCK_BYTES`` whose digests are a hashed file of their own, and a block
is checked when a search first reads a fingerprint from it
(:class:`CheckedStore`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from artistshield.fingerprint import scale
from artistshield.registry.records import Work
from artistshield.union.authority import UnionError

CATALOG_NAME = "catalog.sqlite"
CATALOG_VERSION = 1
Entries = list[dict[str, Any]]
"""A work's signed log entries, as ``LogEntry.to_json`` writes them."""
BLOCK_BYTES = 1 << 16
"""Block size of the fingerprint store's hash table: a search reads a few dozen blocks."""
BLOCKS_SUFFIX = ".blocks-sha256"

_SCHEMA = """
CREATE TABLE works (
    id TEXT PRIMARY KEY,      -- M<member no>:W-000001
    member_no INTEGER NOT NULL,
    payload INTEGER,
    flagged INTEGER NOT NULL, -- registered after the member's certificate ended
    record TEXT NOT NULL,     -- the member-signed record, as JSON (its own work id)
    entries TEXT NOT NULL,    -- the member's signed log entries about the work, as JSON
    fingerprint BLOB          -- as stored; NULL when the search index holds them
);
CREATE INDEX works_payload ON works (payload) WHERE payload IS NOT NULL;
CREATE INDEX works_flagged ON works (flagged) WHERE flagged;
"""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def qualified(member_no: int, work_id: str) -> str:
    return f"M{member_no}:{work_id}"


def member_no_of(work_id: str) -> int:
    """The member number of a qualified work id (``M7:W-000001`` -> 7)."""
    return int(work_id.split(":", 1)[0][1:])


class CatalogWriter:
    """Fill a new catalog, one contribution at a time, in one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version = {CATALOG_VERSION}")
        self._db.execute("BEGIN")

    def add(
        self, member_no: int, works: Iterable[Work], late: set[str], entries: dict[str, Entries]
    ) -> None:
        self._db.executemany(
            "INSERT INTO works (id, member_no, payload, flagged, record, entries)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    qualified(member_no, w.work_id),
                    member_no,
                    w.payload,
                    int(w.work_id in late),
                    record_json(w),
                    json.dumps(entries[w.work_id], ensure_ascii=False, separators=(",", ":")),
                )
                for w in works
            ),
        )

    def add_fingerprints(self, prints: Iterable[tuple[str, bytes]]) -> None:
        self._db.executemany(
            "UPDATE works SET fingerprint = ? WHERE id = ?", ((data, w) for w, data in prints)
        )

    def close(self) -> None:
        self._db.execute("COMMIT")
        self._db.close()


class Catalog:
    """The works of a shared registry, read from its catalog when asked for."""

    def __init__(self, path: Path) -> None:
        # immutable: the file was hashed against the union's signature; no locks
        # on a read-only share
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        try:
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
        except sqlite3.Error as exc:
            raise UnionError(f"{path} is not a readable union catalog ({exc}).") from exc
        if version != CATALOG_VERSION:
            self._db.close()
            raise UnionError(
                f"{path} is a union catalog of version {version}; this ArtistShield reads "
                f"version {CATALOG_VERSION}."
            )
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def _rows(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def work(self, work_id: str) -> Work:
        rows = self._rows("SELECT record FROM works WHERE id = ?", work_id)
        if not rows:
            raise KeyError(work_id)
        return _work(work_id, str(rows[0][0]))

    def signed(self, work_id: str) -> tuple[str, Entries, bool]:
        """The record of *work_id* as kept, the member's entries about it, and its flag."""
        rows = self._rows("SELECT record, entries, flagged FROM works WHERE id = ?", work_id)
        if not rows:
            raise KeyError(work_id)
        record, entries, flagged = rows[0]
        return str(record), json.loads(str(entries)), bool(flagged)

    def by_payload(self, payload: int) -> str | None:
        rows = self._rows("SELECT id FROM works WHERE payload = ? ORDER BY id LIMIT 1", payload)
        return str(rows[0][0]) if rows else None

    def flagged(self) -> set[str]:
        return {str(r[0]) for r in self._rows("SELECT id FROM works WHERE flagged")}

    def works(self) -> list[Work]:
        return [_work(str(i), str(r)) for i, r in self._rows("SELECT id, record FROM works")]

    def records_of(self, member_no: int) -> dict[str, str]:
        """Every record of one member, by qualified id (a range of the primary key)."""
        low, high = f"M{member_no}:", f"M{member_no};"  # ';' follows ':'
        rows = self._rows("SELECT id, record FROM works WHERE id >= ? AND id < ?", low, high)
        return {str(i): str(r) for i, r in rows}

    def fingerprints(self) -> Iterator[tuple[str, bytes]]:
        """Every stored fingerprint, a row at a time (for a small registry's exact index)."""
        rows = self._db.execute(
            "SELECT id, fingerprint FROM works WHERE fingerprint IS NOT NULL ORDER BY id"
        )
        for work_id, data in rows:
            yield str(work_id), bytes(data)


def record_json(work: Work) -> str:
    """A record as the catalog keeps it (compared with a member's bundle when vouching)."""
    return json.dumps(work.to_json(), ensure_ascii=False, separators=(",", ":"))


def _work(work_id: str, record: str) -> Work:
    from dataclasses import replace

    return replace(Work.from_json(json.loads(record)), work_id=work_id)


def write_block_table(path: Path) -> Path:
    """Write the digests of *path*'s ``BLOCK_BYTES`` blocks beside it; returns the table."""
    table = path.with_name(path.name + BLOCKS_SUFFIX)
    with open(path, "rb") as source, open(table, "xb") as out:
        for block in iter(lambda: source.read(BLOCK_BYTES), b""):
            out.write(hashlib.sha256(block).digest())
    return table


class CheckedStore(scale.FingerprintStore):
    """A fingerprint store whose blocks are checked against a signed table when read."""

    def __init__(self, folder: Path, table: bytes, *, source: str) -> None:
        super().__init__(folder)
        self._table = table
        self._checked: set[int] = set()
        self._source = source
        self._lock = threading.Lock()
        size = len(self._prints)
        # the offsets are hashed whole on opening: they say where the store ends
        ends = int(self._offsets[-1]) if len(self._offsets) else 0
        if size != ends or len(table) != 32 * (-(-size // BLOCK_BYTES)):
            raise UnionError(f"{source} was tampered with: its fingerprint store changed size.")

    def fingerprint_bytes(self, slot: int) -> bytes:
        start, stop = int(self._offsets[slot]), int(self._offsets[slot + 1])
        for block in range(start // BLOCK_BYTES, -(-stop // BLOCK_BYTES)):
            self._check(block)
        return bytes(self._prints[start:stop])

    def check_all(self) -> None:
        for block in range(len(self._table) // 32):
            self._check(block)

    def _check(self, block: int) -> None:
        if block in self._checked:
            return
        data = bytes(self._prints[block * BLOCK_BYTES : (block + 1) * BLOCK_BYTES])
        if hashlib.sha256(data).digest() != self._table[32 * block : 32 * block + 32]:
            raise UnionError(
                f"{self._source} was tampered with: its search index's fingerprints changed "
                "after the union merged them."
            )
        with self._lock:
            self._checked.add(block)
