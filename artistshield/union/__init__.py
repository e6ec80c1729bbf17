"""Unions and guilds: member certificates, union-readable marks, a shared registry.

A union runs an *authority* (:mod:`.authority`) in its own data folder: an
X.509 root whose key is sealed with the union's passphrase, the watermark keys
of its *epochs*, and the list of members it certified or revoked.  A member
asks to join with a signed request (:mod:`.membership`), gets a certificate
for their own signing key and the union's current watermark key, and from then
on marks new work with that key, so the union can read every member's marks
with one key per epoch.  What *attributes* a mark is the member's own signed
registry record, which only the member's key can make; members hand the union
their public records (:mod:`.shared`), the union merges them into one signed
shared registry, and a suspect is checked against all members at once.

The threat model is in ``docs/union.md``.

Importing the package loads neither module, nor the X.509 code they need:
every ``check`` asks :func:`joined` and imports them only for a member.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from artistshield.paths import data_dir

if TYPE_CHECKING:
    from artistshield.union.authority import UnionAuthority, UnionError
    from artistshield.union.membership import Membership, MemberStatus, request_membership

__all__ = ["MemberStatus", "Membership", "UnionAuthority", "UnionError", "request_membership"]

#: The membership a member keeps in their data folder (read by :mod:`.membership`).
MEMBERSHIP_FILE = "union-membership.json"

_HOMES = {
    "UnionAuthority": "authority",
    "UnionError": "authority",
    "Membership": "membership",
    "MemberStatus": "membership",
    "request_membership": "membership",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def joined() -> bool:
    """Whether this data folder keeps a union membership (nothing is read or checked)."""
    return (data_dir() / MEMBERSHIP_FILE).exists()
