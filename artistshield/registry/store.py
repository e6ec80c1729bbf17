"""The :class:`Registry`: register works, read them back, verify, export.

Every write is one transaction that appends a signed log entry and the rows it
describes, so a kill at any moment leaves either both or neither.  The
copies of its signed head it keeps, and the checks against them before each
write and in ``verify``, are in :mod:`.kept_heads`.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from artistshield import fileio
from artistshield.errors import ArtistShieldError
from artistshield.fileio import Exists, OutputExistsError
from artistshield.identity import Identity
from artistshield.paths import data_dir
from artistshield.registry import log as history
from artistshield.registry.bundle import bundle_bytes, bundle_document
from artistshield.registry.db import Database
from artistshield.registry.ingest import KeyFramePicture, describe
from artistshield.registry.kept_heads import HEAD_SUFFIX as HEAD_SUFFIX
from artistshield.registry.kept_heads import KeptHeads
from artistshield.registry.records import (
    EDIT_TITLE,
    EXPORT,
    EXPORT_FAILED,
    GENESIS,
    MARK,
    MERGE,
    REGISTER,
    RESTORE,
    STANDING_KINDS,
    TIMESTAMP,
    VERSION,
    WITHDRAW,
    WORK_KINDS,
    LogEntry,
    Work,
    sha256_hex,
)
from artistshield.registry.standing import Standing, shown_as, standings, versions

if TYPE_CHECKING:
    from artistshield.registry.match import WorkMatch, WorkMatcher

logger = logging.getLogger("artistshield.registry")

FILE_NAME = "registry.sqlite3"
PAYLOAD_LIMIT = 2**48


class WorkNotFoundError(ArtistShieldError):
    """No work has the given id."""


class AlreadyRegisteredError(ArtistShieldError):
    """The same pixels are already registered; ``.work`` is the existing work."""

    def __init__(self, work: Work) -> None:
        super().__init__(f"These pixels are already registered as {work.work_id} ({work.title}).")
        self.work = work


class Registry(KeptHeads):
    """The artist's registry of works, in one SQLite file."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._matcher: WorkMatcher | None = None
        self._hidden: tuple[str | None, dict[str, Standing]] = ("", {})

    @classmethod
    def open(cls, path: str | Path | None = None) -> Registry:
        """Open (creating if needed) the registry at *path*, by default in the data folder.

        Marked copies a killed process left on their way are finished or
        removed first (:mod:`.pending`).
        """
        registry = cls(Database(Path(path) if path is not None else data_dir() / FILE_NAME))
        from artistshield.registry import pending

        pending.recover(registry)
        return registry

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def public_key(self) -> bytes | None:
        """The key every entry is signed with; ``None`` until the first write."""
        return history.stored_public_key(self.db)

    # -- writing -----------------------------------------------------------

    def add_work(
        self,
        pixels: np.ndarray,
        *,
        file_path: Path,
        title: str | None = None,
        payload: int | None = None,
        frame_count: int = 1,
        key_frames: Sequence[KeyFramePicture] | None = None,
        identity: Identity,
        turn: int = 0,
    ) -> Work:
        """Register the work whose decoded pixels are *pixels*, read from *file_path*.

        With *payload* (the watermark it carries) the entry is a ``mark``,
        otherwise a ``register``.  A clip gives its first frame as *pixels*
        and its *key_frames*, ``(frame index, pixels)`` in order, perhaps
        with their fingerprint (see :mod:`artistshield.animation.keyframes`
        and :data:`.ingest.KeyFramePicture`): each gets a fingerprint, so a
        copy of any of them finds the work.  Raises
        :class:`AlreadyRegisteredError` if the same pixels are registered
        already.  *turn* is a video's display rotation, for its thumbnail
        (see :func:`.ingest.describe`).
        """
        file_path = Path(file_path)
        if payload is not None and not 0 <= payload < PAYLOAD_LIMIT:
            raise ValueError(f"payload must be in [0, 2**48), not {payload}")
        title = (title if title is not None else file_path.stem).strip() or file_path.name
        facts = describe(
            pixels, file_path=file_path, frame_count=frame_count, key_frames=key_frames, turn=turn
        )
        fields: dict[str, Any] = {
            "title": title,
            "file_name": facts.file_name,
            "file_size": facts.file_size,
            "file_sha256": facts.file_sha256,
            "pixels_sha256": facts.pixels_sha256,
            "width": facts.width,
            "height": facts.height,
            "channels": facts.channels,
            "frame_count": facts.frame_count,
            "payload": payload,
            "fingerprint_sha256": sha256_hex(facts.fingerprint),
            "thumbnail_sha256": sha256_hex(facts.thumbnail_png),
        }
        if facts.key_frames:
            fields["key_frames"] = list(facts.key_frames)
        with self.db.transaction() as conn:
            self._check_head(conn)
            twin = self.find_by_pixels(facts.pixels_sha256)
            if twin is not None:
                raise AlreadyRegisteredError(twin)
            if (
                payload is not None
                and conn.execute("SELECT 1 FROM works WHERE payload = ?", (payload,)).fetchone()
            ):
                raise ArtistShieldError(f"Payload {payload} is already used by another work.")
            num = history.next_work_number(conn)
            work_id = f"W-{num:06d}"
            entry = history.append(
                conn, identity, MARK if payload is not None else REGISTER, work_id, fields
            )
            conn.execute(
                "INSERT INTO works (num, id, register_seq, payload, pixels_sha256, fingerprint,"
                " thumbnail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    num,
                    work_id,
                    entry.seq,
                    payload,
                    facts.pixels_sha256,
                    facts.fingerprint,
                    facts.thumbnail_png,
                ),
            )
        self.remember_head()
        logger.info("registered %s (%s) as entry %d", work_id, facts.file_name, entry.seq)
        if self._matcher is not None:
            self._matcher.add_stored(work_id, facts.fingerprint)
        return Work.from_log(entry)

    def set_title(self, work_id: str, title: str, identity: Identity) -> Work:
        """Give *work_id* a new title (a new log entry; the old one stays on record)."""
        title = title.strip()
        if not title:
            raise ValueError("The title is empty.")
        with self.db.transaction() as conn:
            self._check_head(conn)
            self.work(work_id)
            history.append(conn, identity, EDIT_TITLE, work_id, {"title": title})
        self.remember_head()
        return self.work(work_id)

    def new_payload(self, *, rng: np.random.Generator | None = None) -> int:
        """A random watermark payload in ``[0, 2**48)`` that no registered work carries."""
        while True:
            if rng is None:
                payload = secrets.randbelow(PAYLOAD_LIMIT)
            else:
                payload = int(rng.integers(0, PAYLOAD_LIMIT, dtype=np.int64))
            if self.record_with_payload(payload) is None:
                return payload

    # -- reading -----------------------------------------------------------

    def work(self, work_id: str) -> Work:
        row = self.db.query_one(
            "SELECT log.entry, log.signature, log.fields FROM works"
            " JOIN log ON log.seq = works.register_seq WHERE works.id = ?",
            (work_id,),
        )
        if row is None:
            raise WorkNotFoundError(f"There is no work {work_id} in the registry.")
        entry = history.parse_row(self.db, row[0], row[1], row[2])
        return self._work_of(entry, history.entries(self.db, work_id=work_id))

    def _work_of(self, entry: LogEntry, edits: Iterable[LogEntry] = ()) -> Work:
        try:
            return Work.from_log(entry, edits)
        except (LookupError, ValueError, TypeError) as exc:
            raise history.TamperedError(
                f"The registry {self.path} holds an unreadable record of {entry.work_id} "
                f"({exc}): it was damaged or edited. Run 'artistshield registry verify', and "
                "restore the registry from a backup copy."
            ) from None

    def works(self, *, hidden: bool = False) -> list[Work]:
        """Every registered work, oldest first, with its current title.

        Works the artist withdrew or merged into another are left out unless
        *hidden* (:meth:`standings` says why each is hidden).
        """
        registered: list[LogEntry] = []
        titles: dict[str, list[LogEntry]] = {}
        for entry in history.entries(self.db):
            if entry.kind in WORK_KINDS:
                registered.append(entry)
            elif entry.kind == EDIT_TITLE and entry.work_id is not None:
                titles.setdefault(entry.work_id, []).append(entry)
        left_out = {} if hidden else self.standings()
        return [
            self._work_of(e, titles.get(e.work_id or "", ()))
            for e in registered
            if e.work_id not in left_out
        ]

    def has_works(self) -> bool:
        """Whether any work was ever registered (withdrawn or not): a cheap test."""
        return self.db.query_one("SELECT 1 FROM works LIMIT 1") is not None

    def find_by_payload(self, payload: int) -> Work | None:
        """The work a mark with *payload* names, as a check should report it.

        A work merged into another gives that other work; a withdrawn one, none.
        """
        return self._shown(self.record_with_payload(payload))

    def record_with_payload(self, payload: int) -> Work | None:
        """The record carrying *payload*, withdrawn or merged or not."""
        row = self.db.query_one("SELECT id FROM works WHERE payload = ?", (payload,))
        return None if row is None else self.work(row[0])

    def find_by_pixels(self, pixels_sha256: str) -> Work | None:
        """The shown work whose registered pixels have this SHA-256 (see :meth:`find_by_payload`)."""
        sql = "SELECT id FROM works WHERE pixels_sha256 = ? ORDER BY num"
        for (work_id,) in self.db.query(sql, (pixels_sha256,)):
            shown = self._shown(self.work(work_id))
            if shown is not None:
                return shown
        return None

    def _shown(self, work: Work | None) -> Work | None:
        if work is None:
            return None
        shown = shown_as(work.work_id, self.standings())
        if shown is None:
            return None
        return work if shown == work.work_id else self.work(shown)

    # -- withdrawing, merging, versions -------------------------------------

    def standings(self) -> dict[str, Standing]:
        """The works hidden now, withdrawn or merged, by work ID (read from the signed log)."""
        head = history.meta(self.db, "head_hash")
        if self._hidden[0] != head:
            kinds = ", ".join(f"'{kind}'" for kind in sorted(STANDING_KINDS))
            rows = self.db.query(
                f"SELECT entry, signature, fields FROM log WHERE kind IN ({kinds}) ORDER BY seq"
            )
            found = standings(history.parse_row(self.db, *row) for row in rows)
            self._hidden = (head, found)
        return self._hidden[1]

    def withdraw(self, work_id: str, identity: Identity, *, reason: str = "") -> Standing:
        """Withdraw *work_id*: a signed entry hides it from matches, lists and reports.

        Its record stays, and stays verifiable; :meth:`restore` shows it again.
        """
        reason = " ".join(reason.split())
        with self.db.transaction() as conn:
            self._check_head(conn)
            self._refuse_hidden(self.work(work_id))
            history.append(conn, identity, WITHDRAW, work_id, {"reason": reason})
        self.remember_head()
        logger.info("withdrew %s", work_id)
        return self.standings()[work_id]

    def merge(self, duplicate: str, into: str, identity: Identity) -> Standing:
        """Merge *duplicate* into *into*: a check or list names *into* in its place."""
        if duplicate == into:
            raise ArtistShieldError(f"{duplicate} cannot be merged into itself.")
        with self.db.transaction() as conn:
            self._check_head(conn)
            self._refuse_hidden(self.work(duplicate))
            target = self.work(into)
            standing = self.standings().get(target.work_id)
            if standing is not None:
                raise ArtistShieldError(
                    f"{into} is {standing.in_words()}; merge {duplicate} into a work that is "
                    "shown, or restore that one first."
                )
            history.append(conn, identity, MERGE, duplicate, {"into": target.work_id})
        self.remember_head()
        logger.info("merged %s into %s", duplicate, into)
        return self.standings()[duplicate]

    def restore(self, work_id: str, identity: Identity) -> Work:
        """Show a withdrawn or merged work again (a new signed entry; the earlier one stays)."""
        with self.db.transaction() as conn:
            self._check_head(conn)
            work = self.work(work_id)
            if work_id not in self.standings():
                raise ArtistShieldError(f"{work_id} is not withdrawn or merged; nothing to restore.")
            history.append(conn, identity, RESTORE, work_id, {})
        self.remember_head()
        logger.info("restored %s", work_id)
        return work

    def _refuse_hidden(self, work: Work) -> None:
        standing = self.standings().get(work.work_id)
        if standing is not None:
            raise ArtistShieldError(
                f"{work.work_id} is already {standing.in_words()}; restore it first to change that."
            )

    def add_version(self, work_id: str, version_of: str, identity: Identity) -> None:
        """Record that *work_id* is a new version of the earlier work *version_of*."""
        if work_id == version_of:
            raise ArtistShieldError(f"{work_id} cannot be a version of itself.")
        with self.db.transaction() as conn:
            self._check_head(conn)
            self.work(work_id)
            self.work(version_of)
            history.append(conn, identity, VERSION, work_id, {"version_of": version_of})
        self.remember_head()

    def version_of(self, work_id: str) -> str | None:
        """The earlier work *work_id* is a new version of, if it was marked as one."""
        return versions(history.entries(self.db, work_id=work_id)).get(work_id)

    def thumbnail(self, work_id: str) -> bytes:
        """The work's thumbnail as PNG bytes."""
        row = self.db.query_one("SELECT thumbnail FROM works WHERE id = ?", (work_id,))
        if row is None:
            raise WorkNotFoundError(f"There is no work {work_id} in the registry.")
        return bytes(row[0])

    def fingerprints(self) -> Iterator[tuple[str, bytes]]:
        """Yield ``(work_id, stored fingerprints)`` for every work, for the matcher.

        A clip's bytes hold one fingerprint per key frame (:mod:`.fingerprints`).
        """
        # Row by row: 100,000 fingerprints of a few KB each need not sit in memory twice.
        sql = "SELECT id, fingerprint FROM works WHERE fingerprint IS NOT NULL ORDER BY num"
        for work_id, data in self.db.iterate(sql):
            yield work_id, bytes(data)

    def fingerprints_of(self, work_ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        for work_id in work_ids:
            row = self.db.query_one("SELECT fingerprint FROM works WHERE id = ?", (work_id,))
            if row is not None and row[0] is not None:
                yield work_id, bytes(row[0])

    def log(self) -> list[LogEntry]:
        return list(history.entries(self.db))

    # -- sharing -----------------------------------------------------------

    def export_bundle(
        self,
        out: str | Path,
        work_ids: Sequence[str] | None = None,
        *,
        identity: Identity,
        exists: Exists = "refuse",
    ) -> Path:
        """Write the proof bundle of *work_ids* (all works by default) to *out* (see
        :mod:`.bundle`), ending with a signed ``export`` entry naming them.

        The whole bundle is written to a temporary file and fsynced before its
        entry commits, so a full disk leaves no ``export`` entry; should the
        bundle then fail to take its name, a signed ``export-failed`` entry
        says so.  An existing *out* is refused unless *exists* says otherwise
        (:func:`artistshield.fileio.write_file`); returns the name written.
        """
        out = Path(out)
        if exists == "refuse" and os.path.lexists(out):
            raise OutputExistsError(out)  # before the log says a bundle was made
        # by default the works shown: a withdrawn or merged one only when asked for by ID
        selected = sorted(set([w.work_id for w in self.works()] if work_ids is None else work_ids))
        works = [self.work(work_id) for work_id in selected]  # raises on unknown ids
        fileio.make_folder(out.parent)
        with fileio.staged(out) as temporary:
            with self.db.transaction() as conn:
                self.check_writable()  # joins this transaction
                export = history.append(conn, identity, EXPORT, None, {"works": selected})
                rows = conn.execute("SELECT entry, signature, fields FROM log ORDER BY seq").fetchall()
                entries = []
                for text, signature, fields in rows:
                    entry = LogEntry.parse(text, bytes(signature), fields)
                    shown = (
                        entry.kind in (GENESIS, TIMESTAMP)  # a stamp's details prove every earlier work
                        or entry.work_id in selected
                        or entry.seq == export.seq
                    )
                    entries.append(entry if shown else LogEntry.parse(text, bytes(signature), None))
                stored = dict(self.fingerprints_of(selected))
                document = bundle_document(
                    identity=identity, entries=entries,
                    works=[(w, self.thumbnail(w.work_id), stored.get(w.work_id)) for w in works],
                )
                fileio.fill(temporary, bundle_bytes(document), target=out)  # a full disk: rolled back
            self.remember_head()
            try:
                return fileio.publish(temporary, out, exists=exists)
            except fileio.WriteError as exc:
                self._export_failed(export, identity, exc)
                raise

    def _export_failed(self, export: LogEntry, identity: Identity, exc: Exception) -> None:
        """Sign that the bundle of entry *export* was not written (the log must not say it was)."""
        try:
            with self.db.transaction() as conn:
                history.append(
                    conn, identity, EXPORT_FAILED, None, {"export_seq": export.seq, "reason": str(exc)}
                )
            self.remember_head()
        except (ArtistShieldError, OSError) as again:
            logger.warning("could not record that export %d failed: %s", export.seq, again)

    def match(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]:
        """The registered works *pixels* derive from, best first."""
        from artistshield.registry.match import WorkMatcher

        if self._matcher is None:
            self._matcher = WorkMatcher(self.fingerprints())
        hidden = self.standings()
        # Ask for enough that *limit* remain once hidden works are left out or folded into
        # the works they were merged into.
        found = self._matcher.search(pixels, limit=limit + min(len(hidden), 4 * limit))
        best: dict[str, WorkMatch] = {}
        for match in found:
            shown = shown_as(match.work_id, hidden)
            if shown is None or shown in best:  # results come best first
                continue
            if shown != match.work_id:
                match = replace(match, work_id=shown)
            best[shown] = match.with_work(self.work(shown))
        return list(best.values())[:limit]
