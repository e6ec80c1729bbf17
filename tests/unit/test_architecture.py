"""The core never imports Qt: checked by import-linter's contract in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_qt() -> None:
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_core_loads_no_qt() -> None:
    code = (
        "import sys, artistshield.cli, artistshield.mark, artistshield.check, "
        "artistshield.registry, artistshield.identity\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt loaded'\n"
        "assert 'cv2' not in sys.modules, 'OpenCV loaded'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
