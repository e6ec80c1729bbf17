"""Writing files without ever replacing one ArtistShield did not create.

Every file ArtistShield writes goes through :func:`write_file` (or, for a
file a library writes by name, :func:`staged` then :func:`publish`):

- the bytes go to a temporary file in the target's folder, are flushed and
  fsynced, and only then take the final name, so a kill or a full disk
  leaves no partial file under a final name;
- the final name is claimed with ``os.link``, which fails when the name
  exists, so no race between writers (two batches into one folder, another
  program) can make one output replace another file; ``exists="free"``
  then tries ``name (2).ext``, ``name (3).ext``...; ``exists="refuse"``
  says so in a sentence; only ``exists="replace"`` (the user said
  ``--force`` or confirmed a dialog, or the file is the app's own private
  data) replaces;
- what the artist publishes follows the umask (the temporary file is made
  with mode 0666, which the umask trims), private data is 0600.

Every ``OSError`` becomes a :class:`WriteError` with a sentence a person can
act on (a full disk, a folder they may not write to).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from artistshield.errors import ArtistShieldError

#: What to do when the final name exists: say so, pick ``name (2)``, or replace it.
Exists = Literal["refuse", "free", "replace"]

#: The most ``name (N)`` tried before giving up on a folder.
MAX_FREE_NAMES = 10_000

PUBLIC_MODE = 0o666  # trimmed by the umask, like any program's output
PRIVATE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700

# os.link's failures that mean "this file system has no hard links", not "the name is taken".
_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.ENOSYS, errno.EMLINK, errno.EOPNOTSUPP}


class WriteError(ArtistShieldError):
    """A file or folder could not be written; the message says why and what to do."""


class OutputExistsError(WriteError):
    """The output's name is taken and replacing it was not allowed."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} already exists and ArtistShield never replaces a file it did not write: "
            "choose another name, or add --force to replace it."
        )
        self.path = path


def describe(path: str | os.PathLike[str], exc: OSError, *, action: str = "write") -> str:
    """One sentence for *exc* while trying to *action* *path*."""
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full (or your quota is used up); free some space and try again"
    elif code in (errno.EACCES, errno.EPERM):
        why = "you may not write there; choose a folder you can write to"
    elif code == errno.EROFS:
        why = "that disk is read-only; choose another folder"
    elif code == errno.ENOENT:
        why = "its folder does not exist"
    elif code == errno.ENOTDIR:
        why = "part of the path is a file, not a folder"
    elif code == errno.EISDIR:
        why = "a folder of that name is in the way"
    elif code == errno.ENAMETOOLONG:
        why = "the name is too long for this disk"
    else:
        return f"Could not {action} {path}: {exc.strerror or exc}."
    return f"Could not {action} {path} ({exc.strerror or exc}): {why}."


