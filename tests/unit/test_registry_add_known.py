"""`registry add` registers a re-export or a marked copy of a registered work only when asked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.unit.cli_run import run

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def ada(cli_passphrase: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0


def _works(capsys: pytest.CaptureFixture[str]) -> list[str]:
    _, out, _ = run(capsys, "registry", "list", "--json")
    return [w["work_id"] for w in json.loads(out)]


def test_a_re_export_is_skipped_unless_again(
    tmp_path: Path, ada: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "art ü"
    folder.mkdir()
    art = Image.open(DATA / "painted-hills.png").convert("RGB")
    original = folder / "Hills.PNG"
    art.save(original)
    reexport = folder / "hills for web.jpg"
    art.resize((art.width * 3 // 4, art.height * 3 // 4)).save(reexport, quality=85)
    assert run(capsys, "registry", "add", str(original))[0] == 0
    assert _works(capsys) == ["W-000001"]

    code, out, _ = run(capsys, "registry", "add", str(reexport))
    assert code == 0
    assert f"{reexport}: skipped: already registered as W-000001" in out
    assert "by its fingerprint" in out and "--again" in out
    assert _works(capsys) == ["W-000001"]  # no duplicate to show in every check

    _, out, _ = run(capsys, "registry", "add", "--json", str(reexport))
    [said] = json.loads(out)
    assert said["status"] == "already registered" and said["work"]["work_id"] == "W-000001"
    assert said["already_registered"]["how"] == "same picture"

    code, out, _ = run(capsys, "registry", "add", "--again", str(reexport))
    assert code == 0 and "W-000002" in out and "a new version of W-000001" in out
    assert _works(capsys) == ["W-000001", "W-000002"]
    _, shown, _ = run(capsys, "registry", "show", "W-000002")
    assert "new version of:      W-000001" in shown
