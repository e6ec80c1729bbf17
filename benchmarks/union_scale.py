"""A union's shared registry at millions of works: memory, speed, load and match quality.

The registry holds the development corpus (``../shared/corpus``) and half of
the match benchmark's Debian drawings (``benchmarks/match.py``), and is filled
up to ``--works`` with synthetic works, each derived from one of those
drawings: its PDQ hash with 30% of its bits flipped, its local features'
descriptors with 8% of their bits flipped and a third of them taken from
another drawing (so synthetic works share features the way drawings on one
template do, never uniform noise).  The other half of the drawings are held
out: any match they get is false (unless ``match.same_drawing`` finds the two
files one drawing).

It builds the two-tier index of ``artistshield.fingerprint.scale`` (the extra
``scale``: faiss-cpu), reopens it from disk, and measures:

* ``index_bytes``: resident memory the opened index adds (the in-memory tier);
* ``load_s``: opening the index files;
* ``search_s``: median processor time per suspect on one core (candidates and
  verification; the machine is shared, so wall-clock time is saved beside it as
  ``search_wall_s``, and the slowest search as ``search_max_s``, the slowest
  of the held-out drawings', which match nothing, as ``search_held_out_max_s``);
* for every attack of ``benchmarks/attacks.py`` on every corpus work, whether
  the work is found and declared a match, with the exact ``FingerprintIndex``
  over the real works alone beside it; and false matches among the held-out
  drawings, plain and attacked.

A synthetic work's full fingerprint is regenerated from its seed when a search
verifies it, instead of read from the memory-mapped store real works are read
from: writing ~8 KB for each of millions of synthetic works would not fit this
machine's disk.

    python benchmarks/union_scale.py --works 1000000 [--held-out 300] [--json OUT]

Saved as ``union_scale`` (``union_scale_<works>`` with ``--tag``).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import match as match_benchmark
from _results import Table, add_json_option, need_corpus, save
from attacks import ATTACKS

from artistshield.fingerprint import Fingerprint, FingerprintIndex, compute, compute_query, local
from artistshield.fingerprint import scale as scale_index

CACHE = Path(__file__).resolve().parent / "_cache"
PDQ_FLIP = 0.3
BIT_FLIP = 0.08
BORROWED = 1 / 3
SYNTHETIC = "synthetic-"


def rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def real_prints(distractors: int) -> tuple[dict[str, np.ndarray], dict[str, Fingerprint]]:
    """Pixels and fingerprints of the corpus and the drawings (fingerprints cached)."""
    corpus = match_benchmark.CORPUS
    pictures = {
        p.relative_to(corpus).as_posix(): match_benchmark.load(p)
        for p in sorted(corpus.glob("*.png")) + sorted(corpus.glob("frames/*.png"))
    }
    pictures.update(match_benchmark.load_distractors(distractors))
    prints: dict[str, Fingerprint] = {}
    for name, pixels in pictures.items():
        key = hashlib.sha256(pixels.tobytes()).hexdigest()[:24]
        cached = CACHE / "union_scale" / f"{key}.asfp"
        if cached.exists():
            prints[name] = Fingerprint.from_bytes(cached.read_bytes())
            continue
        prints[name] = compute(pixels)
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(prints[name].to_bytes())
    return pictures, prints


class SyntheticWorks:
    """Works derived from real drawings: a slot's fingerprint follows from its number."""

    def __init__(self, bases: list[Fingerprint], first_slot: int) -> None:
        self.bases = bases
        self.first = first_slot

    def fingerprint(self, slot: int) -> Fingerprint:
        number = slot - self.first
        rng = np.random.default_rng([number, 2026])
        base = self.bases[number % len(self.bases)]
        other = self.bases[(number * 7919 + 13) % len(self.bases)]
        # all eight hashes' flips in one draw: the same bits as eight draws, at a ninth of
        # the cost (a search regenerates a hundred works; a store would only read them)
        words = np.frombuffer(b"".join(base.pdq_hashes), np.uint8).reshape(len(base.pdq_hashes), -1)
        flipped = words ^ _random_bits(rng, words.shape, PDQ_FLIP)
        hashes = tuple(row.tobytes() for row in flipped)
        f = base.features
        descriptor = _flip_words(f.descriptor, BIT_FLIP, rng)
        borrowed = rng.random(len(descriptor)) < BORROWED
        if len(other.features):
            descriptor[borrowed] = rng.choice(other.features.descriptor, int(borrowed.sum()))
        features = local.Features(f.x, f.y, f.level, f.angle, descriptor, f.width, f.height)
        return Fingerprint(base.width, base.height, hashes, base.pdq_quality, features,
                           base.structure)  # fmt: skip

    def summaries(self, count: int, chunk: int = 1 << 16):
        """(pdq rows, tones rows, kept codes, their slots) for ``count`` works, a chunk at a time."""
        kept = [scale_index.kept_features(b.features) for b in self.bases]
        other_codes = [b.features.descriptor for b in self.bases]
        tones = [
            np.round(scale_index.exact._tones(b.structure) * 255).astype(np.uint8)
            if b.structure is not None
            else np.zeros(scale_index.exact._TONE_BINS, np.uint8)
            for b in self.bases
        ]
        pdq0 = np.stack([np.frombuffer(b.pdq, np.uint8) for b in self.bases])
        n = len(self.bases)
        rng = np.random.default_rng(5)
        for start in range(0, count, chunk):
            numbers = np.arange(start, min(count, start + chunk))
            base = numbers % n
            pdq_rows = pdq0[base] ^ _random_bits(rng, (len(numbers), 32), PDQ_FLIP)
            codes, slots = [], []
            for b in range(n):
                picked = numbers[base == b]
                if len(picked) == 0 or len(kept[b]) == 0:
                    continue
                k = len(kept[b])
                block = np.tile(kept[b], (len(picked), 1))
                block ^= _random_words(rng, block.shape, BIT_FLIP)
                borrowed = rng.random(block.shape) < BORROWED
                donor = other_codes[(b * 31 + 7) % n]
                if len(donor):
                    block[borrowed] = rng.choice(donor, int(borrowed.sum()))
                codes.append(block.ravel())
                slots.append(np.repeat(picked + self.first, k))
            yield (
                pdq_rows,
                np.stack([tones[b] for b in base]),
                np.concatenate(codes),
                np.concatenate(slots).astype(np.uint32),
            )


