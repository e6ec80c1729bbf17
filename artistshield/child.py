"""Starting ArtistShield's own child processes, isolated from where they are started.

``python -m artistshield.x`` puts the current folder first on ``sys.path``,
so an ``artistshield/`` folder among downloaded suspects would be imported
and run.  Children run with ``python -I`` instead: no current folder, no
``PYTHON*`` variables, no user site-packages.  With ``-I`` the package is
still found where it is installed; a source checkout (an editable install,
or ``PYTHONPATH``) is named explicitly: the folder this very package was
imported from, which the parent already trusts, and never the current one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import artistshield

# Runs as ``python -I -c BOOTSTRAP ROOT MODULE ARGS...``.
_BOOTSTRAP = (
    "import runpy, sys\n"
    "root, module = sys.argv[1], sys.argv[2]\n"
    "if root not in sys.path:\n"
    "    sys.path.insert(0, root)\n"
    "sys.argv = [module, *sys.argv[3:]]\n"
    "runpy.run_module(module, run_name='__main__', alter_sys=True)\n"
)


def python_module(module: str, *args: str) -> list[str]:
    """The command that runs ``python -m module args`` isolated (see the module docstring)."""
    if not module.startswith("artistshield."):
        raise ValueError(f"only ArtistShield's own modules run as children, not {module!r}")
    if getattr(sys, "frozen", False):
        # a standalone build is its own interpreter: it runs its own child modules and
        # nothing from the current folder (artistshield.frozen)
        return [sys.executable, "-m", module, *args]
    return [sys.executable, "-I", "-c", _BOOTSTRAP, str(package_root()), module, *args]


def package_root() -> Path:
    """The folder that holds the ``artistshield`` package this process runs."""
    return Path(artistshield.__file__).resolve().parent.parent
