"""Which works the artist withdrew or merged, and which are new versions: read from the log.

The log is append-only, so a work is never deleted.  A signed ``withdraw``
entry hides a work, a ``merge`` entry names the work it duplicates, and a
``restore`` entry shows it again; a work's latest such entry decides.  The
work's record, entries and rows stay as they were, so ``registry verify`` and
proof bundles check them as before; only matches, lists and reports leave a
hidden work out unless asked.  A ``version`` entry says a work was marked
again on purpose, as a new version of an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from artistshield.registry.records import (
    MERGE,
    RESTORE,
    STANDING_KINDS,
    VERSION,
    WITHDRAW,
    WORK_KINDS,
    LogEntry,
)

WITHDRAWN, MERGED = "withdrawn", "merged"


@dataclass(frozen=True)
class Standing:
    """Why a work is hidden: withdrawn (with the artist's reason) or merged *into* another."""

    work_id: str
    state: str
    seq: int
    time: str
    reason: str = ""
    into: str | None = None

    def in_words(self) -> str:
        """``merged into W-000006 on 2026-12-07``, ``withdrawn on 2026-12-07: a test``."""
        if self.state == MERGED:
            return f"merged into {self.into or 'another work'} on {self.time[:10]}"
        return f"withdrawn on {self.time[:10]}" + (f": {self.reason}" if self.reason else "")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def standings(entries: Iterable[LogEntry]) -> dict[str, Standing]:
    """The hidden works after *entries* (in log order), by work ID.

    An entry whose details a bundle left out still counts; only its reason
    (or the work it was merged into) is then unknown.
    """
    hidden: dict[str, Standing] = {}
    for entry in entries:
        if entry.kind not in STANDING_KINDS or entry.work_id is None:
            continue
        if entry.kind == RESTORE:
            hidden.pop(entry.work_id, None)
            continue
        details = _details(entry)
        if entry.kind == MERGE:
            into = details.get("into")
            hidden[entry.work_id] = Standing(
                entry.work_id, MERGED, entry.seq, entry.time,
                into=into if isinstance(into, str) else None,
            )
        else:
            reason = details.get("reason")
            hidden[entry.work_id] = Standing(
                entry.work_id, WITHDRAWN, entry.seq, entry.time,
                reason=reason if isinstance(reason, str) else "",
            )
    return hidden


def shown_as(work_id: str, hidden: Mapping[str, Standing]) -> str | None:
    """The work *work_id* stands for now: itself, the work it was merged into, or None.

    Merges are followed to the end; a withdrawn work (or a merge ending in
    one) stands for nothing.
    """
    seen: set[str] = set()
    while work_id in hidden:
        standing = hidden[work_id]
        if standing.state != MERGED or standing.into is None or work_id in seen:
            return None
        seen.add(work_id)
        work_id = standing.into
    return work_id


def versions(entries: Iterable[LogEntry]) -> dict[str, str]:
    """``{new work: the earlier work it is a version of}``, from the ``version`` entries."""
    found: dict[str, str] = {}
    for entry in entries:
        if entry.kind == VERSION and entry.work_id is not None:
            earlier = _details(entry).get("version_of")
            if isinstance(earlier, str):
                found[entry.work_id] = earlier
    return found


def check_standings(entries: Mapping[int, LogEntry]) -> list[tuple[int, str]]:
    """``(seq, reason)`` for each withdraw, merge, restore or version entry that makes no sense.

    Each must name a work an earlier entry registered; a merge or a version
    must name another such work.  Details a bundle left out are not checked.
    """
    problems: list[tuple[int, str]] = []
    registered: set[str] = set()
    for seq in sorted(entries):
        entry = entries[seq]
        if entry.kind in WORK_KINDS and entry.work_id is not None:
            registered.add(entry.work_id)
            continue
        if entry.kind not in STANDING_KINDS | {VERSION}:
            continue
        if entry.work_id not in registered:
            problems.append((seq, f"entry {seq} ({entry.kind}) names no registered work"))
            continue
        if entry.fields is None or entry.kind in (WITHDRAW, RESTORE):
            continue
        other = _details(entry).get("into" if entry.kind == MERGE else "version_of")
        if other not in registered or other == entry.work_id:
            problems.append(
                (seq, f"entry {seq} ({entry.kind}) of {entry.work_id} names no other earlier work")
            )
    return problems


def _details(entry: LogEntry) -> dict[str, Any]:
    try:
        return entry.details
    except (LookupError, ValueError):
        return {}
