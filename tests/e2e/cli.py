"""Run the ``artistshield`` command: as a user would (a separate process), or in-process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from artistshield.cli import main


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


def run_in_process(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``artistshield ARGV`` in this process; its exit code, stdout and stderr, never a traceback."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err
