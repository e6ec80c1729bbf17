"""Atomic file writes: a temporary file beside the target, then a rename.

A crash or a kill mid-write leaves either the old file or the new one, never a
half-written one, and never touches any other file.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, mode: str = "wb") -> Iterator[IO]:  # type: ignore[type-arg]
    """Open a temporary file for writing that replaces *path* on success.

    The temporary file lives in the target's folder (so the final
    ``os.replace`` is atomic), is flushed and fsynced before the rename, and is
    removed if the block raises.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Return whether *a* and *b* name the same existing file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
