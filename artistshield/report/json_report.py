"""The evidence of one check as JSON data, for the artist's records or another program.

The data is the check's own JSON (``docs/check-json.md``) with the tool that
made it and, when the artist is known, their public identity; unlike the HTML
and PDF reports it needs no registry and writes no proof bundle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artistshield import __version__
from artistshield.fileio import Exists, write_file

if TYPE_CHECKING:
    from artistshield.check import CheckResult
    from artistshield.identity import Identity


def json_report(result: CheckResult, *, identity: Identity | None = None) -> dict[str, Any]:
    """The JSON report of *result*, naming *identity*'s artist if given."""
    data = {"tool": f"ArtistShield {__version__}", **result.to_json()}
    if identity is not None:
        data["artist"] = {
            "name": identity.name,
            "artist_id": identity.artist_id,
            "public_key": identity.public_key.hex(),
        }
    return data


def write_json_report(
    result: CheckResult,
    out: str | Path,
    *,
    identity: Identity | None = None,
    exists: Exists = "refuse",
) -> Path:
    """Write :func:`json_report` of *result* to *out*, whole or not at all; return its name.

    An existing *out* is handled as *exists* says (:func:`artistshield.fileio.write_file`).
    """
    text = json.dumps(json_report(result, identity=identity), indent=2) + "\n"
    return write_file(out, text.encode("utf-8"), exists=exists)
