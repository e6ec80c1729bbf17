"""How long `check` takes, how often it attributes attacked copies, and false attributions.

    python benchmarks/check_speed.py speed [--works 10000] [--json PATH]
    python benchmarks/check_speed.py attribution [--json PATH]
    python benchmarks/check_speed.py false [--count 500] [--json PATH]

``speed``: a 1920x1080 suspect through ``check_file`` with the SD, C2PA and
metadata checks on, plus a search of a FingerprintIndex of *works* entries
(fingerprints of the cached Debian drawings, repeated under new ids to reach
the count), on one core (``OMP_NUM_THREADS=1``, ``taskset`` when present).
``attribution``: every ``../shared/corpus`` work is marked and registered,
flattened over white (and, in one row, over black) as a platform would, put
through every attack of ``benchmarks/attacks.py`` and checked; prints the
rate each attack is attributed to the right work by the mark alone, the
registry match alone, and the two together.  ``false``: unrelated Debian
drawings checked against that registry; any "this is your work" is false.

``attribution`` and ``false`` read ``../shared/corpus`` (beside the
repository, not part of it) and exit with one sentence when it is missing;
``speed`` and ``false`` use the Debian drawings ``benchmarks/match.py``
downloads.  Each saves ``check_speed_<what>.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from _results import Table, add_json_option, need_corpus, save  # noqa: E402

from artistshield import identity  # noqa: E402
from artistshield.check import check_file  # noqa: E402
from artistshield.fingerprint import FingerprintIndex, compute  # noqa: E402
from artistshield.fingerprint.compute import flatten  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
SUSPECT = ROOT / "tests" / "data" / "flat-moonlight.png"


def distractors(count: int) -> list[Path]:
    from match import distractor_files

    return list(distractor_files(count))


def speed(works: int, json_path: Path | None) -> None:
    key = bytes(range(32))
    index = FingerprintIndex()
    sources = [np.asarray(Image.open(p).convert("RGB")) for p in distractors(300)]
    prints = [compute(p) for p in sources]
    for i in range(works):
        index.add(f"W-{i:06d}", prints[i % len(prints)])
    pixels = np.asarray(Image.open(SUSPECT).convert("RGB"))
    rows = []
    for _ in range(3):
        start = time.perf_counter()
        result = check_file(SUSPECT, keys={"artist": key})
        checked = time.perf_counter() - start
        start = time.perf_counter()
        index.search(pixels)
        searched = time.perf_counter() - start
        rows.append((checked, searched))
    checked, searched = (float(np.median(c)) for c in zip(*rows, strict=True))
    assert result.stable_diffusion is not None and result.c2pa is not None
    table = Table("Checking an unmarked 1920x1080 suspect, one core, median of 3",
                  ["stage", "seconds"])
    table.add("mark + SD + C2PA + metadata (check_file)", f"{checked:.2f}")
    table.add(f"registry search, {works} works", f"{searched:.2f}")
    table.add("total (target <= 2 s)", f"{checked + searched:.2f}")
    table.print()
    figures = {"check_s": round(checked, 3), "search_s": round(searched, 3),
               "total_s": round(checked + searched, 3), "works": works}
    save("check_speed_speed", tables=[table], figures=figures, path=json_path)


def _registry(home: Path) -> tuple[dict[str, str], bytes]:
    """Mark and register the corpus in *home*; returns {corpus file: work id}."""
    from artistshield.mark import mark_files
    from artistshield.registry import Registry

    os.environ["ARTISTSHIELD_HOME"] = str(home)
    artist = identity.create("Bench Artist", None)
    works = {}
    with Registry.open() as registry:
        for outcome in mark_files(sorted(CORPUS.glob("*.png")), out_dir=home / "marked",
                                  key=artist.watermark_key, registry=registry, identity=artist):
            if outcome.ok:
                works[str(outcome.output)] = outcome.work_id
    assert works, "nothing marked"
    return works, artist.watermark_key


def attribution(json_path: Path | None) -> None:
    from attacks import ATTACKS

    from artistshield.registry import Registry

    with tempfile.TemporaryDirectory() as tmp:
        works, key = _registry(Path(tmp))
        table = Table(f"Attribution of {len(works)} marked corpus works after each attack",
                      ["attack", "watermark only", "registry only", "combined"])
        attacks = {name: (attack, 255) for name, attack in ATTACKS.items()}
        # some converters drop transparency onto black instead
        attacks["over black, jpeg90"] = (ATTACKS["jpeg90"], 0)
        misses: dict[str, list[str]] = {"watermark only": [], "registry only": []}
        totals = np.zeros(3)
        with Registry.open() as registry:
            for name, (attack, background) in attacks.items():
                hits = np.zeros(3)
                for marked, work_id in works.items():
                    copy = Path(tmp) / "copy.png"
                    # composited as a platform does with a transparent upload
                    pixels = flatten(np.asarray(Image.open(marked).convert("RGBA")), background)
                    Image.fromarray(attack(pixels)).save(copy)
                    r = check_file(copy, keys={"a": key}, registry=registry, provenance=False)
                    by_mark = r.mark is not None and r.mark.work_id == work_id
                    by_match = any(m.is_match and m.work_id == work_id for m in r.matches)
                    hits += (by_mark, by_match, by_mark or by_match)
                    for column, hit in (("watermark only", by_mark), ("registry only", by_match)):
                        if not hit:
                            misses[column].append(f"{name}({Path(marked).name})")
                rates = [f"{h / len(works):.0%}" for h in hits]
                table.add(name, *rates)
                totals += hits / len(works) / len(attacks)
                print(f"{name}: {' '.join(rates)}", flush=True)
        table.print()
        notes = [f"Missed, {column}: {', '.join(missed) or 'none'}."
                 for column, missed in misses.items()]
        print("\n" + "\n".join(notes))
        figures = dict(zip(("mark_mean", "registry_mean", "combined_mean"),
                           (round(float(t), 4) for t in totals), strict=True))
        save("check_speed_attribution", tables=[table], figures=figures, notes=notes,
             path=json_path)


def false_attributions(count: int, json_path: Path | None) -> None:
    from artistshield.registry import Registry

    with tempfile.TemporaryDirectory() as tmp:
        _, key = _registry(Path(tmp))
        files = distractors(count)
        wrong = []
        with Registry.open() as registry:
            for path in files:
                r = check_file(path, keys={"a": key}, registry=registry, provenance=False)
                if r.is_artists_work:
                    wrong.append(path.name)
        table = Table("Unrelated Debian drawings checked against the registry",
                      ["unrelated drawings checked", "false 'your work'"])
        table.add(len(files), f"{len(wrong)} {', '.join(wrong[:5])}".strip())
        table.print()
        save("check_speed_false", tables=[table], figures={"checked": len(files),
             "false": len(wrong)}, path=json_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("speed", "attribution", "false"))
    parser.add_argument("--works", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=500)
    add_json_option(parser)
    args = parser.parse_args()
    if args.what != "speed":
        need_corpus(f"benchmarks/check_speed.py {args.what}")
    if args.what == "speed":
        speed(args.works, args.json)
    elif args.what == "attribution":
        attribution(args.json)
    else:
        false_attributions(args.count, args.json)


if __name__ == "__main__":
    main()