def _random_bits(rng: np.random.Generator, shape: tuple[int, ...], p: float) -> np.ndarray:
    # 16 random bits decide each bit: p to 1/65536, far faster than drawing floats
    count = int(np.prod(shape)) * 8
    draws = np.frombuffer(rng.bytes(2 * count), np.uint16).reshape(*shape, 8)
    bits = draws < round(p * 65536)
    return np.packbits(bits, axis=-1).reshape(shape)


def _random_words(rng: np.random.Generator, shape: tuple[int, ...], p: float) -> np.ndarray:
    return _random_bits(rng, (*shape, 8), p).view(np.uint64).reshape(shape)


def _flip_words(words: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    return words ^ _random_words(rng, words.shape, p)


class MixedStore:
    """Real works from the store on disk, synthetic ones regenerated from their slot."""

    def __init__(self, real: scale_index.FingerprintStore, synthetic: SyntheticWorks) -> None:
        self.real = real
        self.synthetic = synthetic

    def __len__(self) -> int:
        return len(self.real)

    def name(self, slot: int) -> str:
        if slot < self.synthetic.first:
            return self.real.name(slot)
        return f"{SYNTHETIC}{slot}"

    def fingerprint(self, slot: int) -> Fingerprint:
        if slot < self.synthetic.first:
            return self.real.fingerprint(slot)
        return self.synthetic.fingerprint(slot)


def measure_open(folder: Path) -> tuple[float, int]:
    """Seconds to open the index and the memory it adds, in a fresh process.

    A fresh one, because memory the build freed would be reused unseen here.
    """
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[2]); sys.path.insert(0, sys.argv[3]);"
        "import union_scale as u; from artistshield.fingerprint import scale;"
        "import faiss; before = u.rss(); start = time.perf_counter();"
        "index = scale.ScaleIndex.open(sys.argv[1]);"
        "print(time.perf_counter() - start, u.rss() - before)"
    )
    here = Path(__file__).resolve().parent
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(here), str(here.parent)],
        check=True, capture_output=True, text=True,
    )
    seconds, size = done.stdout.split()
    return float(seconds), int(size)


