"""How well fingerprints find a registered work again, and how fast.

Registers the development corpus (``../shared/corpus``) together with several
hundred unrelated drawings from Debian's ``openclipart-png``,
``tuxpaint-stamps-default`` and ``hedgewars-data`` packages, which it
downloads once into ``benchmarks/_cache/`` (``apt-get download``, never
committed).  Every attack of ``benchmarks/attacks.py`` is applied to every
corpus work and the copy is searched for; distractors, plain and attacked, are
searched for with themselves held out of the index, so any match they get is a
false positive, unless the two files are one drawing by their pixels alone
(``same_drawing``: same proportions and the same lines, only other colours) or
a person looked at the pair and judged it one drawing
(``same_drawing_reviewed.tsv``, each entry saying what was seen); both are
counted and listed apart.  An attacked copy that is one flat colour
(a crop of an empty sky) holds nothing to find and is not scored; those are
counted too.  A transparent work or distractor is indexed as the registry
stores it: fingerprinted over white and over black.  Prints one table.

    python benchmarks/match.py [--distractors 600] [--attacked-distractors 60] [--calibration]
        [--json PATH]

Without ``../shared/corpus`` (beside the repository, not part of it) it exits
with one sentence.  Saved as ``match`` (``match_calibration`` with
``--calibration``).

Thresholds are set with ``--calibration``: another draw of drawings from the
same packages, none of the reported ones.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _results import Table, add_json_option, need_corpus, save
from attacks import ATTACKS

from artistshield.fingerprint import (
    Fingerprint,
    FingerprintIndex,
    Match,
    compute,
    compute_query,
    local,
)
from artistshield.fingerprint.compute import flatten
from artistshield.registry.ingest import is_transparent

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
CACHE = Path(__file__).resolve().parent / "_cache"
PACKAGES = {"openclipart-png": 0.6, "tuxpaint-stamps-default": 0.25, "hedgewars-data": 0.15}
"""Debian packages of drawings, with the share of distractors taken from each."""
TARGETS = {"rot15": 0.80, "regen_stand_in": None}
"""Attacks whose target is not 95% (None: report only)."""
MIN_SIDE = 128
MAX_SIDE = 4096


def unpack(package: str) -> Path:
    """Download and unpack a Debian package into the cache, once."""
    target = CACHE / package
    if target.is_dir() and any(target.iterdir()):
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    debs = list(CACHE.glob(f"{package}_*.deb"))
    if not debs:
        command = ["apt-get", "download", package]
        if subprocess.run(command, cwd=CACHE, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(command, cwd=CACHE, check=True)
        debs = list(CACHE.glob(f"{package}_*.deb"))
    target.mkdir(exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(target)], check=True)
    return target


def load(path: Path, over_black: dict[str, np.ndarray] | None = None, name: str = "") -> np.ndarray:
    """RGB pixels, alpha composited over white.

    A transparent picture is also put, over black, in *over_black* under
    *name*: the registry fingerprints it both ways (see ``registry.ingest``).
    """
    with Image.open(path) as image:
        rgba = np.asarray(image.convert("RGBA"))
    if over_black is not None and is_transparent(rgba):
        over_black[name] = flatten(rgba, 0)
    return flatten(rgba)


TEST_SEED, CALIBRATION_SEED = 7, 99
"""The draw of distractors reported, and another one to set thresholds on."""


def distractor_files(
    total: int, *, seed: int = TEST_SEED, exclude: frozenset[Path] = frozenset()
) -> Iterator[Path]:
    """A fixed, shuffled selection of drawings from each package (large enough ones)."""
    rng = np.random.default_rng(seed)
    for package, share in PACKAGES.items():
        files = sorted(unpack(package).rglob("*.png"))
        order = rng.permutation(len(files))
        wanted, taken = round(total * share), 0
        for index in order:
            if taken >= wanted:
                break
            if files[index] in exclude:
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                    image = Image.open(files[index])
                with image:
                    if min(image.size) < MIN_SIDE or max(image.size) > MAX_SIDE:
                        continue
            except (OSError, Image.DecompressionBombError):
                continue
            taken += 1
            yield files[index]


def load_distractors(
    total: int, *, calibration: bool = False, over_black: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """Distractors by name, exact duplicates (same pixels) dropped.

    ``calibration`` draws others from the same packages, none of the reported
    ones.  Transparent ones also go, over black, into *over_black*.
    """
    files = distractor_files(total)
    if calibration:
        files = distractor_files(
            total, seed=CALIBRATION_SEED, exclude=frozenset(distractor_files(total))
        )
    seen: set[str] = set()
    pictures: dict[str, np.ndarray] = {}
    for path in files:
        name = f"{path.parent.name}/{path.name}#{len(pictures)}"
        pixels = load(path, over_black, name)
        digest = hashlib.sha256(pixels.tobytes()).hexdigest()
        if digest in seen:
            if over_black is not None:
                over_black.pop(name, None)
            continue
        seen.add(digest)
        pictures[name] = pixels
    return pictures


def is_blank(fingerprint: Fingerprint) -> bool:
    """Nothing to recognise: a flat picture (e.g. white art on transparency, over white)."""
    return fingerprint.pdq_quality == 0 and len(fingerprint.features) == 0


def is_flat(pixels: np.ndarray) -> bool:
    """One colour everywhere: nothing in it could tell one work from another."""
    return bool((pixels == pixels[:1, :1]).all())


SAME_SIDE = 256
"""Both files are compared at this longer side."""
SAME_EDGE = (16, 0.3)
"""A colour change between neighbours (0-255, largest channel) is a line from this much,
or from this share of the file's strongest changes (its 99th percentile) if more: a
darker recolouring has weaker lines in the same places."""
SAME_SHARE = 0.95
"""Share of each file's lines that must lie within a pixel of the other's."""


def _lines(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    small = np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BOX), np.int16)
    across = np.abs(np.diff(small, axis=1)).max(axis=2)
    down = np.abs(np.diff(small, axis=0)).max(axis=2)
    changes = np.concatenate([across.ravel(), down.ravel()])
    floor, share = SAME_EDGE
    threshold = max(floor, share * float(np.percentile(changes, 99)))
    across, down = across >= threshold, down >= threshold
    lines = np.zeros(small.shape[:2], bool)
    lines[:, 1:] |= across
    lines[1:, :] |= down
    return lines


def same_drawing(first: np.ndarray, second: np.ndarray) -> bool:
    """One drawing in two files, judged from pixels alone (never by the matcher).

    Cut to their content (what differs from the canvas colour), same proportions
    (within 2%) and, at a common size, the same lines where colour changes: at
    least 95% of each file's lines within one pixel of the other's, or each
    file's colours predicting the other's (``_recoloured``), as is or turned or
    mirrored; or the smaller file is a part of the larger one
    (``_is_crop``).  A recoloured, resized, mirrored, quarter-turned or cropped
    copy passes; another symbol in the same frame adds or moves lines and does
    not.
    """
    first, second = _content(first), _content(second)
    for turns in range(4):
        for turned in (np.rot90(second, turns), np.rot90(second, turns)[:, ::-1]):
            if _same_lines(first, turned) or _recoloured(first, turned):
                return True
    small, large = sorted((first, second), key=lambda p: p.shape[0] * p.shape[1])
    return _is_crop(small, large)


CROP_SCALES = np.geomspace(0.25, 1.0, 48)
"""Sizes, as a share of the larger file's longer side, tried for the smaller file."""


