"""Where a benchmark's figures go: a JSON record beside the printed table.

Every benchmark prints its tables and saves them, with the date, the machine
and the commit of the run, to ``benchmarks/results/<name>.json`` (``--json
PATH`` writes elsewhere).  ``benchmarks/report.py`` turns the saved records
into ``docs/benchmarks.md``, so no figure there is typed by hand.

A record is plain JSON::

    {"benchmark": "register_speed", "command": "python benchmarks/register_speed.py",
     "date": "2026-12-07T05:40:00+00:00", "commit": "82e5952...", "dirty": false,
     "machine": {"cpu": "...", "cores": 2, "python": "3.11.2", "numpy": "2.1.3", ...},
     "load": {"start": 0.4, "end": 1.1},
     "figures": {"end_to_end_ms_worst": 200.1, ...},
     "tables": [{"title": "...", "columns": ["stage", "median ms"], "rows": [["...", "4.57"]]}],
     "notes": ["..."]}

``load`` is the machine's one-minute load average when the run started and
ended: on a machine shared with other work, timings slow down with it.
``figures`` holds the few numbers worth quoting (the README's headline
table reads them); ``tables`` holds what the benchmark printed, cell by cell.
Only the standard library is imported here, so ``report.py`` and its test
stay light.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
CORPUS = ROOT.parent / "shared" / "corpus"


@dataclass
class Table:
    """One printed table: a title, its column names and its rows of cells."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, *cells: object) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{self.title}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append([str(cell) for cell in cells])

    def markdown(self) -> str:
        """The table as Markdown, with ``|`` in cells escaped."""
        lines = [
            "| " + " | ".join(_cell(c) for c in self.columns) + " |",
            "|" + "---|" * len(self.columns),
        ]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines)

    def print(self) -> None:
        print(f"\n{self.title}\n" if self.title else "")
        print(self.markdown(), flush=True)

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "columns": self.columns, "rows": self.rows}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json PATH``: where to save the record instead of ``benchmarks/results/``."""
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="save the results here (default: benchmarks/results/<name>.json)",
    )


def need_corpus(script: str) -> Path:
    """The development corpus, or exit with one sentence saying it is missing."""
    if not CORPUS.is_dir() or not any(CORPUS.glob("*.png")):
        sys.exit(
            f"{script} reads the development corpus at {CORPUS}, which is not there "
            "(it sits beside the repository, in ../shared/corpus, and is not part of it)."
        )
    return CORPUS


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    facts: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }
    for module in ("numpy", "scipy", "PIL", "av", "PySide6"):
        loaded = sys.modules.get(module)
        if loaded is not None:
            facts[module] = getattr(loaded, "__version__", "?")
    if "numpy" not in facts:
        import numpy

        facts["numpy"] = numpy.__version__
    return facts


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def _state() -> tuple[str, bool]:
    """The commit checked out, and whether the code differs from it."""
    dirty = _git(
        "status", "--porcelain", "--untracked-files=no", "--",
        "artistshield", "benchmarks", ":(exclude)benchmarks/results",
    )
    return _git("rev-parse", "HEAD") or "unknown", bool(dirty)


# Taken when the benchmark starts, as the code may be committed while it runs.
_STARTED = _state()
# Other work on the machine slows timings down; the record says how much there was.
_LOAD_AT_START = os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def save(
    name: str,
    *,
    tables: Sequence[Table] = (),
    figures: dict[str, Any] | None = None,
    notes: Sequence[str] = (),
    path: Path | None = None,
) -> Path:
    """Write this run's record and say where; returns the path."""
    record = {
        "benchmark": name,
        "command": "python " + " ".join([_relative(sys.argv[0]), *sys.argv[1:]]),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _STARTED[0],
        # code that differs from the commit makes its figures the code's, not the commit's
        "dirty": _STARTED[1],
        "machine": machine(),
        "load": {
            "start": _LOAD_AT_START,
            "end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        },
        "figures": figures or {},
        "tables": [table.as_json() for table in tables],
        "notes": list(notes),
    }
    target = path or RESULTS / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    print(f"\nSaved to {_relative(str(target))}", flush=True)
    return target


def load(name: str, folder: Path = RESULTS) -> dict[str, Any] | None:
    """The last saved record of *name*, or None if it never ran here."""
    path = folder / f"{name}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path
