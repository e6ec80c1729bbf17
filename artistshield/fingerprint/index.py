"""Find the registered works a suspect image derives from.

Two searches run side by side.  PDQ compares the query's eight dihedral
hashes with every registered hash at once (packed 64-bit words and a
popcount).  Local features go through an inverted index: each 64-bit
descriptor is cut into four 16-bit keys, any registered feature sharing a key
with a query feature votes for its work, and the best-voted works are checked
feature by feature for one consistent placement (``geometry.place``).  A flip
is the same search with the query's mirrored features.

Neither kind of evidence is enough alone: drawings built on one template (a
warning sign's frame, an icon set's folder) share features and even PDQ
hashes.  So the placement a candidate was found with is confirmed densely
(``structure.compare``, after ``structure.refine`` lines it up when needed):
the suspect must lie on the work, and its structure must agree with the
work's everywhere they overlap, or everywhere but under a rectangle pasted
over it.  Works fingerprinted before structure pictures existed (format 1)
are decided by the features alone, as they were.

A suspect too plain for local features and PDQ (a crop of smooth curves in
close shades) is placed by its structure picture alone (``structure.locate``)
on the few works whose tones could hold it, and then confirmed the same way.
A work with no drawn detail at all (a soft gradient backdrop) is found by its
whole shading (``shading``), when nothing else finds the suspect.

A work may have several fingerprints (an animation's key frames): it is found
through any of them and reported once, with its best similarity.

The thresholds were calibrated on Debian drawings that are not among the
benchmark's distractors (the same packages, another random draw), and on the
corpus works under the benchmark's attacks (see ``benchmarks/match.py``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from artistshield.fingerprint import geometry, local, pdq, shading, structure
from artistshield.fingerprint.compute import Fingerprint, compute_query

PDQ_MATCH_DISTANCE = pdq.MATCH_DISTANCE
PDQ_MIN_QUALITY = 50
"""Below this PDQ quality a picture is too plain for its hash alone to decide."""
LOCAL_MATCH_INLIERS = 16
"""Features agreeing on one placement needed to declare a match without a structure check."""
LOCAL_MATCH_SHARE = 0.25
"""...and the share of the features in the overlap that must agree."""
VERIFIED_INLIERS = 8
"""Features agreeing on one placement before the structure check may confirm it."""
VERIFIED_SHARE = 0.1
COVERED = 0.85
"""Share of the suspect that must lie on the work: copies are the work or a crop of it."""
CONFIRMED = 0.9
"""A whole copy shows this share of the work's structure where they overlap..."""
EXPLAINED = 0.85
"""...the work accounts for this share of the suspect's structure there..."""
BLEMISH = 0.45
"""...and no spot differs more than this (``structure.Agreement.blemish``): another
letter on the same spinning top, another symbol in the same warning sign."""
PATCH = (0.2, 0.6)
"""A copy with a rectangle pasted over it (a sticker, a caption plate) may hide this much
of the overlap..."""
AROUND = 0.985
"""...if everywhere else it shows this share of the work's structure..."""
PATCH_CONFIRMED = 0.6
PATCH_INLIERS = 30
"""...and at least this many features agree on the placement."""
PDQ_DECIDING = (0, 5)
"""Dihedral variants whose PDQ distance may decide: as is, and mirrored.
Quarter turns of simple graphics (striped flags) collide too often."""
SHORTLIST = 32
"""Works checked feature by feature per search."""
PLAIN_FEATURES = 64
"""A suspect with fewer local features than this, and no match through them or PDQ, is
placed by its structure alone..."""
PLAIN_SHORTLIST = 16
"""...on this many works, those whose tones best contain the suspect's,..."""
PLAIN_SPREAD = 0.3
"""...if its structure spans at least this share of it (``structure.spread``)..."""
UNIQUE = 0.8
"""...and no placement elsewhere scores above this share of the best one."""
_TONE_BINS = 32
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
    """Which evidence found it: "pdq" (whole picture), "local" (features), "structure"
    (a suspect too plain for either, placed by its shapes alone) or "shading" (a work
    with no drawn detail, compared by its whole shading)."""


