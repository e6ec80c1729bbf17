"""`artistshield -v union check` names each suspect as its check starts and as it ends."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from artistshield import scan as scanning
from artistshield.cli import union as union_cli
from tests.unit.cli_run import run


def test_each_suspect_is_named_as_it_starts_and_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        union_cli, "_open", lambda args: SimpleNamespace(name="Guild", epochs=[bytes(32)])
    )

    def checked(item: str, keys, folder: str) -> scanning.ScanResult:  # type: ignore[no-untyped-def]
        if item.endswith("bad.png"):
            return scanning.ScanResult(item, False, None, None, "not checked", "unreadable")
        return scanning.ScanResult(item, False, None, None, "no mark found")

    monkeypatch.setattr(scanning, "check_one", checked)
    suspects = [str(tmp_path / "a ü.png"), str(tmp_path / "bad.png")]
    _, out, err = run(
        capsys, "-v", "union", "check", "--registry", str(tmp_path), *suspects
    )
    said = [line for line in err.splitlines() if line.startswith("artistshield: ")]
    assert said[0] == f"artistshield: checking {suspects[0]} (1 of 2)"
    assert said[1].startswith(f"artistshield: checked {suspects[0]} in ")
    assert said[2] == f"artistshield: checking {suspects[1]} (2 of 2)"
    assert said[3].startswith(f"artistshield: checking {suspects[1]} failed after ")
    assert out.splitlines()[0] == f"{suspects[0]}: no mark found"
    # without -v, only the results
    _, out, err = run(capsys, "union", "check", "--registry", str(tmp_path), *suspects)
    assert "artistshield: check" not in err and len(out.splitlines()) == 2
