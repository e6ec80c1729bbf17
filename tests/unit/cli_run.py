"""Running the command line in-process, for the tests of the CLI."""

from __future__ import annotations

import pytest

from artistshield.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``artistshield ARGV`` and return its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
