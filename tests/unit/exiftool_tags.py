"""Read a file's tags with ExifTool (Debian's ``libimage-exiftool-perl``), as other tools would."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(
    EXIFTOOL is None,
    reason="ExifTool is not installed (Debian: apt-get install libimage-exiftool-perl)",
)


def exiftool(path: Path) -> dict[str, Any]:
    """Every tag ExifTool finds, as ``{"Group:Tag": value}`` with raw (-n) values."""
    assert EXIFTOOL is not None
    out = subprocess.run(
        [EXIFTOOL, "-j", "-G1", "-n", "-a", "-charset", "utf8", str(path)],
        capture_output=True, check=True, timeout=60,
    ).stdout
    return dict(json.loads(out.decode("utf-8"))[0])