def _pdq_words(hashes: list[bytes] | tuple[bytes, ...]) -> NDArray[np.uint64]:
    return np.frombuffer(b"".join(hashes), ">u8").astype(np.uint64).reshape(-1, 4)


def _odds(evidence: float) -> float:
    """Map evidence (1.0 = exactly at the thresholds) to 0-1, 0.5 at the thresholds."""
    evidence = max(0.0, evidence)
    return float(evidence / (evidence + 1.0))


def pdq_evidence(distance: int, quality: int) -> float:
    """PDQ evidence: 1.0 at ``PDQ_MATCH_DISTANCE``, more for closer hashes."""
    evidence = (2.0 * (PDQ_MATCH_DISTANCE + 1) - distance) / max(1, distance + 1)
    if quality < PDQ_MIN_QUALITY:
        evidence = min(evidence, np.nextafter(1.0, 0.0))
    return float(evidence)


def local_evidence(inliers: int, support: int, *, verified: bool) -> float:
    """Feature evidence: 1.0 where agreeing features reach the thresholds."""
    share = inliers / max(support, inliers, 1)
    need_inliers, need_share = (
        (VERIFIED_INLIERS, VERIFIED_SHARE)
        if verified
        else (LOCAL_MATCH_INLIERS, LOCAL_MATCH_SHARE)
    )
    evidence = min(inliers / need_inliers, share / need_share)
    if inliers < need_inliers and evidence >= 1.0:
        evidence = np.nextafter(1.0, 0.0)
    return float(evidence)


def structure_evidence(agreement: structure.Agreement, inliers: int) -> float:
    """Structure evidence: 1.0 where the suspect agrees with the work just enough.

    Either the suspect agrees with the work everywhere they overlap, or it is the
    work with a rectangle pasted over it and agrees everywhere else.
    """
    if agreement.covered < COVERED:
        return 0.0
    whole = min(
        agreement.confirmed / CONFIRMED,
        agreement.explained / EXPLAINED,
        BLEMISH / max(agreement.blemish, 1e-9),
    )
    low, high = PATCH
    pasted = min(
        agreement.patch / low,
        high / max(agreement.patch, 1e-9),
        agreement.around / AROUND,
        agreement.confirmed / PATCH_CONFIRMED,
        inliers / PATCH_INLIERS,
    )
    return max(whole, pasted)


