"""The artist's consent for a work, kept as a signed entry of the registry log.

When a marked copy is registered, what it says about AI training (the IPTC
data-mining value, the CAWG training-and-mining entries, the creator) and
the SHA-256 of its signed C2PA manifest go into a ``consent`` entry naming
the work.  Signed and hash-linked like every entry, it travels in the work's
proof bundles and, once a time-stamp covers it, is provably as old as the
work: a stripped copy is then answered with what the original said, on the
artist's signature rather than on a file anyone could edit.  The manifest
itself stays beside the registry (:mod:`artistshield.provenance.record`).

Fields of a ``consent`` entry: ``data_mining`` (an IPTC PLUS value),
``training_mining`` (``{entry: use}``), ``creator`` (or null) and
``manifest_sha256`` (or null).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from artistshield.registry import log as history
from artistshield.registry.records import CONSENT, LogEntry, sha256_hex

if TYPE_CHECKING:
    from artistshield.identity import Identity
    from artistshield.registry.store import Registry


def record(
    registry: Registry,
    identity: Identity,
    work_id: str,
    *,
    data_mining: str,
    training_mining: Mapping[str, str],
    creator: str | None,
    manifest: bytes | None,
) -> LogEntry:
    """Append a signed ``consent`` entry for *work_id* to *registry*'s log."""
    registry.work(work_id)  # raises on an unknown work
    fields = {
        "data_mining": data_mining,
        "training_mining": dict(training_mining),
        "creator": creator,
        "manifest_sha256": sha256_hex(manifest) if manifest else None,
    }
    with registry.db.transaction() as conn:
        registry.check_writable()  # joins this transaction
        entry = history.append(conn, identity, CONSENT, work_id, fields)
    registry.remember_head()
    return entry


def recorded(registry: Registry, work_id: str) -> dict[str, Any] | None:
    """The details of *work_id*'s latest ``consent`` entry, or None when it has none."""
    found = [e for e in history.entries(registry.db, work_id=work_id) if e.kind == CONSENT]
    if not found or found[-1].fields is None:
        return None
    return dict(found[-1].details)
