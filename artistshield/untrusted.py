"""Reading files that anyone could have made: bundles, backups, key files, heads.

One reader for every small file ArtistShield did not write itself in this
session.  It opens only regular files (a link to ``/dev/zero`` or a named
pipe is refused without blocking), reads at most a size limit, and for JSON
refuses nesting deeper than a limit before parsing, so a hostile file costs
a sentence, never a hang, a memory blow-up or a ``RecursionError``.  Callers
still check the types of what they read; :func:`expect` says so in a sentence.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, TypeVar

from artistshield.errors import ArtistShieldError

#: Default size limit: proof bundles of thousands of works fit, /dev/zero does not.
MAX_BYTES = 256 * 2**20
#: Deepest JSON nesting accepted; ArtistShield's own files nest less than 8 deep.
MAX_DEPTH = 64

_STRUCTURE = re.compile(r'[\[\]{}"]')
T = TypeVar("T")


class UntrustedFileError(ArtistShieldError):
    """A file is not something ArtistShield can read safely."""


def read_bytes(path: str | os.PathLike[str], *, what: str, limit: int = MAX_BYTES) -> bytes:
    """Return the bytes of the regular file at *path*, refusing anything else.

    *what* names the file for the person ("proof bundle", "identity backup").
    """
    path = Path(path)
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UntrustedFileError(f"There is no file {path}.") from None
    except OSError as exc:
        raise UntrustedFileError(f"Cannot open the {what} {path}: {exc.strerror}.") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UntrustedFileError(
                f"{path} is not a regular file (a device, pipe or folder), so it cannot be "
                f"a {what}; give the {what} file itself."
            )
        if info.st_size > limit:
            raise UntrustedFileError(_too_big(path, what, limit))
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                raise UntrustedFileError(_too_big(path, what, limit))
        return b"".join(chunks)
    except OSError as exc:
        raise UntrustedFileError(f"Cannot read the {what} {path}: {exc.strerror}.") from exc
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], *, what: str, limit: int = MAX_BYTES) -> str:
    data = read_bytes(path, what=what, limit=limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UntrustedFileError(f"{path} is not a readable {what}: it is not UTF-8 text.") from None


def read_json(
    path: str | os.PathLike[str], *, what: str, limit: int = MAX_BYTES, depth: int = MAX_DEPTH
) -> Any:
    """Parse the JSON file at *path* within the limits; duplicate keys are refused."""
    text = read_text(path, what=what, limit=limit)
    if nesting(text) > depth:
        raise UntrustedFileError(f"{path} is not a readable {what}: its JSON nests more than {depth} deep.")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise UntrustedFileError(f"{path} is not a readable {what}: it is not valid JSON ({exc}).") from None


def nesting(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON *text* (strings skipped).

    Strings are skipped with ``str.find``, not matched by a pattern: a
    contribution's base64 thumbnails are tens of megabytes of string, which a
    regular expression walks a character at a time (seconds a file).
    """
    deepest = level = 0
    search, find = _STRUCTURE.search, text.find
    position = 0
    while (token := search(text, position)) is not None:
        char, position = token.group(), token.end()
        if char == '"':
            position = _string_end(text, position, find)
        elif char in "[{":
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def _string_end(text: str, start: int, find: Any) -> int:
    """Where the string opened just before *start* ends (after its closing quote);
    *start* itself if it never closes, so what follows is still counted."""
    position = start
    while (end := find('"', position)) >= 0:
        escapes = end
        while escapes > position and text[escapes - 1] == "\\":
            escapes -= 1
        position = end + 1
        if (end - escapes) % 2 == 0:  # an even run of backslashes escapes only itself
            return position
    return start


def _no_duplicates(items: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(items)
    if len(result) != len(items):
        raise ValueError("duplicate key in JSON object")
    return result


def expect(value: Any, kind: type[T] | tuple[type, ...], where: str) -> T:
    """Return *value* if it is a *kind*, else raise ``ValueError`` naming *where*."""
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int,))):
        raise ValueError(f"{where} has the wrong type")
    return value  # type: ignore[return-value]


def _too_big(path: Path, what: str, limit: int) -> str:
    return f"{path} is larger than {limit // 2**20} MB, more than any {what}; it was not read."
