"""The standalone build: its size, and how fast it answers and opens its window.

Measures ``dist/ArtistShield`` (build it first: ``python packaging/build.py``):
the unpacked size and what takes the room, the archive's size, ``--version``
with no Python on the path, and launch to a viewable main window under Xvfb
(an existing identity, so no first-run wizard; the first run warms the disk
cache and is reported apart), plus the processor time a launch that quits
once its window is shown costs, which a busy machine does not inflate the way
it does wall-clock time (the load average is saved with the figures).
Prints a table and saves ``benchmarks/results/frozen_app.json``.

Run:  python benchmarks/frozen_app.py [--runs 6]   (Linux, needs Xvfb and xwininfo)
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import Table, add_json_option, save

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("artistshield_smoke", ROOT / "packaging" / "smoke.py")
assert _SPEC is not None and _SPEC.loader is not None
smoke = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(smoke)

#: Where the room goes: a label and the path prefixes (inside _internal/) it covers.
PARTS = {
    "Qt and PySide6": ("PySide6", "shiboken6"),
    "FFmpeg (PyAV)": ("av", "av.libs"),
    "c2pa native library": ("c2pa",),
    "SciPy": ("scipy", "scipy.libs"),
    "NumPy": ("numpy", "numpy.libs"),
    "Pillow": ("PIL", "pillow.libs"),
    "cryptography": ("cryptography",),
}


def sizes(folder: Path) -> dict[str, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    internal = folder / "_internal"
    result = {"total": sum(p.stat().st_size for p in files)}
    for label, prefixes in PARTS.items():
        result[label] = sum(
            p.stat().st_size for p in files
            if p.is_relative_to(internal) and p.relative_to(internal).parts[0] in prefixes
        )
    result["everything else"] = result["total"] - sum(result[label] for label in PARTS)
    return result


def cpu_to_show(exe: Path, env: dict[str, str], display: str) -> float:
    """Processor seconds (user + system) of a launch that quits once its window is shown."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(env, DISPLAY=display, QT_QPA_PLATFORM="xcb", ARTISTSHIELD_QUIT_WHEN_SHOWN="1")
    subprocess.run([str(exe)], env=env, check=True, capture_output=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    add_json_option(parser)
    args = parser.parse_args()
    if smoke.stale():
        raise SystemExit("dist/ArtistShield is missing or older than the sources: "
                         "run python packaging/build.py first")
    folder = smoke.BUILD
    archives = sorted(folder.parent.glob("ArtistShield-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    with tempfile.TemporaryDirectory() as tmp:
        env = smoke.clean_env(Path(tmp) / "home", Path(tmp) / "bin", ARTISTSHIELD_PASSPHRASE="bench")
        start = time.perf_counter()
        smoke.run(smoke.cli_exe(folder), "--version", env=env)
        version_s = time.perf_counter() - start
        smoke.run(smoke.cli_exe(folder), "identity", "create", "--name", "Bench", env=env)
        with smoke.Xvfb() as server:
            opens = [smoke.time_to_window(smoke.app_exe(folder), env, server.display)[0]
                     for _ in range(args.runs)]
            cpu = [cpu_to_show(smoke.app_exe(folder), env, server.display) for _ in range(3)]
    size = sizes(folder)
    table = Table("The standalone build (Linux, one folder)", ["measure", "value"])
    for label, value in size.items():
        table.add(f"size: {label}", f"{value / 1e6:.0f} MB")
    if archives:
        table.add(f"archive ({archives[-1].name})", f"{archives[-1].stat().st_size / 1e6:.0f} MB")
    table.add("`--version`, no Python on PATH", f"{version_s:.2f} s")
    table.add("window open, first run", f"{opens[0]:.2f} s")
    table.add(f"window open, warm (median of {len(opens) - 1})", f"{statistics.median(opens[1:]):.2f} s")
    table.add("window open, warm (slowest)", f"{max(opens[1:]):.2f} s")
    table.add(f"processor time to a shown window (median of {len(cpu)})",
              f"{statistics.median(cpu):.2f} s")
    table.print()
    save(
        "frozen_app",
        tables=[table],
        figures={
            "unpacked_mb": round(size["total"] / 1e6),
            "archive_mb": round(archives[-1].stat().st_size / 1e6) if archives else None,
            "version_s": round(version_s, 2),
            "window_open_warm_s_median": round(statistics.median(opens[1:]), 2),
            "window_shown_cpu_s_median": round(statistics.median(cpu), 2),
        },
        notes=[
            "Wall-clock launch times grow with the machine's load (recorded above); the "
            "processor time to a shown window does not, and is the figure to compare "
            "between runs on a busy machine.",
        ],
        path=args.json,
    )


if __name__ == "__main__":
    main()
