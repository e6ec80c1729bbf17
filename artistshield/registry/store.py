"""The :class:`Registry`: register works, read them back, verify, export.

Every write is one transaction that appends a signed log entry and the rows it
describes, so a kill at any moment leaves either both or neither.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from artistshield.errors import ArtistShieldError
from artistshield.fileio import Exists
from artistshield.identity import Identity
from artistshield.paths import data_dir
from artistshield.registry import log as history
from artistshield.registry.db import Database
from artistshield.registry.ingest import KeyFramePicture, describe, read_work
from artistshield.registry.records import (
    EDIT_TITLE,
    MARK,
    REGISTER,
    WORK_KINDS,
    LogEntry,
    Work,
    sha256_hex,
)

if TYPE_CHECKING:
    from artistshield.registry.match import WorkMatch, WorkMatcher
    from artistshield.registry.verify import VerifyReport

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


class Registry:
    """The artist's registry of works, in one SQLite file."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._matcher: WorkMatcher | None = None

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
    ) -> Work:
        """Register the work whose decoded pixels are *pixels*, read from *file_path*.

        With *payload* (the watermark it carries) the entry is a ``mark``,
        otherwise a ``register``.  A clip gives its first frame as *pixels*
        and its *key_frames*, ``(frame index, pixels)`` in order, perhaps
        with their fingerprint (see :mod:`artistshield.animation.keyframes`
        and :data:`.ingest.KeyFramePicture`): each gets a fingerprint, so a
        copy of any of them finds the work.  Raises
        :class:`AlreadyRegisteredError` if the same pixels are registered
        already.
        """
        file_path = Path(file_path)
        if payload is not None and not 0 <= payload < PAYLOAD_LIMIT:
            raise ValueError(f"payload must be in [0, 2**48), not {payload}")
        title = (title if title is not None else file_path.stem).strip() or file_path.name
        facts = describe(
            pixels, file_path=file_path, frame_count=frame_count, key_frames=key_frames
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
            twin = conn.execute(
                "SELECT id FROM works WHERE pixels_sha256 = ? LIMIT 1", (facts.pixels_sha256,)
            ).fetchone()
            if twin is not None:
                raise AlreadyRegisteredError(self.work(twin[0]))
            if (
                payload is not None
                and conn.execute("SELECT 1 FROM works WHERE payload = ?", (payload,)).fetchone()
            ):
                raise ArtistShieldError(f"Payload {payload} is already used by another work.")
            (num,) = conn.execute("SELECT COALESCE(MAX(num), 0) + 1 FROM works").fetchone()
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
        logger.info("registered %s (%s) as entry %d", work_id, facts.file_name, entry.seq)
        if self._matcher is not None:
            self._matcher.add_stored(work_id, facts.fingerprint)
        return Work.from_log(entry)

    def add_file(
        self, path: str | Path, *, title: str | None = None, identity: Identity
    ) -> Work:
        """Register the image, clip or frame folder at *path* without marking it.

        A clip (video, animated GIF/APNG/WebP, frame folder) is read once for
        its key frames and registered as one work, titled by its name.
        """
        path = Path(path)
        found = read_work(path)
        return self.add_work(
            found.pixels,
            file_path=found.file_path,
            title=title if title is not None else path.stem,
            frame_count=found.frame_count,
            key_frames=found.key_frames,
            identity=identity,
        )

    def set_title(self, work_id: str, title: str, identity: Identity) -> Work:
        """Give *work_id* a new title (a new log entry; the old one stays on record)."""
        title = title.strip()
        if not title:
            raise ValueError("The title is empty.")
        with self.db.transaction() as conn:
            self.work(work_id)
            history.append(conn, identity, EDIT_TITLE, work_id, {"title": title})
        return self.work(work_id)

    def new_payload(self, *, rng: np.random.Generator | None = None) -> int:
        """A random watermark payload in ``[0, 2**48)`` that no registered work carries."""
        while True:
            if rng is None:
                payload = secrets.randbelow(PAYLOAD_LIMIT)
            else:
                payload = int(rng.integers(0, PAYLOAD_LIMIT, dtype=np.int64))
            if self.find_by_payload(payload) is None:
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
        entry = LogEntry.parse(row[0], bytes(row[1]), row[2])
        return Work.from_log(entry, history.entries(self.db, work_id=work_id))

    def works(self) -> list[Work]:
        """Every registered work, oldest first, with its current title."""
        registered: list[LogEntry] = []
        titles: dict[str, list[LogEntry]] = {}
        for entry in history.entries(self.db):
            if entry.kind in WORK_KINDS:
                registered.append(entry)
            elif entry.kind == EDIT_TITLE and entry.work_id is not None:
                titles.setdefault(entry.work_id, []).append(entry)
        return [Work.from_log(e, titles.get(e.work_id or "", ())) for e in registered]

    def find_by_payload(self, payload: int) -> Work | None:
        row = self.db.query_one("SELECT id FROM works WHERE payload = ?", (payload,))
        return None if row is None else self.work(row[0])

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

    # -- checking and sharing ---------------------------------------------

    def verify(self, public_key: bytes | None = None) -> VerifyReport:
        """Check every signature, link and row; see :mod:`.verify`."""
        from artistshield.registry.verify import verify_registry

        return verify_registry(self.db, public_key=public_key)

    def export_bundle(
        self,
        out: str | Path,
        work_ids: Sequence[str] | None = None,
        *,
        identity: Identity,
        exists: Exists = "refuse",
    ) -> Path:
        """Write a proof bundle of *work_ids* (all works by default) to *out*.

        An existing *out* is refused unless *exists* says otherwise
        (:mod:`artistshield.fileio`); returns the name written.
        """
        from artistshield.registry.bundle import export_bundle

        return export_bundle(self, Path(out), work_ids, identity=identity, exists=exists)

    def match(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]:
        """The registered works *pixels* derive from, best first."""
        from artistshield.registry.match import WorkMatcher

        if self._matcher is None:
            self._matcher = WorkMatcher(self.fingerprints())
        return [
            m.with_work(self.work(m.work_id)) for m in self._matcher.search(pixels, limit=limit)
        ]
