"""Search millions of registered works: a compact index in memory, fingerprints on disk.

:class:`~artistshield.fingerprint.index.FingerprintIndex` keeps every feature
of every work in memory (about 4 KB of postings a work), which ends a little
past 100,000 works on a laptop.  A union's shared registry holds millions, so
this search runs in two tiers:

1. *Candidates*, from what stays in memory: each work's PDQ hash in a flat
   binary index (32 bytes a work), and ``FEATURES_PER_WORK`` of its local
   features, spread over the picture, in a binary hash index (16 bytes a
   feature), both from ``faiss-cpu``.  The query's features vote for the works
   whose kept features lie within ``RADIUS`` bits; the best-voted works, the
   works most likely to share a few rare features with it (a copy under a
   sticker keeps few of a work's kept features) and the works PDQ puts near
   are the candidates.

   Every step of this tier is bounded the way text search bounds itself with
   stop words: a hash bucket crowded with the features of one template is
   left out when the index is built (``CROWDED``), a query feature near the
   kept features of more than a fixed share of the works (``stop_word``)
   does not vote, at most ``CANDIDATES + CORRESPONDING`` works go on, a
   plain suspect reads only the nearest blocks of tones
   (``tones.ToneBlocks``), and PDQ compares the two deciding variants only.
   What grows with the registry is the PDQ scan (32 bytes a work), the
   buckets' average size and, with them, the votes counted.
2. *Verification*, from disk: the candidates' full fingerprints are read from
   a memory-mapped file (:class:`FingerprintStore`) and searched exactly as a
   small ``FingerprintIndex`` would (feature placement, structure check), so a
   verdict means what it means for an artist's own registry.  As there, the
   mirror image is searched only when the picture as it is finds nothing, and
   a plain suspect placed by structure alone only when neither does; each of
   these rounds (``ScaleIndex.rounds``) verifies only works the earlier ones
   did not, so the slowest search costs about what the rounds' new works do.

``faiss-cpu`` is the optional extra ``scale``; without it the exact index is
used, as before.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from artistshield.fingerprint import index as exact
from artistshield.fingerprint import local, pdq, structure, tones
from artistshield.fingerprint.compute import Fingerprint, compute_query

FEATURES_PER_WORK = 32
"""Local features of each work kept in memory: 16 bytes each in the hash index."""
FINE_LEVELS = 5
"""Features of the pyramid's coarsest levels (from this one) survive a crop half as often;
they are kept only when a work has too few finer ones."""
GRID = 4
"""Kept features are spread over a GRID x GRID split of the picture, so a crop keeps some."""
HASH_BITS = 20
"""Descriptor bits that pick a bucket of the hash index..."""
FLIPS = 2
"""...and how many of them may differ between a query feature and a kept one."""
RADIUS = 10
"""Most differing descriptor bits (of 64) for a kept feature to vote."""
CANDIDATES = 48
"""Best-voted works verified per search, besides those PDQ puts near."""
CORRESPONDING = 16
"""Works verified besides those, most likely by the query features near few kept features."""
NEAR_MOST = 256
"""A query feature near more kept features than this is a stop word: it does not vote..."""
NEAR_SHARE = 1 / 4096
"""...or, in a registry of more than ``NEAR_MOST / NEAR_SHARE`` works, near more than this
share of its works.  A feature's crowd grows with the registry: a fixed count would make
stop words at ten million works of features rare enough to find a copy by at one million."""
CROWDED = 16
"""At build time, kept features in a hash bucket holding this many times the average
are dropped: the features of one template every work shares."""
PDQ_NEAR = 2 * exact.PDQ_MATCH_DISTANCE
PLAIN_FIRST = 4
"""Works with the nearest tones a plain suspect is placed on before the rest of them."""
REFINE_MOST = 8
"""Most placements a search refines (``structure.refine``, some 20 ms each), over all its
rounds, those with the most agreeing features first: works sharing one structure picture
(an animator's near-identical frames) would otherwise each cost one."""
EXACT_UP_TO = 50_000
"""Registries of up to this many fingerprints are searched with the exact index instead."""
FORMAT = "artistshield-scale-index"
VERSION = 2


def available() -> bool:
    """Whether the ``scale`` extra (faiss-cpu) is installed."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as exc:  # pragma: no cover - the caller checks ``available``
        raise RuntimeError(
            "Searching millions of works needs the scale extra: pip install 'artistshield[scale]'."
        ) from exc
    return faiss


def stop_word(works: int) -> int:
    """Most kept features a query feature may be near and still vote, in *works* works.

    A fixed share of the registry, so what counts as a stop word does not change with
    its size (a feature's crowd grows in proportion to it), and at least ``NEAR_MOST``.
    """
    return max(NEAR_MOST, int(works * NEAR_SHARE))


def kept_features(features: local.Features, count: int = FEATURES_PER_WORK) -> NDArray[np.uint64]:
    """The descriptors of up to *count* features, strongest first in each cell of a grid.

    ``local.extract`` lists each pyramid level's corners strongest first, so
    taking levels in turn keeps coarse and fine detail; the grid spreads them
    so a crop of the work still holds some.
    """
    n = len(features)
    if n <= count:
        return features.descriptor.copy()
    level = features.level.astype(np.int64)
    rank = np.zeros(n, np.int64)
    for value in np.unique(level):
        where = np.nonzero(level == value)[0]
        rank[where] = np.arange(len(where))
    order = np.lexsort((level, rank, level >= FINE_LEVELS))
    cx = np.clip((features.x * GRID / max(1, features.width)).astype(np.int64), 0, GRID - 1)
    cy = np.clip((features.y * GRID / max(1, features.height)).astype(np.int64), 0, GRID - 1)
    cell = cy * GRID + cx
    per_cell = -(-count // (GRID * GRID))
    taken: list[int] = []
    filled = np.zeros(GRID * GRID, np.int64)
    for i in order.tolist():
        if filled[cell[i]] < per_cell:
            filled[cell[i]] += 1
            taken.append(i)
            if len(taken) == count:
                break
    if len(taken) < count:  # empty cells: fill with the strongest left
        chosen = set(taken)
        taken += [i for i in order.tolist() if i not in chosen][: count - len(taken)]
    return features.descriptor[np.asarray(taken, np.int64)]


class FingerprintStore:
    """Fingerprints by slot in one file on disk, read through a memory map.

    ``prints.bin`` holds the fingerprints' bytes end to end and
    ``prints-offsets.npy`` where each starts; ``names.bin`` and
    ``names-offsets.npy`` the same for their names.  Only the offsets are read
    in full; a fingerprint is read when a search verifies its work.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._offsets = np.load(self.folder / "prints-offsets.npy", mmap_mode="r")
        self._name_offsets = np.load(self.folder / "names-offsets.npy", mmap_mode="r")
        self._prints = _map(self.folder / "prints.bin")
        self._names = _map(self.folder / "names.bin")

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def fingerprint_bytes(self, slot: int) -> bytes:
        start, stop = int(self._offsets[slot]), int(self._offsets[slot + 1])
        return bytes(self._prints[start:stop])

    def fingerprint(self, slot: int) -> Fingerprint:
        return Fingerprint.from_bytes(self.fingerprint_bytes(slot))

    def name(self, slot: int) -> str:
        start, stop = int(self._name_offsets[slot]), int(self._name_offsets[slot + 1])
        return bytes(self._names[start:stop]).decode("utf-8")


def _map(path: Path) -> NDArray[np.uint8]:
    if path.stat().st_size == 0:
        return np.zeros(0, np.uint8)
    return np.memmap(path, np.uint8, mode="r")


class StoreWriter:
    """Write a :class:`FingerprintStore` folder, one fingerprint at a time."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._prints = open(self.folder / "prints.bin", "xb")  # noqa: SIM115
        self._names = open(self.folder / "names.bin", "xb")  # noqa: SIM115
        self._offsets = [0]
        self._name_offsets = [0]

    def add(self, name: str, data: bytes) -> int:
        """Append one fingerprint's bytes under *name*; returns its slot."""
        self._prints.write(data)
        self._offsets.append(self._offsets[-1] + len(data))
        encoded = name.encode("utf-8")
        self._names.write(encoded)
        self._name_offsets.append(self._name_offsets[-1] + len(encoded))
        return len(self._offsets) - 2

    def close(self) -> None:
        for handle in (self._prints, self._names):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        np.save(self.folder / "prints-offsets.npy", np.asarray(self._offsets, np.int64))
        np.save(self.folder / "names-offsets.npy", np.asarray(self._name_offsets, np.int64))


class ScaleIndex:
    """A registry of millions of works, searchable like a ``FingerprintIndex``.

    Build it with :meth:`build` (or :meth:`add` then :meth:`finish`) into a
    folder, open it again with :meth:`open`; :meth:`search` answers as
    ``FingerprintIndex.search`` does.
    """

    def __init__(
        self, folder: str | os.PathLike[str], *, source: dict[str, Any] | None = None
    ) -> None:
        self.folder = Path(folder)
        self.source = source
        """What the index was built from (a registry's digest, say), kept with it as JSON."""
        self._writer: StoreWriter | None = None
        self._store: FingerprintStore | None = None
        self._pdq: Any = None
        self._features: Any = None
        self._tones: tones.ToneBlocks | None = None
        self._pending_pdq: list[bytes] = []
        self._pending_tones: list[NDArray[np.uint8]] = []
        self._pending_codes: list[NDArray[np.uint64]] = []
        self._pending_ids: list[NDArray[np.int64]] = []

    # building ---------------------------------------------------------------
    def add(self, name: str, fingerprint: Fingerprint | bytes) -> None:
        """Add one fingerprint under *name* (a work id, or ``W-000007#2`` for a key frame)."""
        if self._store is not None:
            raise RuntimeError("This scale index is finished; build a new one to add works.")
        if self._writer is None:
            self._writer = StoreWriter(self.folder)
        data = fingerprint.to_bytes() if isinstance(fingerprint, Fingerprint) else bytes(fingerprint)
        parsed = fingerprint if isinstance(fingerprint, Fingerprint) else Fingerprint.from_bytes(data)
        slot = self._writer.add(name, data)
        self.add_summary(slot, parsed.pdq, parsed.features, parsed.structure)

    def add_summary(
        self,
        slot: int,
        pdq_hash: bytes,
        features: local.Features,
        picture: NDArray[np.uint8] | None,
    ) -> None:
        """What memory keeps of slot *slot* (the benchmark builds these without a store)."""
        self._pending_pdq.append(pdq_hash)
        shares = np.zeros(exact._TONE_BINS, np.uint8)
        if picture is not None:
            shares = np.round(exact._tones(picture) * 255).astype(np.uint8)
        self._pending_tones.append(shares)
        codes = kept_features(features)
        self._pending_codes.append(codes)
        self._pending_ids.append(np.full(len(codes), slot, np.int64))

    def finish(self) -> ScaleIndex:
        """Write the index files beside the store and open it for searching."""
        if self._writer is None:
            self._writer = StoreWriter(self.folder)
        self._writer.close()
        self._writer = None
        self.write_summaries(
            np.frombuffer(b"".join(self._pending_pdq), np.uint8).reshape(-1, pdq.HASH_BYTES),
            np.asarray(self._pending_tones, np.uint8).reshape(-1, exact._TONE_BINS),
            np.concatenate(self._pending_codes) if self._pending_codes else np.zeros(0, np.uint64),
            np.concatenate(self._pending_ids) if self._pending_ids else np.zeros(0, np.int64),
        )
        self._pending_pdq, self._pending_tones = [], []
        self._pending_codes, self._pending_ids = [], []
        self._load()
        return self

    def write_summaries(
        self,
        pdq_hashes: NDArray[np.uint8],
        tone_rows: NDArray[np.uint8],
        codes: NDArray[np.uint64],
        ids: NDArray[np.integer[Any]],
    ) -> None:
        """Write the in-memory tier's files: PDQ and tones by slot, kept features with slots."""
        faiss = _faiss()
        flat = faiss.IndexBinaryFlat(8 * pdq.HASH_BYTES)
        if len(pdq_hashes):
            flat.add(np.ascontiguousarray(pdq_hashes))
        faiss.write_index_binary(flat, str(self.folder / "pdq.faiss"))
        del flat
        hashed = faiss.IndexBinaryHash(64, HASH_BITS)
        step = 1 << 22
        # faiss buckets a code by its lowest HASH_BITS bits
        mask = np.uint64((1 << HASH_BITS) - 1)
        crowd = np.zeros(1 << HASH_BITS, np.int64)
        for start in range(0, len(codes), step):
            crowd += np.bincount(codes[start : start + step] & mask, minlength=1 << HASH_BITS)
        most = max(CROWDED * len(codes) / (1 << HASH_BITS), NEAR_MOST)
        dropped = 0
        for start in range(0, len(codes), step):
            part, owners = codes[start : start + step], ids[start : start + step]
            kept = crowd[part & mask] <= most
            dropped += int(len(part) - kept.sum())
            words = np.ascontiguousarray(part[kept].astype("<u8")).view(np.uint8)
            hashed.add_with_ids(words.reshape(-1, 8), owners[kept].astype(np.int64))
        faiss.write_index_binary(hashed, str(self.folder / "features.faiss"))
        del hashed
        tones.ToneBlocks.build(tone_rows).save(self.folder)
        meta = {"format": FORMAT, "version": VERSION, "works": len(pdq_hashes),
                "features_per_work": FEATURES_PER_WORK, "hash_bits": HASH_BITS,
                "crowded_dropped": dropped, "source": self.source}  # fmt: skip
        (self.folder / "scale-index.json").write_text(json.dumps(meta) + "\n")

    @classmethod
    def build(
        cls, folder: str | os.PathLike[str], prints: Iterator[tuple[str, Fingerprint | bytes]]
    ) -> ScaleIndex:
        index = cls(folder)
        for name, fingerprint in prints:
            index.add(name, fingerprint)
        return index.finish()

    # searching --------------------------------------------------------------
    @classmethod
    def open(cls, folder: str | os.PathLike[str]) -> ScaleIndex:
        index = cls(folder)
        index._load()
        return index

    def _load(self) -> None:
        meta = json.loads((self.folder / "scale-index.json").read_text())
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ValueError(f"{self.folder} is not a scale index this version reads.")
        self.source = meta.get("source")
        faiss = _faiss()
        self._pdq = faiss.read_index_binary(str(self.folder / "pdq.faiss"))
        self._features = faiss.read_index_binary(str(self.folder / "features.faiss"))
        self._features.nflip = FLIPS
        self._tones = tones.ToneBlocks.open(self.folder)
        if (self.folder / "prints.bin").exists():
            self._store = FingerprintStore(self.folder)

    def __len__(self) -> int:
        if self._pdq is None:
            return len(self._pending_pdq)
        return int(self._pdq.ntotal)

    def rounds(self, query: Fingerprint) -> Iterator[tuple[list[int], bool]]:
        """Slots worth verifying for *query*, a round at a time, and whether by tones.

        First those PDQ puts near and its features vote for; then those its mirror
        image's features vote for (PDQ already compares the mirrored hash); then, for
        a suspect too plain for features, the works whose tones could hold it, nearest
        first and ``PLAIN_FIRST`` of them before the rest.  A search stops after the
        first round with a match.
        """
        if len(self) == 0:
            return
        _faiss().omp_set_num_threads(1)
        yield [*dict.fromkeys(self._near(query) + self._voted(query.features.descriptor))], False
        yield self._voted(local.mirrored(query.features).descriptor), False
        if len(query.features) < exact.PLAIN_FEATURES and query.structure is not None:
            plain = self._plain(query.structure)
            yield plain[:PLAIN_FIRST], True
            yield plain[PLAIN_FIRST:], True

    def _near(self, query: Fingerprint) -> list[int]:
        """Slots whose PDQ hash is near the query's as is or mirrored (the deciding variants).

        Quarter turns are left to the features, which turn with the picture: comparing
        all eight variants would cost four times as much at every search.
        """
        hashes = [query.pdq_hashes[v] for v in exact.PDQ_DECIDING]
        words = np.frombuffer(b"".join(hashes), np.uint8).reshape(-1, pdq.HASH_BYTES)
        distance, slots = self._pdq.search(words, min(exact.SHORTLIST, len(self)))
        near = sorted(
            (int(d), int(s))
            for d, s in zip(distance.ravel(), slots.ravel(), strict=True)
            if s >= 0 and d <= PDQ_NEAR
        )
        return list(dict.fromkeys(slot for _, slot in near))[: exact.SHORTLIST]

    def _voted(self, descriptor: NDArray[np.uint64]) -> list[int]:
        if len(descriptor) == 0 or self._features.ntotal == 0:
            return []
        codes = np.ascontiguousarray(descriptor.astype("<u8")).view(np.uint8).reshape(-1, 8)
        limits, _, found = self._features.range_search(codes, RADIUS + 1)
        if len(found) == 0:
            return []
        # A query feature near many kept features says little (a corner every drawing
        # has): it is left out, as text search leaves out stop words.  That also bounds
        # the work below to a share of the registry.
        near = np.diff(limits.astype(np.int64))
        stop = stop_word(len(self))
        voter = np.repeat(np.arange(len(codes)), near)
        useful = (near <= stop)[voter]
        voter, work = voter[useful], found[useful].astype(np.int64)
        if len(work) == 0:
            return []
        # one vote per query feature and work, however many kept features it is near...
        pairs = np.unique(voter * (1 << 40) + work)
        voter, work = pairs >> 40, pairs % (1 << 40)
        # ...worth less the more works it is near, and nothing near a stop word's count:
        # so the crowd of features almost common enough to be stop words, which grows
        # with the registry, adds little, and the works a copy's rare features are near
        # stay the best-voted at any size.
        works, inverse = np.unique(work, return_inverse=True)
        votes = np.bincount(inverse, weights=np.log(stop / near[voter]))
        best = np.argsort(-votes, kind="stable")[:CANDIDATES].tolist()
        # A copy under a sticker or cut small keeps few of a work's kept features: they
        # vote for it alone, while many works sharing a template each collect votes
        # shared with hundreds.  A feature near `near` kept features is the copy's own
        # for one of them at most, so a work's expected number of true correspondences
        # is the sum of 1 / near; the works most likely to hold the copy by it go on too.
        expected = np.bincount(inverse, weights=1.0 / near[voter])
        best += np.argsort(-expected, kind="stable")[:CORRESPONDING].tolist()
        return [int(works[i]) for i in dict.fromkeys(best)]

    def _plain(self, picture: NDArray[np.uint8]) -> list[int]:
        """Slots whose tones could hold a plain crop, as ``FingerprintIndex`` picks them.

        Only the blocks of works with the nearest tones are read (``tones.ToneBlocks``),
        so a plain suspect costs the same whatever the registry's size.
        """
        assert self._tones is not None
        return self._tones.search(exact._tones(picture), exact.PLAIN_SHORTLIST)

    def search(
        self,
        query: Fingerprint | NDArray[np.uint8],
        *,
        limit: int = 5,
        group: Callable[[str], str] | None = None,
    ) -> list[exact.Match]:
        """Registered works the query may derive from, best first (at most ``limit``).

        As ``FingerprintIndex.search`` does, the mirror image is searched only when the
        picture as it is finds no match, and a plain suspect placed on works by their
        tones only when neither finds one (see :meth:`rounds`).  *group* is taken as
        ``FingerprintIndex.search`` takes it and not needed: each round's short list
        already bounds what it confirms.
        """
        del group
        if not isinstance(query, Fingerprint):
            query = compute_query(query)
        if self._writer is not None:  # filled with add(): the first search finishes it
            self.finish()
        if self._store is None:
            raise RuntimeError(f"{self.folder} holds no fingerprints to verify against.")
        found: dict[str, exact.Match] = {}
        verified: set[str] = set()
        refines = REFINE_MOST
        checked = _Checked()
        for slots, plain in self.rounds(query):
            # Each round verifies only works no earlier round did: a round's short list
            # answers for its own works as the whole list would.
            verify = _ShortList(plain=plain, refines=refines, checked=checked)
            for slot in slots:
                name = self._store.name(slot)
                if name not in verified:
                    verified.add(name)
                    verify.add(name, self._store.fingerprint(slot))
            if len(verify) == 0:
                continue
            matches = verify.search(query, limit=limit)
            refines = verify.refines_left
            for match in matches:
                if match.work_id not in found or match.similarity > found[match.work_id].similarity:
                    found[match.work_id] = match
            if any(m.is_match for m in found.values()):
                break
        return sorted(found.values(), key=lambda m: (-m.similarity, m.work_id))[:limit]


class _ShortList(exact.FingerprintIndex):
    """The few works a search verifies: built for one search, so pictures stay as they are.

    Only a short list of works picked by their tones (*plain*) places a plain suspect by
    structure alone, as ``FingerprintIndex`` places it on the registry's works with the
    nearest tones: not on works the features voted for, which would repeat that costly
    step in every round.
    """

    PICTURE_COMPRESSION = 0

    def __init__(
        self, *, plain: bool, refines: int = REFINE_MOST, checked: _Checked | None = None
    ) -> None:
        super().__init__()
        self._by_tones = plain
        self._budget = refines
        self.REFINE_MOST = refines  # what the search's earlier rounds left
        self._checked = _Checked() if checked is None else checked

    @property
    def refines_left(self) -> int:
        """Refinements the search's later rounds may still make."""
        return self._budget if self._refines_left is None else self._refines_left

    def _plain_candidates(self, picture: NDArray[np.uint8], alive: NDArray[np.bool_]) -> list[int]:
        return super()._plain_candidates(picture, alive) if self._by_tones else []

    def _compared(
        self,
        picture: NDArray[np.uint8],
        work_frame: tuple[int, int],
        query: NDArray[np.uint8],
        query_frame: tuple[int, int],
        affine: NDArray[np.float64],
    ) -> structure.Agreement:
        key = (self._checked.key(picture, work_frame), affine.tobytes())
        agreement = self._checked.agreements.get(key)
        if agreement is None:
            agreement = super()._compared(picture, work_frame, query, query_frame, affine)
            self._checked.agreements[key] = agreement
        return agreement

    def _located(
        self,
        picture: NDArray[np.uint8],
        work_frame: tuple[int, int],
        query: NDArray[np.uint8],
        query_frame: tuple[int, int],
    ) -> structure.Located | None:
        key = self._checked.key(picture, work_frame)
        if key not in self._checked.placed:
            self._checked.placed[key] = super()._located(picture, work_frame, query, query_frame)
        return self._checked.placed[key]


class _Checked:
    """What one search learnt about structure pictures, by their content, for all its rounds.

    Works sharing a structure picture (an animator's near-identical frames, a template's
    copies) would each repeat the same ``structure.locate`` of a plain suspect, and the
    same ``structure.compare`` where PDQ places them alike: the query is the search's
    own, so the answer for one picture, frame and placement is the answer for all.
    """

    def __init__(self) -> None:
        self.agreements: dict[tuple[bytes, bytes], structure.Agreement] = {}
        self.placed: dict[bytes, structure.Located | None] = {}

    @staticmethod
    def key(picture: NDArray[np.uint8], work_frame: tuple[int, int]) -> bytes:
        digest = hashlib.blake2b(np.ascontiguousarray(picture).data, digest_size=16)
        digest.update(np.asarray([*picture.shape, *work_frame], np.int64).tobytes())
        return digest.digest()
