"""``artistshield --version`` and ``--help`` answer without importing the engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from artistshield.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "scipy", "artistshield.watermark", "artistshield.registry", "PIL")

PROBE = """
import contextlib, io, json, sys
from artistshield.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print(json.dumps({"out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _run(*args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True, text=True, env=env, cwd=ROOT, check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_engine(flag: str) -> None:
    result = _run(flag)
    assert "artistshield" in str(result["out"])
    modules = set(result["modules"])  # type: ignore[call-overload]
    assert "artistshield.cli" in modules
    loaded = [name for name in HEAVY if name in modules]
    assert loaded == [], f"{flag} imported {loaded}"


def test_help_without_the_modules_matches_the_whole_parser() -> None:
    light = build_parser(only="").format_help()
    assert light == build_parser().format_help()
    for name in COMMANDS:
        assert name in light


def test_a_command_imports_its_own_module_only() -> None:
    modules = set(_run("consent", "--help")["modules"])  # type: ignore[call-overload]
    assert "artistshield.cli.consent" in modules
    assert "artistshield.cli.mark" not in modules and "artistshield.watermark" not in modules
