"""Finding registered works again: the registry's side of fingerprint matching.

The fingerprint engine (:mod:`artistshield.fingerprint`) computes and compares
fingerprints; this module feeds it the registry's stored fingerprints once,
lazily, and turns its answers into :class:`WorkMatch` values naming works.

A clip has one fingerprint per key frame.  Each goes into the engine's index
under its own name (the work id, then ``W-000007#2``...), so the engine
compares a copy with every key frame; the answers are folded back to one per
work, its best, naming the key frame that matched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from artistshield.registry import fingerprints
from artistshield.registry.records import Work

logger = logging.getLogger("artistshield.registry")


@dataclass(frozen=True)
class WorkMatch:
    """A registered work a suspect image may derive from."""

    work_id: str
    similarity: float
    is_match: bool
    region: Any = None
    method: str | None = None
    work: Work | None = None
    key_frame: int | None = None
    """The frame of the work whose fingerprint matched (0 for a still); ``region`` is in it."""

    def with_work(self, work: Work) -> WorkMatch:
        return replace(self, work=work)

    def to_json(self) -> dict[str, Any]:
        region = self.region
        if region is not None and not isinstance(region, list | tuple | dict | str | int | float):
            region = list(region) if hasattr(region, "__iter__") else repr(region)
        return {
            "work_id": self.work_id,
            "similarity": float(self.similarity),
            "is_match": bool(self.is_match),
            "region": region,
            "method": self.method,
            "key_frame": self.key_frame,
            "work": None if self.work is None else self.work.to_json(),
        }


class Searchable(Protocol):
    """What a check asks of a registry: an artist's own, or a union's shared one."""

    def find_by_payload(self, payload: int) -> Work | None: ...

    def match(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]: ...


class SearchableIndex(Protocol):
    """What a :class:`WorkMatcher` asks of the fingerprint index it fills.

    The engine's ``FingerprintIndex``, a union's ``ScaleIndex`` and a test's stand-in
    all take *group*: it names the work each indexed name belongs to (a clip's key
    frames each have a name of their own), and an index may use it to skip confirming
    a name that could not beat its work's best answer, or ignore it.
    """

    def add(self, name: str, fingerprint: bytes, /) -> Any: ...

    def search(
        self, query: Any, /, *, limit: int, group: Callable[[str], str] | None = None
    ) -> Iterable[Any]: ...


class WorkMatcher:
    """An index of the registry's fingerprints, built once and kept up to date."""

    def __init__(
        self, stored: Iterable[tuple[str, bytes]], *, index: SearchableIndex | None = None
    ) -> None:
        """Index ``(work_id, stored fingerprints)`` pairs, as ``Registry.fingerprints`` yields.

        *index* is the engine to fill (a ``FingerprintIndex`` by default; a union's
        shared registry passes a ``fingerprint.scale.ScaleIndex``): anything with
        ``add(name, fingerprint)`` and ``search(query, limit=..., group=...)``
        (:class:`SearchableIndex`).
        """
        # Imported late: the registry opens, lists and verifies without loading the engine.
        from artistshield.fingerprint import FingerprintIndex

        self._index: SearchableIndex = FingerprintIndex() if index is None else index
        self._owner: dict[str, tuple[str, int]] = {}  # index name -> (work id, frame index)
        self._names: dict[str, int] = {}  # work id -> fingerprints indexed
        self.unreadable: list[str] = []
        for work_id, data in stored:
            self.add_stored(work_id, data)
        if self.unreadable:
            logger.warning(
                "%d work(s) have fingerprints this version cannot read (another fingerprint "
                "format, or damaged) and cannot be found by matching; first: %s",
                len(self.unreadable),
                self.unreadable[0],
            )

    @classmethod
    def over(cls, index: SearchableIndex, frames: dict[str, Any]) -> WorkMatcher:
        """A matcher over an *index* filled before (a union's kept one), given its ``frames()``."""
        matcher = cls((), index=index)
        matcher._owner = {name: (str(w), int(f)) for name, (w, f) in frames["owners"].items()}
        matcher._names = {str(w): int(n) for w, n in frames["counts"].items()}
        return matcher

    def frames(self) -> dict[str, Any]:
        """What :meth:`over` needs besides the index, as JSON: the names that are key frames.

        A name that is its work id and frame 0 (every still work) is left out.
        """
        return {
            "owners": {n: list(o) for n, o in self._owner.items() if o != (n, 0)},
            "counts": {w: n for w, n in self._names.items() if n > 1},
        }

    def add_stored(self, work_id: str, data: bytes) -> None:
        """Index a work's stored fingerprints: one, or one per key frame."""
        try:
            frames = fingerprints.unpack(data)
        except ValueError:
            self._unreadable(work_id)
            return
        for frame, fingerprint in frames:
            self.add(work_id, fingerprint, frame=frame)

    def add(self, work_id: str, fingerprint: bytes, *, frame: int = 0) -> None:
        """Index one fingerprint of *work_id* (of its key frame *frame*); a work may have many."""
        count = self._names.get(work_id, 0)
        name = work_id if count == 0 else f"{work_id}#{count}"
        try:
            self._index.add(name, fingerprint)
        except ValueError:  # another fingerprint format, or damaged: skip, do not fail
            self._unreadable(work_id)
            return
        self._names[work_id] = count + 1
        self._owner[name] = (work_id, frame)

    def _unreadable(self, work_id: str) -> None:
        if work_id not in self.unreadable:
            self.unreadable.append(work_id)

    def _work_of(self, name: str) -> str:
        return self._owner.get(name, (name, 0))[0]

    def search(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]:
        """The works *pixels* may derive from, best first, one answer per work."""
        # The engine fingerprints the query itself: it may look harder at a
        # suspect image than at a registered one.  Ask for enough answers that
        # *limit* works remain once a clip's key frames are folded together.
        most = max(self._names.values(), default=1)
        best: dict[str, WorkMatch] = {}
        # Answers are folded per work, so the index need not confirm a key frame that
        # cannot beat its work's best: *group* tells it which work a name is part of.
        for found in self._index.search(pixels, limit=limit * most, group=self._work_of):
            name = str(found.work_id)
            work_id, frame = self._owner.get(name, (name, 0))
            match = WorkMatch(
                work_id=work_id,
                similarity=float(found.similarity),
                is_match=bool(found.is_match),
                region=getattr(found, "region", None),
                method=getattr(found, "method", None),
                key_frame=frame,
            )
            if work_id not in best or match.similarity > best[work_id].similarity:
                best[work_id] = match
        ranked = sorted(best.values(), key=lambda m: (-m.similarity, m.work_id))
        return ranked[:limit]
