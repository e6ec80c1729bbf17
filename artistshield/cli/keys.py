"""The watermark key a command marks or checks with: the identity's, or a key file's.

Kept apart from the ``mark`` command so that ``check`` gets its key without
loading the marking, signing and consent code behind ``mark``.
"""

from __future__ import annotations

from pathlib import Path

from artistshield import identity
from artistshield.errors import ArtistShieldError


def watermark_key(key_file: Path | None) -> tuple[bytes, identity.Identity | None]:
    """Return the key to use and the identity it came from (None for a key file)."""
    if key_file is not None:
        from artistshield.mark import read_key_file

        return read_key_file(key_file), None
    if not identity.exists():
        raise ArtistShieldError(
            "You have no identity yet: run `artistshield identity create --name \"Your Name\"` "
            "first (or pass --key-file KEY in scripts)."
        )
    ident = identity.load()
    return ident.watermark_key, ident
