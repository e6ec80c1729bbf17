"""`artistshield check` says what a suspect says about AI training, in its text and its report."""

import html
import shutil
from pathlib import Path

from PIL import Image

from tests.e2e.cli import run

DATA = Path(__file__).resolve().parents[1] / "data"


def test_check_prints_and_reports_the_consent_of_a_signed_copy(tmp_path: Path) -> None:
    assert run("identity", "create", "--name", "Zoë", "--no-passphrase", home=tmp_path).returncode == 0
    src = tmp_path / "hills.png"
    shutil.copy(DATA / "painted-hills.png", src)
    marked = run("mark", str(src), "--out", str(tmp_path / "out"), home=tmp_path)
    assert marked.returncode == 0, marked.stderr
    copy = tmp_path / "out" / "hills.png"
    report = tmp_path / "report.html"
    checked = run("check", str(copy), "--report", str(report), home=tmp_path)
    assert checked.returncode == 0, checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0].startswith(f"{copy}: ")
    assert lines[1] == "  This copy says: not for AI training."
    assert (
        "  IPTC data mining (XMP): prohibited for AI/ML training; covered by a valid signature."
        in lines
    ), lines
    assert "  cawg.ai_training (C2PA): not allowed; covered by a valid signature." in lines
    page = report.read_text(encoding="utf-8")
    section = page[page.index("<h2>What this copy says about AI training</h2>") :]
    assert "<li>This copy says: not for AI training.</li>" in section
    assert html.escape("cawg.ai_training (C2PA): not allowed; covered by a valid signature.") in section

    with Image.open(copy) as image:  # the pixels alone, as a site that strips metadata keeps them
        image.convert("RGB").save(tmp_path / "stripped.png")
    stripped = run("check", str(tmp_path / "stripped.png"), home=tmp_path)
    assert stripped.returncode == 0, stripped.stderr
    assert stripped.stdout.splitlines()[1].startswith(
        "  This copy's credentials were removed; the original said: not for AI training "
        "(recorded for work W-000001 in your registry, with its signed Content Credentials)."
    )
