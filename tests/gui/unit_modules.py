"""Helper modules of tests/unit for GUI tests, which may run without tests/unit on sys.path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

UNIT = Path(__file__).parents[1] / "unit"


def load(name: str) -> ModuleType:
    """``tests/unit/<name>.py``, one module however many tests load it."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, UNIT / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
