"""The registry's SQLite file: one connection, WAL, versioned schema.

All access goes through one :class:`Database`, which serialises statements
with a lock (the GUI may call from worker threads) and wraps writes in
:meth:`Database.transaction`.  The schema version lives in
``PRAGMA user_version``; :data:`MIGRATIONS` brings an older file up to date,
and a file from a newer ArtistShield is refused rather than guessed at.

The log and works tables are append-only: triggers abort any ``UPDATE`` or
``DELETE``, so a bug cannot rewrite history (someone with the raw file still
can, which is what :mod:`artistshield.registry.verify` is for).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from artistshield.errors import ArtistShieldError
from artistshield.fileio import make_private_file

log = logging.getLogger("artistshield.registry")


def _append_only(table: str) -> str:
    return "\n".join(
        f"""CREATE TRIGGER {table}_no_{action} BEFORE {action.upper()} ON {table}
            BEGIN SELECT RAISE(ABORT, 'the registry {table} table is append-only'); END;"""
        for action in ("update", "delete")
    )


SCHEMA_1 = f"""
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE log (
    seq       INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    work_id   TEXT,
    entry     TEXT NOT NULL,
    fields    TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE,
    signature BLOB NOT NULL
);
CREATE INDEX log_by_work ON log (work_id, seq);
CREATE TABLE works (
    num           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    register_seq  INTEGER NOT NULL UNIQUE REFERENCES log (seq),
    payload       INTEGER UNIQUE,
    pixels_sha256 TEXT NOT NULL,
    fingerprint   BLOB,
    thumbnail     BLOB NOT NULL
);
CREATE INDEX works_by_pixels ON works (pixels_sha256);
{_append_only("log")}
{_append_only("works")}
"""

#: ``MIGRATIONS[i]`` takes a file from schema version ``i`` to ``i + 1``.
MIGRATIONS: Sequence[str] = (SCHEMA_1,)
SCHEMA_VERSION = len(MIGRATIONS)


#: The tables every registry of schema 1 or later has.
TABLES = ("meta", "log", "works")


class RegistryError(ArtistShieldError):
    """The registry file cannot be used: damaged, tampered with, or its disk is full."""


#: How long a write waits for another process holding the registry.
_BUSY_SECONDS = 30.0

class Database:
    """One SQLite connection to the registry file, used by one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
            for private in (path, wal, shm):
                if private == path or private.exists():  # titles, thumbnails of unpublished work
                    make_private_file(private)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE below).
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=_BUSY_SECONDS
            )
        except (OSError, sqlite3.Error) as exc:
            raise self.error(exc) from exc
        self._lock = threading.RLock()
        self._depth = 0
        try:
            with self.errors():
                self._conn.execute("PRAGMA foreign_keys = ON")
                self._write_ahead_log()
                # FULL: a committed entry survives a power cut, not just a kill.
                self._conn.execute("PRAGMA synchronous = FULL")
                self._migrate()
                self._check_tables()
        except BaseException:
            self._conn.close()
            raise

    def _write_ahead_log(self) -> None:
        """Switch the file to WAL, waiting while another process opens it at the same time.

        Changing the journal mode needs the file to itself, and SQLite answers
        "database is locked" at once rather than waiting out its busy timeout;
        the mode is kept in the file, so only the first opens ever wait here.
        """
        deadline = time.monotonic() + _BUSY_SECONDS
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def error(self, exc: BaseException) -> RegistryError:
        """Say in one sentence what *exc* (from SQLite or the OS) means for the registry."""
        text = str(exc)
        code = getattr(exc, "sqlite_errorcode", None)
        if code == sqlite3.SQLITE_FULL or "disk is full" in text or (
            isinstance(exc, OSError) and exc.errno == errno.ENOSPC
        ):
            return RegistryError(
                f"The disk holding the registry {self.path} is full; nothing was written. "
                "Free some space and run the command again."
            )
        if isinstance(exc, OSError):
            return RegistryError(f"Cannot open the registry {self.path}: {exc.strerror or exc}.")
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
            return RegistryError(
                f"The registry {self.path} is busy in another ArtistShield; try again when it "
                "has finished."
            )
        if "no such table" in text or "no such column" in text:
            return RegistryError(
                f"The registry {self.path} is damaged ({text}: a table was removed?). Run "
                "'artistshield registry verify', and restore the registry from a backup copy."
            )
        if isinstance(exc, sqlite3.OperationalError) and (
            "readonly" in text or "unable to open" in text or "disk I/O" in text
        ):
            return RegistryError(f"Cannot use the registry {self.path}: {text}.")
        return RegistryError(f"{self.path} is not a readable registry: {text}.")

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn SQLite's and the OS's errors inside the block into :class:`RegistryError`."""
        try:
            yield
        except sqlite3.IntegrityError:  # a broken rule of the schema is a bug, not the file's
            raise
        except (sqlite3.DatabaseError, OSError) as exc:
            raise self.error(exc) from exc

    def _check_tables(self) -> None:
        names = {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master")}
        missing = [name for name in TABLES if name not in names]
        if missing:
            raise RegistryError(
                f"The registry {self.path} is damaged: its {' and '.join(missing)} "
                f"table{'s are' if len(missing) > 1 else ' is'} missing (removed?). Restore "
                "the registry from a backup copy; nothing was written."
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @property
    def user_version(self) -> int:
        return int(self.query("PRAGMA user_version")[0][0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the write lock; commit on success, roll back on any error.

        Nested use joins the outer transaction.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            with self.errors():
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                with self.errors():
                    yield self._conn
            except BaseException:
                if self._conn.in_transaction:  # SQLite may have rolled back already
                    self._conn.execute("ROLLBACK")
                raise
            else:
                with self.errors():
                    self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self.errors():
            return self._conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock, self.errors():
            row: tuple[Any, ...] | None = self._conn.execute(sql, params).fetchone()
            return row

    def iterate(
        self, sql: str, params: Sequence[Any] = (), *, batch: int = 256
    ) -> Iterator[tuple[Any, ...]]:
        """Yield rows of a large result a batch at a time.

        The lock is held only while fetching, never across a ``yield``: a
        caller that stops early or runs slowly blocks nobody.
        """
        with self._lock, self.errors():
            cursor = self._conn.execute(sql, params)
        while True:
            with self._lock, self.errors():
                rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield from rows

    def _migrate(self) -> None:
        if self._newer_check() == SCHEMA_VERSION:
            return
        # Read the version again under the write lock: another process opening
        # the same fresh folder may have created the tables meanwhile.
        with self.transaction() as conn:
            version = self._newer_check()
            for target in range(version + 1, SCHEMA_VERSION + 1):
                log.info("migrating %s to schema %d", self.path, target)
                for statement in _statements(MIGRATIONS[target - 1]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target:d}")

    def _newer_check(self) -> int:
        version = self.user_version
        if version > SCHEMA_VERSION:
            raise ArtistShieldError(
                f"The registry {self.path} was written by a newer ArtistShield "
                f"(schema {version}; this version reads up to {SCHEMA_VERSION}). "
                "Update ArtistShield to open it; it was left untouched."
            )
        return version


def _statements(script: str) -> Iterator[str]:
    """Split *script* into statements (``executescript`` would commit)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement: {pending.strip()[:60]}")
