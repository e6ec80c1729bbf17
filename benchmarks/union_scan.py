"""What a union's scan gets through: files per hour per worker core, here and on Dask.

``artistshield union scan`` runs the union's check (its epoch keys, the shared
registry) on every file of a list, one task a file, here or on a Dask
cluster.  This builds a union of ``--members`` members (one marked work each,
see ``_union.py``), writes a list of suspects (each member's work after JPEG
80, and after a 70% resize and JPEG 75; unmarked pictures of ``tests/data``),
and times:

- a serial scan on one core: processor seconds per file, hence files per
  hour that one worker core gets through (the registry opened once before,
  as a worker does once per folder);
- the same list on a local Dask cluster of two worker processes, one thread
  each (the ``cluster`` extra): wall-clock time, and whether its results equal
  the serial scan's.

    python benchmarks/union_scan.py [--members 4] [--repeat 2] [--json PATH]
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

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import _union  # noqa: E402
from _results import Table, add_json_option, save  # noqa: E402

from artistshield import scan  # noqa: E402

UNMARKED = [
    _union.DATA / name
    for name in (
        "painted-mountains.png",
        "cartoon-halloween-outro.png",
        "flat-moonlight.png",
        "cel-portrait-alpha.png",
    )
]


def suspects(union: _union.Union, folder: Path) -> list[tuple[str, bool]]:
    """The files to scan, each with whether it carries a member's work."""
    folder.mkdir()
    found = []
    for number, member in enumerate(union.members, 1):
        picture = Image.open(member.marked).convert("RGB")
        jpeg = folder / f"m{number}-jpeg80.jpg"
        picture.save(jpeg, quality=80)
        small = folder / f"m{number}-scaled70.jpg"
        size = (round(picture.width * 0.7), round(picture.height * 0.7))
        picture.resize(size, Image.Resampling.LANCZOS).save(small, quality=75)
        found += [(str(jpeg), True), (str(small), True)]
    found += [(str(path), False) for path in UNMARKED]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2, help="scan the list this many times")
    parser.add_argument("--no-cluster", action="store_true", help="the serial scan only")
    add_json_option(parser)
    args = parser.parse_args()
    every_core = os.sched_getaffinity(0)

    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        union = _union.build(scratch_path, args.members)
        listed = suspects(union, scratch_path / "suspects")
        items = [item for item, _ in listed] * args.repeat
        keys = {f"epoch {n + 1}": k for n, k in enumerate(union.authority.epochs)}
        folder = str(union.registry.resolve())

        os.sched_setaffinity(0, {min(every_core)})
        start = time.perf_counter()
        scan.check_one(items[0], keys, folder)  # opens the registry, as a worker does once
        open_s = time.perf_counter() - start
        cpu, wall, serial = [], [], []
        for item in items:
            start, start_cpu = time.perf_counter(), time.process_time()
            serial.append(scan.check_one(item, keys, folder))
            cpu.append(time.process_time() - start_cpu)
            wall.append(time.perf_counter() - start)
        os.sched_setaffinity(0, every_core)
        expected = [carries for _, carries in listed] * args.repeat
        right = sum(r.found == e for r, e in zip(serial, expected, strict=True))

        table = Table(
            f"Scanning {len(items)} suspects ({args.members} members' works under JPEG 80 "
            f"and a 70% resize, and {len(UNMARKED)} unmarked pictures, {args.repeat} times)",
            ["run", "files", "wall s", "CPU s per file (mean)", "files per hour per core",
             "right"],
        )
        per_file = statistics.mean(cpu)
        figures: dict[str, float] = {
            "files": len(items),
            "cpu_s_per_file": round(per_file, 3),
            "cpu_s_per_file_median": round(statistics.median(cpu), 3),
            "files_per_hour_per_core": round(3600 / per_file),
            "serial_wall_s": round(sum(wall), 2),
            "open_s": round(open_s, 2),
            "right": right,
        }
        table.add("serial, one core", len(items), f"{sum(wall):.1f}", f"{per_file:.2f}",
                  f"{3600 / per_file:.0f}", f"{right}/{len(items)}")  # fmt: skip
        if not args.no_cluster:
            import distributed

            with distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                processes=True,
            ) as cluster:
                start = time.perf_counter()
                spread = scan.scan(items, keys=keys, registry=folder,
                                   cluster=cluster.scheduler_address)  # fmt: skip
                cluster_s = time.perf_counter() - start
            same = spread == serial
            figures.update(cluster_wall_s=round(cluster_s, 2), cluster_equals_serial=same,
                           cluster_files_per_hour=round(3600 * len(items) / cluster_s))  # fmt: skip
            table.add("Dask, 2 workers x 1 thread", len(items), f"{cluster_s:.1f}", "",
                      f"{3600 * len(items) / cluster_s / 2:.0f} (wall, incl. start-up)",
                      "equal to serial" if same else "DIFFERS from serial")  # fmt: skip
    table.print()
    save(
        "union_scan",
        tables=[table],
        figures=figures,
        notes=[
            "files per hour per core: 3600 over the mean processor seconds per file of the "
            "serial scan on one core (the shared registry already open, as on a worker).",
            "The Dask row counts the cluster's start-up and each worker's opening of the "
            "registry in its wall-clock time, on the same 2-core machine.",
        ],
        path=args.json,
    )


if __name__ == "__main__":
    main()
