"""The standalone build's entry point: ``-m`` children and the bundled union profile."""

import sys
from pathlib import Path

import pytest

from artistshield import frozen


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["-m", "artistshield.report.pdf", "out.pdf"], ("artistshield.report.pdf", ["out.pdf"])),
        (["-I", "-m", "artistshield.provenance.sd", "a.png"], ("artistshield.provenance.sd", ["a.png"])),
        (["-m", "os", "x"], None),  # only ArtistShield's own children
        (["-m"], None),
        (["check", "-m", "artistshield.report.pdf"], None),
        ([], None),
    ],
)
def test_child_module(argv: list[str], expected: tuple[str, list[str]] | None) -> None:
    assert frozen.child_module(argv) == expected


def test_main_runs_a_child_module_as_python_m_would(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    with pytest.raises(SystemExit) as exit_:
        frozen.main(["-m", "artistshield.report.pdf"])  # no OUT.pdf: the module's usage
    assert exit_.value.code == 2
    assert "usage: python -m artistshield.report.pdf" in capsys.readouterr().err


def test_main_passes_anything_else_to_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        frozen.main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip().endswith(__import__("artistshield").__version__)


def test_bundled_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert frozen.bundled_profile() is None
    folder = tmp_path / "resources" / frozen.PROFILE_FOLDER
    folder.mkdir(parents=True)
    (folder / "guild.asprofile").write_text("{}")
    assert frozen.bundled_profile() == folder / "guild.asprofile"