def _is_crop(small: np.ndarray, large: np.ndarray) -> bool:
    """The smaller file is a part of the larger one (resized, maybe recoloured).

    At some size and place, 95% of the smaller file's lines lie within a pixel
    of the larger's, and 95% of the larger's lines under it within a pixel of
    the smaller's: nothing added, nothing taken away, inside its outline.
    """
    factor = SAME_SIDE / max(large.shape[:2])
    size = (max(8, round(large.shape[1] * factor)), max(8, round(large.shape[0] * factor)))
    b = _lines(large, size)
    near_b = ndimage.binary_dilation(b)
    spectrum = np.fft.rfft2(near_b.astype(np.float64))
    for scale in CROP_SCALES:
        k = scale * SAME_SIDE / max(small.shape[:2])
        w, h = round(small.shape[1] * k), round(small.shape[0] * k)
        if min(w, h) < 16 or w > size[0] or h > size[1]:
            continue
        a = _lines(small, (w, h))
        if a.sum() < 16:
            continue
        kernel = np.zeros(near_b.shape)
        kernel[:h, :w] = a[::-1, ::-1]
        hits = np.fft.irfft2(spectrum * np.fft.rfft2(kernel), s=near_b.shape)
        # hits[y, x]: lines of ``a`` placed with its corner at (y - h + 1, x - w + 1)
        hits = hits[h - 1 :, w - 1 :]
        y, x = np.unravel_index(int(np.argmax(hits)), hits.shape)
        if hits[y, x] < SAME_SHARE * a.sum() - 0.5:
            continue
        under = b[y : y + h, x : x + w]
        if (
            under.sum() >= 16
            and (under & ndimage.binary_dilation(a)).sum() >= SAME_SHARE * under.sum()
        ):
            return True
    return False


