"""Errors that carry a sentence a person can act on.

Every failure the user can cause (a bad file, a wrong passphrase, a tampered
registry) is raised as an :class:`ArtistShieldError` whose message is shown
as-is by the command line and the app.
"""

import errno
import sqlite3


class ArtistShieldError(Exception):
    """A failure with a message meant for the user."""


class ImageError(ArtistShieldError):
    """An image could not be read or written."""


def in_words(exc: BaseException) -> str:
    """One sentence a person can act on for any error that reaches the command line.

    Batch commands call this per file, so one bad file never stops the rest.
    """
    if isinstance(exc, ArtistShieldError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return (
            "Not enough memory for this file: it is too large for this computer. Make a "
            "smaller copy (fewer pixels or frames) and try again."
        )
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        if exc.errno == errno.ENOSPC:
            return f"The disk is full{' at' + where if where else ''}; free some space and try again."
        return f"Cannot use{where or ' a file'}: {exc.strerror or exc}."
    if isinstance(exc, sqlite3.DatabaseError):
        if "disk is full" in str(exc):
            return "The disk holding the registry is full; free some space and try again."
        return f"The registry could not be used ({exc}); run 'artistshield registry verify'."
    if isinstance(exc, RecursionError):
        return "A file is nested too deeply to read; it was not used."
    return (
        f"Unexpected error ({type(exc).__name__}: {exc}). Nothing more was done; run again "
        "with --verbose for the details and report it."
    )
