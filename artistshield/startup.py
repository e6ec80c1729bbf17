"""Start-up costs of the libraries the engine uses, kept to what it needs.

SciPy's array-API layer copies numpy's namespace when it is first imported
(``scipy._lib.array_api_compat.numpy``), asking numpy for every public name,
and numpy imports its submodules on first ask: ``numpy.f2py`` (the Fortran
wrapper generator, with ``charset_normalizer``) and ``numpy.testing`` (with
``unittest`` and ``email``).  ArtistShield uses neither, yet they cost about
0.3 s of processor time in every process that imports SciPy, a tenth of
checking a short clip.  :func:`defer_numpy_extras` has those two imported
lazily (:class:`importlib.util.LazyLoader`, the standard library's own way):
the module is there when asked for, and runs in full the first time
anything reads from it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

#: numpy's submodules that SciPy's first import asks for and the engine never uses.
NUMPY_EXTRAS = frozenset({"numpy.f2py", "numpy.testing"})


class _LazyExtras(importlib.abc.MetaPathFinder):
    """Finds :data:`NUMPY_EXTRAS` as the other finders do, to be loaded on first use."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in NUMPY_EXTRAS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = importlib.util.LazyLoader(spec.loader)
            return spec
        return None


def defer_numpy_extras() -> None:
    """Have :data:`NUMPY_EXTRAS` imported lazily from now on (once per process).

    A module imported already stays as it is; one whose loader cannot load
    lazily is imported as usual.
    """
    if not any(isinstance(finder, _LazyExtras) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LazyExtras())
