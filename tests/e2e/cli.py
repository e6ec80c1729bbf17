"""Run the ``artistshield`` command as a user would: a separate process."""

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m artistshield ARGS`` with its data folder at *home*."""
    env = dict(os.environ, ARTISTSHIELD_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "artistshield", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