def _content(pixels: np.ndarray) -> np.ndarray:
    """The picture cut to the box around everything unlike its corner colour (the canvas)."""
    canvas = pixels[0, 0].astype(np.int16)
    differs = np.abs(pixels.astype(np.int16) - canvas).max(axis=2) > 8
    if not differs.any():
        return pixels
    rows, cols = np.nonzero(differs.any(axis=1))[0], np.nonzero(differs.any(axis=0))[0]
    return pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


RECOLOURED = 0.95
"""Share of each file's colour variance that the other file's colour at the same pixel
explains, for a recolouring (each colour replaced by another, everywhere the same)..."""
RECOLOURED_SPOT = 1.0
"""...with nowhere a spot (3 px around, at 256 px) left unexplained by more than the
average variance."""


def _common_size(first: np.ndarray, second: np.ndarray) -> tuple[int, int] | None:
    """The (width, height) both pictures are compared at, or None if their shapes differ."""
    (h1, w1), (h2, w2) = first.shape[:2], second.shape[:2]
    if min(h1, w1, h2, w2) < 8 or abs(w1 / h1 - w2 / h2) > 0.02 * (w1 / h1):
        return None
    factor = SAME_SIDE / max(h1, w1)
    return max(8, round(w1 * factor)), max(8, round(h1 * factor))


def _recoloured(first: np.ndarray, second: np.ndarray) -> bool:
    """One picture with its colours replaced: the colour of one predicts the other's."""
    second = np.ascontiguousarray(second)
    size = _common_size(first, second)
    if size is None:
        return False
    a, b = (
        np.asarray(Image.fromarray(p).resize(size, Image.Resampling.BOX), np.float64).reshape(
            -1, 3
        )
        for p in (first, second)
    )
    shape = (size[1], size[0])
    return all(
        share >= RECOLOURED and spot <= RECOLOURED_SPOT
        for share, spot in (_explains(a, b, shape), _explains(b, a, shape))
    )


