"""One report set shares one proof bundle; a later report never changes an earlier one's bundle."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from artistshield.check import CheckResult
from artistshield.cli.check import write_reports
from artistshield.identity import Identity
from artistshield.register import register_file
from artistshield.registry import Registry, WorkMatch

DATA = Path(__file__).resolve().parents[1] / "data"


def _checked(tmp_path: Path, artist: Identity) -> tuple[Registry, CheckResult]:
    art = tmp_path / "hills.png"
    Image.open(DATA / "painted-hills.png").convert("RGB").save(art)
    registry = Registry.open()
    work = register_file(registry, art, identity=artist)
    match = WorkMatch(work.work_id, 0.9, True, None, "pdq", work)
    return registry, CheckResult(input=str(art), matches=[match], size=(1280, 960))


def test_html_and_pdf_of_one_check_share_one_bundle(tmp_path: Path, artist: Identity) -> None:
    registry, result = _checked(tmp_path, artist)
    out = tmp_path / "reports"
    with registry:
        reports, bundle = write_reports(
            result, [out / "case.html", out / "case.pdf"], registry, artist, "https://example.com/p/1"
        )
    assert [r.name for r in reports] == ["case.html", "case.pdf"]
    assert bundle == out / "case-bundle.asbundle"
    assert sorted(p.name for p in out.iterdir()) == ["case-bundle.asbundle", "case.html", "case.pdf"]
    assert "case-bundle.asbundle" in reports[0].read_text(encoding="utf-8")


def test_a_later_report_gets_its_own_bundle_and_leaves_the_first_alone(
    tmp_path: Path, artist: Identity
) -> None:
    registry, result = _checked(tmp_path, artist)
    out = tmp_path / "reports"
    with registry:
        (first,), bundle = write_reports(result, [out / "case.html"], registry, artist, None)
        assert bundle is not None
        before = bundle.read_bytes()
        (later,), own = write_reports(result, [out / "case.html"], registry, artist, None)
    assert own is not None and own != bundle and own.is_file()
    assert bundle.read_bytes() == before  # never a changed bundle under the older report
    assert later.name == "case (2).html" and own.name in later.read_text(encoding="utf-8")
    assert bundle.name in first.read_text(encoding="utf-8")
