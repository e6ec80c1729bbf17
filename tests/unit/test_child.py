"""Child processes never import code from the folder they are started in."""

import subprocess
import sys
from pathlib import Path

import pytest

from artistshield import child


def _plant(folder: Path, marker: Path) -> None:
    for package in (folder / "artistshield", folder / "artistshield" / "report"):
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            f"import pathlib\npathlib.Path({str(marker)!r}).write_text(__name__)\n"
        )


def test_a_child_ignores_a_package_planted_in_the_current_folder(tmp_path: Path) -> None:
    marker = tmp_path / "PLANTED-RAN"
    _plant(tmp_path / "suspects", marker)
    done = subprocess.run(
        child.python_module("artistshield.report.pdf"),  # no arguments: prints its usage
        cwd=tmp_path / "suspects", capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2 and "usage: python -m artistshield.report.pdf" in done.stderr
    assert not marker.exists()
    # the old way imports the plant: the test can fail
    subprocess.run([sys.executable, "-m", "artistshield.report.pdf"], cwd=tmp_path / "suspects",
                   capture_output=True, timeout=120, check=False)
    assert marker.read_text().startswith("artistshield")


def test_a_child_runs_isolated_and_only_artistshield_modules() -> None:
    command = child.python_module("artistshield.provenance.sd", "x.png")
    assert command[:2] == [sys.executable, "-I"]
    assert command[-2:] == ["artistshield.provenance.sd", "x.png"]
    assert Path(command[4]) == child.package_root()
    assert (child.package_root() / "artistshield" / "child.py").is_file()
    with pytest.raises(ValueError):
        child.python_module("os")
