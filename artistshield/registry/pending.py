"""Marked copies on their way to their final name: none is ever left unregistered.

A marked copy is written, read back and hashed in a hidden folder beside its
final name (``.artistshield-ID``); the final name is then claimed with a small
placeholder (:func:`artistshield.fileio.write_file` with ``exists="free"``,
so no other writer can take or replace it); the work is registered, a signed
record naming that file and its hash; only then does the copy replace the
placeholder.  So a file carrying a mark never sits under a final name
without its record.

A note in the registry's ``pending`` folder names each copy on its way and
is locked for as long as its process lives.  When a process is killed
midway, the next one to open the registry finishes its work
(:func:`recover`): a copy whose record was committed is moved onto its name;
one whose record was not is removed, with its placeholder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from artistshield import fileio
from artistshield.errors import ArtistShieldError

if TYPE_CHECKING:
    from artistshield.registry.store import Registry

logger = logging.getLogger("artistshield.registry")

NOTES = "pending"
PREFIX = ".artistshield-"
_PLACEHOLDER = (
    "ArtistShield is still writing this file; it is replaced or removed when "
    "ArtistShield next opens its registry. ({id})\n"
)


class PendingCopy:
    """One marked copy (a file, or a folder of frames) on its way into *out_dir*.

    Write the copy into :attr:`folder`, :meth:`claim` its final name, register
    it from the path :meth:`claim` returns, then :meth:`finish`.  Leaving the
    ``with`` block by an exception settles the copy the way :func:`recover`
    would.  Without a *registry* nothing is noted and :meth:`finish` just
    gives the copy a free name.
    """

    def __init__(
        self, out_dir: str | os.PathLike[str], *, registry: Registry | None = None,
        payload: int | None = None,
    ) -> None:
        self.out = fileio.make_folder(out_dir)
        self.id = secrets.token_hex(8)
        self.registry = registry
        self.payload = payload if payload is not None else -1
        self.final: Path | None = None
        self._note: _Note | None = None
        if registry is not None:
            if payload is None:
                raise ValueError("a registered copy needs its payload")
            self._note = _Note.create(
                _notes_folder(registry), self.id, {"out": str(self.out.resolve()), "payload": payload}
            )
        try:
            self.folder = self.out / f"{PREFIX}{self.id}"
            self.folder.mkdir()
        except OSError as exc:
            self._drop_note()
            raise fileio.WriteError(fileio.describe(self.out, exc)) from exc

    def __enter__(self) -> PendingCopy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            return
        if self.registry is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        try:
            _settle(self.registry, self.id, self.out, self.payload)
        except (ArtistShieldError, OSError) as again:
            logger.warning("the copy %s is left for the next start: %s", self.id, again)
            if self._note is not None:
                self._note.release()  # kept: the next process to open the registry finishes it
                self._note = None
        finally:
            self._drop_note()

    def claim(self, staged: Path) -> Path:
        """Claim the first free final name for *staged* (in :attr:`folder`).

        Returns the staged copy's path, renamed to that final name, so the
        record names the file the artist will find.  Without a registry the
        name is claimed only in :meth:`finish`.
        """
        if self.registry is None:
            return staged
        if staged.is_dir():
            self.final = fileio.claim_folder(self.out / staged.name)
        else:
            marker = _PLACEHOLDER.format(id=self.id).encode("utf-8")
            self.final = fileio.write_file(self.out / staged.name, marker, exists="free")
        named = self.folder / self.final.name
        if named != staged:
            os.rename(staged, named)
        return named

    def finish(self, staged: Path) -> Path:
        """Give the copy its final name and clean up; return that name.

        A failure here goes to ``__exit__``, which settles the copy or leaves
        its note for the next start.
        """
        if self.registry is None:
            if staged.is_dir():
                final = fileio.publish_folder(staged, self.out / staged.name)
            else:
                final = fileio.publish(staged, self.out / staged.name, exists="free")
            self.folder.rmdir()
            return final
        settled = _settle(self.registry, self.id, self.out, self.payload)
        self._drop_note()
        if settled is None:
            raise ArtistShieldError(f"{staged.name} was not registered, so it was not kept.")
        return settled

    def _drop_note(self) -> None:
        if self._note is not None:
            self._note.remove()
            self._note = None


def recover(registry: Registry) -> int:
    """Finish or undo the copies of processes that died midway; return how many."""
    folder = _notes_folder(registry, create=False)
    if not folder.is_dir():
        return 0
    done = 0
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):  # a note being written, or left half written
            _remove_if_orphaned(path)
            continue
        note = _Note.take(path)
        if note is None:  # its process is still at work
            continue
        try:
            info = note.info
            out = Path(str(info["out"]))
            final = _settle(registry, path.stem, out, int(info["payload"]))
            logger.info("pending copy %s %s", path.stem, f"kept as {final}" if final else "removed")
            done += 1
        except (ArtistShieldError, OSError) as exc:  # a disk still full: try again next time
            logger.warning("could not finish the pending copy %s: %s", path.stem, exc)
            note.release()
            continue
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("the pending note %s is not readable (%s); removed", path.name, exc)
        note.remove()
    return done


def _remove_if_orphaned(temporary: Path) -> None:
    """Remove ``.NAME.PID.part.json`` once process PID is gone (POSIX; elsewhere it stays)."""
    parts = temporary.name.split(".")
    if os.name != "posix" or len(parts) != 5 or not parts[2].isdigit():
        return
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        with contextlib.suppress(OSError):
            temporary.unlink()
    except OSError:
        pass  # alive, under another user


def _settle(registry: Registry, copy_id: str, out: Path, payload: int) -> Path | None:
    """Publish copy *copy_id* if its work is registered, else remove it; return its final name."""
    staging = out / f"{PREFIX}{copy_id}"
    marker = _PLACEHOLDER.format(id=copy_id).encode("utf-8")
    entries = sorted(staging.iterdir()) if staging.is_dir() else []
    entry = entries[0] if entries else None
    registered = entry is not None and _registered(registry, entry, payload)
    if entry is not None and registered:
        final = out / entry.name
        if entry.is_dir():
            if final.is_dir() and not any(final.iterdir()):
                os.replace(entry, final)  # the empty folder this copy claimed
            else:
                final = fileio.publish_folder(entry, final, exists="refuse")
        elif _is_placeholder(final, marker):
            fileio.replace_own(entry, final)
        else:
            final = fileio.publish(entry, final, exists="refuse")
        with contextlib.suppress(OSError):
            staging.rmdir()
        return final
    # Not registered: nothing of this copy may stay.
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):
        for candidate in out.iterdir():
            if _is_placeholder(candidate, marker):
                candidate.unlink()
            elif entry is not None and candidate.name == entry.name and candidate.is_dir():
                with contextlib.suppress(OSError):
                    candidate.rmdir()  # only if still the empty folder claimed
    return None


def _registered(registry: Registry, entry: Path, payload: int) -> bool:
    """Whether the work carrying *payload* is *entry* (a frame folder: its first frame)."""
    work = registry.record_with_payload(payload)
    if work is None:
        return False
    # a frame folder is registered by its first frame, which the record names
    hashed = entry / work.file_name if entry.is_dir() else entry
    if not hashed.is_file():
        return False
    digest = hashlib.sha256()
    with open(hashed, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return work.file_sha256 == digest.hexdigest() and work.file_name == hashed.name


def _is_placeholder(path: Path, marker: bytes) -> bool:
    try:
        if not path.is_file() or path.stat().st_size != len(marker):
            return False
        return path.read_bytes() == marker
    except OSError:
        return False


def _notes_folder(registry: Registry, *, create: bool = True) -> Path:
    folder = registry.path.parent / NOTES
    return fileio.make_folder(folder, private=True) if create else folder


class _Note:
    """A small JSON file locked by the process it belongs to."""

    def __init__(self, path: Path, fd: int, info: dict[str, Any]) -> None:
        self.path, self._fd, self.info = path, fd, info

    @classmethod
    def create(cls, folder: Path, name: str, info: dict[str, Any]) -> _Note:
        """Write and lock the note, then give it its name: nobody sees it unlocked.

        Until then it is ``.NAME.PID.part.json``, which :func:`recover`
        removes once that process is gone.
        """
        target = folder / f"{name}.json"
        temporary = folder / f".{name}.{os.getpid()}.part.json"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(temporary, flags, fileio.PRIVATE_MODE)
        except OSError as exc:
            raise fileio.WriteError(fileio.describe(target, exc)) from exc
        try:
            _lock(fd, wait=True)
            os.write(fd, json.dumps(info).encode("utf-8"))
            fileio.publish(temporary, target)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        return cls(target, fd, info)

    @classmethod
    def take(cls, path: Path) -> _Note | None:
        """Lock the note at *path*, or return None while its process lives."""
        try:
            fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None
        if not _lock(fd, wait=False) or not path.exists():
            os.close(fd)
            return None
        try:
            info = json.loads(os.read(fd, 1 << 16).decode("utf-8"))
        except (OSError, ValueError):
            info = {}
        return cls(path, fd, info if isinstance(info, dict) else {})

    def remove(self) -> None:
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.release()

    def release(self) -> None:
        """Unlock the note and leave it for the next process to open the registry."""
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _lock(fd: int, *, wait: bool) -> bool:
    """Lock *fd* for this process (released when it closes or the process dies)."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
