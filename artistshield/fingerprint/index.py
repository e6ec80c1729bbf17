"""Find the registered works a suspect image derives from.

Two searches run side by side.  PDQ compares the query's eight dihedral
hashes with every registered hash at once (packed 64-bit words and a
popcount).  Local features go through an inverted index: each 64-bit
descriptor is cut into four 16-bit keys, any registered feature sharing a key
with a query feature votes for its work, and the best-voted works are checked
feature by feature for one consistent placement (``geometry.place``).  A flip
is the same search with the query's mirrored features.

The decisions are calibrated on unrelated drawings (see ``benchmarks/match.py``):
a PDQ distance of at most ``PDQ_MATCH_DISTANCE`` on a picture with enough
structure, or at least ``LOCAL_MATCH_INLIERS`` features in one placement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from artistshield.fingerprint import geometry, local, pdq
from artistshield.fingerprint.compute import QUERY_FEATURES, Fingerprint, compute

PDQ_MATCH_DISTANCE = pdq.MATCH_DISTANCE
PDQ_MIN_QUALITY = 50
"""Below this PDQ quality a picture is too plain for its hash alone to decide."""
LOCAL_MATCH_INLIERS = 16
"""Features agreeing on one placement needed to declare a match."""
LOCAL_MATCH_SHARE = 0.25
"""...and the share of the features in the overlap that must agree.  Drawings
built on a shared template (icon sets, signs, one artist's trains on the same
chassis) agree on many features, but on a small share of those they could."""
PDQ_DECIDING = (0, 5)
"""Dihedral variants whose PDQ distance may decide alone: as is, and mirrored.
Quarter turns of simple graphics (striped flags) collide too often."""
SHORTLIST = 32
"""Works checked feature by feature per search."""
_KEY_BITS = 16
_KEYS = 64 // _KEY_BITS
_CROWDED = 32.0
"""A key shared by this many times the average number of features says nothing; skip it."""


@dataclass(frozen=True, slots=True)
class Match:
    """A registered work that a query appears to derive from."""

    work_id: str
    similarity: float
    """0-1; above 0.5 exactly when ``is_match``."""
    is_match: bool
    """The calibrated decision: the query derives from this work."""
    region: tuple[float, float, float, float] | None
    """The part of the original the query shows (x0, y0, x1, y1 as fractions), when known."""
    method: str
    """Which evidence decided: "pdq" (whole picture) or "local" (features)."""


def _pdq_words(hashes: list[bytes] | tuple[bytes, ...]) -> NDArray[np.uint64]:
    return np.frombuffer(b"".join(hashes), ">u8").astype(np.uint64).reshape(-1, 4)


def pdq_similarity(distance: int, quality: int) -> float:
    """Map a PDQ distance to 0-1, above 0.5 only for a trustworthy match."""
    similarity = max(0.0, 1.0 - distance / (2.0 * (PDQ_MATCH_DISTANCE + 1)))
    if quality < PDQ_MIN_QUALITY:
        similarity = min(similarity, 0.5)
    return similarity


def local_similarity(inliers: int, support: int) -> float:
    """Map agreeing features to 0-1: above 0.5 when both thresholds are passed."""
    share = inliers / max(support, inliers, 1)
    evidence = min(inliers / LOCAL_MATCH_INLIERS, share / LOCAL_MATCH_SHARE)
    if inliers < LOCAL_MATCH_INLIERS and evidence >= 1.0:
        evidence = np.nextafter(1.0, 0.0)
    return float(evidence / (evidence + 1.0))


class FingerprintIndex:
    """Registered fingerprints by work id, searchable for derived copies."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._slots: dict[str, int] = {}
        self._prints: list[Fingerprint | None] = []
        self._pdq = np.zeros((0, 4), np.uint64)
        self._pdq_quality = np.zeros(0, np.int16)
        self._postings: list[NDArray[np.int32]] = []
        self._starts: list[NDArray[np.int64]] = []
        self._stale = True

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, work_id: object) -> bool:
        return work_id in self._slots

    def add(self, work_id: str, fingerprint: Fingerprint | bytes) -> None:
        """Register (or replace) the fingerprint of ``work_id``."""
        if isinstance(fingerprint, bytes | bytearray | memoryview):
            fingerprint = Fingerprint.from_bytes(bytes(fingerprint))
        if not isinstance(fingerprint, Fingerprint):
            raise TypeError("FingerprintIndex.add takes a Fingerprint or its bytes.")
        if work_id in self._slots:
            self.remove(work_id)
        slot = len(self._ids)
        self._ids.append(work_id)
        self._slots[work_id] = slot
        self._prints.append(fingerprint)
        if slot >= len(self._pdq):
            grown = max(64, 2 * len(self._pdq))
            self._pdq = np.resize(self._pdq, (grown, 4))
            self._pdq_quality = np.resize(self._pdq_quality, grown)
        self._pdq[slot] = _pdq_words([fingerprint.pdq])[0]
        self._pdq_quality[slot] = fingerprint.pdq_quality
        self._stale = True

    def remove(self, work_id: str) -> None:
        """Forget ``work_id``; raises KeyError if it was never added."""
        try:
            slot = self._slots.pop(work_id)
        except KeyError:
            raise KeyError(f"No work {work_id!r} in the fingerprint index.") from None
        self._prints[slot] = None
        # Postings keep the slot until the next rebuild; searches skip empty slots.

    def _rebuild(self) -> None:
        slots = list(self._slots.values())
        prints = [self._prints[s] for s in slots]
        counts = [len(p.features) for p in prints if p is not None]
        descriptor = (
            np.concatenate([p.features.descriptor for p in prints if p is not None])
            if prints
            else np.zeros(0, np.uint64)
        )
        owner = np.repeat(np.asarray(slots, np.int32), counts)
        self._postings, self._starts = [], []
        for part in range(_KEYS):
            keys = ((descriptor >> np.uint64(_KEY_BITS * part)) & np.uint64(0xFFFF)).astype(
                np.uint16
            )
            order = np.argsort(keys, kind="stable")
            self._postings.append(owner[order])
            starts = np.zeros(2**_KEY_BITS + 1, np.int64)
            np.cumsum(np.bincount(keys, minlength=2**_KEY_BITS), out=starts[1:])
            self._starts.append(starts)
        self._stale = False

    def _votes(self, descriptor: NDArray[np.uint64]) -> NDArray[np.int64]:
        """For every slot, how many query keys its features share."""
        votes = np.zeros(len(self._ids), np.int64)
        total = len(self._postings[0]) if self._postings else 0
        if total == 0 or len(descriptor) == 0:
            return votes
        crowded = max(8.0, _CROWDED * total / 2**_KEY_BITS)
        for part in range(_KEYS):
            keys = ((descriptor >> np.uint64(_KEY_BITS * part)) & np.uint64(0xFFFF)).astype(
                np.intp
            )
            starts, stops = self._starts[part][keys], self._starts[part][keys + 1]
            lengths = stops - starts
            useful = lengths <= crowded
            starts, lengths = starts[useful], lengths[useful]
            if lengths.sum() == 0:
                continue
            # Concatenate the posting ranges without a Python loop.
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            picked = self._postings[part][offsets + np.arange(int(lengths.sum()))]
            votes += np.bincount(picked, minlength=len(self._ids))
        return votes

    def _candidates(
        self, features: local.Features, alive: NDArray[np.bool_], extra: NDArray[np.intp]
    ) -> list[int]:
        votes = self._votes(features.descriptor)
        votes[~alive] = 0
        best = np.argsort(-votes, kind="stable")[:SHORTLIST]
        chosen = [int(s) for s in best if votes[s] > 0]
        chosen += [int(s) for s in extra if int(s) not in chosen]
        return chosen

    def search(self, query: Fingerprint | NDArray[np.uint8], *, limit: int = 5) -> list[Match]:
        """Registered works the query may derive from, best first (at most ``limit``)."""
        if not isinstance(query, Fingerprint):
            query = compute(query, features=QUERY_FEATURES)
        if limit < 1 or not self._slots:
            return []
        if self._stale:
            self._rebuild()
        count = len(self._ids)
        alive = np.array([p is not None for p in self._prints], bool)

        # Whole-picture PDQ against every work, under all eight transforms.
        words = _pdq_words(query.pdq_hashes)
        distance = np.bitwise_count(self._pdq[:count, None, :] ^ words[None, :, :]).sum(axis=2)
        pdq_best = distance.min(axis=1).astype(np.int64)
        pdq_deciding = distance[:, PDQ_DECIDING].min(axis=1).astype(np.int64)
        pdq_best[~alive] = 10_000
        quality = np.minimum(self._pdq_quality[:count], query.pdq_quality)
        near = np.nonzero(pdq_best <= 2 * PDQ_MATCH_DISTANCE)[0]
        near = near[np.argsort(pdq_best[near], kind="stable")][:SHORTLIST]

        results: dict[int, Match] = {}
        for slot in near.tolist():
            similarity = pdq_similarity(int(pdq_deciding[slot]), int(quality[slot]))
            results[int(slot)] = Match(self._ids[slot], similarity, similarity > 0.5, None, "pdq")
        for features in (query.features, local.mirrored(query.features)):
            for slot in self._candidates(features, alive, near):
                work = self._prints[slot]
                assert work is not None
                placement = geometry.place(features, work.features)
                if placement is None:
                    continue
                similarity = local_similarity(placement.inliers, placement.support)
                previous = results.get(slot)
                if previous is None or similarity > previous.similarity:
                    results[slot] = Match(
                        self._ids[slot],
                        similarity,
                        similarity > 0.5,
                        _region(placement, features, work.features),
                        "local",
                    )
            if any(m.is_match for m in results.values()):
                break  # no need to try the mirror image
        ranked = sorted(results.values(), key=lambda m: (-m.similarity, m.work_id))
        return ranked[:limit]


def _region(
    placement: geometry.Placement, query: local.Features, work: local.Features
) -> tuple[float, float, float, float]:
    """The query frame's outline mapped into the work, as fractions of the work's sides."""
    xs = np.array([-0.5, query.width - 0.5, query.width - 0.5, -0.5])
    ys = np.array([-0.5, -0.5, query.height - 0.5, query.height - 0.5])
    wx, wy = placement.to_work(xs, ys)
    fx = np.clip((wx + 0.5) / work.width, 0.0, 1.0)
    fy = np.clip((wy + 0.5) / work.height, 0.0, 1.0)
    return (
        round(float(fx.min()), 4),
        round(float(fy.min()), 4),
        round(float(fx.max()), 4),
        round(float(fy.max()), 4),
    )
