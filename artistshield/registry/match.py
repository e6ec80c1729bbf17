"""Finding registered works again: the registry's side of fingerprint matching.

The fingerprint engine (:mod:`artistshield.fingerprint`) computes and compares
fingerprints; this module feeds it the registry's stored fingerprints once,
lazily, and turns its answers into :class:`WorkMatch` values naming works.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

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
            "work": None if self.work is None else self.work.to_json(),
        }


class WorkMatcher:
    """An index of the registry's fingerprints, built once and kept up to date."""

    def __init__(self, fingerprints: Iterable[tuple[str, bytes]]) -> None:
        engine = importlib.import_module("artistshield.fingerprint")
        self._index = engine.FingerprintIndex()
        self.unreadable: list[str] = []
        for work_id, data in fingerprints:
            self.add(work_id, data)
        if self.unreadable:
            logger.warning(
                "%d work(s) have fingerprints this version cannot read (another fingerprint "
                "format, or damaged) and cannot be found by matching; first: %s",
                len(self.unreadable),
                self.unreadable[0],
            )

    def add(self, work_id: str, fingerprint: bytes) -> None:
        try:
            self._index.add(work_id, fingerprint)
        except ValueError:  # another fingerprint format, or damaged: skip, do not fail
            self.unreadable.append(work_id)

    def search(self, pixels: np.ndarray, *, limit: int = 5) -> list[WorkMatch]:
        # The engine fingerprints the query itself: it may look harder at a
        # suspect image than at a registered one.
        return [
            WorkMatch(
                work_id=str(found.work_id),
                similarity=float(found.similarity),
                is_match=bool(found.is_match),
                region=getattr(found, "region", None),
                method=getattr(found, "method", None),
            )
            for found in self._index.search(pixels, limit=limit)
        ]