def build(folder: Path, works: int, real: dict[str, Fingerprint], bases: list[Fingerprint]) -> float:
    """Write the index of the real works and ``works - len(real)`` synthetic ones.

    The summaries are filled into arrays made once at their full size: lists of
    chunks joined at the end would hold everything twice.
    """
    start = time.perf_counter()
    index = scale_index.ScaleIndex(folder)
    bins = scale_index.exact._TONE_BINS
    pdq_rows = np.empty((works, 32), np.uint8)
    tone_rows = np.empty((works, bins), np.uint8)
    codes = np.empty(works * scale_index.FEATURES_PER_WORK, np.uint64)
    slots = np.empty(len(codes), np.uint32)
    filled = 0
    writer = scale_index.StoreWriter(folder)
    for name, fingerprint in real.items():
        slot = writer.add(name, fingerprint.to_bytes())
        pdq_rows[slot] = np.frombuffer(fingerprint.pdq, np.uint8)
        tone_rows[slot] = (
            np.round(scale_index.exact._tones(fingerprint.structure) * 255).astype(np.uint8)
            if fingerprint.structure is not None
            else 0
        )
        kept = scale_index.kept_features(fingerprint.features)
        codes[filled : filled + len(kept)] = kept
        slots[filled : filled + len(kept)] = slot
        filled += len(kept)
    writer.close()
    row = len(real)
    synthetic = SyntheticWorks(bases, len(real))
    for p, t, c, s in synthetic.summaries(works - len(real)):
        pdq_rows[row : row + len(p)] = p
        tone_rows[row : row + len(t)] = t
        row += len(p)
        codes[filled : filled + len(c)] = c
        slots[filled : filled + len(s)] = s
        filled += len(c)
        if row % (1 << 20) < len(p):
            _log(f"{row:,} of {works:,} works drawn, {time.perf_counter() - start:.0f} s")
    _log("writing the index files")
    index.write_summaries(pdq_rows[:row], tone_rows[:row], codes[:filled], slots[:filled])
    seconds = time.perf_counter() - start
    _log(f"index of {works:,} works written in {seconds:.0f} s")
    return seconds


def _log(line: str) -> None:
    """Progress of a long build, on stderr (a 10-million-work build takes half an hour)."""
    print(time.strftime("%H:%M:%S"), line, file=sys.stderr, flush=True)


def kept_or_built(folder: Path, works: int, real: dict[str, Fingerprint], bases: list[Fingerprint]) -> float:
    """Build the index into *folder*, or reuse the one a run with as many works left there.

    Returns the build's seconds (the reused build's, as it recorded them).
    """
    record = folder / "benchmark-build.json"
    if record.exists():
        kept = json.loads(record.read_text())
        if kept["works"] == works:
            _log(f"reusing the index in {folder}, built in {kept['build_s']:.0f} s")
            return float(kept["build_s"])
        sys.exit(f"{folder} holds an index of {kept['works']:,} works, not {works:,}.")
    if folder.exists() and any(folder.iterdir()):
        sys.exit(f"{folder} is not empty and holds no finished index; remove it first.")
    seconds = build(folder, works, real, bases)
    record.write_text(json.dumps({"works": works, "build_s": round(seconds, 1)}) + "\n")
    return seconds


def suspect(pixels: np.ndarray) -> Fingerprint:
    """The query fingerprint of *pixels*, cached: both indexes are asked the same."""
    key = hashlib.sha256(pixels.tobytes() + str(pixels.shape).encode()).hexdigest()[:24]
    cached = CACHE / "union_scale" / f"q-{key}.asfp"
    if cached.exists():
        return Fingerprint.from_bytes(cached.read_bytes())
    query = compute_query(pixels)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(query.to_bytes())
    return query


def rates(
    search, works: dict[str, np.ndarray], scored: list[str]
) -> tuple[dict[str, tuple[int, int]], list[float], list[float]]:
    """Per attack: (declared matches of the right work at top 1, copies searched); times.

    Times are this thread's processor time (one core, whatever else the machine
    runs) and wall-clock time.
    """
    found: dict[str, tuple[int, int]] = {}
    times: list[float] = []
    walls: list[float] = []
    for attack, function in ATTACKS.items():
        hit = total = 0
        for name in scored:
            copy = function(works[name])
            if match_benchmark.is_flat(copy):
                continue
            query = suspect(copy)
            start, wall = time.thread_time(), time.perf_counter()
            matches = search(query)
            times.append(time.thread_time() - start)
            walls.append(time.perf_counter() - wall)
            total += 1
            hit += bool(matches and matches[0].work_id == name and matches[0].is_match)
        found[attack] = (hit, total)
    return found, times, walls


