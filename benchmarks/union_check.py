"""What checking a suspect for every member of a union costs, against one artist's check.

A union reads its members' marks with one key per key epoch, not one per
member, so a check for all members should cost what an artist's own check
costs, whatever the number of members (the issue's bound: at most twice).
This builds a union of ``--members`` members in a throw-away folder, each
with one marked and registered work (the 1920x1080 and smaller works of
``tests/data``, round robin), merges their contributions, and times on one
core, per suspect (a member's marked work after JPEG 80, and an unmarked
picture, for which the mark search runs to the end):

- an artist's own check: their key, their own registry;
- the union's check: its epoch keys (one, then two after a rotation), the
  shared registry of every member.

Each check is timed in CPU seconds of this process as well as on the wall
clock; the ratios are of CPU seconds, which other work on a shared machine
does not inflate (the wall clock's are kept beside them).

    python benchmarks/union_check.py [--members 12] [--runs 5] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

import _union  # noqa: E402
from _results import Table, add_json_option, save  # noqa: E402

from artistshield.check import check_file  # noqa: E402
from artistshield.registry import Registry  # noqa: E402
from artistshield.union import shared  # noqa: E402

UNMARKED = ROOT / "tests" / "data" / "painted-mountains.png"


def _median_s(action, runs: int) -> tuple[float, float]:
    """The median wall-clock and CPU seconds of *runs* calls of *action*."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    add_json_option(parser)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        built = _union.build(scratch, args.members)
        union = built.authority
        union_registry = shared.UnionRegistry(built.registry)

        first = built.members[0]
        home, artist, marked = first.home, first.artist, first.marked
        suspect = scratch / "suspect.jpg"
        Image.open(marked).convert("RGB").save(suspect, quality=80)
        os.environ["ARTISTSHIELD_HOME"] = str(home)
        own_registry = Registry.open()
        one_epoch = {"epoch 1": union.epochs[0]}
        union.rotate()
        two_epochs = {f"epoch {n + 1}": k for n, k in enumerate(union.epochs)}

        table = Table(
            f"Checking one suspect, one core, median of {args.runs} runs "
            f"({args.members} members, one work each)",
            ["suspect", "check", "keys", "wall s", "CPU s", "x the artist's own", "x (wall)"],
        )
        figures: dict[str, float] = {}
        for label, path in (("member's work, JPEG 80", suspect), ("unmarked picture", UNMARKED)):
            # warm caches (the matcher's index, imports) before timing
            check_file(path, keys={"own": artist.watermark_key}, registry=own_registry,
                       provenance=False)
            check_file(path, keys=one_epoch, registry=union_registry, provenance=False,
                       one_mark=True)
            own, own_cpu = _median_s(
                lambda p=path: check_file(
                    p, keys={"own": artist.watermark_key}, registry=own_registry,
                    provenance=False,
                ),
                args.runs,
            )
            table.add(label, "artist's own", 1, f"{own:.2f}", f"{own_cpu:.2f}", "1.00", "1.00")
            for name, keys in (("union, one epoch", one_epoch), ("union, two epochs", two_epochs)):
                union_s, union_cpu = _median_s(
                    lambda p=path, k=keys: check_file(
                        p, keys=k, registry=union_registry, provenance=False, one_mark=True
                    ),
                    args.runs,
                )
                ratio, wall_ratio = union_cpu / own_cpu, union_s / own
                table.add(
                    label, name, len(keys), f"{union_s:.2f}", f"{union_cpu:.2f}",
                    f"{ratio:.2f}", f"{wall_ratio:.2f}",
                )
                key = f"{'marked' if path == suspect else 'unmarked'}_{len(keys)}_epoch"
                figures[f"{key}_ratio"] = round(ratio, 3)
                figures[f"{key}_wall_ratio"] = round(wall_ratio, 3)
        own_registry.close()
    table.print()
    save(
        "union_check",
        tables=[table],
        figures=figures,
        notes=[
            "The union's check tries one key per epoch, never one per member; the shared "
            "registry's search is the same matcher an artist's registry uses.",
            "The epoch keys share what no key chooses (watermark.detect_each): the "
            "picture's residuals, its folds as it is and under the tiling's lattice, their "
            "chip sums and spectra, and the template's spectra; each key still gets the "
            "whole search, so each key's p-value is unchanged.",
            "A member marks with one epoch's key, so the union's check stops at the first "
            "epoch whose mark it finds (check_file(one_mark=True)); the member's work here "
            "is marked under epoch 1, searched first.  A mark of the last epoch, or none, "
            "costs every epoch's search.",
            "x the artist's own: CPU seconds over the artist's own check's (x (wall): the "
            "same of wall-clock seconds, which a loaded machine inflates).",
        ],
        path=args.json,
    )


if __name__ == "__main__":
    main()
