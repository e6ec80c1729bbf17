"""`-v` tells how each file of a batch ended: done, failed or skipped, never "marked" for all."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.unit.cli_run import run

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def ada(cli_passphrase: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "identity", "create", "--name", "Ada")[0] == 0


def _ends(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("artistshield: ")
            and " (" not in line]  # the start lines end "(1 of 2)"


def test_each_files_end_line_says_how_it_ended(
    tmp_path: Path, ada: None, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in ü"
    folder.mkdir()
    art = folder / "Hills.PNG"
    Image.open(DATA / "painted-hills.png").convert("RGB").crop((0, 0, 400, 300)).save(art)
    missing = folder / "gone.png"
    code, _, err = run(capsys, "-v", "mark", str(missing), str(art), "--out", str(tmp_path / "o"))
    assert code == 1
    ends = _ends(err)
    assert ends[0].startswith(f"artistshield: marking {missing} failed after ")
    assert ends[1].startswith(f"artistshield: marked {art} in ")

    code, out, err = run(capsys, "-v", "mark", str(art), "--out", str(tmp_path / "o2"))
    assert code == 0 and "skipped: already registered" in out
    assert _ends(err)[0].startswith(f"artistshield: skipped {art} after ")

    broken = folder / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a picture")
    _, _, err = run(capsys, "-v", "check", str(broken), str(art))
    ends = _ends(err)
    assert ends[0].startswith(f"artistshield: checking {broken} failed after ")
    assert ends[1].startswith(f"artistshield: checked {art} in ")

    _, _, err = run(capsys, "-v", "registry", "add", str(tmp_path / "o" / "Hills.png"))
    assert _ends(err)[0].startswith("artistshield: skipped ")