def false_matches(
    search, held_out: dict[str, np.ndarray], pictures, attacked: int
) -> tuple[int, int, list[str], dict[str, float]]:
    """Held-out drawings (plain, and the first *attacked* under every attack) that match.

    Also returns each search's processor time by suspect: one that matches nothing
    verifies every round, so these are the slowest searches.
    """
    false = searched = 0
    listing: list[str] = []
    times: dict[str, float] = {}
    queries = list(held_out.items())
    queries += [
        (f"{attack}({name})", function(pixels))
        for name, pixels in list(held_out.items())[:attacked]
        for attack, function in ATTACKS.items()
    ]
    for where, pixels in queries:
        searched += 1
        name = where.split("(", 1)[-1].rstrip(")")
        query = suspect(pixels)
        start = time.thread_time()
        matches = search(query)
        times[where] = time.thread_time() - start
        for m in matches:
            if not m.is_match:
                continue
            if not m.work_id.startswith(SYNTHETIC) and match_benchmark.same_drawing(
                held_out[name], pictures[m.work_id]
            ):
                continue
            false += 1
            listing.append(f"{where} -> {m.work_id}")
            break
    return false, searched, listing, times


def extrapolate(target: int, names: list[str]) -> None:
    """Fit measured runs linearly in the number of works and save the figures at *target*.

    Labelled as an extrapolation everywhere it is shown: memory, files and load
    grow with the works kept; search time is a fixed part (verification) plus a
    part that grows with the bucket sizes of the hash index.
    """
    from _results import load

    records = [r for r in (load(n) for n in names) if r is not None]
    records = [r for r in records if r["figures"]["works"] < target]  # measured there: no need
    if len(records) < 2:
        sys.exit(f"Extrapolating needs two saved runs of {', '.join(names)}.")
    works = np.array([r["figures"]["works"] for r in records], float)
    table = Table(
        f"EXTRAPOLATED to {target:,} works from runs at "
        f"{', '.join(f'{int(w):,}' for w in works)} (a straight line through the measured points)",
        ["figure", *[f"measured at {int(w):,}" for w in works], f"extrapolated to {target:,}", "target"],
    )
    figures: dict[str, object] = {"works": target, "extrapolated_from": [int(w) for w in works]}
    targets = {"index_bytes": "<= 8 GB", "load_s": "<= 300 s", "search_s": "<= 1 s"}
    for key, form in (("index_bytes", "{:.2f} GiB"), ("index_file_bytes", "{:.2f} GiB"),
                      ("load_s", "{:.1f} s"), ("build_s", "{:.0f} s"), ("search_s", "{:.3f} s"),
                      ("search_max_s", "{:.3f} s")):
        values = np.array([r["figures"][key] for r in records], float)
        slope, intercept = np.polyfit(works, values, 1)
        value = float(slope * target + intercept)
        figures[key] = value
        scale_ = 2**30 if key.endswith("bytes") else 1
        table.add(key, *[form.format(v / scale_) for v in values], form.format(value / scale_),
                  targets.get(key, ""))
    table.print()
    save(
        "union_scale_extrapolated",
        tables=[table],
        figures=figures,
        notes=[f"EXTRAPOLATED, not measured: a {target:,}-work index was not built on this "
               "shared 2-core machine.  Match rates are not extrapolated; see the measured runs."],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extrapolate", type=int, default=None, metavar="WORKS",
                        help="instead of measuring, fit the saved union_scale_<works> runs and "
                        "save figures at WORKS, labelled as extrapolated")
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--distractors", type=int, default=600,
                        help="Debian drawings drawn; half registered, half held out")
    parser.add_argument("--attacked", type=int, default=20,
                        help="held-out drawings also searched under every attack")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to write the index (a temporary folder by default)")
    parser.add_argument("--index", type=Path, default=None,
                        help="build the index into this folder and keep it; a later run with "
                        "as many works searches it again without building")
    parser.add_argument("--tag", action="store_true", help="save as union_scale_<works>")
    add_json_option(parser)
    args = parser.parse_args()
    if args.extrapolate is not None:
        from _results import RESULTS

        runs = sorted(RESULTS.glob("union_scale_[0-9]*.json"), key=lambda p: int(p.stem[12:]))
        extrapolate(args.extrapolate, [p.stem for p in runs])
        return
    need_corpus("benchmarks/union_scale.py")
    if not scale_index.available():
        sys.exit("union_scale needs the scale extra: pip install 'artistshield[scale]'.")

    pictures, prints = real_prints(args.distractors)
    corpus = [n for n in pictures if not n.startswith(tuple(match_benchmark.PACKAGES)) and "#" not in n]
    drawings = [n for n in pictures if n not in corpus]
    registered_drawings, held_names = drawings[0::2], drawings[1::2]
    real = {n: prints[n] for n in corpus + registered_drawings}
    held_out = {n: pictures[n] for n in held_names}
    scored = [n for n in corpus if not match_benchmark.is_blank(prints[n])]
    bases = [prints[n] for n in registered_drawings if len(prints[n].features)]

    with contextlib.ExitStack() as scratch:
        if args.index is not None:
            folder = args.index
        else:
            folder = Path(scratch.enter_context(tempfile.TemporaryDirectory(dir=args.folder))) / "index"
        # the build first: at ten million works it is most of the run
        build_s = kept_or_built(folder, args.works, real, bases)
        exact = FingerprintIndex()
        for name, fingerprint in real.items():
            exact.add(name, fingerprint)
        _log("searching the exact index")
        exact_found, exact_times, _ = rates(lambda q: exact.search(q), pictures, scored)
        exact_false, searched, _exact_listing, _ = false_matches(
            lambda q: exact.search(q), held_out, pictures, args.attacked
        )
        _log("searching the scale index")
        size = sum(p.stat().st_size for p in folder.iterdir() if p.name != "benchmark-build.json")
        load_s, index_bytes = measure_open(folder)
        index = scale_index.ScaleIndex.open(folder)
        index._store = MixedStore(index._store, SyntheticWorks(bases, len(real)))  # type: ignore[arg-type]
        found, times, walls = rates(lambda q: index.search(q), pictures, scored)
        false, _, listing, held_times = false_matches(
            lambda q: index.search(q), held_out, pictures, args.attacked
        )
        works = len(index)

    search_s = statistics.median(times)
    slowest = max(held_times, key=held_times.__getitem__)
    attacks = Table(
        f"{len(scored)} corpus works under attack, found among {works:,} works",
        ["attack", "exact index, real works only", f"scale index, {works:,} works"],
    )
    for attack in ATTACKS:
        (eh, et), (h, t) = exact_found[attack], found[attack]
        attacks.add(attack, f"{eh}/{et}", f"{h}/{t}")
    total = sum(t for _, t in found.values())
    hits = sum(h for h, _ in found.values())
    exact_hits = sum(h for h, _ in exact_found.values())
    summary = Table(f"Scale index at {works:,} works (one core)", ["measure", "result"])
    summary.add("works", f"{works:,} ({len(real)} real, the rest synthetic)")
    summary.add("index_bytes (resident after opening)", f"{index_bytes / 2**30:.2f} GiB")
    summary.add("index files on disk", f"{size / 2**30:.2f} GiB")
    summary.add("load_s (open the index files)", f"{load_s:.1f} s")
    summary.add("build", f"{build_s:.0f} s")
    summary.add("search_s (median per suspect, processor time of one core)", f"{search_s * 1000:.0f} ms "
                f"(exact index over {len(real)} works: {statistics.median(exact_times) * 1000:.0f} ms)")
    summary.add("slowest search (attacked copies; held-out drawings)",
                f"{max(times) * 1000:.0f} ms; {held_times[slowest] * 1000:.0f} ms ({slowest})")
    summary.add("attacked copies found (all attacks)", f"{hits}/{total} (exact index: {exact_hits}/{total})")
    summary.add("false matches, held-out drawings", f"{false} of {searched} searches "
                f"(exact index: {exact_false})")
    for table in (attacks, summary):
        table.print()
        print()
    for line in listing:
        print("  false:", line)
    figures = {
        "works": works,
        "search_s": round(search_s, 4),
        "search_wall_s": round(statistics.median(walls), 4),
        "search_max_s": round(max(times), 4),
        "search_held_out_max_s": round(held_times[slowest], 4),
        "index_bytes": index_bytes,
        "index_file_bytes": size,
        "load_s": round(load_s, 2),
        "build_s": round(build_s, 1),
        "found": hits,
        "found_exact": exact_hits,
        "copies": total,
        "false_matches": false,
        "false_matches_exact": exact_false,
        "searched_held_out": searched,
        "features_per_work": scale_index.FEATURES_PER_WORK,
    }
    save(
        f"union_scale_{works}" if args.tag else "union_scale",
        tables=[attacks, summary],
        figures=figures,
        notes=[
            "Synthetic works' fingerprints are regenerated from their seed when verified, "
            "not read from disk; real works' are read from the memory-mapped store.",
            *[f"False match: {line}" for line in listing],
            f"Slowest held-out search: {slowest}, {held_times[slowest] * 1000:.0f} ms.",
        ],
        path=args.json,
    )


if __name__ == "__main__":
    main()
