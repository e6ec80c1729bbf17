"""The standalone build's entry point, and what it bundles beside the code.

A standalone build (``python packaging/build.py``, PyInstaller) has no Python
interpreter to run ``python -m MODULE``, yet the PDF report and the Stable
Diffusion reader run as child processes started as
``[sys.executable, "-m", MODULE, ...]``.  In the build ``sys.executable`` is
the app itself, so :func:`main` answers that form for the modules in
:data:`CHILD_MODULES` and passes every other command line to the
``artistshield`` command (no arguments: the app).

A union's profile baked in with ``build.py --profile FILE`` sits in
``resources/union-profile/``; :func:`bundled_profile` finds it.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

#: The modules a build runs as ``-m`` children, and nothing else.
CHILD_MODULES = frozenset({"artistshield.report.pdf", "artistshield.provenance.sd"})

#: Interpreter options a caller may put before ``-m`` (``python -I -m ...``); the build ignores them.
_INTERPRETER_FLAGS = frozenset({"-I", "-P", "-E", "-s", "-S", "-B", "-u", "-O", "-OO"})

PROFILE_FOLDER = "union-profile"


def is_frozen() -> bool:
    """Whether this is a standalone build rather than Python running the package."""
    return bool(getattr(sys, "frozen", False))


def child_module(argv: Sequence[str]) -> tuple[str, list[str]] | None:
    """``(module, its arguments)`` if *argv* asks to run one of :data:`CHILD_MODULES`."""
    i = 0
    while i < len(argv) and argv[i] in _INTERPRETER_FLAGS:
        i += 1
    if i + 1 < len(argv) and argv[i] == "-m" and argv[i + 1] in CHILD_MODULES:
        return argv[i + 1], list(argv[i + 2 :])
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run a ``-m`` child or the ``artistshield`` command; return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    child = child_module(args)
    if child is not None:
        module, rest = child
        sys.argv = [module, *rest]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from artistshield.cli import main as cli_main

    return cli_main(args)


def resource_dir() -> Path:
    """``resources/``: inside the build, or beside the package in a source checkout."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "resources" if base else Path(__file__).resolve().parents[1] / "resources"


def bundled_profile() -> Path | None:
    """The union profile a build was made with (``build.py --profile``), if any."""
    folder = resource_dir() / PROFILE_FOLDER
    files = sorted(p for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    return files[0] if files else None