def make_folder(path: str | os.PathLike[str], *, private: bool = False) -> Path:
    """Create *path* (and its parents) if missing; a private folder is made 0700.

    An existing private folder is narrowed to 0700 too: it holds keys and the
    registry, and nobody else needs to list it.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE if private else 0o777)
        if private and os.name == "posix" and folder.stat().st_mode & 0o077:
            os.chmod(folder, PRIVATE_FOLDER_MODE)
    except OSError as exc:
        raise WriteError(describe(folder, exc, action="create the folder")) from exc
    return folder


def make_private_file(path: str | os.PathLike[str]) -> Path:
    """Create *path* empty with mode 0600 if missing, or narrow it to 0600.

    For files another library creates and fills (SQLite, Qt's settings), so
    that they are private from their first byte.  A file that exists but
    cannot be changed (read-only media) is left as it is.
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        if os.name == "posix":
            with contextlib.suppress(OSError):
                if target.stat().st_mode & 0o077:
                    os.chmod(target, PRIVATE_MODE)
        return target
    except OSError as exc:
        raise WriteError(describe(target, exc)) from exc
    os.close(fd)
    return target


def write_file(
    path: str | os.PathLike[str],
    content: bytes | Callable[[BinaryIO], object],
    *,
    exists: Exists = "refuse",
    private: bool = False,
) -> Path:
    """Write *content* (bytes, or a function writing to a binary file) to *path*.

    Returns the name the file got: *path*, or with ``exists="free"`` the
    first free ``stem (N)suffix``.  Nothing appears under a final name until
    the whole file is on disk.
    """
    target = Path(path)
    with staged(target, private=private) as temporary:
        try:
            with open(temporary, "r+b") as handle:
                if callable(content):
                    content(handle)
                else:
                    handle.write(content)
        except OSError as exc:
            raise WriteError(describe(target, exc)) from exc
        return publish(temporary, target, exists=exists)


def fill(temporary: str | os.PathLike[str], content: bytes, *, target: str | os.PathLike[str]) -> None:
    """Write *content* into the staged file *temporary* and fsync it.

    A full disk raises here, before anything names the file *target*.
    """
    try:
        with open(temporary, "r+b") as handle:
            handle.write(content)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise WriteError(describe(target, exc)) from exc


@contextlib.contextmanager
def staged(path: str | os.PathLike[str], *, private: bool = False) -> Iterator[Path]:
    """Yield a new, empty temporary file beside *path*, removed on exit unless published.

    Its name is hidden (``.name.XXXXXXXX.part.ext``) and keeps *path*'s
    suffix, so libraries that go by the suffix write the right format.
    """
    target = Path(path)
    temporary = _new_temporary(target, private=private)
    try:
        yield temporary
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def publish(
    temporary: str | os.PathLike[str], path: str | os.PathLike[str], *, exists: Exists = "refuse"
) -> Path:
    """Give the complete file *temporary* its final name *path*; return that name.

    The file is fsynced first.  ``refuse`` raises :class:`OutputExistsError`
    when *path* exists, ``free`` takes the first free ``stem (N)suffix``,
    ``replace`` replaces *path*.  *temporary* is gone afterwards.
    """
    temporary, target = Path(temporary), Path(path)
    try:
        _fsync_file(temporary)
        if exists == "replace":
            os.replace(temporary, target)
            final = target
        else:
            names = free_names(target) if exists == "free" else iter([target])
            final = _link_first_free(temporary, names, target)
            with contextlib.suppress(FileNotFoundError):  # moved, where there are no links
                temporary.unlink()
        _fsync_folder(final.parent)
    except OSError as exc:
        raise WriteError(describe(target, exc)) from exc
    return final


def staged_folder(path: str | os.PathLike[str]) -> Path:
    """Create a new, empty, hidden folder beside *path* to fill before :func:`publish_folder`."""
    target = Path(path)
    for _ in range(100):
        name = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            name.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteError(describe(target, exc, action="create the folder")) from exc
        return name
    raise WriteError(f"Could not create {target}: no free temporary name in its folder.")


def publish_folder(
    temporary: str | os.PathLike[str], path: str | os.PathLike[str], *, exists: Exists = "free"
) -> Path:
    """Give the complete folder *temporary* the first free name for *path*; return it.

    The name is claimed by :func:`claim_folder`; the complete folder then
    replaces that empty folder of ours.
    """
    name = claim_folder(path, exists=exists)
    try:
        os.replace(temporary, name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            name.rmdir()
        raise WriteError(describe(path, exc, action="create the folder")) from exc
    _fsync_folder(name.parent)
    return name


def claim_folder(path: str | os.PathLike[str], *, exists: Exists = "free") -> Path:
    """Create an empty folder under the first free name for *path* and return it.

    ``mkdir`` fails when the name exists, so the name is ours alone; a
    complete folder moved onto it with ``os.replace`` (which replaces only
    an empty folder) then takes its place.  With ``exists="refuse"`` only
    *path* itself is tried.
    """
    target = Path(path)
    names = free_names(target, whole=True) if exists == "free" else iter([target])
    try:
        for name in names:
            try:
                name.mkdir()
            except FileExistsError:
                continue
            return name
    except OSError as exc:
        raise WriteError(describe(target, exc, action="create the folder")) from exc
    raise OutputExistsError(target)


def free_names(path: Path, *, whole: bool = False) -> Iterator[Path]:
    """Yield *path*, then ``stem (2)suffix``, ``stem (3)suffix``... (a folder: ``name (2)``)."""
    stem, suffix = (path.name, "") if whole else (path.stem, path.suffix)
    yield path
    for number in range(2, MAX_FREE_NAMES):
        yield path.with_name(f"{stem} ({number}){suffix}")


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Return whether *a* and *b* name the same existing file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _new_temporary(target: Path, *, private: bool) -> Path:
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    mode = PRIVATE_MODE if private else PUBLIC_MODE
    for _ in range(100):
        name = target.with_name(f".{target.stem}.{secrets.token_hex(4)}.part{target.suffix}")
        try:
            fd = os.open(name, flags, mode)
        except FileExistsError:
            continue
        except OSError as exc:
            raise WriteError(describe(target, exc)) from exc
        os.close(fd)
        return name
    raise WriteError(f"Could not write {target}: no free temporary name in its folder.")


def _link_first_free(temporary: Path, names: Iterator[Path], target: Path) -> Path:
    for name in names:
        try:
            os.link(temporary, name)
            return name
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_LINKS:
                raise
        # No hard links here (FAT, some network disks): claim the name with an
        # empty file of our own, then move the complete file onto it.
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
        except FileExistsError:
            continue
        os.replace(temporary, name)
        return name
    raise OutputExistsError(target)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make a new name durable (POSIX); a folder cannot be opened for this on Windows."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


fsync_folder = _fsync_folder