def _explains(given: np.ndarray, other: np.ndarray, shape: tuple[int, int]) -> tuple[float, float]:
    """How well ``given``'s colour (32 levels a channel) predicts ``other``'s at each pixel.

    The share of ``other``'s colour variance explained, and the worst spot (the
    unexplained variance around one place, over the average variance): a small
    symbol changed in the same frame leaves a spot a global share hides.
    """
    bins = (given // 8).astype(np.int64) @ np.array([1024, 32, 1])
    deviation = ((other - other.mean(axis=0)) ** 2).sum(axis=1)
    if deviation.mean() < 1e-6:
        return 0.0, float("inf")
    _, inverse, counts = np.unique(bins, return_inverse=True, return_counts=True)
    residual = np.zeros(len(other))
    for channel in range(3):
        means = np.bincount(inverse, other[:, channel]) / counts
        residual += (other[:, channel] - means[inverse]) ** 2
    spot = ndimage.gaussian_filter(residual.reshape(shape), 3.0).max() / deviation.mean()
    return 1.0 - residual.sum() / deviation.sum(), float(spot)


def _same_lines(first: np.ndarray, second: np.ndarray) -> bool:
    second = np.ascontiguousarray(second)
    size = _common_size(first, second)
    if size is None:
        return False
    a, b = _lines(first, size), _lines(second, size)
    if a.sum() < 16 or b.sum() < 16:  # no lines to compare: only near-identical pixels
        small = [np.asarray(Image.fromarray(p).resize(size, Image.Resampling.BOX), np.float64)
                 for p in (first, second)]  # fmt: skip
        return bool(np.abs(small[0] - small[1]).mean() < 4.0)
    near_a, near_b = ndimage.binary_dilation(a), ndimage.binary_dilation(b)
    return bool((a & near_b).sum() >= SAME_SHARE * a.sum()) and bool(
        (b & near_a).sum() >= SAME_SHARE * b.sum()
    )


REVIEWED = Path(__file__).resolve().parent / "same_drawing_reviewed.tsv"
"""Distractor pairs a person looked at and judged one drawing that ``same_drawing`` misses."""


def bare(name: str) -> str:
    """A distractor's folder and file name, without the draw's ``#index``."""
    return name.split("#")[0]


def reviewed_pairs() -> dict[tuple[str, str], str]:
    """The reviewed pairs (sorted bare names) and why each is one drawing."""
    pairs: dict[tuple[str, str], str] = {}
    for line in REVIEWED.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, second, why = line.split("\t")
        pairs[tuple(sorted((first, second)))] = why  # type: ignore[index]
    return pairs


#: The name suffix of a transparent picture's second fingerprint, over black.
OVER_BLACK = "|over-black"


def query(index: FingerprintIndex, pixels: np.ndarray) -> list[Match]:
    """The best three works, one answer per work (a transparent one has two prints)."""
    best: dict[str, Match] = {}
    for m in index.search(compute_query(pixels), limit=6):
        name = m.work_id.removesuffix(OVER_BLACK)
        if name not in best:
            best[name] = dataclasses.replace(m, work_id=name)
    return list(best.values())[:3]


def index_add(index: FingerprintIndex, prints: dict[str, Fingerprint], name: str) -> None:
    """Index *name*'s fingerprint, and its fingerprint over black if it has one."""
    for key in (name, name + OVER_BLACK):
        if key in prints:
            index.add(key, prints[key])


def index_remove(index: FingerprintIndex, prints: dict[str, Fingerprint], name: str) -> None:
    for key in (name, name + OVER_BLACK):
        if key in prints:
            index.remove(key)


class Worst:
    """The strongest evidence ever seen for a wrong work, to show the margin."""

    def __init__(self) -> None:
        self.similarity = 0.0
        self.where = ""

    def see(self, matches: list[Match], right: str | None, where: str) -> None:
        for match in matches:
            if match.work_id != right and match.similarity > self.similarity:
                self.similarity, self.where = match.similarity, f"{where} -> {match.work_id}"


def synthetic_index(count: int, rng: np.random.Generator) -> FingerprintIndex:
    """An index of ``count`` random fingerprints shaped like real ones."""
    index = FingerprintIndex()
    n = 256
    for i in range(count):
        features = local.Features(
            x=rng.uniform(0, 639, n).astype(np.float32),
            y=rng.uniform(0, 479, n).astype(np.float32),
            level=rng.integers(0, 7, n).astype(np.uint8),
            angle=rng.uniform(-np.pi, np.pi, n).astype(np.float32),
            descriptor=rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2)
            + rng.integers(0, 2, n, dtype=np.uint64),
            width=640,
            height=480,
        )
        hashes = tuple(rng.bytes(32) for _ in range(8))
        index.add(f"synthetic-{i}", Fingerprint(640, 480, hashes, 80, features))
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--distractors", type=int, default=600)
    parser.add_argument("--attacked-distractors", type=int, default=60)
    parser.add_argument("--scale", type=int, default=100_000, help="works in the timing index")
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="use the calibration draw of distractors (thresholds are set on it, not on the "
        "reported one)",
    )
    add_json_option(parser)
    args = parser.parse_args()
    need_corpus("benchmarks/match.py")

    over_black: dict[str, np.ndarray] = {}
    works = {
        path.relative_to(CORPUS).as_posix(): load(path, over_black, path.relative_to(CORPUS).as_posix())
        for path in sorted(CORPUS.glob("*.png")) + sorted(CORPUS.glob("frames/*.png"))
    }
    distractors = load_distractors(
        args.distractors, calibration=args.calibration, over_black=over_black
    )
    index = FingerprintIndex()
    prints: dict[str, Fingerprint] = {}
    for name, pixels in {**works, **distractors}.items():
        prints[name] = compute(pixels)
        if name in over_black:  # registered both ways, as the registry does
            prints[name + OVER_BLACK] = compute(over_black[name])
        index_add(index, prints, name)
    blank = [name for name in works if is_blank(prints[name])]
    scored = [name for name in works if name not in blank]
    worst = Worst()

    rows: list[tuple[str, str, str, str]] = []
    short: list[str] = []
    flat_copies: list[str] = []
    for attack, function in ATTACKS.items():
        top1 = declared = total = 0
        for name in scored:
            copy = function(works[name])
            if is_flat(copy):
                flat_copies.append(f"{attack}({name})")
                continue
            total += 1
            matches = query(index, copy)
            worst.see(matches, name, f"{attack}({name})")
            if matches and matches[0].work_id == name:
                top1 += 1
                declared += matches[0].is_match
        target = TARGETS.get(attack, 0.95)
        rate = declared / max(1, total)
        note = "report" if target is None else f">= {target:.0%}"
        if target is not None and rate < target:
            note += "  SHORT"
            short.append(attack)
        rows.append((attack, f"{top1}/{total}", f"{declared}/{total} {rate:.0%}", note))

    # Any match a held-out distractor gets is counted as false, unless the two
    # files are one drawing by their pixels (``same_drawing``); those are
    # counted apart.  Every pair is listed for review.
    listing: list[str] = []
    pictures = {**works, **distractors}
    same_pairs: set[tuple[str, str]] = set()

    false_pairs: set[tuple[str, str]] = set()
    verdicts: dict[tuple[str, str], bool] = {}
    reviewed = reviewed_pairs()
    seen_reviewed: set[tuple[str, str]] = set()

    def tally(where: str, name: str, matches: list[Match]) -> tuple[bool, bool]:
        """(a false positive, a match only with the same drawing in another file)."""
        false = False
        for m in matches:
            if (name, m.work_id) not in verdicts:
                verdicts[name, m.work_id] = same_drawing(distractors[name], pictures[m.work_id])
            pair = tuple(sorted((name, m.work_id)))
            by_eye = tuple(sorted((bare(name), bare(m.work_id)))) in reviewed
            same = verdicts[name, m.work_id] or by_eye
            if verdicts[name, m.work_id]:
                same_pairs.add(pair)  # type: ignore[arg-type]
                kind = "same drawing"
            elif by_eye:
                seen_reviewed.add(pair)  # type: ignore[arg-type]
                kind = "reviewed: one drawing"
            else:
                false_pairs.add((name, m.work_id))
                kind = "FALSE"
            false |= not same
            listing.append(f"{where}\t{m.work_id}\t{m.method}\t{m.similarity:.3f}\t{kind}")
        return false, bool(matches) and not false

    false_plain = same_plain = 0
    for name, pixels in distractors.items():
        index_remove(index, prints, name)
        found = query(index, pixels)
        matches = [m for m in found if m.is_match]
        false, same = tally(name, name, matches)
        false_plain += false
        same_plain += same
        worst.see(
            [m for m in found if not m.is_match or (name, m.work_id) in false_pairs], None, name
        )
        index_add(index, prints, name)
    false_attacked = same_attacked = searched = 0
    for name in list(distractors)[: args.attacked_distractors]:
        index_remove(index, prints, name)
        for attack, function in ATTACKS.items():
            matches = [m for m in query(index, function(distractors[name])) if m.is_match]
            false, same = tally(f"{attack}({name})", name, matches)
            false_attacked += false
            same_attacked += same
            searched += 1
        index_add(index, prints, name)
    CACHE.mkdir(exist_ok=True)
    (CACHE / "false_positives.tsv").write_text(
        "query\tmatched\tmethod\tsimilarity\tverdict\n" + "\n".join(listing) + "\n"
    )

    # Timing: one core, a 1920x1080 picture and a search among many works.
    picture = np.asarray(Image.fromarray(works["painted-bridge.png"]).resize((1920, 1080)))
    compute(picture)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        compute(picture)
        times.append(time.perf_counter() - start)
    fingerprint_time = float(np.median(times))
    # A suspect too plain for features is placed by structure alone (slower).
    plain = compute_query(ATTACKS["crop50"](works["flat-futureprototype.png"]))
    times = []
    for _ in range(3):
        start = time.perf_counter()
        index.search(plain)
        times.append(time.perf_counter() - start)
    plain_time = float(np.median(times))
    big = synthetic_index(args.scale, np.random.default_rng(1))
    for name in scored:
        big.add(name, prints[name])
    suspect = compute_query(ATTACKS["crop80_scale0.7_jpeg70"](works["painted-hills.png"]))
    start = time.perf_counter()
    first = big.search(suspect)
    build_time = time.perf_counter() - start
    times = []
    for _ in range(10):
        start = time.perf_counter()
        found = big.search(suspect)
        times.append(time.perf_counter() - start)
    search_time = float(np.median(times))
    found_right = bool(found and found[0].work_id == "painted-hills.png" and found[0].is_match)
    del first

    width = 26
    print(
        f"Fingerprint matching: {len(scored)} corpus works (+{len(blank)} blank: {', '.join(blank) or '-'}),"
    )
    print(f"{len(distractors)} distractors registered ({', '.join(PACKAGES)}).")
    print()
    print(f"{'attack':{width}} {'top-1':>7} {'declared match':>15}  target")
    print("-" * (width + 36))
    for attack, top1_text, declared_text, note in rows:
        print(f"{attack:{width}} {top1_text:>7} {declared_text:>15}  {note}")
    print("-" * (width + 36))
    print(
        f"{'false positives, distractors held out':{width}}  {false_plain} of {len(distractors)} "
        f"searches (+{same_plain} matched only the same drawing in another file)"
    )
    print(
        f"{'false positives, attacked distractors':{width}}  {false_attacked} of {searched} "
        f"searches (+{same_attacked} matched only the same drawing in another file)"
    )
    print(
        f"{'':{width}}  same drawing by pixels (recoloured or resized; not false): "
        f"{len(same_pairs)} pair(s)"
    )
    for first, second in sorted(same_pairs):
        print(f"{'':{width}}    {first} = {second}")
    print(
        f"{'':{width}}  one drawing by eye ({REVIEWED.name}; not false): "
        f"{len(seen_reviewed)} pair(s)"
    )
    for first, second in sorted(seen_reviewed):
        why = reviewed[tuple(sorted((bare(first), bare(second))))]  # type: ignore[index]
        print(f"{'':{width}}    {first} = {second}: {why}")
    if flat_copies:
        print(f"{'':{width}}  not scored, the copy is one flat colour: {', '.join(flat_copies)}")
    print(f"{'':{width}}  pairs listed in {(CACHE / 'false_positives.tsv').relative_to(ROOT)}")
    print(f"{'strongest wrong similarity':{width}}  {worst.similarity:.3f} ({worst.where})")
    print(
        f"{'fingerprint 1920x1080':{width}}  {fingerprint_time * 1000:.0f} ms (median of 5, one core)"
    )
    print(
        f"{'search at ' + format(len(big), ','):{width}}  {search_time * 1000:.0f} ms "
        f"(median of 10; first search with index build {build_time:.1f} s; "
        f"right work found: {found_right})"
    )
    print(
        f"{'plain suspect, ' + format(len(index), ',') + ' works':{width}}  "
        f"{plain_time * 1000:.0f} ms (median of 3; crop50 of flat-futureprototype.png, "
        "placed by structure alone)"
    )
    if short:
        print(f"Short of target: {', '.join(short)}")

    attacks = Table(
        f"{len(scored)} corpus works among {len(distractors)} registered distractors",
        ["attack", "top-1", "declared match", "target"],
    )
    for row in rows:
        attacks.add(*row)
    summary = Table("False positives and speed", ["measure", "result"])
    summary.add("false positives, distractors held out",
                f"{false_plain} of {len(distractors)} searches (+{same_plain} matched only the "
                "same drawing in another file)")
    summary.add("false positives, attacked distractors",
                f"{false_attacked} of {searched} searches (+{same_attacked} matched only the "
                "same drawing in another file)")
    summary.add("same drawing by pixels (not false)", f"{len(same_pairs)} pairs")
    summary.add("one drawing by eye (not false)", f"{len(seen_reviewed)} pairs, in {REVIEWED.name}")
    summary.add("strongest wrong similarity", f"{worst.similarity:.3f} ({worst.where})")
    summary.add("fingerprint 1920x1080", f"{fingerprint_time * 1000:.0f} ms (median of 5, one core)")
    summary.add(f"search at {len(big):,} works", f"{search_time * 1000:.0f} ms (median of 10)")
    summary.add(f"plain suspect, {len(index):,} works",
                f"{plain_time * 1000:.0f} ms (median of 3; crop50 of flat-futureprototype.png)")
    notes = [f"Not scored, the copy is one flat colour: {', '.join(flat_copies)}."] if flat_copies else []
    if short:
        notes.append(f"Short of target: {', '.join(short)}.")
    save(
        "match_calibration" if args.calibration else "match",
        tables=[attacks, summary],
        figures={"false_plain": false_plain, "false_attacked": false_attacked,
                 "searched_plain": len(distractors), "searched_attacked": searched,
                 "fingerprint_ms": round(fingerprint_time * 1000, 1),
                 "search_ms": round(search_time * 1000, 1)},
        notes=notes,
        path=args.json,
    )


if __name__ == "__main__":
    main()