class FingerprintIndex:
    """Registered fingerprints by work id, searchable for derived copies."""

    PICTURE_COMPRESSION = 6
    """zlib level for the structure pictures held: an artist's index keeps them long; the
    scale index's short list of candidates (``scale.py``), built per search, stores them."""
    REFINE_MOST: int | None = None
    """Most placements one search refines (``structure.refine``), the strongest evidence
    first; None for no bound.  An artist's index checks a short list and refines as it
    needs; the scale index bounds it, as a crowd of near-identical works (one
    character's frames) would otherwise each cost a refinement."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        """The work each slot (one registered fingerprint) belongs to."""
        self._slots: dict[str, list[int]] = {}
        """The slots of each work: one per fingerprint, several for an animation's frames."""
        self._prints: list[Fingerprint | None] = []
        self._pictures: list[bytes | None] = []
        """Each slot's structure picture, compressed until a search needs it."""
        self._pdq = np.zeros((0, 4), np.uint64)
        self._pdq_quality = np.zeros(0, np.int16)
        self._tones = np.zeros((0, _TONE_BINS), np.float32)
        """Each slot's histogram of structure picture levels (zero without a picture)."""
        self._shading = np.zeros((0, shading.GRID**2), np.float32)
        self._smooth = np.zeros(0, bool)
        """Slots of works too plain for other evidence, matched by ``shading`` (their coarse
        picture in ``_shading``)."""
        self._postings: list[NDArray[np.int32]] = []
        self._starts: list[NDArray[np.int64]] = []
        self._stale = True
        self._refines_left: int | None = None
        """Refinements this search may still make (``REFINE_MOST``)."""

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, work_id: object) -> bool:
        return work_id in self._slots

    def add(self, work_id: str, fingerprint: Fingerprint | bytes) -> None:
        """Add a fingerprint of ``work_id`` (another key frame when it has some already).

        Adding the same fingerprint twice keeps one.
        """
        if isinstance(fingerprint, bytes | bytearray | memoryview):
            fingerprint = Fingerprint.from_bytes(bytes(fingerprint))
        if not isinstance(fingerprint, Fingerprint):
            raise TypeError("FingerprintIndex.add takes a Fingerprint or its bytes.")
        picture = None
        tones = np.zeros(_TONE_BINS, np.float32)
        coarse = np.zeros(shading.GRID**2, np.float32)
        smooth = False
        if fingerprint.structure is not None:
            tones = _tones(fingerprint.structure)
            smooth = (
                fingerprint.pdq_quality < PDQ_MIN_QUALITY
                and len(fingerprint.features) < PLAIN_FEATURES
                and shading.tonal_range(fingerprint.structure) >= shading.MIN_RANGE
            )
            if smooth:
                coarse = shading.coarse(fingerprint.structure)
            shape = np.array(fingerprint.structure.shape, "<u2").tobytes()
            picture = shape + zlib.compress(fingerprint.structure.tobytes(), self.PICTURE_COMPRESSION)
            fingerprint = replace(fingerprint, structure=None)
        slots = self._slots.setdefault(work_id, [])
        for slot in slots:
            if self._prints[slot] == fingerprint and self._pictures[slot] == picture:
                return
        slot = len(self._ids)
        self._ids.append(work_id)
        slots.append(slot)
        self._prints.append(fingerprint)
        self._pictures.append(picture)
        if slot >= len(self._pdq):
            grown = max(64, 2 * len(self._pdq))
            self._pdq = np.resize(self._pdq, (grown, 4))
            self._pdq_quality = np.resize(self._pdq_quality, grown)
            self._tones = np.resize(self._tones, (grown, _TONE_BINS))
            self._shading = np.resize(self._shading, (grown, shading.GRID**2))
            self._smooth = np.resize(self._smooth, grown)
        self._pdq[slot] = _pdq_words([fingerprint.pdq])[0]
        self._tones[slot] = tones
        self._shading[slot] = coarse
        self._smooth[slot] = smooth
        self._pdq_quality[slot] = fingerprint.pdq_quality
        self._stale = True

    def remove(self, work_id: str) -> None:
        """Forget ``work_id`` and all its fingerprints; raises KeyError if it was never added."""
        try:
            slots = self._slots.pop(work_id)
        except KeyError:
            raise KeyError(f"No work {work_id!r} in the fingerprint index.") from None
        for slot in slots:
            self._prints[slot] = None
            self._pictures[slot] = None
        # Postings keep the slots until the next rebuild; searches skip empty slots.

    def _picture(self, slot: int) -> NDArray[np.uint8] | None:
        data = self._pictures[slot]
        if data is None:
            return None
        rows, cols = np.frombuffer(data[:4], "<u2")
        return np.frombuffer(zlib.decompress(data[4:]), np.uint8).reshape(int(rows), int(cols))

    def _rebuild(self) -> None:
        slots = [s for s, p in enumerate(self._prints) if p is not None]
        prints = [p for p in self._prints if p is not None]
        counts = [len(p.features) for p in prints]
        descriptor = (
            np.concatenate([p.features.descriptor for p in prints])
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
        return chosen + [int(s) for s in extra if int(s) not in chosen]

    def search(
        self,
        query: Fingerprint | NDArray[np.uint8],
        *,
        limit: int = 5,
        group: Callable[[str], str] | None = None,
    ) -> list[Match]:
        """Registered works the query may derive from, best first (at most ``limit``).

        *group* names the work each registered name is part of, for a caller
        that folds the answers into one per group, its best (an animation's
        key frames, each registered under a name of its own): a name whose
        evidence already falls short of its group's best answer is then not
        confirmed, as it could not become that answer (see ``_outranked``).
        """
        if not isinstance(query, Fingerprint):
            query = compute_query(query)
        if limit < 1 or not self._slots:
            return []
        if self._stale:
            self._rebuild()
        count = len(self._ids)
        alive = np.array([p is not None for p in self._prints], bool)
        self._refines_left = self.REFINE_MOST

        # Whole-picture PDQ against every work, under all eight transforms.
        words = _pdq_words(query.pdq_hashes)
        distance = np.bitwise_count(self._pdq[:count, None, :] ^ words[None, :, :]).sum(axis=2)
        pdq_best = distance.min(axis=1).astype(np.int64)
        deciding = distance[:, PDQ_DECIDING]
        pdq_variant = np.argmin(deciding, axis=1)
        pdq_deciding = deciding.min(axis=1).astype(np.int64)
        pdq_best[~alive] = 10_000
        quality = np.minimum(self._pdq_quality[:count], query.pdq_quality)
        near = np.nonzero(pdq_best <= 2 * PDQ_MATCH_DISTANCE)[0]
        near = near[np.argsort(pdq_best[near], kind="stable")][:SHORTLIST]

        found: dict[int, Match] = {}
        for slot in near.tolist():
            mirrored = PDQ_DECIDING[int(pdq_variant[slot])] != 0
            evidence = pdq_evidence(int(pdq_deciding[slot]), int(quality[slot]))
            if group is not None and self._outranked(slot, evidence, found, group):
                continue
            affine = _whole(query, self._work(slot), mirrored)
            found[slot] = self._judge(slot, query, evidence, affine, None, "pdq")
        for mirrored, features in (
            (False, query.features),
            (True, local.mirrored(query.features)),
        ):
            placements = []
            for slot in self._candidates(features, alive, near):
                placement = geometry.place(features, self._work(slot).features)
                if placement is not None:
                    placements.append((slot, placement))
            # Strongest placements first, so a bound on refinements spends them where a
            # match is likeliest; without one the order changes nothing.
            placements.sort(key=lambda item: -item[1].inliers)
            for slot, placement in placements:
                work = self._work(slot)
                affine = _affine(placement, query.features, mirrored)
                region = _outline(
                    affine,
                    (query.features.width, query.features.height),
                    (work.features.width, work.features.height),
                )
                # The lower feature thresholds hold only where the structure check follows.
                checked = self._pictures[slot] is not None and query.structure is not None
                evidence = local_evidence(placement.inliers, placement.support, verified=checked)
                if group is not None and self._outranked(slot, evidence, found, group):
                    continue
                judged = self._judge(
                    slot, query, evidence, affine, region, "local", placement.inliers
                )
                previous = found.get(slot)
                if previous is None or judged.similarity > previous.similarity:
                    found[slot] = judged
            if any(m.is_match for m in found.values()):
                break  # no need to try the mirror image
        if (
            not any(m.is_match for m in found.values())
            and len(query.features) < PLAIN_FEATURES
            and query.structure is not None
            and structure.spread(query.structure) >= PLAIN_SPREAD
        ):
            for slot in self._plain_candidates(query.structure, alive):
                placed = self._locate(slot, query)
                previous = found.get(slot)
                if placed is not None and (
                    previous is None or placed.similarity > previous.similarity
                ):
                    found[slot] = placed
        if not any(m.is_match for m in found.values()) and query.structure is not None:
            for slot in self._smooth_candidates(query, alive):
                shaded = self._shaded(slot, query)
                previous = found.get(slot)
                if previous is None or shaded.similarity > previous.similarity:
                    found[slot] = shaded
        best: dict[str, Match] = {}
        for match in found.values():  # one answer per work, from its best frame
            if match.work_id not in best or match.similarity > best[match.work_id].similarity:
                best[match.work_id] = match
        ranked = sorted(best.values(), key=lambda m: (-m.similarity, m.work_id))
        return ranked[:limit]

    def _outranked(
        self, slot: int, evidence: float, found: dict[int, Match], group: Callable[[str], str]
    ) -> bool:
        """Whether judging *slot* with *evidence* cannot change what the caller is answered.

        The structure check only ever lowers evidence (``_judge``), so a name
        whose evidence is below the similarity another name of its group has
        already scored cannot become the group's best answer; nor can it be
        the first match (that one would match too).  An animation's many key
        frames of one scene are so not each confirmed densely, and refined
        when they differ (another pose), only the one that answers.  Only
        without a bound on refinements: skipping one would leave it for a
        later candidate, and change what that one is answered.
        """
        if self._refines_left is not None:
            return False
        mine = group(self._ids[slot])
        scored = [m.similarity for s, m in found.items() if group(self._ids[s]) == mine]
        return bool(scored) and _odds(evidence) < max(scored)

    def _work(self, slot: int) -> Fingerprint:
        work = self._prints[slot]
        assert work is not None
        return work

    def _plain_candidates(self, picture: NDArray[np.uint8], alive: NDArray[np.bool_]) -> list[int]:
        """Works whose tones could hold a crop with ``picture``'s tones, most likely first.

        A crop showing ``structure.LOCATE_SMALLEST`` of a work holds no tone in more
        than 1 / LOCATE_SMALLEST times the share the work has of it; a bin's
        neighbours count too, for JPEG and resampling.
        """
        count = len(self._ids)
        have = np.nonzero(alive & (self._tones[:count].sum(axis=1) > 0))[0]
        if len(have) == 0:
            return []
        query = _tones(picture)
        tones = self._tones[have]
        widened = np.maximum(
            tones, np.maximum(np.roll(tones, 1, axis=1), np.roll(tones, -1, axis=1))
        )
        held = np.minimum(query, widened / structure.LOCATE_SMALLEST).sum(axis=1)
        shared = np.minimum(query, tones).sum(axis=1)
        order = np.lexsort((-shared, -np.round(held, 2)))[:PLAIN_SHORTLIST]
        return [int(have[i]) for i in order]

    def _smooth_candidates(self, query: Fingerprint, alive: NDArray[np.bool_]) -> list[int]:
        """Smooth works with the query's proportions whose coarse shading is close to its."""
        assert query.structure is not None
        count = len(self._ids)
        have = np.nonzero(alive & self._smooth[:count])[0]
        if len(have) == 0:
            return []
        worst = np.abs(self._shading[have] - shading.coarse(query.structure)).max(axis=1)
        have = have[worst <= shading.COARSE_WORST]
        frame = (query.width, query.height)
        return [
            int(s) for s in have
            if shading.same_proportions((self._work(int(s)).width, self._work(int(s)).height), frame)
        ]

    def _shaded(self, slot: int, query: Fingerprint) -> Match:
        """Compare a smooth work's whole shading with the query's."""
        picture = self._picture(slot)
        assert picture is not None and query.structure is not None
        evidence = shading.evidence(picture, query.structure)
        return Match(self._ids[slot], _odds(evidence), evidence >= 1.0, None, "shading")

    def _locate(self, slot: int, query: Fingerprint) -> Match | None:
        """Place a plain suspect on a work by structure alone, and confirm it there."""
        picture = self._picture(slot)
        assert picture is not None and query.structure is not None
        work = self._work(slot)
        work_frame = (work.features.width, work.features.height)
        query_frame = (query.features.width, query.features.height)
        located = self._located(picture, work_frame, query.structure, query_frame)
        if located is None or located.score <= 0.0:
            return None
        # Not refined: with nothing but structure to go on, refining bends a placement
        # until unrelated curves line up.  ``locate`` is exact to a pixel and 4% of scale.
        affine = located.affine
        agreement = self._compared(picture, work_frame, query.structure, query_frame, affine)
        evidence = min(
            structure_evidence(agreement, 0),
            UNIQUE * located.score / max(located.rival, 1e-9),
        )
        region = _outline(affine, query_frame, work_frame)
        return Match(self._ids[slot], _odds(evidence), evidence >= 1.0, region, "structure")

    def _judge(
        self,
        slot: int,
        query: Fingerprint,
        evidence: float,
        affine: NDArray[np.float64],
        region: tuple[float, float, float, float] | None,
        method: str,
        inliers: int = 0,
    ) -> Match:
        """Confirm feature or PDQ evidence with the structure pictures, when both exist."""
        picture = self._picture(slot)
        if picture is not None and query.structure is not None and evidence >= 1.0:
            work = self._work(slot)
            work_frame = (work.features.width, work.features.height)
            query_frame = (query.features.width, query.features.height)
            agreement = self._compared(picture, work_frame, query.structure, query_frame, affine)
            confirmed = structure_evidence(agreement, inliers)
            if confirmed < 1.0 and self._refine():  # a few features' placement may be off
                affine = structure.refine(
                    picture, work_frame, query.structure, query_frame, affine
                )
                agreement = self._compared(
                    picture, work_frame, query.structure, query_frame, affine
                )
                confirmed = max(confirmed, structure_evidence(agreement, inliers))
            # The structure check is a gate: when it passes, matches keep ranking by
            # how strongly features or PDQ agree.
            if confirmed < 1.0:
                evidence = min(evidence, confirmed)
        similarity = _odds(evidence)
        return Match(self._ids[slot], similarity, evidence >= 1.0, region, method)

    def _compared(
        self,
        picture: NDArray[np.uint8],
        work_frame: tuple[int, int],
        query: NDArray[np.uint8],
        query_frame: tuple[int, int],
        affine: NDArray[np.float64],
    ) -> structure.Agreement:
        """``structure.compare``, which a subclass may remember for the search.

        A suspect mostly off the work gets no further: ``structure_evidence`` reads
        nothing else then, and a work's crowd of look-alikes placed beside the suspect
        would each cost a comparison.
        """
        covered = structure.covered(work_frame, query_frame, affine)
        if covered < COVERED:
            return replace(structure.NOTHING, covered=covered)
        return structure.compare(picture, work_frame, query, query_frame, affine)

    def _located(
        self,
        picture: NDArray[np.uint8],
        work_frame: tuple[int, int],
        query: NDArray[np.uint8],
        query_frame: tuple[int, int],
    ) -> structure.Located | None:
        """``structure.locate``, which a subclass may remember for the search."""
        return structure.locate(picture, work_frame, query, query_frame)

    def _refine(self) -> bool:
        """Whether this search may refine one more placement (and count it if so)."""
        if self._refines_left is None:
            return True
        if self._refines_left <= 0:
            return False
        self._refines_left -= 1
        return True


def _affine(
    placement: geometry.Placement, query: local.Features, mirrored: bool
) -> NDArray[np.float64]:
    """The placement as a 2x3 matrix taking work frame points to query frame points."""
    cos, sin = np.cos(placement.angle), np.sin(placement.angle)
    scale = placement.scale
    affine = np.array(
        [
            [scale * cos, -scale * sin, placement.shift[0]],
            [scale * sin, scale * cos, placement.shift[1]],
        ]
    )
    if mirrored:  # found with mirrored query features: undo the mirror
        affine[0] = -affine[0]
        affine[0, 2] += query.width - 1
    return affine


def _whole(query: Fingerprint, work: Fingerprint, mirrored: bool) -> NDArray[np.float64]:
    """The whole work over the whole query (what a PDQ match says), maybe mirrored."""
    sx = query.features.width / work.features.width
    sy = query.features.height / work.features.height
    affine = np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5]])
    if mirrored:
        affine[0] = -affine[0]
        affine[0, 2] += query.features.width - 1
    return affine


def _tones(picture: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Share of a structure picture's pixels in each of ``_TONE_BINS`` level bins."""
    counts = np.bincount(picture.ravel() // (256 // _TONE_BINS), minlength=_TONE_BINS)
    return (counts / max(1, picture.size)).astype(np.float32)


def _outline(
    affine: NDArray[np.float64], query_frame: tuple[int, int], work_frame: tuple[int, int]
) -> tuple[float, float, float, float]:
    """The query frame's outline mapped into the work, as fractions of its sides."""
    (qw, qh), (fw, fh) = query_frame, work_frame
    corners = np.array([[-0.5, qw - 0.5, qw - 0.5, -0.5], [-0.5, -0.5, qh - 0.5, qh - 0.5]])
    wx, wy = np.linalg.solve(affine[:, :2], corners - affine[:, 2:])
    fx = np.clip((wx + 0.5) / fw, 0.0, 1.0)
    fy = np.clip((wy + 0.5) / fh, 0.0, 1.0)
    return (
        round(float(fx.min()), 4),
        round(float(fy.min()), 4),
        round(float(fx.max()), 4),
        round(float(fy.max()), 4),
    )
