"""How long registering one 1920x1080 work takes, stage by stage, on one core.

The issue's budget is 0.3 s for fingerprints, thumbnail, signature and the
database write together.  Uses the 1920x1080 works of ``tests/data`` in a
throw-away data folder; each run registers a copy with one pixel changed (the
registry refuses the same pixels twice).  Prints one table of medians.

    python benchmarks/register_speed.py [--runs 15] [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one core, as the budget says; before numpy loads

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]

from _results import Table, add_json_option, save  # noqa: E402

from artistshield import identity  # noqa: E402
from artistshield.registry import Registry, ingest, store  # noqa: E402

WORKS = [
    ROOT / "tests" / "data" / name for name in ("flat-moonlight.png", "flat-futureprototype.png")
]
BUDGET_MS = 300.0


def _ms(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _stages(
    path: Path, pixels: np.ndarray, artist: identity.Identity
) -> dict[str, Callable[[], object]]:
    entry = bytes(300)  # about the size of a register entry's text
    return {
        "file SHA-256": lambda: hashlib.sha256(path.read_bytes()).digest(),
        "pixels SHA-256": lambda: hashlib.sha256(pixels.data).digest(),
        "thumbnail (PNG <= 256 px)": lambda: ingest.thumbnail_png(pixels),
        "fingerprint": lambda: ingest.fingerprint_bytes(pixels),
        "Ed25519 signature": lambda: artist.sign(entry),
    }


def _register(
    registry: Registry, path: Path, pixels: np.ndarray, artist: identity.Identity
) -> Callable[[], object]:
    serial = iter(range(1, 2**24))

    def register() -> object:
        copy = pixels.copy()
        copy[0, 0] = np.frombuffer(next(serial).to_bytes(3, "big"), np.uint8)
        return registry.add_work(copy, file_path=path, identity=artist)

    return register


def _write_only(
    registry: Registry, path: Path, pixels: np.ndarray, artist: identity.Identity
) -> Callable[[], object]:
    """add_work with the facts already computed: signing and the database transaction."""
    facts = ingest.describe(pixels, file_path=path)
    serial = iter(range(1, 2**40))

    def write() -> object:
        fake = hashlib.sha256(f"{path}:{next(serial)}".encode()).hexdigest()
        fresh = dataclasses.replace(facts, pixels_sha256=fake)
        with mock.patch.object(store, "describe", lambda *a, **k: fresh):
            return registry.add_work(pixels, file_path=path, identity=artist)

    return write


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    add_json_option(parser)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    rows: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as home:
        os.environ["ARTISTSHIELD_HOME"] = home
        artist = identity.create("Benchmark", None)
        with Registry.open() as registry:
            for path in WORKS:
                pixels = np.asarray(Image.open(path).convert("RGB"))
                for name, action in _stages(path, pixels, artist).items():
                    action()  # warm up: imports, caches
                    rows.append((f"{path.name}: {name}", _ms(action, args.runs)))
                write = _write_only(registry, path, pixels, artist)
                rows.append((f"{path.name}: sign + database write", _ms(write, args.runs)))
                register = _register(registry, path, pixels, artist)
                rows.append((f"{path.name}: add_work, end to end", _ms(register, args.runs)))

    table = Table(
        f"Registering a 1920x1080 work, one core, median of {args.runs} runs",
        ["stage", "median ms", "min ms"],
    )
    for name, times in rows:
        table.add(name, f"{statistics.median(times):.2f}", f"{min(times):.2f}")
    table.print()
    worst = max(statistics.median(t) for n, t in rows if n.endswith("end to end"))
    verdict = "within" if worst <= BUDGET_MS else "OVER"
    summary = f"End to end: {worst:.0f} ms at worst, {verdict} the {BUDGET_MS:.0f} ms budget."
    print(f"\n{summary}")
    save(
        "register_speed",
        tables=[table],
        figures={"add_work_ms_worst": round(worst, 1), "budget_ms": BUDGET_MS},
        notes=[summary],
        path=args.json,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
