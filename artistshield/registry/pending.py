"""Marked copies on their way to their final name: none is ever left unregistered.

A marked copy is written, read back and hashed in a hidden folder beside its
final name (``.artistshield-ID``).  Its final name is then chosen (the first
name that is neither on disk nor held by another copy in such a folder,
while the output folder is locked) and the copy takes that name inside its
hidden folder, which reserves it; the work is registered, a signed record
naming that file and its hash; only then is the copy linked under its final
name (``os.link``, which never replaces a file).  So nothing appears under
a final name before its record, not even a placeholder, and a file there
always has its record.

A note in the registry's ``pending`` folder names each copy on its way and
is locked for as long as its process lives: a record whose file is not yet
under its final name has such a note, and that is how a reader tells
"being written" from "lost".  When a process is killed midway, the next one
to open the registry finishes its work (:func:`recover`): a copy whose
record was committed is linked under its name; one whose record was not is
removed.  Should a registered copy be unable to take its name (another
program took it, or the copy was deleted), the record is withdrawn with the
reason "never written", signed, once an identity is at hand.
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
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from artistshield import fileio
from artistshield.errors import ArtistShieldError

if TYPE_CHECKING:
    from artistshield.identity import Identity
    from artistshield.registry.records import Work
    from artistshield.registry.store import Registry

logger = logging.getLogger("artistshield.registry")

NOTES = "pending"
PREFIX = ".artistshield-"
#: The reason a registered copy that never took its name is withdrawn with.
NEVER_WRITTEN = "never written"


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
        payload: int | None = None, identity: Identity | None = None,
    ) -> None:
        self.out = fileio.make_folder(out_dir)
        self.id = secrets.token_hex(8)
        self.registry = registry
        self.payload = payload if payload is not None else -1
        self.identity = identity
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
            _settle(self.registry, self.id, self.out, self.payload, identity=self.identity)
        except (ArtistShieldError, OSError) as again:
            logger.warning("the copy %s is left for the next start: %s", self.id, again)
            if self._note is not None:
                self._note.release()  # kept: the next process to open the registry finishes it
                self._note = None
        finally:
            self._drop_note()

    def claim(self, staged: Path) -> Path:
        """Choose the first free final name for *staged* (in :attr:`folder`) and reserve it.

        Returns the staged copy's path, renamed to that name inside
        :attr:`folder`, so the record names the file the artist will find.
        Nothing appears under the final name yet.  Without a registry the
        name is claimed only in :meth:`finish`.
        """
        if self.registry is None:
            return staged
        with _locked(self.out):
            reserved = _reserved_names(self.out, mine=self.folder)
            for name in fileio.free_names(self.out / staged.name, whole=staged.is_dir()):
                if name.name not in reserved and not os.path.lexists(name):
                    break
            else:
                raise fileio.OutputExistsError(self.out / staged.name)
            named = self.folder / name.name
            if named != staged:
                os.rename(staged, named)
        self.final = name
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
        settled = _settle(self.registry, self.id, self.out, self.payload, identity=self.identity)
        self._drop_note()
        if settled is None:
            work = self.registry.record_with_payload(self.payload)
            if work is not None:
                raise ArtistShieldError(
                    f"{staged.name} was registered as {work.work_id} but could not take its "
                    f"name in {self.out} (another program took it, or the copy was removed), "
                    f"so it was not kept; its record is withdrawn as {NEVER_WRITTEN}."
                )
            raise ArtistShieldError(f"{staged.name} was not registered, so it was not kept.")
        return settled

    def _drop_note(self) -> None:
        if self._note is not None:
            self._note.remove()
            self._note = None


def recover(registry: Registry, *, identity: Identity | None = None) -> int:
    """Finish or undo the copies of processes that died midway; return how many.

    With *identity*, a registered copy that can no longer take its name has
    its record withdrawn as never written; without one it waits for a
    process that has the identity (``mark`` passes it).
    """
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
            final = _settle(registry, path.stem, out, int(info["payload"]), identity=identity)
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


class _Unfinished(ArtistShieldError):
    """A registered copy cannot take its name, and no identity is at hand to say so."""


def _settle(
    registry: Registry, copy_id: str, out: Path, payload: int, *, identity: Identity | None = None
) -> Path | None:
    """Publish copy *copy_id* if its work is registered, else remove it; return its final name.

    ``None``: the copy was not registered and is gone, or it was registered
    but never written, which its record now says.
    """
    staging = out / f"{PREFIX}{copy_id}"
    entries = sorted(staging.iterdir()) if staging.is_dir() else []
    entry = entries[0] if entries else None
    work = registry.record_with_payload(payload)
    if work is None:  # not registered: nothing of this copy may stay
        shutil.rmtree(staging, ignore_errors=True)
        return None
    if entry is not None and _holds(work, entry):
        try:
            final = _publish(entry, out / entry.name)
        except fileio.OutputExistsError:
            why = f"{entry.name} was taken by another file"
        else:
            with contextlib.suppress(OSError):
                staging.rmdir()
            return final
    else:
        done = out / work.file_name
        if entry is None and done.is_file() and _holds(work, done):
            return done  # linked before its process died; only the staging folder was left
        why = "its copy was lost before it took its name"
    if identity is None:
        raise _Unfinished(f"{work.work_id} is registered but was not written ({why})")
    if work.work_id not in registry.standings():
        registry.withdraw(work.work_id, identity, reason=f"{NEVER_WRITTEN}: {why}")
    logger.warning("%s was registered but never written (%s); withdrawn", work.work_id, why)
    shutil.rmtree(staging, ignore_errors=True)
    return None


def _publish(entry: Path, final: Path) -> Path:
    """Link (a file) or move (a frame folder) *entry* to *final*, never over another's file."""
    if entry.is_dir():
        try:
            final.mkdir()  # claims the name; an empty folder of ours is what a kill leaves
        except FileExistsError:
            if not final.is_dir() or any(final.iterdir()):
                raise fileio.OutputExistsError(final) from None
        os.replace(entry, final)  # replaces only the empty folder
        fileio.fsync_folder(final.parent)
        return final
    try:
        fileio.publish(entry, final, exists="refuse")
    except fileio.OutputExistsError:
        if not fileio.same_file(entry, final):
            raise
        entry.unlink()  # linked before its process died
    return final


def _holds(work: Work, entry: Path) -> bool:
    """Whether *entry* is the file *work* registered (a frame folder: its first frame)."""
    hashed = entry / work.file_name if entry.is_dir() else entry
    if not hashed.is_file() or hashed.name != work.file_name:
        return False
    digest = hashlib.sha256()
    with open(hashed, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return work.file_sha256 == digest.hexdigest()


def _reserved_names(out: Path, *, mine: Path) -> set[str]:
    """The names other copies on their way into *out* hold in their hidden folders."""
    names: set[str] = set()
    with contextlib.suppress(OSError):
        for folder in out.glob(f"{PREFIX}*"):
            if folder != mine and folder.is_dir():
                with contextlib.suppress(OSError):
                    names.update(p.name for p in folder.iterdir())
    return names


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold *folder* against other ArtistShield processes choosing names in it."""
    if sys.platform == "win32":
        path, flags = folder / ".artistshield.lock", os.O_RDWR | os.O_CREAT
    else:
        path, flags = folder, os.O_RDONLY
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        _lock(fd, wait=True)
        yield
    finally:
        os.close(fd)  # and with it the lock


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
